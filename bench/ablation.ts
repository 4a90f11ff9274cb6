/**
 * Where Vigil's main-thread CPU per event goes, by ablation: `npm run bench:ablation`.
 *
 * A CPU profile of the server under load is flat (no function above 3%), so this bench takes the
 * parts out one at a time instead. It starts Vigil, compiled (bench/ablation-server.ts over dist/),
 * on a fresh SQLite file, drives it with the loads of bench/run.ts (single events from 50
 * connections, then JSON batches of 500 from 4) and, for each part in turn, switches the part off
 * and on every BENCH_DURATION_S seconds, ABLATION_SLICES times each way: one process, one warm heap
 * and JIT, the two modes side by side in time. What it reads is the server's main-thread CPU time
 * (from /proc) per event acknowledged, not throughput. A part's cost is the median over
 * ABLATION_ROUNDS fresh servers of CPU per event in full minus without it. Each round also measures
 * the floor (bench/floor-server.ts) taking turns with a Vigil server, for Vigil's distance above it.
 *
 * Knobs: ABLATION_ROUNDS (3), ABLATION_SLICES (3), ABLATION_PARTS (comma separated; every part of
 * bench/ablation-server.ts's PARTS by default), BENCH_DURATION_S (2 s a turn), BENCH_WARMUP_S (2),
 * ABLATION_SINGLE_RATE and ABLATION_BATCH_RATE (requests/s; 0, the default: as fast as answered).
 * ABLATION_COMPARE=DIST instead runs another build (DIST) and this one taking turns.
 * Figures go to bench/ablation-results.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { SERVE_NODE_FLAGS } from '../src/cli/node-flags.js';
import { ablationServer } from './ablation-build.js';
import { threadCpuMs } from './cpu.js';
import { envInt } from './env.js';
import { benchEvents, USERS } from './events.js';
import { freePort } from './free-port.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const RESULTS_FILE = path.join(import.meta.dirname, 'ablation-results.json');
const ROUNDS = envInt('ABLATION_ROUNDS', 3);
const DURATION_S = envInt('BENCH_DURATION_S', 2);
const SLICES = envInt('ABLATION_SLICES', 3);
const WARMUP_S = envInt('BENCH_WARMUP_S', 2);
/**
 * Requests per second sent, single events and batches: the same arrivals for every variant, so that
 * a cheaper variant is not measured on fuller event-loop turns (more requests per turn share the
 * turn's fixed costs) than a dearer one. 0: as fast as the server answers (bench/run.ts's loads).
 */
const SINGLE_RATE = envRate('ABLATION_SINGLE_RATE', 0);
const BATCH_RATE = envRate('ABLATION_BATCH_RATE', 0);
const CONNECTIONS = 50;
const BATCH_CONNECTIONS = 4;
const BATCH_SIZE = 500;
/** Every part of bench/ablation-server.ts, in the order the table shows them. */
const ALL_PARTS = [
  'bus',
  'live-feed',
  'webhooks',
  'staff-notify',
  'response-worker',
  'security-health',
  'account-contacts',
  'volume-monitor',
  'audit',
  'geo',
  'user-agent',
  'dedup',
  'key-hash',
  'metrics',
  'serialize',
  'detection',
];
const PARTS = process.env.ABLATION_PARTS ? process.env.ABLATION_PARTS.split(',').map((p) => p.trim()) : ALL_PARTS;

const { eventJson } = benchEvents(2_000_000);
const SINGLE_BODIES = Array.from({ length: 4 * USERS }, (_, n) => eventJson(n));
const BATCH_BODIES = Array.from({ length: 48 }, (_, b) => {
  const parts: string[] = [];
  for (let i = 0; i < BATCH_SIZE; i++) parts.push(eventJson(1_000_000 + b * BATCH_SIZE + i));
  return `{"events":[${parts.join(',')}]}`;
});

function envRate(name: string, fallback: number): number {
  return process.env[name] === '0' ? 0 : envInt(name, fallback);
}

/** The build must be newer than the sources: an older one would measure old code. */
function assertFreshBuild(): void {
  const main = path.join(ROOT, 'dist/cli/main.js');
  if (!existsSync(main)) throw new Error('dist/ is missing: run `npm run build:server`.');
  const built = statSync(main).mtimeMs;
  const newer = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).find(
    (f) => /\.(ts|cjs)$/.test(f) && !f.endsWith('.test.ts') && statSync(path.join(ROOT, 'src', f)).mtimeMs > built,
  );
  if (newer) throw new Error(`src/${newer} is newer than dist/: run \`npm run build:server\`.`);
}

interface Server {
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  readonly output: string[];
}

const running = new Set<Server>();

function start(spec: Spec, port: number, dir: string, keys: { ingest: string; admin: string }): Server {
  mkdirSync(dir, { recursive: true });
  const env: Record<string, string> =
    spec.ablate === 'floor'
      ? { FLOOR_PORT: String(port), FLOOR_HOST: '127.0.0.1', FLOOR_DB: path.join(dir, 'floor.db') }
      : {
          VIGIL_DATABASE_URL: `sqlite:${path.join(dir, 'vigil.db')}`,
          VIGIL_SECRET_KEY_FILE: path.join(dir, 'secret'),
          VIGIL_PORT: String(port),
          VIGIL_HOST: '127.0.0.1',
          VIGIL_INGEST_KEY: keys.ingest,
          VIGIL_ADMIN_KEY: keys.admin,
          VIGIL_DEMO: 'false',
          VIGIL_LOG_LEVEL: 'warn',
          ABLATE: spec.ablate,
          ABLATION_DIST: spec.dist ?? path.join(ROOT, 'dist'),
        };
  // Both with the V8 flags `npm start` gives the server (src/cli/node-flags.ts).
  const args = [
    ...SERVE_NODE_FLAGS,
    ...(spec.ablate === 'floor' ? ['--import', 'tsx', path.join(import.meta.dirname, 'floor-server.ts')] : [ablationServer()]),
  ];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [proc.stdout, proc.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (d: string) => {
      output.push(d);
      if (output.length > 100) output.shift();
    });
  }
  const server: Server = { proc, exited: new Promise((resolve) => proc.once('exit', () => resolve())), output };
  running.add(server);
  void server.exited.then(() => running.delete(server));
  return server;
}

async function waitHealthy(server: Server, url: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (server.proc.exitCode !== null) throw new Error(`the server exited:\n${server.output.join('')}`);
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`the server was not healthy within 90 s:\n${server.output.join('')}`);
}

async function stop(server: Server): Promise<void> {
  if (server.proc.exitCode !== null) return;
  server.proc.kill('SIGTERM');
  const timer = setTimeout(() => server.proc.kill('SIGKILL'), 60_000);
  await server.exited;
  clearTimeout(timer);
}

/** Runs a load; the 2xx answers counted, anything else stops the bench. */
async function drive(
  url: string,
  key: string,
  bodies: readonly string[],
  connections: number,
  durationS: number,
  rate: number,
): Promise<number> {
  let clientIndex = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections,
        duration: durationS,
        timeout: 30,
        ...(rate > 0 && { overallRate: rate }),
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        // Each connection cycles through its own prebuilt share of the bodies: no work per request here.
        setupClient: (client) => {
          const c = clientIndex++ % connections;
          const share: autocannon.Request[] = [];
          for (let i = c; i < bodies.length; i += connections) share.push({ method: 'POST', body: bodies[i] as string });
          client.setRequests(share);
        },
      },
      (error: unknown, r) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(r)),
    );
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result['2xx'];
}

/**
 * One load on each server in turn, SLICES times (after a warm-up each), DURATION_S seconds a slice:
 * the CPU per event of each over all its slices. Taking turns in short slices, the servers see the
 * same machine (a neighbour's build, another bench) on average, and never compete with each other.
 */
async function alternate(
  loads: ReadonlyArray<{ server: Server; load: (durationS: number) => Promise<number> }>,
  eventsPerRequest: number,
): Promise<number[]> {
  for (const l of loads) await l.load(WARMUP_S);
  const cpuMs = loads.map(() => 0);
  const events = loads.map(() => 0);
  for (let slice = 0; slice < SLICES; slice++) {
    for (const [i, l] of loads.entries()) {
      const pid = l.server.proc.pid as number;
      const before = threadCpuMs(pid)?.get(pid);
      const requests = await l.load(DURATION_S);
      const after = threadCpuMs(pid)?.get(pid);
      if (before === undefined || after === undefined) throw new Error('no /proc: this bench needs Linux');
      cpuMs[i] = (cpuMs[i] as number) + after - before;
      events[i] = (events[i] as number) + requests * eventsPerRequest;
    }
  }
  return cpuMs.map((ms, i) => (ms * 1000) / (events[i] as number));
}

/** What a server of a measurement runs: the floor, or Vigil (from `dist`) without the parts `ablate` names. */
interface Spec {
  readonly ablate: string;
  readonly dist?: string;
}

interface Figures {
  readonly single: number;
  readonly batch: number;
}

/**
 * Servers side by side, each on a fresh file, under the same loads at the same moments: single
 * events, then batches. Whatever else runs on the machine weighs on them alike, so the difference
 * between their CPU per event holds where either figure alone moves by a third from run to run.
 */
async function measureTogether(specs: readonly Spec[]): Promise<Figures[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-ablation-'));
  const keys = { ingest: randomBytes(30).toString('base64url'), admin: randomBytes(30).toString('base64url') };
  const servers: Array<{ server: Server; single: (s: number) => Promise<number>; batch: (s: number) => Promise<number> }> = [];
  try {
    for (const [i, spec] of specs.entries()) {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const floor = spec.ablate === 'floor';
      const server = start(spec, port, path.join(dir, String(i)), keys);
      servers.push({
        server,
        single: (durationS) =>
          drive(floor ? `${base}/floor` : `${base}/v1/events`, keys.ingest, SINGLE_BODIES, CONNECTIONS, durationS, SINGLE_RATE),
        batch: (durationS) =>
          drive(floor ? `${base}/floor/batch` : `${base}/v1/events`, keys.ingest, BATCH_BODIES, BATCH_CONNECTIONS, durationS, BATCH_RATE),
      });
      await waitHealthy(server, base);
    }
    const single = await alternate(
      servers.map((s) => ({ server: s.server, load: s.single })),
      1,
    );
    const batch = await alternate(
      servers.map((s) => ({ server: s.server, load: s.batch })),
      BATCH_SIZE,
    );
    return specs.map((_, i) => ({ single: single[i] as number, batch: batch[i] as number }));
  } finally {
    await Promise.all(servers.map((s) => stop(s.server)));
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const rateText = (rate: number, what: string) => (rate > 0 ? `${rate} ${what}/s` : 'as fast as answered');
const one = (x: number) => (Math.round(x * 10) / 10).toFixed(1);

/** Two specs side by side; which starts first alternates with the round. */
async function pair(round: number, a: Spec, b: Spec): Promise<[Figures, Figures]> {
  const swapped = round % 2 === 1;
  const figures = await measureTogether(swapped ? [b, a] : [a, b]);
  return (swapped ? [figures[1], figures[0]] : figures) as [Figures, Figures];
}

/** Switches parts of an ablation server off ("" for none). */
async function switchOff(base: string, parts: string): Promise<void> {
  const response = await fetch(`${base}/ablation`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ off: parts }),
  });
  if (response.status !== 200) throw new Error(`POST /ablation answered ${response.status}: ${await response.text()}`);
}

/**
 * One server, one load, turns of DURATION_S seconds: Vigil in full, then without the part, SLICES
 * times each; the main thread's CPU per event acknowledged in each mode over all its turns.
 */
async function turns(
  server: Server,
  base: string,
  part: string,
  load: (durationS: number) => Promise<number>,
  eventsPerRequest: number,
): Promise<Figure> {
  const pid = server.proc.pid as number;
  const ms = { full: 0, without: 0 };
  const events = { full: 0, without: 0 };
  for (let slice = 0; slice < SLICES; slice++) {
    for (const mode of slice % 2 === 0 ? (['full', 'without'] as const) : (['without', 'full'] as const)) {
      await switchOff(base, mode === 'full' ? '' : part);
      const before = threadCpuMs(pid)?.get(pid);
      const requests = await load(DURATION_S);
      const after = threadCpuMs(pid)?.get(pid);
      if (before === undefined || after === undefined) throw new Error('no /proc: this bench needs Linux');
      ms[mode] += after - before;
      events[mode] += requests * eventsPerRequest;
    }
  }
  await switchOff(base, '');
  return { full: (ms.full * 1000) / events.full, without: (ms.without * 1000) / events.without };
}

interface Figure {
  readonly full: number;
  readonly without: number;
}

/**
 * Each part in turn, on one server of Vigil in full, switched off and on every DURATION_S seconds
 * (single events, then batches), ROUNDS times, each round on a fresh server; a part's cost is the
 * median over the rounds of full − without.
 */
async function ablationTable(): Promise<void> {
  const runs = new Map<string, Array<{ single: Figure; batch: Figure }>>(PARTS.map((p) => [p, []]));
  const floorRuns: Array<{ floor: Figures; full: Figures }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [full, floor] = await pair(round, { ablate: '' }, { ablate: 'floor' });
    floorRuns.push({ full, floor });
    process.stderr.write(
      `[ablation] round ${round + 1}/${ROUNDS}: floor ${one(floor.single)} µs per single event, ${one(floor.batch)} per event in batches; Vigil in full beside it ${one(full.single)}, ${one(full.batch)}\n`,
    );
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-ablation-'));
    const keys = { ingest: randomBytes(30).toString('base64url'), admin: randomBytes(30).toString('base64url') };
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = start({ ablate: '' }, port, dir, keys);
    try {
      await waitHealthy(server, base);
      const single = (durationS: number) => drive(`${base}/v1/events`, keys.ingest, SINGLE_BODIES, CONNECTIONS, durationS, SINGLE_RATE);
      const batch = (durationS: number) => drive(`${base}/v1/events`, keys.ingest, BATCH_BODIES, BATCH_CONNECTIONS, durationS, BATCH_RATE);
      await single(WARMUP_S);
      await batch(WARMUP_S);
      for (const part of PARTS) {
        const s = await turns(server, base, part, single, 1);
        const b = await turns(server, base, part, batch, BATCH_SIZE);
        runs.get(part)?.push({ single: s, batch: b });
        process.stderr.write(
          `[ablation] round ${round + 1}/${ROUNDS} ${part}: main thread µs per single event ${one(s.full)} full, ${one(s.without)} without; per event in batches ${one(b.full)} full, ${one(b.without)} without (load ${os.loadavg()[0]?.toFixed(1)})\n`,
        );
      }
    } finally {
      await stop(server);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const cost = (part: string, k: 'single' | 'batch') => median((runs.get(part) ?? []).map((r) => r[k].full - r[k].without));
  const fulls = (k: 'single' | 'batch') => median([...runs.values()].flat().map((r) => r[k].full));
  const aboveFloor = (k: 'single' | 'batch') => median(floorRuns.map((r) => r.full[k] - r.floor[k]));
  const rows = PARTS.map((part) => ({ part, single: cost(part, 'single'), batch: cost(part, 'batch') }));
  const lines = [
    `Main-thread CPU µs per event; each part switched off and on every ${DURATION_S} s (${SLICES} turns each) on one server, ${ROUNDS} rounds, medians of full − without (single events: ${rateText(SINGLE_RATE, 'requests')} from ${CONNECTIONS} connections; batches of ${BATCH_SIZE}: ${rateText(BATCH_RATE, 'batches')} from ${BATCH_CONNECTIONS})`,
    '',
    '| part | single event | event in a batch of 500 |',
    '| --- | --- | --- |',
    `| Vigil in full (median of every turn in full) | ${one(fulls('single'))} | ${one(fulls('batch'))} |`,
    `| Vigil above the floor (taking turns with it) | ${one(aboveFloor('single'))} | ${one(aboveFloor('batch'))} |`,
    ...rows.sort((a, b) => b.single - a.single).map((r) => `| ${r.part} | ${one(r.single)} | ${one(r.batch)} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const results = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    load: os.loadavg(),
    node: process.version,
    rounds: ROUNDS,
    turnS: DURATION_S,
    turns: SLICES,
    singleRate: SINGLE_RATE,
    batchRate: BATCH_RATE,
    parts: rows,
    floorRuns,
    runs: Object.fromEntries(runs),
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
}

/**
 * ABLATION_COMPARE=DIST: Vigil built in DIST (another checkout's dist/, before a change say) against
 * this build, side by side, ROUNDS times: each one's CPU per event and the median of the differences.
 */
async function compareBuilds(otherDist: string): Promise<void> {
  const runs: Array<{ other: Figures; mine: Figures }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [other, mine] = await pair(round, { ablate: '', dist: otherDist }, { ablate: '' });
    runs.push({ other, mine });
    process.stderr.write(
      `[compare] round ${round + 1}/${ROUNDS}: µs per single event ${one(other.single)} other, ${one(mine.single)} this; per event in batches ${one(other.batch)} other, ${one(mine.batch)} this (load ${os.loadavg()[0]?.toFixed(1)})\n`,
    );
  }
  const med = (f: (r: (typeof runs)[number]) => number) => one(median(runs.map(f)));
  const lines = [
    `Main-thread CPU µs per event, ${otherDist} (other) and this build side by side, ${ROUNDS} rounds, medians`,
    '',
    '| | other | this | other − this |',
    '| --- | --- | --- | --- |',
    `| single event | ${med((r) => r.other.single)} | ${med((r) => r.mine.single)} | ${med((r) => r.other.single - r.mine.single)} |`,
    `| event in a batch of ${BATCH_SIZE} | ${med((r) => r.other.batch)} | ${med((r) => r.mine.batch)} | ${med((r) => r.other.batch - r.mine.batch)} |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  assertFreshBuild();
  const compare = process.env.ABLATION_COMPARE;
  if (compare) await compareBuilds(path.resolve(compare));
  else await ablationTable();
}

const killAll = () => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
};
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}
main().catch((error: unknown) => {
  process.stderr.write(`ablation FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  killAll();
  process.exitCode = 1;
});
