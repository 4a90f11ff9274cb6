/**
 * A Poisson GLR scan over the latest minutes of a rare status: the generalised likelihood ratio
 * for "the rate went up at some minute in the last W and has stayed up since", with the start and
 * the new rate both unknown (Siegmund and Venkatraman's GLR for a change-point, in the Poisson
 * case). For every window ending now, of x counts where μ were expected, the log-likelihood ratio
 * of the best new rate (x / μ times the old one) against no change is
 *
 *     LLR = x·ln(x / μ) − (x − μ)        (0 when x ≤ μ)
 *
 * and the scan is its largest value over the windows. Why beside the CUSUM: the CUSUM on minute
 * scores is tuned for one size of shift, and drains by its allowance in every quiet minute. A
 * status expected 0.06 times a minute that ramps up slowly goes 0, 1, 0, 0, 1, 0, 1, 3: each
 * minute's score is small, and the zeros between them drain what the ones added. The scan sees
 * "7 in 11 minutes where 0.8 were expected" at once, whatever the shift's size and start.
 *
 * Counts that vary more than Poisson (dispersion φ > 1) divide the LLR by φ (quasi-likelihood):
 * clumpy statuses need more evidence.
 */

export interface ScanState {
  /** The latest minutes' counts and expected counts, oldest first, at most `window` of each. */
  readonly counts: readonly number[];
  readonly expected: readonly number[];
}

export const SCAN_EMPTY: ScanState = { counts: [], expected: [] };

export interface ScanResult {
  /** The largest LLR over the windows (0 when no window has more than expected). */
  readonly llr: number;
  /** The window that gave it: its length in minutes, counts and expected counts. */
  readonly minutes: number;
  readonly count: number;
  readonly expected: number;
}

/** The Poisson log-likelihood ratio of x counts where μ were expected, for the best rate above μ. */
export function poissonLlr(x: number, mu: number): number {
  if (x <= mu || x <= 0) return 0;
  const m = Math.max(mu, 1e-9);
  return x * Math.log(x / m) - (x - m);
}

/** The state after one more minute (the oldest dropped beyond `window`). */
export function scanStep(state: ScanState, count: number, expected: number, window: number): ScanState {
  const drop = state.counts.length >= window ? state.counts.length - window + 1 : 0;
  return {
    counts: [...state.counts.slice(drop), count],
    expected: [...state.expected.slice(drop), Math.round(expected * 10_000) / 10_000],
  };
}

/**
 * The scan over every window of at least `minMinutes` ending at the latest minute. One minute alone
 * is the single-minute check's business (with its own least absolute change), so windows start at two.
 */
export function scan(state: ScanState, dispersion: number, minMinutes = 2): ScanResult {
  let best: ScanResult = { llr: 0, minutes: 0, count: 0, expected: 0 };
  let count = 0;
  let expected = 0;
  const phi = Math.max(1, dispersion);
  for (let i = state.counts.length - 1, minutes = 1; i >= 0; i--, minutes++) {
    count += state.counts[i] as number;
    expected += state.expected[i] as number;
    if (minutes < minMinutes) continue;
    const llr = poissonLlr(count, expected) / phi;
    if (llr > best.llr) best = { llr, minutes, count, expected };
  }
  return best;
}
