import { describe, expect, it } from 'vitest';
import { combineRisk, DEFAULT_SCORING, decide, severityOf } from './scoring.js';

describe('scoring', () => {
  it.each([
    [[], 0, 'none'],
    [['low'], 15, 'low'],
    [['medium'], 35, 'medium'],
    [['medium', 'medium'], 58, 'medium'],
    [['medium', 'medium', 'medium'], 73, 'high'],
    [['high'], 65, 'high'],
    [['high', 'medium'], 77, 'high'],
    [['critical'], 90, 'critical'],
    [['high', 'high'], 88, 'critical'],
  ] as const)('%o scores %i (%s)', (hits, risk, severity) => {
    expect(combineRisk(hits)).toBe(risk);
    expect(severityOf(risk, DEFAULT_SCORING.thresholds)).toBe(severity);
  });

  it('makes two medium signals weigh more than one', () => {
    expect(combineRisk(['medium', 'medium'])).toBeGreaterThan(combineRisk(['medium']));
  });

  it('never goes past 100', () => {
    expect(combineRisk(Array(50).fill('critical'))).toBe(100);
  });

  it('decides by severity, raised by a rule floor, never lowered', () => {
    const p = DEFAULT_SCORING.decisions;
    expect(decide('none', [], p)).toBe('allow');
    expect(decide('medium', [], p)).toBe('challenge');
    expect(decide('critical', [], p)).toBe('block');
    expect(decide('high', ['block'], p)).toBe('block');
    expect(decide('critical', ['challenge'], p)).toBe('block');
  });
});
