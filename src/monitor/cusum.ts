/**
 * A one-sided CUSUM (Page, 1954) on the minute's surprise score, per status and watched direction.
 *
 * Each minute adds its score minus an allowance k, and the sum never goes below 0:
 *
 *     S = min(cap, max(0, S + clip(z) − k))
 *
 * An ordinary minute scores about 0, so S stays near 0; a rise from 0.2 to 3 backend reversals a
 * minute scores about 2.9 a minute and crosses h = 6 in three or four minutes, although no single
 * minute is extreme. The scores are clipped (one wild minute is the single-minute check's business,
 * and must not keep S up for half an hour), and S is capped at a multiple of h so that it falls back
 * within minutes once the status is normal again. The minute S last left 0 estimates when the
 * change began; the counts and expectations summed since then give the reason its evidence.
 */

export interface CusumSettings {
  /** Allowance per minute, in score units: shifts smaller than about 2k are not accumulated. */
  readonly k: number;
  /** Threshold: S ≥ h is a sustained shift. */
  readonly h: number;
  /** S never exceeds cap·h. */
  readonly cap: number;
  /** Scores are clipped to [−clipLow, clipHigh] before they are added. */
  readonly clipLow: number;
  readonly clipHigh: number;
}

export interface CusumState {
  readonly s: number;
  /** The first minute of the current run of S > 0 (the estimated start of a shift); null when S = 0. */
  readonly start: number | null;
  /** Counts and expected counts summed over the run. */
  readonly count: number;
  readonly expected: number;
  readonly minutes: number;
}

export const CUSUM_ZERO: CusumState = { s: 0, start: null, count: 0, expected: 0, minutes: 0 };

/** One minute's step: `score` is the evidence in the watched direction (positive: the wrong way). */
export function cusumStep(state: CusumState, minute: number, score: number, count: number, expected: number, c: CusumSettings): CusumState {
  const clipped = Math.min(Math.max(score, -c.clipLow), c.clipHigh);
  const s = Math.min(c.cap * c.h, Math.max(0, state.s + clipped - c.k));
  if (s === 0) return CUSUM_ZERO;
  if (state.s === 0) return { s, start: minute, count, expected, minutes: 1 };
  return { s, start: state.start ?? minute, count: state.count + count, expected: state.expected + expected, minutes: state.minutes + 1 };
}
