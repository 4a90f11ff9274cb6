import { describe, expect, it } from 'vitest';
import { poissonLlr, SCAN_EMPTY, type ScanState, scan, scanStep } from './poisson-scan.js';

/** The scan's state after a run of counts, each where `mu` was expected. */
const stateAfter = (counts: readonly number[], mu: number, window = 30): ScanState =>
  counts.reduce((state, c) => scanStep(state, c, mu, window), SCAN_EMPTY);

describe('the Poisson scan', () => {
  it('scores a window by the Poisson likelihood ratio: 7 in 11 minutes where 0.06 a minute are usual', () => {
    // x·ln(x/μ) − (x − μ) with x = 7, μ = 0.66.
    expect(poissonLlr(7, 0.66)).toBeCloseTo(7 * Math.log(7 / 0.66) - (7 - 0.66), 10);
    expect(poissonLlr(0.5, 0.66)).toBe(0);
    expect(poissonLlr(0, 0)).toBe(0);
  });

  it('finds the window with the most evidence, whatever its start: a slow ramp 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 3', () => {
    const result = scan(stateAfter([0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 3], 0.06), 1);
    // The best window starts at the ramp's first count: 7 in 10 minutes (μ = 0.6).
    expect(result.minutes).toBe(10);
    expect(result.count).toBe(7);
    expect(result.expected).toBeCloseTo(0.6, 10);
    expect(result.llr).toBeCloseTo(poissonLlr(7, 0.6), 10);
    expect(result.llr).toBeGreaterThan(9);
  });

  it('stays low on ordinary minutes of a rare status, and for fewer counts than expected', () => {
    expect(scan(stateAfter([0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0], 0.06), 1).llr).toBeLessThan(9);
    expect(scan(stateAfter([1, 0, 1, 1, 0, 2, 1, 0], 1), 1).llr).toBe(0);
    expect(scan(SCAN_EMPTY, 1).llr).toBe(0);
  });

  it('leaves one minute alone to the single-minute check: windows start at two minutes', () => {
    const lone = scan(stateAfter([0, 0, 0, 4], 0.06), 1);
    expect(lone.minutes).toBeGreaterThanOrEqual(2);
    expect(lone.llr).toBeCloseTo(poissonLlr(4, 0.12), 10);
  });

  it('asks more evidence of over-dispersed counts (the ratio divided by the dispersion)', () => {
    const state = stateAfter([0, 1, 2, 1, 3], 0.1);
    expect(scan(state, 2).llr).toBeCloseTo(scan(state, 1).llr / 2, 10);
    // Less than Poisson is not believed.
    expect(scan(state, 0.5).llr).toBeCloseTo(scan(state, 1).llr, 10);
  });

  it('keeps only the latest `window` minutes', () => {
    const state = stateAfter([9, 9, 0, 0, 0], 0.1, 3);
    expect(state.counts).toEqual([0, 0, 0]);
    expect(state.expected).toEqual([0.1, 0.1, 0.1]);
    expect(scan(state, 1).llr).toBe(0);
  });
});
