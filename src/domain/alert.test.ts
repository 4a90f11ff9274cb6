import { describe, expect, it } from 'vitest';
import { nextStatus } from './alert.js';

describe('alert lifecycle', () => {
  it.each([
    ['new', 'acknowledge', 'acknowledged'],
    ['new', 'escalate', 'escalated'],
    ['new', 'resolve', 'resolved'],
    ['new', 'false-positive', 'false_positive'],
    ['acknowledged', 'resolve', 'resolved'],
    ['acknowledged', 'escalate', 'escalated'],
    ['escalated', 'acknowledge', 'acknowledged'],
    ['escalated', 'false-positive', 'false_positive'],
    ['acknowledged', 'acknowledge', undefined],
    ['resolved', 'acknowledge', undefined],
    ['false_positive', 'resolve', undefined],
  ] as const)('%s + %s → %s', (from, action, to) => {
    expect(nextStatus(from, action)).toBe(to);
  });
});
