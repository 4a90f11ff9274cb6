/**
 * Detection quality, measured (issue 14): generates labelled corpora (ordinary shoppers plus attack
 * stories, eval/params.ts and eval/attacks.ts), sends each through a real Vigil in process
 * (eval/runner.ts) and prints, per attack kind, how many stories were alerted at their severity, and
 * for ordinary users how many were alerted and how many purchases were stopped, against the targets
 * (eval/report.ts). Writes eval/report.json. Exits 1 when a target fails on either corpus.
 *
 *   npm run eval                          the tuning corpus (seed 1), the held-out one, then the fresh one
 *   npm run eval -- --seed 5 --users 800  one corpus: the tuning parameters with this seed and size
 *   options: --seed N, --users N, --days N, --stories N (per kind), --only tuning|held-out|fresh, --no-json
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MmdbGeoIp } from '../src/enrich/geoip.js';
import { type Corpus, corpusCountries, generateCorpus } from './corpus.js';
import { buildGeoTable } from './geo-table.js';
import { type CorpusParams, FRESH, HELD_OUT, TUNING } from './params.js';
import { type CorpusReport, evaluate, formatReport, TARGETS } from './report.js';
import { runCorpus } from './runner.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    users: { type: 'string' },
    days: { type: 'string' },
    stories: { type: 'string' },
    only: { type: 'string' },
    'no-json': { type: 'boolean', default: false },
  },
});

const int = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer (got ${text})`);
  return n;
};
const seed = int('seed', values.seed);
const users = int('users', values.users);
const days = int('days', values.days);
const stories = int('stories', values.stories);
const custom = seed !== undefined || users !== undefined || days !== undefined || stories !== undefined;

let corpora: CorpusParams[];
if (custom) {
  const base = values.only === 'held-out' ? HELD_OUT : TUNING;
  corpora = [
    {
      ...base,
      name: `${base.name} (custom)`,
      ...(seed !== undefined && { seed }),
      ...(users !== undefined && { users }),
      ...(days !== undefined && { days }),
      ...(stories !== undefined && { storiesPerKind: stories }),
    },
  ];
} else if (values.only === 'tuning') corpora = [TUNING];
else if (values.only === 'held-out') corpora = [HELD_OUT];
else if (values.only === 'fresh') corpora = [FRESH];
else if (values.only === undefined) corpora = [TUNING, HELD_OUT, FRESH];
else throw new Error(`--only must be tuning, held-out or fresh (got ${values.only})`);

const geoIp = await MmdbGeoIp.open();
const reports: CorpusReport[] = [];
for (const params of corpora) {
  const t0 = performance.now();
  const geo = buildGeoTable(geoIp, corpusCountries(params), params.seed);
  const corpus: Corpus = generateCorpus(params, geo);
  const generated = (performance.now() - t0) / 1000;
  process.stderr.write(
    `${params.name}: ${corpus.events.length.toLocaleString('en-US')} events generated in ${generated.toFixed(1)} s; running…\n`,
  );
  const run = await runCorpus(corpus, geoIp);
  const report = evaluate(corpus, run);
  reports.push(report);
  console.log('');
  console.log(formatReport(report));
}

const pass = reports.every((r) => r.pass);
console.log('');
console.log(`eval: ${pass ? 'PASS' : 'FAIL'} (${reports.map((r) => `${r.name} ${r.pass ? 'pass' : 'fail'}`).join(', ')})`);
if (!values['no-json']) {
  const file = path.join(import.meta.dirname, 'report.json');
  fs.writeFileSync(
    file,
    `${JSON.stringify({ generatedAt: new Date().toISOString(), targets: TARGETS, pass, corpora: reports }, null, 2)}\n`,
  );
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
process.exitCode = pass ? 0 : 1;
