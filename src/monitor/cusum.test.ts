import { describe, expect, it } from 'vitest';
import { CUSUM_ZERO, type CusumSettings, type CusumState, cusumStep } from './cusum.js';

const S: CusumSettings = { k: 0.5, h: 6, cap: 1.25, clipLow: 3, clipHigh: 4 };
const M = 60_000;

/** Steps a run of scores from minute 0; returns every state. */
function run(scores: readonly number[], settings = S): CusumState[] {
  const out: CusumState[] = [];
  let state = CUSUM_ZERO;
  scores.forEach((z, i) => {
    state = cusumStep(state, i * M, z, 1, 0.2, settings);
    out.push(state);
  });
  return out;
}

describe('the CUSUM', () => {
  it('stays at 0 on ordinary minutes, and never goes below it', () => {
    const states = run([0.3, -1, 0.5, -2, 0.49, 0]);
    expect(states.map((s) => s.s)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(states.every((s) => s.start === null)).toBe(true);
  });

  it('accumulates a shift no single minute shows: scores of 2 a minute cross h = 6 in the fourth minute', () => {
    const states = run([2, 2, 2, 2]);
    expect(states.map((s) => s.s)).toEqual([1.5, 3, 4.5, 6]);
    // Exactly h is over the threshold; just under is not.
    expect((states[3] as CusumState).s >= S.h).toBe(true);
    expect(run([2, 2, 2, 1.99]).at(-1)?.s).toBeLessThan(S.h);
  });

  it('remembers where the run began and sums its counts and expectations', () => {
    const states = run([0, 0, 1.5, -0.2, 3, 3]);
    const last = states.at(-1) as CusumState;
    expect(last.start).toBe(2 * M);
    expect(last.minutes).toBe(4);
    expect(last.count).toBe(4);
    expect(last.expected).toBeCloseTo(0.8, 12);
  });

  it('clips wild minutes and caps the sum, so that it falls back soon after an incident', () => {
    // One score of 50 adds only 4 − k.
    expect(run([50])[0]?.s).toBe(3.5);
    // However long the incident, the sum is at most cap·h = 7.5, so five ordinary minutes bring it under h.
    const states = run([...Array(30).fill(4), 0, 0, 0, 0]);
    expect(states[29]?.s).toBe(7.5);
    expect(states.at(-1)?.s).toBe(5.5);
    // Scores far below are clipped too: one very quiet minute does not wipe out an hour's evidence.
    expect(run([4, 4, -50])[2]?.s).toBe(3.5);
  });

  it('starts a new run (a new start) after falling back to 0', () => {
    const states = run([3, -3, 0, 3]);
    expect(states[1]).toEqual(CUSUM_ZERO);
    expect(states[3]?.start).toBe(3 * M);
  });
});
