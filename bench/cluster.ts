/**
 * The distributed mode's benchmark: `npm run bench:cluster` (issue 19, "Measured").
 *
 * Starts the compiled `vigil serve` on PostgreSQL and the machine's NATS JetStream, each run on a
 * fresh PostgreSQL schema and NATS prefix of its own, and measures:
 *
 *   1. one process     `vigil serve` (all roles), single events at BENCH_CONNECTIONS connections
 *   2. api + worker    `--role worker` and `--role api`, the same load sent to the api: the cost of the hop
 *   3. failover        1 api + 2 workers; `kill -9` of one worker, then the time until every partition
 *                      is owned again and an event of each partition is answered 2xx
 *
 * For each process it reads the CPU time the kernel counted (/proc/<pid>/task/<tid>/stat, utime +
 * stime of every thread) before and after the measured load, divided by the events answered 2xx:
 * CPU per event per role. On a shared, noisy 2-core machine events/s and latencies move with the
 * neighbours' work; CPU per event barely does, and it is what predicts a bigger machine.
 *
 * Before the load each process is left idle for BENCH_IDLE_S: its CPU then (lease renewals, timers) is
 * work per second, not per event, and the report gives CPU per event both with it and above it.
 *
 * Environment knobs (all optional): BENCH_DURATION_S (10), BENCH_WARMUP_S (3), BENCH_IDLE_S (3), BENCH_CONNECTIONS (50),
 * BENCH_PARTITIONS (64), BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_NATS_URL (nats://127.0.0.1:4222), BENCH_PROFILE_DIR (unset: each Vigil process writes a V8 CPU profile
 * there when it stops, `<n>-<label>.cpuprofile`; Node refuses --cpu-prof in NODE_OPTIONS). A profiled
 * run is for finding where the time goes: its CPU figures include the profiler's cost.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { connect } from 'nats';
import pg from 'pg';
import { SERVE_NODE_FLAGS } from '../src/cli/node-flags.js';
import { partitionOf } from '../src/cluster/partitions.js';
import { cpuBetween, threadCpuMs, usPer } from './cpu.js';
import { envInt } from './env.js';
import { benchEvents, USERS } from './events.js';
import { freePort } from './free-port.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const RESULTS_FILE = path.join(import.meta.dirname, 'cluster-results.json');

const DURATION_S = envInt('BENCH_DURATION_S', 10);
const WARMUP_S = envInt('BENCH_WARMUP_S', 3);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 50);
const IDLE_S = envInt('BENCH_IDLE_S', 3);
const PARTITIONS = envInt('BENCH_PARTITIONS', 64);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
let profiled = 0;
const HEALTH_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;
const INGEST_KEY = randomBytes(30).toString('base64url');
const SECRET_KEY = randomBytes(32).toString('hex');
const METRICS_TOKEN = randomBytes(30).toString('base64url');

/** The compiled server, as users run it; a build older than src/ would measure old code. */
function compiledServer(): string {
  const main = path.join(ROOT, 'dist/cli/main.js');
  if (!existsSync(main)) throw new Error('dist/cli/main.js is missing: run `npm run build:server` (npm run bench:cluster does).');
  const built = statSync(main).mtimeMs;
  const newer = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).find(
    (f) => /\.(ts|cjs)$/.test(f) && !f.endsWith('.test.ts') && statSync(path.join(ROOT, 'src', f)).mtimeMs > built,
  );
  if (newer) throw new Error(`src/${newer} is newer than dist/: run \`npm run build:server\` (npm run bench:cluster does).`);
  return main;
}

// ---------------------------------------------------------------------------------------------
// A run's own PostgreSQL schema and NATS prefix, removed at its end

interface Deployment {
  readonly databaseUrl: string;
  readonly prefix: string;
  drop(): Promise<void>;
}

/** The deployments not yet dropped, for a bench stopped by a signal. */
const deployments = new Set<Deployment>();

async function freshDeployment(): Promise<Deployment> {
  const name = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  const deployment: Deployment = {
    databaseUrl: url.toString(),
    prefix: name,
    async drop() {
      deployments.delete(deployment);
      const db = new pg.Client({ connectionString: DATABASE_URL });
      await db.connect();
      try {
        await db.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await db.end();
      }
      const nc = await connect({ servers: NATS_URL });
      try {
        const jsm = await nc.jetstreamManager();
        for await (const stream of jsm.streams.names()) if (stream.includes(name)) await jsm.streams.delete(stream);
      } finally {
        await nc.close();
      }
    },
  };
  deployments.add(deployment);
  return deployment;
}

// ---------------------------------------------------------------------------------------------
// Child processes: every one is stopped in `finally`, and killed if this process exits first

interface Vigil {
  readonly label: string;
  readonly proc: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
  output(): string;
}

const running = new Set<Vigil>();
process.once('exit', () => {
  for (const v of running) v.proc.kill('SIGKILL');
});
// Ctrl-C or a kill of the bench: its processes are killed, its schemas and streams dropped (5 s at most).
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    for (const v of running) v.proc.kill('SIGKILL');
    const dropped = Promise.allSettled([...deployments].map((d) => d.drop()));
    void Promise.race([dropped, sleep(5000)]).then(() => process.exit(130));
  });

async function startVigil(label: string, role: 'all' | 'api' | 'worker', deployment: Deployment): Promise<Vigil> {
  const port = await freePort();
  const profile = PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${++profiled}-${label.replace(/\W+/g, '-')}.cpuprofile`]
    : [];
  const args = [...profile, ...SERVE_NODE_FLAGS, compiledServer(), 'serve', ...(role === 'all' ? [] : ['--role', role])];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      VIGIL_HOST: '127.0.0.1',
      VIGIL_PORT: String(port),
      VIGIL_LOG_LEVEL: 'warn',
      VIGIL_DEMO: 'false',
      VIGIL_DATABASE_URL: deployment.databaseUrl,
      VIGIL_INGEST_KEY: INGEST_KEY,
      VIGIL_SECRET_KEY: SECRET_KEY,
      VIGIL_METRICS_TOKEN: METRICS_TOKEN,
      VIGIL_NATS_URL: NATS_URL,
      VIGIL_NATS_PREFIX: deployment.prefix,
      VIGIL_PARTITIONS: String(PARTITIONS),
      // Each connection of autocannon is one client address: more than the default per-client cap.
      VIGIL_MAX_CONNECTIONS_PER_CLIENT: String(Math.max(256, CONNECTIONS * 2)),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const vigil: Vigil = { label, proc, url: `http://127.0.0.1:${port}`, exited, output: () => output };
  running.add(vigil);
  void exited.then(() => running.delete(vigil));
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${label} exited before it was healthy:\n${output}`);
    try {
      if ((await fetch(`${vigil.url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok) return vigil;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${label} was not healthy within ${HEALTH_TIMEOUT_MS / 1000} s:\n${output}`);
    await sleep(150);
  }
}

/** SIGTERM, then SIGKILL if it has not exited in time. */
async function stopVigil(vigil: Vigil): Promise<void> {
  if (vigil.proc.exitCode !== null || vigil.proc.signalCode !== null) return;
  vigil.proc.kill('SIGTERM');
  const timer = setTimeout(() => vigil.proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await vigil.exited;
  clearTimeout(timer);
}

async function kill9(vigil: Vigil): Promise<void> {
  vigil.proc.kill('SIGKILL');
  await vigil.exited;
}

const cpuMs = (vigil: Vigil) => (vigil.proc.pid === undefined ? undefined : threadCpuMs(vigil.proc.pid));
function totalCpuMs(vigil: Vigil, before: Map<number, number> | undefined): number | undefined {
  const used = cpuBetween(before, cpuMs(vigil), vigil.proc.pid ?? -1);
  return used ? used.mainMs + used.othersMs : undefined;
}

/** Events committed and group commits so far (GET /metrics: vigil_group_commit_events' sum and count). */
async function groupCommits(vigil: Vigil): Promise<{ events: number; commits: number }> {
  const text = await (
    await fetch(`${vigil.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` }, signal: AbortSignal.timeout(5000) })
  ).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { events: value('vigil_group_commit_events_sum'), commits: value('vigil_group_commit_events_count') };
}

async function partitionsOf(vigil: Vigil): Promise<number[]> {
  const health = (await (await fetch(`${vigil.url}/healthz`, { signal: AbortSignal.timeout(2000) })).json()) as {
    cluster?: { partitions: number[] };
  };
  return health.cluster?.partitions ?? [];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Load: single events, the same bodies for every setup

const { eventJson } = benchEvents(4 * USERS);
const BODIES = Array.from({ length: 4 * USERS }, (_, n) => eventJson(n));

interface LoadFigures {
  readonly events: number;
  readonly eventsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

async function load(url: string, durationS: number, firstBody: number): Promise<LoadFigures> {
  let clientIndex = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/v1/events`,
        method: 'POST',
        connections: CONNECTIONS,
        duration: durationS,
        timeout: 30,
        headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
        // Each connection cycles through its own prebuilt share of the bodies: no work per request here.
        setupClient: (client) => {
          const c = clientIndex++ % CONNECTIONS;
          const share: autocannon.Request[] = [];
          for (let i = c; i < BODIES.length; i += CONNECTIONS)
            share.push({ method: 'POST', body: BODIES[(firstBody + i) % BODIES.length] as string });
          client.setRequests(share);
        },
      },
      (error: unknown, r) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(r)),
    );
    setTimeout(() => instance.stop(), (durationS + 60) * 1000).unref();
  });
  return {
    events: result['2xx'],
    eventsPerSec: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

interface Measured {
  readonly setup: string;
  readonly load: LoadFigures;
  /** CPU microseconds per event answered 2xx, per role: all the CPU the process used under the load. */
  readonly cpuUsPerEvent: Record<string, number | null>;
  /**
   * CPU milliseconds per second the process uses with no load (lease renewals, timers, the bus):
   * work that does not grow with events, so it weighs less per event on a machine that carries more.
   */
  readonly idleCpuMsPerS: Record<string, number | null>;
  /** CPU microseconds per event above that idle work: what each further event costs. */
  readonly cpuUsPerEventAboveIdle: Record<string, number | null>;
  /** Mean events per group commit during the load, of the process that commits (all or worker). */
  readonly eventsPerGroupCommit: number | null;
}

/** Warm-up, then the measured load with each process's CPU read around it. */
async function measure(setup: string, entry: Vigil, roles: Record<string, Vigil>, committer: Vigil): Promise<Measured> {
  log(`${setup}: warm-up ${WARMUP_S} s`);
  await load(entry.url, WARMUP_S, 2 * USERS);
  const idleBefore = Object.fromEntries(Object.entries(roles).map(([role, v]) => [role, cpuMs(v)]));
  const idleStart = performance.now();
  await sleep(IDLE_S * 1000);
  const idleS = (performance.now() - idleStart) / 1000;
  const idleCpuMsPerS = Object.fromEntries(
    Object.entries(roles).map(([role, v]) => {
      const used = totalCpuMs(v, idleBefore[role]);
      return [role, used === undefined ? null : Math.round((used / idleS) * 10) / 10];
    }),
  );
  const commitsBefore = await groupCommits(committer);
  const before = Object.fromEntries(Object.entries(roles).map(([role, v]) => [role, cpuMs(v)]));
  const loadStart = performance.now();
  log(`${setup}: load ${DURATION_S} s at ${CONNECTIONS} connections`);
  const figures = await load(entry.url, DURATION_S, 0);
  const loadS = (performance.now() - loadStart) / 1000;
  const commitsAfter = await groupCommits(committer);
  const commits = commitsAfter.commits - commitsBefore.commits;
  const eventsPerGroupCommit = commits > 0 ? Math.round(((commitsAfter.events - commitsBefore.events) / commits) * 10) / 10 : null;
  const used = Object.fromEntries(Object.entries(roles).map(([role, v]) => [role, totalCpuMs(v, before[role])]));
  const cpuUsPerEvent = Object.fromEntries(Object.entries(used).map(([role, ms]) => [role, usPer(ms, figures.events)]));
  const cpuUsPerEventAboveIdle = Object.fromEntries(
    Object.entries(used).map(([role, ms]) => {
      const idle = idleCpuMsPerS[role];
      return [role, ms === undefined || idle == null ? null : usPer(Math.max(0, ms - idle * loadS), figures.events)];
    }),
  );
  if (figures.non2xx > 0 || figures.errors > 0) log(`${setup}: ${figures.non2xx} non-2xx answers and ${figures.errors} errors`);
  return { setup, load: figures, cpuUsPerEvent, idleCpuMsPerS, cpuUsPerEventAboveIdle, eventsPerGroupCommit };
}

// ---------------------------------------------------------------------------------------------
// The three runs

async function oneProcess(): Promise<Measured> {
  const deployment = await freshDeployment();
  const started: Vigil[] = [];
  try {
    const all = await startVigil('vigil serve', 'all', deployment);
    started.push(all);
    return await measure('one process', all, { all }, all);
  } finally {
    for (const v of started) await stopVigil(v);
    await deployment.drop().catch((e: unknown) => log(`dropping ${deployment.prefix}: ${String(e)}`));
  }
}

async function apiAndWorker(): Promise<Measured> {
  const deployment = await freshDeployment();
  const started: Vigil[] = [];
  try {
    // The worker first: it migrates the fresh schema before the api starts.
    const worker = await startVigil('worker', 'worker', deployment);
    started.push(worker);
    const api = await startVigil('api', 'api', deployment);
    started.push(api);
    await until(
      'the worker owns every partition',
      async () => ((await partitionsOf(worker)).length === PARTITIONS ? true : undefined),
      30_000,
    );
    return await measure('1 api + 1 worker', api, { api, worker }, worker);
  } finally {
    for (const v of started) await stopVigil(v);
    await deployment.drop().catch((e: unknown) => log(`dropping ${deployment.prefix}: ${String(e)}`));
  }
}

interface Failover {
  readonly partitions: number;
  readonly killedOwned: number;
  /** From the kill until the survivor's /healthz lists every partition. */
  readonly ownedAgainMs: number;
  /** From the kill until an event of every partition, sent through the api from the kill on, was answered 2xx. */
  readonly allAnsweredMs: number;
}

/** A user of each partition, so that one event per partition reaches every owner. */
function userPerPartition(): string[] {
  const users: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    let n = 0;
    while (partitionOf(`failover-${p}-${n}`, PARTITIONS) !== p) n++;
    users.push(`failover-${p}-${n}`);
  }
  return users;
}

async function failover(): Promise<Failover> {
  const deployment = await freshDeployment();
  const started: Vigil[] = [];
  try {
    const doomed = await startVigil('worker 1', 'worker', deployment);
    started.push(doomed);
    const survivor = await startVigil('worker 2', 'worker', deployment);
    started.push(survivor);
    const api = await startVigil('api', 'api', deployment);
    started.push(api);
    const half = Math.ceil(PARTITIONS / 2);
    const killedOwned = await until(
      'a fair share each',
      async () => {
        const [a, b] = [await partitionsOf(doomed), await partitionsOf(survivor)];
        return a.length + b.length === PARTITIONS && a.length <= half && b.length <= half ? a.length : undefined;
      },
      30_000,
    );
    const users = userPerPartition();
    log(`failover: kill -9 of a worker owning ${killedOwned} of ${PARTITIONS} partitions`);
    await kill9(doomed);
    const killedAt = performance.now();
    const owned = until(
      'the survivor owns every partition',
      async () => ((await partitionsOf(survivor)).length === PARTITIONS ? performance.now() - killedAt : undefined),
      30_000,
      50,
    );
    // One event per partition, each sent again after a 503 until answered 2xx (the api itself keeps
    // asking for an owner for up to 12 s before it answers 503).
    const answered = users.map(async (user, p) => {
      for (let attempt = 0; ; attempt++) {
        const response = await fetch(`${api.url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ id: `evt_failover_${p}_${attempt}`, type: 'login.succeeded', user, ip: '81.2.69.160', device: 'laptop' }),
          signal: AbortSignal.timeout(30_000),
        });
        await response.arrayBuffer();
        if (response.ok) return performance.now() - killedAt;
        if (response.status !== 503 || performance.now() - killedAt > 60_000)
          throw new Error(`partition ${p}: answered ${response.status} after the kill`);
      }
    });
    const [ownedAgainMs, times] = await Promise.all([owned, Promise.all(answered)]);
    return { partitions: PARTITIONS, killedOwned, ownedAgainMs: Math.round(ownedAgainMs), allAnsweredMs: Math.round(Math.max(...times)) };
  } finally {
    for (const v of started) await stopVigil(v);
    await deployment.drop().catch((e: unknown) => log(`dropping ${deployment.prefix}: ${String(e)}`));
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function log(message: string): void {
  process.stderr.write(`[bench:cluster ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Events/s one core of a role can carry: 1e6 µs ÷ its CPU µs per event. */
const perCore = (us: number | null | undefined) => (us ? Math.round(1e6 / us) : null);

async function main(): Promise<void> {
  compiledServer();
  const startedAt = new Date();
  const single = await oneProcess();
  const hop = await apiAndWorker();
  const failed = await failover();

  const cpuCell = (us: number | null | undefined) => (us == null ? 'n/a' : `${fmt(us, 1)} µs`);
  const rows = [single, hop].map((m) => [
    m.setup,
    fmt(m.load.eventsPerSec),
    `${m.load.p50Ms} ms`,
    `${m.load.p99Ms} ms`,
    cpuCell(m.cpuUsPerEvent.all),
    cpuCell(m.cpuUsPerEvent.api),
    cpuCell(m.cpuUsPerEvent.worker),
    m.eventsPerGroupCommit === null ? 'n/a' : fmt(m.eventsPerGroupCommit, 1),
  ]);
  const sizingRows: Array<[string, Measured, string]> = [
    ['all (one process)', single, 'all'],
    ['api', hop, 'api'],
    ['worker', hop, 'worker'],
  ];
  const sizing = sizingRows.map(([label, m, role]) => ({
    role: label,
    cpuUsPerEvent: m.cpuUsPerEvent[role] ?? null,
    idleCpuMsPerS: m.idleCpuMsPerS[role] ?? null,
    cpuUsPerEventAboveIdle: m.cpuUsPerEventAboveIdle[role] ?? null,
    eventsPerSecPerCore: perCore(m.cpuUsPerEvent[role]),
    eventsPerSecPerCoreAboveIdle: perCore(m.cpuUsPerEventAboveIdle[role]),
  }));
  const perCoreCell = (n: number | null) => (n === null ? 'n/a' : fmt(n));
  const sizingTable = table(
    ['role', 'CPU/event', 'idle CPU', 'CPU/event above idle', 'events/s per core', 'above idle'],
    sizing.map((r) => [
      r.role,
      cpuCell(r.cpuUsPerEvent),
      r.idleCpuMsPerS === null ? 'n/a' : `${fmt(r.idleCpuMsPerS, 1)} ms/s`,
      cpuCell(r.cpuUsPerEventAboveIdle),
      perCoreCell(r.eventsPerSecPerCore),
      perCoreCell(r.eventsPerSecPerCoreAboveIdle),
    ]),
  );

  process.stdout.write(
    [
      '',
      `Vigil bench:cluster, ${startedAt.toISOString()}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
      `Single events, ${CONNECTIONS} connections, ${DURATION_S} s after ${WARMUP_S} s of warm-up; PostgreSQL and NATS JetStream of the machine; ${PARTITIONS} partitions.`,
      '',
      table(['setup', 'events/s', 'p50', 'p99', 'CPU/event all', 'CPU/event api', 'CPU/event worker', 'events/commit'], rows),
      '',
      sizingTable,
      '',
      `Failover (1 api + 2 workers, ${PARTITIONS} partitions): kill -9 of the worker owning ${failed.killedOwned};`,
      `  every partition owned again after ${fmt(failed.ownedAgainMs / 1000, 1)} s, an event of every partition answered 2xx after ${fmt(failed.allAnsweredMs / 1000, 1)} s.`,
      '',
      'How to read it: this machine is shared and noisy (2 cores, other work, and the load generator on the',
      'same cores), so events/s and latencies move from run to run. CPU per event (kernel-counted utime + stime',
      'of each Vigil process over the measured load, divided by the events answered 2xx) is the robust figure:',
      'it predicts a bigger machine. Contention inflates it too, so compare roles within one run.',
      'PostgreSQL and NATS are shared with other work and not counted.',
      'Events/s per core = 1e6 / CPU µs per event. "Above idle" leaves out the work a process does each second',
      'whatever the load (lease renewals, timers): on a machine carrying more events it weighs less per event.',
      '',
    ].join('\n'),
  );
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify(
      {
        date: startedAt.toISOString(),
        machine: { cores: os.cpus().length, model: os.cpus()[0]?.model ?? null, node: process.version },
        settings: { connections: CONNECTIONS, durationS: DURATION_S, warmupS: WARMUP_S, partitions: PARTITIONS },
        runs: [single, hop],
        sizing,
        failover: failed,
      },
      null,
      2,
    )}\n`,
  );
  log(`figures written to ${path.relative(ROOT, RESULTS_FILE)}`);
}

main().catch((error: unknown) => {
  for (const v of running) process.stderr.write(`--- ${v.label}'s last output:\n${v.output()}\n`);
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
