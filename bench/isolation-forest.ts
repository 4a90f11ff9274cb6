/**
 * Isolation Forest speed: fit on 1,000,000 rows × 20 features (100 trees of 256 samples) and score
 * every row, on one core. Prints medians of BENCH_IF_RUNS runs (default 3) and writes
 * bench/anomaly-results.json. Targets: fit in seconds, score ≥ 500,000 rows/s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IsolationForest, type Matrix } from '../src/anomaly/isolation-forest.js';
import { seededRandom } from '../src/anomaly/random.js';

const ROWS = Number(process.env.BENCH_IF_ROWS ?? 1_000_000);
const COLS = 20;
const RUNS = Number(process.env.BENCH_IF_RUNS ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function data(): Matrix {
  const random = seededRandom(1);
  const values = new Float64Array(ROWS * COLS);
  for (let i = 0; i < values.length; i += 2) {
    // Box–Muller: two standard normals per pair of uniforms.
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const a = 2 * Math.PI * random();
    values[i] = r * Math.cos(a);
    if (i + 1 < values.length) values[i + 1] = r * Math.sin(a);
  }
  return { rows: ROWS, cols: COLS, values };
}

const matrix = data();
const fitMs: number[] = [];
const scoreMs: number[] = [];
// CPU time too: on a shared machine the wall clock also counts the time spent waiting for the core.
const scoreCpuMs: number[] = [];
let checksum = 0;
for (let run = 0; run < RUNS; run++) {
  let t = performance.now();
  const forest = IsolationForest.fit(matrix, { seed: run + 1 });
  fitMs.push(performance.now() - t);
  t = performance.now();
  const cpu = process.cpuUsage();
  const scores = forest.scoreSamples(matrix);
  scoreMs.push(performance.now() - t);
  const used = process.cpuUsage(cpu);
  scoreCpuMs.push((used.user + used.system) / 1000);
  checksum += scores[0] as number;
}
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim(), node: process.version },
  rows: ROWS,
  features: COLS,
  trees: 100,
  sampleSize: 256,
  runs: RUNS,
  fitMsMedian: Math.round(median(fitMs)),
  scoreMsMedian: Math.round(median(scoreMs)),
  scoreRowsPerSecMedian: Math.round(ROWS / (median(scoreMs) / 1000)),
  scoreCpuMsMedian: Math.round(median(scoreCpuMs)),
  scoreRowsPerCpuSecMedian: Math.round(ROWS / (median(scoreCpuMs) / 1000)),
  loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  fitMs: fitMs.map(Math.round),
  scoreMs: scoreMs.map(Math.round),
  checksum,
};
process.stdout.write(
  `\nIsolation Forest, ${ROWS.toLocaleString('en')} rows × ${COLS} features, 100 trees × 256 samples, one core, median of ${RUNS}:\n` +
    `  fit:   ${result.fitMsMedian} ms\n  score: ${result.scoreMsMedian} ms = ${result.scoreRowsPerSecMedian.toLocaleString('en')} rows/s ` +
    `(${result.scoreRowsPerCpuSecMedian.toLocaleString('en')} rows per CPU-second; load average ${result.loadAverage[0]})\n`,
);
fs.writeFileSync(path.join(import.meta.dirname, 'anomaly-results.json'), `${JSON.stringify(result, null, 2)}\n`);
