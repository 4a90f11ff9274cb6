/**
 * How long Vigil takes to answer again after a restart, per million stored events. On a fresh SQLite
 * file it stores BENCH_RESTART_EVENTS (750,000) of the benchmark's events (bench/events.ts: the
 * last an hour ago, all inside the 25 h that detection replays), in this process through the same
 * ingest pipeline as the server's, then runs the compiled server (`dist/cli/main.js serve`) and times
 * each start from spawn to the first 200 from GET /healthz:
 *
 *   1. after a graceful stop (the snapshot taken at shutdown);
 *   2. after kill -9, from the interval snapshot (taken every minute here) and the events after it:
 *      BENCH_RESTART_TAIL (10,000) sent over HTTP after the snapshot;
 *   3. after kill -9 without a snapshot (the file removed): the full replay, as before snapshots.
 *
 * BENCH_PROFILE=DIR profiles the start from the snapshot (that server is then stopped gracefully, to
 * write the profile) and prints its top functions by self time.
 *
 * Each start also reports the server's CPU time until it answered (user + system, from /proc on
 * Linux): on a shared machine the wall time moves with the load, the CPU time much less.
 * BENCH_SERVER_FLAGS sets the server's V8 flags ('' for none; by default those `npm start` gives).
 * BENCH_RESTART_FULL=0 leaves out the full replay (the slowest part) when comparing snapshot starts.
 * BENCH_RESTART_KEEP=1 keeps the database at the end (the folder is printed).
 *
 * Adds its figures to bench/results.json. Run `npm run build:server` first (npm run bench does).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SERVE_NODE_FLAGS } from '../src/cli/node-flags.js';
import { loadConfig } from '../src/config/config.js';
import { createSystem } from '../src/system.js';
import { envInt } from './env.js';
import { benchEvents } from './events.js';
import { freePort } from './free-port.js';
import { type CpuProfile, formatSelfTime, selfTimeByFunction } from './profile-summary.js';

const EVENTS = envInt('BENCH_RESTART_EVENTS', 750_000);
/** BENCH_PROFILE=DIR: a CPU profile of the start from the snapshot (stopped gracefully to write it). */
const PROFILE_DIR = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
const TAIL = envInt('BENCH_RESTART_TAIL', 10_000);
const FULL_REPLAY = process.env.BENCH_RESTART_FULL !== '0';
/** BENCH_SERVER_FLAGS: the server's V8 flags, space separated ('' for none); by default `npm start`'s. */
const SERVER_FLAGS =
  process.env.BENCH_SERVER_FLAGS === undefined ? SERVE_NODE_FLAGS : process.env.BENCH_SERVER_FLAGS.split(' ').filter(Boolean);
const BATCH = 500;
const HEALTH_TIMEOUT_MS = 600_000;
const ROOT = path.resolve(import.meta.dirname, '..');
const RESULTS_FILE = path.join(import.meta.dirname, 'results.json');
const INGEST_KEY = 'bench-restart-ingest-key-0123456789abcdef';

const children = new Set<ChildProcess>();
const killAll = () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};
process.on('exit', killAll);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-restart-'));
const dbFile = path.join(dir, 'vigil.db');
const snapshotFile = `${dbFile}.detection-snapshot`;
const { eventJson } = benchEvents(EVENTS + 2 * TAIL);
const log = (m: string) => console.log(`[restart] ${m}`);

async function seed(): Promise<void> {
  const system = await createSystem(
    loadConfig({
      VIGIL_DATABASE_URL: `sqlite:${dbFile}`,
      VIGIL_SECRET_KEY_FILE: path.join(dir, 'secret'),
      VIGIL_INGEST_KEY: INGEST_KEY,
      VIGIL_DEMO: 'false',
    }),
    { detectionSnapshots: true, logger: { info() {}, warn() {}, error: console.error } },
  );
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < EVENTS) {
        const first = next;
        next += BATCH;
        const events = [];
        for (let n = first; n < Math.min(first + BATCH, EVENTS); n++) events.push(JSON.parse(eventJson(n)));
        const report = await system.ingest.ingest(events);
        if (report.rejected > 0) throw new Error(`${report.rejected} events rejected`);
      }
    }),
  );
  log(`stored ${EVENTS.toLocaleString('en-US')} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await system.close();
}

interface Server {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly lines: string[];
  readonly startMs: number;
  /** CPU seconds the server had used when it first answered; undefined where /proc is not. */
  readonly cpuS: number | undefined;
}

async function startServer(extraEnv: Record<string, string> = {}, nodeArgs: readonly string[] = []): Promise<Server> {
  const port = await freePort();
  const started = performance.now();
  const proc = spawn(process.execPath, [...nodeArgs, ...SERVER_FLAGS, path.join(ROOT, 'dist/cli/main.js'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      VIGIL_DATABASE_URL: `sqlite:${dbFile}`,
      VIGIL_SECRET_KEY_FILE: path.join(dir, 'secret'),
      VIGIL_INGEST_KEY: INGEST_KEY,
      VIGIL_PORT: String(port),
      VIGIL_HOST: '127.0.0.1',
      VIGIL_DEMO: 'false',
      // Info: the start says whether it took the snapshot and how many events it replayed after it.
      VIGIL_LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  const lines: string[] = [];
  for (const stream of [proc.stdout, proc.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (d: string) =>
      lines.push(
        ...d
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map(logMessage),
      ),
    );
  }
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`vigil exited before answering:\n${lines.join('\n')}`);
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > HEALTH_TIMEOUT_MS) throw new Error(`vigil did not answer within ${HEALTH_TIMEOUT_MS / 1000} s`);
    await sleep(50);
  }
  const startMs = performance.now() - started;
  return { proc, url, lines, startMs, cpuS: cpuSeconds(proc.pid) };
}

async function kill9(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.proc.once('exit', resolve));
  server.proc.kill('SIGKILL');
  await exited;
}

async function stopGracefully(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.proc.once('exit', resolve));
  server.proc.kill('SIGTERM');
  await exited;
}

async function send(server: Server, from: number, count: number): Promise<void> {
  for (let first = from; first < from + count; first += BATCH) {
    const parts: string[] = [];
    for (let n = first; n < Math.min(first + BATCH, from + count); n++) parts.push(eventJson(n));
    const response = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
      body: `{"events":[${parts.join(',')}]}`,
    });
    if (response.status !== 200) throw new Error(`POST /v1/events answered ${response.status}: ${await response.text()}`);
  }
}

function storedEvents(): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const perMillion = (ms: number, events: number) => Math.round((ms / 1000 / (events / 1_000_000)) * 100) / 100;

try {
  await seed();
  const snapshotMb = fs.statSync(snapshotFile).size / 1024 / 1024;

  // 1. After a graceful stop: the snapshot taken at shutdown.
  const graceful = await startServer({ VIGIL_DETECTION_SNAPSHOT_MINUTES: '1' });
  const gracefulEvents = storedEvents();
  log(
    `graceful restart, ${gracefulEvents.toLocaleString('en-US')} events stored: ${(graceful.startMs / 1000).toFixed(2)} s${cpuNote(graceful)}`,
  );

  // 2. kill -9 after the interval snapshot and events after it.
  await send(graceful, EVENTS, TAIL);
  const before = fs.statSync(snapshotFile).mtimeMs;
  while (fs.statSync(snapshotFile).mtimeMs === before) await sleep(500);
  const written = graceful.lines.find((l) => l.startsWith('Detection snapshot written'));
  await send(graceful, EVENTS + TAIL, TAIL);
  await kill9(graceful);
  const killedEvents = storedEvents();
  const afterKill = await startServer({}, PROFILE_DIR === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR]);
  const tailLine = afterKill.lines.find((l) => l.startsWith('Detection state from the snapshot')) ?? 'snapshot not used';
  log(
    `kill -9 restart from the snapshot, ${killedEvents.toLocaleString('en-US')} events stored: ${(afterKill.startMs / 1000).toFixed(2)} s${cpuNote(afterKill)} (${tailLine})`,
  );

  // 3. kill -9 without a snapshot: the full replay.
  if (PROFILE_DIR === undefined) await kill9(afterKill);
  else {
    // The profile is written at exit: a graceful stop, whose snapshot is in the profile's last seconds.
    const profiles = new Set(fs.existsSync(PROFILE_DIR) ? fs.readdirSync(PROFILE_DIR) : []);
    await stopGracefully(afterKill);
    const file = fs.readdirSync(PROFILE_DIR).find((f) => f.endsWith('.cpuprofile') && !profiles.has(f));
    if (file) {
      const profile = JSON.parse(fs.readFileSync(path.join(PROFILE_DIR, file), 'utf8')) as CpuProfile;
      console.log(formatSelfTime(`start from the snapshot, then a graceful stop: self time (${file})`, selfTimeByFunction(profile, 30)));
    }
  }
  if (process.env.BENCH_RESTART_KEEP === '1') fs.copyFileSync(snapshotFile, `${snapshotFile}.kept`);
  fs.rmSync(snapshotFile);
  let full: Server | undefined;
  if (FULL_REPLAY) {
    full = await startServer({ VIGIL_DETECTION_SNAPSHOT_FILE: 'off' });
    log(
      `kill -9 restart without a snapshot (full replay), ${killedEvents.toLocaleString('en-US')} events stored: ${(full.startMs / 1000).toFixed(2)} s${cpuNote(full)}`,
    );
    await stopGracefully(full);
  }

  const result = {
    eventsStored: killedEvents,
    snapshotMb: Math.round(snapshotMb * 10) / 10,
    snapshotWritten: written ?? null,
    gracefulRestartS: Math.round(graceful.startMs) / 1000,
    gracefulSecondsPerMillion: perMillion(graceful.startMs, gracefulEvents),
    gracefulCpuS: graceful.cpuS ?? null,
    kill9FromSnapshotS: Math.round(afterKill.startMs) / 1000,
    kill9FromSnapshotSecondsPerMillion: perMillion(afterKill.startMs, killedEvents),
    kill9FromSnapshotCpuS: afterKill.cpuS ?? null,
    kill9FullReplayS: full === undefined ? null : Math.round(full.startMs) / 1000,
    kill9FullReplaySecondsPerMillion: full === undefined ? null : perMillion(full.startMs, killedEvents),
    kill9FullReplayCpuS: full?.cpuS ?? null,
    loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
  };
  console.log(
    `restart: ${result.kill9FromSnapshotSecondsPerMillion} s per million stored events after kill -9 with a snapshot (${result.kill9FromSnapshotS} s for ${killedEvents.toLocaleString('en-US')}), ${result.gracefulSecondsPerMillion} after a graceful stop, ${result.kill9FullReplaySecondsPerMillion ?? 'not run'} by full replay; snapshot ${result.snapshotMb} MB; load average ${result.loadAverage.join(', ')}`,
  );
  const existing = fs.existsSync(RESULTS_FILE) ? JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')) : {};
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify({ ...existing, restart: result }, null, 2)}\n`);
} finally {
  killAll();
  // BENCH_RESTART_KEEP=1 keeps the database (and the last snapshot, if any) for a closer look.
  if (process.env.BENCH_RESTART_KEEP === '1') log(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}

/** A log line's message: the server logs JSON lines (pino); anything else is kept as it is. */
function logMessage(line: string): string {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown };
    return typeof parsed.msg === 'string' ? parsed.msg : line;
  } catch {
    return line;
  }
}

/** utime + stime of a process (fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s). */
function cpuNote(server: Server): string {
  return server.cpuS === undefined ? '' : `, ${server.cpuS.toFixed(2)} s of CPU`;
}

function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count from after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
