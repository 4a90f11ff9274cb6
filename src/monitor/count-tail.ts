/**
 * Tail probabilities of counts, and the words for them.
 *
 * A minute's count of a rare status is a small whole number: 0, 1, 2… A Gaussian band around 0.2
 * a minute says nothing useful about "3 in a minute"; the Poisson distribution does (about 1 in
 * 1,000). Real counts vary more than Poisson (refunds come in small clumps, a busy minute is busy
 * for every status), so the count is modelled as negative binomial with the same mean and a
 * variance `φ·μ`, φ ≥ 1 estimated from history (φ = 1 is Poisson).
 *
 * Every tail probability is turned into a normal score z (the z whose Gaussian upper tail has the
 * same probability), so that "how surprising" reads the same for 117 approved and 0.06 failed, and
 * one CUSUM threshold serves every status. Discrete counts use the mid-p value
 * (P(X > c) + ½·P(X = c)): without it, a count of 0 where 0.06 is usual would score −∞, and the
 * scores of an ordinary minute would not average 0.
 */

const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905,
  -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0] as number;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** A count distribution: mean μ and dispersion φ (variance φ·μ); φ ≤ 1 is Poisson. */
export interface CountLaw {
  readonly mean: number;
  readonly dispersion: number;
}

const POISSON_EPS = 1e-6;

/** ln P(X = k). */
export function logPmf(k: number, law: CountLaw): number {
  const mu = Math.max(law.mean, 1e-12);
  if (law.dispersion <= 1 + POISSON_EPS) return k * Math.log(mu) - mu - logGamma(k + 1);
  // Negative binomial with size r = μ/(φ−1) and success probability q = 1/φ.
  const r = mu / (law.dispersion - 1);
  const q = 1 / law.dispersion;
  return logGamma(k + r) - logGamma(r) - logGamma(k + 1) + r * Math.log(q) + k * Math.log(1 - q);
}

/** P(X = k+1) / P(X = k). */
function nextRatio(k: number, law: CountLaw): number {
  const mu = Math.max(law.mean, 1e-12);
  if (law.dispersion <= 1 + POISSON_EPS) return mu / (k + 1);
  const r = mu / (law.dispersion - 1);
  return ((k + r) / (k + 1)) * (1 - 1 / law.dispersion);
}

/** P(X ≥ c), summed from c upwards so that tiny tails keep their precision. */
export function upperTail(c: number, law: CountLaw): number {
  if (c <= 0) return 1;
  let term = Math.exp(logPmf(c, law));
  let sum = 0;
  for (let k = c; k < c + 100_000; k++) {
    sum += term;
    term *= nextRatio(k, law);
    if (term < sum * 1e-16 || term === 0) break;
  }
  return Math.min(1, sum);
}

/** P(X ≤ c), summed from c downwards. */
export function lowerTail(c: number, law: CountLaw): number {
  if (c < 0) return 0;
  let term = Math.exp(logPmf(c, law));
  let sum = 0;
  for (let k = c; k >= 0; k--) {
    sum += term;
    if (k === 0) break;
    term /= nextRatio(k - 1, law);
    if (term < sum * 1e-16 || term === 0) break;
  }
  return Math.min(1, sum);
}

/** Standard normal upper tail, P(Z ≥ z) (Numerical Recipes' erfc, relative error below 1.2e-7). */
export function normalUpper(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** The z with P(Z ≥ z) = p (Acklam's rational approximation, relative error 1.2e-9). */
export function zOfUpper(p: number): number {
  const q = Math.min(Math.max(p, 1e-300), 1 - 1e-16);
  return -normalQuantile(q);
}

function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
}

/** How surprising a count is, both ways. */
export interface CountSurprise {
  /** Normal score from the mid-p tails: positive above the mean, negative below, about 0 for an ordinary count. */
  readonly z: number;
  /** P(X ≥ c): the chance of at least this many. */
  readonly chanceHigh: number;
  /** P(X ≤ c): the chance of at most this many. */
  readonly chanceLow: number;
}

/** A count against a count law, scored with mid-p tails. */
export function countSurprise(c: number, law: CountLaw): CountSurprise {
  const atLeast = upperTail(c, law);
  const atMost = lowerTail(c, law);
  const exactly = Math.exp(logPmf(c, law));
  const midHigh = Math.max(atLeast - exactly / 2, 0);
  const midLow = Math.max(atMost - exactly / 2, 0);
  // Take the quantile from the smaller tail: it carries the precision.
  const z = midHigh <= midLow ? zOfUpper(midHigh) : -zOfUpper(midLow);
  return { z, chanceHigh: atLeast, chanceLow: atMost };
}

/** A Gaussian score, with the same fields. */
export function gaussianSurprise(z: number): CountSurprise {
  return { z, chanceHigh: normalUpper(z), chanceLow: normalUpper(-z) };
}

/** The smallest count c with P(X ≥ c) ≤ p, for the upper edge of a chart's band. */
export function upperQuantile(p: number, law: CountLaw): number {
  let c = Math.max(0, Math.floor(law.mean));
  while (c < 1e7 && upperTail(c, law) > p) c = c < 50 ? c + 1 : Math.ceil(c * 1.02);
  return c;
}

/** The largest count c with P(X ≤ c) ≤ p (0 when even 0 is not that unlikely). */
export function lowerQuantile(p: number, law: CountLaw): number {
  let c = Math.max(0, Math.ceil(law.mean));
  while (c > 0 && lowerTail(c, law) > p) c--;
  return c;
}

/** "below 1 in a million", "about 1 in 2,300", "about 1 in 4": how people read a probability. */
export function chanceWords(p: number): string {
  if (p < 1e-6) return 'chance below 1 in a million';
  if (p >= 0.5) return 'chance about even';
  const n = 1 / p;
  const digits = Math.floor(Math.log10(n));
  const rounded = n < 10 ? Math.round(n) : Math.round(n / 10 ** (digits - 1)) * 10 ** (digits - 1);
  return `chance about 1 in ${rounded.toLocaleString('en-US')}`;
}
