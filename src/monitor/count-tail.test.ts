import { describe, expect, it } from 'vitest';
import {
  chanceWords,
  countSurprise,
  logGamma,
  lowerQuantile,
  lowerTail,
  normalUpper,
  upperQuantile,
  upperTail,
  zOfUpper,
} from './count-tail.js';

const poisson = (mean: number) => ({ mean, dispersion: 1 });

describe('the count model: Poisson and negative-binomial tails', () => {
  it('computes ln Γ exactly enough: factorials and Γ(1/2)', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3_628_800), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });

  it('gives Poisson tails that match closed forms, at the boundaries too', () => {
    // P(X ≥ 0) = 1; P(X ≥ 1) = 1 − e^−μ; P(X ≤ 0) = e^−μ.
    expect(upperTail(0, poisson(0.19))).toBe(1);
    expect(upperTail(1, poisson(0.19))).toBeCloseTo(1 - Math.exp(-0.19), 12);
    expect(lowerTail(0, poisson(0.19))).toBeCloseTo(Math.exp(-0.19), 12);
    expect(lowerTail(-1, poisson(3))).toBe(0);
    // P(X ≥ 3 | μ = 0.19) = 1 − e^−μ (1 + μ + μ²/2).
    const mu = 0.19;
    expect(upperTail(3, poisson(mu))).toBeCloseTo(1 - Math.exp(-mu) * (1 + mu + (mu * mu) / 2), 14);
    // Tails of both sides add up to 1 + P(X = c).
    for (const c of [0, 2, 7, 15]) {
      const sum = upperTail(c, poisson(7)) + lowerTail(c, poisson(7));
      expect(sum - 1).toBeCloseTo(upperTail(c, poisson(7)) - upperTail(c + 1, poisson(7)), 12);
    }
  });

  it('keeps the precision of tiny tails: 5 failed where 0.06 are usual is below one in a million, 40 far below', () => {
    const p5 = upperTail(5, poisson(0.06));
    expect(p5).toBeGreaterThan(5e-9);
    expect(p5).toBeLessThan(7e-9);
    expect(upperTail(40, poisson(0.06))).toBeGreaterThan(0);
    expect(upperTail(40, poisson(0.06))).toBeLessThan(1e-80);
    expect(chanceWords(p5)).toBe('chance below 1 in a million');
  });

  it('is wider when over-dispersed: a negative binomial with variance 3μ has a heavier upper tail than Poisson', () => {
    const nb = { mean: 7, dispersion: 3 };
    expect(upperTail(20, nb)).toBeGreaterThan(50 * upperTail(20, poisson(7)));
    // Its mean and variance are what was asked for.
    let mean = 0;
    let second = 0;
    for (let k = 0; k < 400; k++) {
      const p = upperTail(k, nb) - upperTail(k + 1, nb);
      mean += k * p;
      second += k * k * p;
    }
    expect(mean).toBeCloseTo(7, 6);
    expect(second - mean * mean).toBeCloseTo(21, 4);
  });

  it('scores counts on the normal scale with mid-p tails: an ordinary count near 0, the same surprise at any level', () => {
    expect(countSurprise(0, poisson(0.06)).z).toBeGreaterThan(-0.1);
    expect(countSurprise(0, poisson(0.06)).z).toBeLessThan(0);
    expect(countSurprise(117, poisson(117)).z).toBeCloseTo(0, 1);
    const rare = countSurprise(5, poisson(0.06)).z;
    expect(rare).toBeGreaterThan(5.5);
    expect(rare).toBeLessThan(6);
    expect(countSurprise(0, poisson(117)).z).toBeLessThan(-10);
    // A rise of 4 sd on 400 scores about 4, as it would on a Gaussian.
    expect(countSurprise(480, poisson(400)).z).toBeCloseTo(4, 0);
  });

  it('inverts the normal tail, and finds band edges', () => {
    expect(zOfUpper(normalUpper(4.75))).toBeCloseTo(4.75, 5);
    expect(zOfUpper(0.5)).toBeCloseTo(0, 9);
    expect(normalUpper(-1.96)).toBeCloseTo(0.975, 4);
    const p = normalUpper(4.75);
    const up = upperQuantile(p, poisson(0.19));
    expect(upperTail(up, poisson(0.19))).toBeLessThanOrEqual(p);
    expect(upperTail(up - 1, poisson(0.19))).toBeGreaterThan(p);
    expect(lowerQuantile(p, poisson(0.19))).toBe(0);
    expect(lowerQuantile(p, poisson(117))).toBeGreaterThan(60);
  });

  it('says chances in words', () => {
    expect(chanceWords(1 / 2300)).toBe('chance about 1 in 2,300');
    expect(chanceWords(0.25)).toBe('chance about 1 in 4');
    expect(chanceWords(0.6)).toBe('chance about even');
    expect(chanceWords(9.9e-7)).toBe('chance below 1 in a million');
    expect(chanceWords(1.01e-6)).toBe('chance about 1 in 990,000');
  });
});
