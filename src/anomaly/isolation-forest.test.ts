import { describe, expect, it } from 'vitest';
import { averagePathLength, IsolationForest, type Matrix } from './isolation-forest.js';
import { seededRandom } from './random.js';

function matrix(rows: readonly (readonly number[])[]): Matrix {
  const cols = rows[0]?.length ?? 0;
  return { rows: rows.length, cols, values: Float64Array.from(rows.flat()) };
}

/** Standard normal rows (Box–Muller), with `outliers` rows far out on the listed features. */
function gaussian(rows: number, cols: number, seed: number): number[][] {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: rows }, () => Array.from({ length: cols }, normal));
}

/** Area under the ROC curve: the chance that a random outlier scores as more abnormal than a random inlier. */
function auc(scores: Float64Array, isOutlier: (i: number) => boolean): number {
  const outs: number[] = [];
  const ins: number[] = [];
  for (const [i, s] of scores.entries()) (isOutlier(i) ? outs : ins).push(s);
  let wins = 0;
  for (const o of outs) for (const n of ins) wins += o < n ? 1 : o === n ? 0.5 : 0;
  return wins / (outs.length * ins.length);
}

describe('c(n), the normalising path length', () => {
  it('is 0 and 1 for one and two rows, and 2·H(n−1) − 2(n−1)/n beyond', () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // H(2) ≈ ln 2 + γ: c(3) = 2(0.6931 + 0.5772) − 4/3.
    expect(averagePathLength(3)).toBeCloseTo(2 * (Math.log(2) + 0.5772156649) - 4 / 3, 9);
    // scikit-learn's _average_path_length([256]) = 10.244770920116851.
    expect(averagePathLength(256)).toBeCloseTo(10.24477092, 6);
  });
});

describe('path lengths on a small tree, by hand', () => {
  it('isolates a far point at the first split and gives the others depth plus c(leaf size)', () => {
    // Rows 0, 0, 0 and 10; ψ = 4, so the height limit is ceil(log2 4) = 2. The root splits somewhere
    // in [0, 10): 10 alone goes right (a leaf at depth 1, c(1) = 0); the three zeros go left, where
    // nothing can be split, so they make a leaf at depth 1 holding 3 rows: 1 + c(3).
    const forest = IsolationForest.fit(matrix([[0], [0], [0], [10]]), { trees: 1, sampleSize: 4, seed: 7 });
    expect(forest.pathLengthIn(0, [10])).toBe(1);
    expect(forest.pathLengthIn(0, [0])).toBeCloseTo(1 + (2 * (Math.log(2) + 0.5772156649) - 4 / 3), 9);
  });

  it('splits only on features that vary', () => {
    // Feature 0 is constant: every split must be on feature 1, whatever the seed.
    for (const seed of [1, 2, 3]) {
      const forest = IsolationForest.fit(
        matrix([
          [0, 5],
          [0, 5],
          [0, 5],
          [0, 9],
        ]),
        { trees: 1, sampleSize: 4, seed },
      );
      expect(forest.pathLengthIn(0, [0, 9])).toBe(1);
      expect(forest.pathLengthIn(0, [0, 5])).toBeCloseTo(1 + averagePathLength(3), 12);
    }
  });

  it('gives three distinct points path lengths 1, 2 and 2 in some order, whatever the threshold', () => {
    // ψ = 3, height limit 2: the first split isolates one point, the second separates the other two.
    for (const seed of [1, 2, 3, 4]) {
      const forest = IsolationForest.fit(matrix([[0], [1], [100]]), { trees: 1, sampleSize: 3, seed });
      const lengths = [0, 1, 100].map((x) => forest.pathLengthIn(0, [x])).sort();
      expect(lengths).toEqual([1, 2, 2]);
    }
  });

  it('makes a leaf of identical rows, with c(n) for the rows it holds', () => {
    const forest = IsolationForest.fit(matrix([[5], [5], [5], [5]]), { trees: 3, sampleSize: 4 });
    // Nothing to split: depth 0 plus c(4).
    expect(forest.meanPathLength([5])).toBeCloseTo(averagePathLength(4), 12);
    expect(forest.anomalyScore([5])).toBeCloseTo(2 ** (-averagePathLength(4) / averagePathLength(4)), 12);
  });
});

describe('the forest', () => {
  const rows = gaussian(2000, 6, 1);
  // 20 planted outliers: rows 0..19 get one feature pushed 6 standard deviations out.
  for (let i = 0; i < 20; i++) (rows[i] as number[])[i % 6] = i % 2 === 0 ? 6 : -6;
  const data = matrix(rows);

  it('ranks planted outliers above ordinary rows (AUC ≥ 0.95) and scores like scikit-learn', () => {
    const forest = IsolationForest.fit(data, { seed: 3 });
    expect(forest.trees).toBe(100);
    expect(forest.sampleSize).toBe(256);
    const scores = forest.scoreSamples(data);
    expect(auc(scores, (i) => i < 20)).toBeGreaterThanOrEqual(0.95);
    // score_samples is the opposite of s(x): in [-1, 0), ordinary rows near -0.5 or above.
    for (const s of scores) expect(s >= -1 && s < 0).toBe(true);
    const median = [...scores].sort((a, b) => a - b)[1000] as number;
    expect(median).toBeGreaterThan(-0.5);
    expect(forest.anomalyScore(rows[0] as number[])).toBeCloseTo(-(scores[0] as number), 12);
    // Every planted outlier is more abnormal than the median row.
    for (let i = 0; i < 20; i++) expect(scores[i] as number).toBeLessThan(median);
  });

  it('scores a whole matrix exactly as it scores each row, leaves above the height limit included', () => {
    // ψ = 10 (height limit 4) on rows with many ties: plenty of leaves end above the limit.
    const small = matrix(gaussian(300, 3, 4).map((r) => r.map((v) => Math.round(v))));
    const forest = IsolationForest.fit(small, { sampleSize: 10, trees: 30, seed: 2 });
    const batch = forest.scoreSamples(small);
    for (let i = 0; i < small.rows; i++) {
      const row = Array.from(small.values.subarray(i * 3, i * 3 + 3));
      expect(-(batch[i] as number)).toBeCloseTo(forest.anomalyScore(row), 12);
    }
  });

  it('gives the same model and scores for the same data and seed, and another for another seed', () => {
    const a = IsolationForest.fit(data, { seed: 11 }).scoreSamples(data);
    const b = IsolationForest.fit(data, { seed: 11 }).scoreSamples(data);
    const c = IsolationForest.fit(data, { seed: 12 }).scoreSamples(data);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('names the feature that makes a row unusual', () => {
    const forest = IsolationForest.fit(data, { seed: 5 });
    const row = [0.1, -0.2, 0.3, 9, 0, 0.2];
    const share = forest.explain(row);
    expect(share.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
    expect(share.every((v) => v >= 0)).toBe(true);
    expect(share.indexOf(Math.max(...share))).toBe(3);
    expect(share[3]).toBeGreaterThan(0.4);
    // An ordinary row has no dominant feature.
    expect(Math.max(...forest.explain([0, 0, 0, 0, 0, 0]))).toBeLessThan(0.4);
  });

  it('survives a round trip through JSON with identical scores, and refuses a corrupt model', () => {
    const forest = IsolationForest.fit(data, { seed: 9, trees: 20 });
    const json = JSON.parse(JSON.stringify(forest.toJSON()));
    const back = IsolationForest.fromJSON(json);
    expect(back.scoreSamples(data)).toEqual(forest.scoreSamples(data));

    const raw = Buffer.from(json.left, 'base64');
    const left = new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    left[0] = 0; // a node that points at itself: scoring would never end
    expect(() => IsolationForest.fromJSON({ ...json, left: Buffer.from(left.buffer).toString('base64') })).toThrow(
      /child outside its tree/,
    );
    expect(() => IsolationForest.fromJSON({ ...json, roots: json.roots.slice(1) })).toThrow(/roots/);
    expect(() => IsolationForest.fromJSON({ ...json, threshold: json.threshold.slice(0, -4) })).toThrow(/Corrupt/);
    expect(() => IsolationForest.fromJSON({ ...json, version: 2 })).toThrow(/format or version/);

    // Node sizes that do not add up (here a child claiming no rows) would make explain() divide by zero.
    const rawSize = Buffer.from(json.size, 'base64');
    const size = new Int32Array(rawSize.buffer.slice(rawSize.byteOffset, rawSize.byteOffset + rawSize.byteLength));
    size[1] = 0;
    expect(() => IsolationForest.fromJSON({ ...json, size: Buffer.from(size.buffer).toString('base64') })).toThrow(
      /sizes do not add up|holds no rows/,
    );
    // A ψ too small for the trees' depth: scoring would cut paths short.
    expect(() => IsolationForest.fromJSON({ ...json, sampleSize: 4 })).toThrow(/height limit|more rows than ψ/);
    expect(() => IsolationForest.fromJSON(null as never)).toThrow(/Corrupt/);
  });

  it('scores forests of a large ψ, which are walked as grown rather than padded, the same row by row', () => {
    // ψ = 5000 gives a height limit of 13, past the padded layout: scoring takes the other path.
    const wide = matrix(gaussian(6000, 4, 8));
    const forest = IsolationForest.fit(wide, { sampleSize: 5000, trees: 10, seed: 1 });
    const batch = forest.scoreSamples(wide);
    for (const i of [0, 17, 5999]) {
      const row = Array.from(wide.values.subarray(i * 4, i * 4 + 4));
      expect(-(batch[i] as number)).toBeCloseTo(forest.anomalyScore(row), 12);
    }
    expect(IsolationForest.fromJSON(JSON.parse(JSON.stringify(forest.toJSON()))).scoreSamples(wide)).toEqual(batch);
  });

  it('refuses rows of the wrong width and data it cannot learn from', () => {
    const forest = IsolationForest.fit(data, { trees: 5 });
    expect(() => forest.anomalyScore([1, 2])).toThrow(/6 features, not 2/);
    expect(() => IsolationForest.fit(matrix([[1]]))).toThrow(/at least 2 rows/);
    // A NaN would make split points that are not numbers: refused, naming where it is.
    expect(() => IsolationForest.fit(matrix([[1], [Number.NaN], [3]]))).toThrow(/Row 1, feature 0 is not a finite number/);
  });
});
