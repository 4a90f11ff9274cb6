import { describe, expect, it } from 'vitest';
import { durations, percentile } from './triage-figures.js';

describe('percentile (nearest rank)', () => {
  it.each([
    { values: [], p: 0.5, expected: null },
    { values: [7], p: 0.5, expected: 7 },
    { values: [7], p: 0.9, expected: 7 },
    { values: [1, 2], p: 0.5, expected: 1 },
    { values: [1, 2, 3], p: 0.5, expected: 2 },
    { values: [1, 2, 3, 4], p: 0.5, expected: 2 },
    { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], p: 0.9, expected: 9 },
    { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], p: 0.9, expected: 10 },
  ])('$p of $values is $expected: a value that occurred, never an interpolation', ({ values, p, expected }) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('sorts before ranking, and counts every value', () => {
    expect(durations([40, 10, 20])).toEqual({ count: 3, medianMs: 20, p90Ms: 40 });
    expect(durations([])).toEqual({ count: 0, medianMs: null, p90Ms: null });
  });
});
