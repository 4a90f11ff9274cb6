/**
 * Vigil ingestion benchmark: `npm run bench`.
 *
 * Starts real server processes (the compiled `vigil serve` on a fresh SQLite file, and a no-op
 * Fastify server as the ceiling), drives them with autocannon from this process, and prints a table;
 * the figures and the machine they came from go to bench/results.json.
 *
 *   1. ceiling     POST /noop on a bare Fastify 5 server, single small JSON events
 *   2. floor       bench/floor-server.ts: validate and durably insert, nothing else; single and batch
 *   2b. HTTP layer Vigil compiled with its ingest pipeline switched off (bench/ablation-server.ts): single
 *   3. single      POST /v1/events, one event per request, 50 connections
 *   4. batch       POST /v1/events {"events":[500 events]}, 4 connections
 *   5. ndjson      one POST /v1/events streaming 1,000,000 NDJSON lines
 *   6. durability  GET /v1/users/:user/events with the admin key; rows counted in the SQLite file
 *
 * Environment knobs (all optional): BENCH_DURATION_S (10), BENCH_WARMUP_S (2), BENCH_CONNECTIONS (50),
 * BENCH_BATCH_CONNECTIONS (4), BENCH_BATCH_SIZE (500), BENCH_NDJSON_EVENTS (1000000),
 * BENCH_NDJSON_TIMEOUT_S (300), BENCH_KEEP_DB=1 to keep the temp directory, BENCH_PROFILE=DIR for a CPU
 * profile of the server (its top BENCH_PROFILE_TOP (25) functions by self time are printed), BENCH_GC_LOG=FILE with
 * BENCH_SERVER_FLAGS including --trace-gc for the servers' garbage collections, BENCH_REQUEST_MODE=setup to
 * vary bodies with autocannon's setupRequest instead of prebuilt per-connection requests (see load()).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { SERVE_NODE_FLAGS } from '../src/cli/node-flags.js';
import { ablationServer } from './ablation-build.js';
import { type CpuSplit, cpuBetween, threadCpuMs, usPer } from './cpu.js';
import { envInt } from './env.js';
import { benchEvents, USERS } from './events.js';
import { freePort } from './free-port.js';
import { type CpuProfile, formatSelfTime, newestProfile, selfTimeByFunction } from './profile-summary.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BENCH_DIR = import.meta.dirname;
const RESULTS_FILE = path.join(BENCH_DIR, 'results.json');

const DURATION_S = envInt('BENCH_DURATION_S', 10);
const WARMUP_S = envInt('BENCH_WARMUP_S', 2);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 50);
const BATCH_CONNECTIONS = envInt('BENCH_BATCH_CONNECTIONS', 4);
const BATCH_SIZE = envInt('BENCH_BATCH_SIZE', 500);
const NDJSON_EVENTS = envInt('BENCH_NDJSON_EVENTS', 1_000_000);
const NDJSON_TIMEOUT_S = envInt('BENCH_NDJSON_TIMEOUT_S', 300);
const KEEP_DB = process.env.BENCH_KEEP_DB === '1';
/**
 * BENCH_SERVER_FLAGS: the V8 flags of the floor's and Vigil's processes, space separated ('' for
 * none); by default those `npm start` gives Vigil (src/cli/node-flags.ts).
 */
const SERVER_FLAGS =
  process.env.BENCH_SERVER_FLAGS === undefined ? SERVE_NODE_FLAGS : process.env.BENCH_SERVER_FLAGS.split(' ').filter(Boolean);
/** BENCH_PROFILE=DIR: the server writes a V8 CPU profile there when it stops (open it in Chrome's DevTools). */
const PROFILE_DIR = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
/** BENCH_GC_LOG=FILE: with --trace-gc among BENCH_SERVER_FLAGS, the servers' GC lines go to this file. */
const GC_LOG = process.env.BENCH_GC_LOG ? path.resolve(process.env.BENCH_GC_LOG) : undefined;
/** Entries of the profile's self time printed (BENCH_PROFILE_TOP). */
const PROFILE_TOP = envInt('BENCH_PROFILE_TOP', 25);
const REQUEST_MODE = process.env.BENCH_REQUEST_MODE === 'setup' ? 'setup' : 'static';
const HEALTH_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 60_000;

/**
 * The server as users run it: compiled by tsc (`npm run bench` builds it first). Run through tsx it
 * would carry esbuild's helpers and measure something nobody deploys; a build older than the sources
 * would measure old code, so both stop the run.
 */
function compiledServer(): string {
  const main = path.join(ROOT, 'dist/cli/main.js');
  if (!existsSync(main)) throw new Error('dist/cli/main.js is missing: run `npm run build:server` (npm run bench does).');
  const built = statSync(main).mtimeMs;
  const newer = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).find(
    (f) => /\.(ts|cjs)$/.test(f) && !f.endsWith('.test.ts') && statSync(path.join(ROOT, 'src', f)).mtimeMs > built,
  );
  if (newer) throw new Error(`src/${newer} is newer than dist/: run \`npm run build:server\` (npm run bench does).`);
  return main;
}

// ---------------------------------------------------------------------------------------------
// Events (bench/events.ts)

/** The stream's events are numbered from here (after the single and batch runs' numbers). */
const NDJSON_FIRST_EVENT = 5_000_000;
const { users, eventJson } = benchEvents(NDJSON_FIRST_EVENT + NDJSON_EVENTS);

/** A sequence of request bodies that the load generator cycles through, prebuilt so it costs nothing per request. */
const SINGLE_BODIES = Array.from({ length: 4 * USERS }, (_, n) => eventJson(n));
const BATCH_BODY_COUNT = 48;
const batchBodies = (): string[] =>
  Array.from({ length: BATCH_BODY_COUNT }, (_, b) => {
    const parts: string[] = [];
    for (let i = 0; i < BATCH_SIZE; i++) parts.push(eventJson(1_000_000 + b * BATCH_SIZE + i));
    return `{"events":[${parts.join(',')}]}`;
  });

// ---------------------------------------------------------------------------------------------
// Child processes

interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly tail: string[];
  counts: { warn: number; error: number; stderr: number };
  notable: string[];
}

const children = new Set<Child>();
/** Every child ever started, for the error report (children only holds the running ones). */
const allChildren: Child[] = [];
/** Removed on every way out, unless BENCH_KEEP_DB=1. */
let tempDirToRemove: string | undefined;

function startChild(name: string, args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child: Child = {
    name,
    proc,
    exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))),
    tail: [],
    counts: { warn: 0, error: 0, stderr: 0 },
    notable: [],
  };
  const onLine = (line: string, stream: 'stdout' | 'stderr') => {
    if (line.trim() === '') return;
    if (GC_LOG !== undefined && /^\[\d+:0x[0-9a-f]+\]/.test(line)) {
      appendFileSync(GC_LOG, `${name} ${line}\n`);
      return;
    }
    child.tail.push(`[${stream}] ${line}`);
    if (child.tail.length > 200) child.tail.shift();
    const level = /"level":(\d+)/.exec(line)?.[1];
    if (level !== undefined) {
      if (Number(level) >= 50) child.counts.error++;
      else if (Number(level) >= 40) child.counts.warn++;
      else return;
    } else if (stream === 'stderr') child.counts.stderr++;
    else return;
    if (child.notable.length < 50) child.notable.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    proc[stream]?.setEncoding('utf8');
    proc[stream]?.on('data', (data: string) => {
      const lines = (partial + data).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line, stream);
    });
    proc[stream]?.on('end', () => {
      if (partial !== '') onLine(partial, stream);
    });
  }
  proc.on('error', (error) => {
    child.tail.push(`[spawn] ${error.message}`);
  });
  children.add(child);
  allChildren.push(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

async function waitHealthy(child: Child, url: string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  for (;;) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`${child.name} exited before it was healthy (code ${child.proc.exitCode}):\n${child.tail.join('\n')}`);
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${child.name} did not answer GET /healthz with 200 within ${HEALTH_TIMEOUT_MS / 1000} s:\n${child.tail.join('\n')}`);
    }
    await sleep(150);
  }
}

/** SIGTERM (graceful: Vigil flushes and closes its database), SIGKILL if it does not exit in time. */
async function stopChild(child: Child): Promise<{ code: number | null; forced: boolean }> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return { code: child.proc.exitCode, forced: false };
  child.proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
  });
  const result = await Promise.race([child.exited, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    child.proc.kill('SIGKILL');
    return { code: await child.exited, forced: true };
  }
  return { code: result, forced: false };
}

function killAllChildrenNow(): void {
  for (const child of children) {
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
  }
}

/** Peak resident memory of a child, sampled from /proc (Linux only; null elsewhere). */
class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  peakBytes: number | null = null;

  constructor(private readonly pid: number | undefined) {}

  start(): void {
    this.peakBytes = null;
    this.sample();
    this.timer = setInterval(() => this.sample(), 200);
    this.timer.unref();
  }

  stop(): number | null {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this.peakBytes;
  }

  private sample(): void {
    if (this.pid === undefined) return;
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      if (match?.[1]) this.peakBytes = Math.max(this.peakBytes ?? 0, Number(match[1]) * 1024);
    } catch {
      // not Linux, or the process is gone
    }
  }
}

/** Server CPU per request or event, main thread and the others (see bench/cpu.ts). */
interface UnitCpu {
  readonly main: number | null;
  readonly others: number | null;
}

function perUnit(used: CpuSplit | null, units: number): UnitCpu | null {
  return used && { main: usPer(used.mainMs, units), others: usPer(used.othersMs, units) };
}

const childCpuMs = (child: Child) => (child.proc.pid === undefined ? undefined : threadCpuMs(child.proc.pid));

function serverCpu(child: Child, before: Map<number, number> | undefined, units: number): UnitCpu | null {
  return perUnit(cpuBetween(before, childCpuMs(child), child.proc.pid ?? -1), units);
}

// ---------------------------------------------------------------------------------------------
// Load

interface LoadFigures {
  readonly connections: number;
  readonly durationS: number;
  readonly requests: number;
  readonly reqPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyAvgMs: number;
  readonly latencyMaxMs: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Record<string, number>;
}

interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  readonly headers: Record<string, string>;
  readonly bodies: readonly string[];
  readonly onResponse?: (status: number, body: string) => void;
}

async function load(title: string, options: LoadOptions): Promise<{ figures: LoadFigures; twoXx: number }> {
  const { bodies, connections } = options;
  const onResponse = options.onResponse && { onResponse: (status: number, body: string) => options.onResponse?.(status, body) };
  // How bodies vary per request. 'static' (default): each connection gets its own share of the
  // bodies as prebuilt requests and cycles through them, so the load generator does no work per
  // request. 'setup': one request whose setupRequest picks the next body, which re-encodes the
  // request every time; on 2 cores that costs the load generator about half the ceiling.
  let loadOptions: Pick<autocannon.Options, 'requests' | 'setupClient'>;
  if (REQUEST_MODE === 'setup') {
    let next = 0;
    loadOptions = {
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            const body = bodies[next % bodies.length] as string;
            next++;
            return { ...req, body };
          },
          ...onResponse,
        },
      ],
    };
  } else {
    let clientIndex = 0;
    loadOptions = {
      setupClient: (client) => {
        const c = clientIndex++ % connections;
        const share: autocannon.Request[] = [];
        for (let i = c; i < bodies.length; i += connections) share.push({ method: 'POST', body: bodies[i] as string, ...onResponse });
        if (share.length === 0) share.push({ method: 'POST', body: bodies[c % bodies.length] as string, ...onResponse });
        client.setRequests(share);
      },
    };
  }
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        title,
        url: options.url,
        method: 'POST',
        connections: options.connections,
        duration: options.durationS,
        timeout: 30,
        headers: options.headers,
        ...loadOptions,
      },
      (error: unknown, result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result)),
    );
  });
  // A stuck server must not hang the bench: autocannon stops itself at `duration`, this is the backstop.
  const backstop = setTimeout(() => instance?.stop(), (options.durationS + 60) * 1000);
  let result: autocannon.Result;
  try {
    result = await finished;
  } finally {
    clearTimeout(backstop);
  }
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  return {
    twoXx: result['2xx'],
    figures: {
      connections: options.connections,
      durationS: result.duration,
      requests: result.requests.total,
      reqPerSec: result.requests.average,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      latencyAvgMs: result.latency.average,
      latencyMaxMs: result.latency.max,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      statusCodes,
    },
  };
}

function assertClean(label: string, f: LoadFigures): void {
  if (f.non2xx > 0 || f.errors > 0) {
    throw new Error(
      `${label}: ${f.non2xx} non-2xx responses and ${f.errors} connection errors (${f.timeouts} timeouts); status codes ${JSON.stringify(f.statusCodes)}`,
    );
  }
  if (f.requests === 0) throw new Error(`${label}: no request completed`);
}

// ---------------------------------------------------------------------------------------------
// NDJSON stream

const NDJSON_LINES_PER_CHUNK = 1000;

function* ndjsonChunks(total: number, firstEvent: number): Generator<Buffer> {
  for (let start = 0; start < total; start += NDJSON_LINES_PER_CHUNK) {
    const end = Math.min(total, start + NDJSON_LINES_PER_CHUNK);
    let text = '';
    for (let i = start; i < end; i++) text += `${eventJson(firstEvent + i)}\n`;
    yield Buffer.from(text);
  }
}

interface NdjsonOutcome {
  readonly status: number;
  readonly body: string;
  readonly uploadMs: number | null;
  readonly totalMs: number;
  readonly bytes: number;
  /** Lines handed to the socket by time; the server's backpressure keeps this close to what it has read. */
  readonly progress: Array<{ readonly atS: number; readonly linesSent: number }>;
}

function postNdjson(url: string, key: string, total: number, firstEvent: number, timeoutMs: number): Promise<NdjsonOutcome> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let uploadMs: number | null = null;
    let bytes = 0;
    let linesSent = 0;
    const progress: Array<{ atS: number; linesSent: number }> = [];
    const sampler = setInterval(() => progress.push({ atS: Math.round((performance.now() - start) / 1000), linesSent }), 10_000);
    let settled = false;
    const finish = (error: Error | null, outcome?: NdjsonOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(sampler);
      if (error) reject(error);
      else resolve(outcome as NdjsonOutcome);
    };
    const req = http.request(url, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(new Error(`NDJSON stream: no complete response within ${timeoutMs / 1000} s (${bytes} bytes sent)`));
    }, timeoutMs);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () =>
        finish(null, { status: res.statusCode ?? 0, body, uploadMs, totalMs: performance.now() - start, bytes, progress }),
      );
      res.on('error', (error) => finish(error));
    });
    req.on('error', (error) => finish(new Error(`NDJSON stream: ${error.message} after ${bytes} bytes`)));
    const source = Readable.from(ndjsonChunks(total, firstEvent), { objectMode: false });
    source.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      linesSent += NDJSON_LINES_PER_CHUNK;
      if (!req.write(chunk)) {
        source.pause();
        req.once('drain', () => source.resume());
      }
    });
    source.on('end', () => {
      req.end(() => {
        uploadMs = performance.now() - start;
      });
    });
    source.on('error', (error) => {
      req.destroy();
      finish(error);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** 40 characters of [A-Za-z0-9_-]. */
const randomKey = () => randomBytes(30).toString('base64url');

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mb = (bytes: number | null) => (bytes === null ? 'n/a' : `${fmt(bytes / 1024 / 1024)} MB`);

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function fetchJson(url: string, init: RequestInit): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text };
}

// ---------------------------------------------------------------------------------------------
// Issue 18's targets

/** Single events: ≥ 80% of the floor, p99 ≤ max(10 ms, 1.5 × the floor's); batches and streams ≥ 75%; main-thread CPU within 25 µs of the floor's. */
const SINGLE_SHARE = 0.8;
const BULK_SHARE = 0.75;
const P99_FLOOR_FACTOR = 1.5;
const P99_AT_LEAST_MS = 10;
const CPU_MARGIN_US = 25;

interface TargetInputs {
  readonly single: { vigil: LoadFigures; floor: LoadFigures; cpu: UnitCpu | null; floorCpu: UnitCpu | null };
  readonly batch: { eventsPerSec: number; floorEventsPerSec: number; cpu: UnitCpu | null; floorCpu: UnitCpu | null };
  /** Compared with the floor's batches: the floor has no stream route, and a stream is batches read from one body. */
  readonly ndjson: { eventsPerSec: number; cpu: UnitCpu | null };
}

/** The targets' table rows, and which targets held (null: not measurable here, /proc missing). */
function targetRows(t: TargetInputs): { rows: string[][]; held: Record<string, boolean | null> } {
  const pct = (x: number) => `${fmt(100 * x, 1)}%`;
  const yes = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'yes' : 'NO');
  const cpuCell = (c: UnitCpu | null) => (c ? `${c.main} / ${c.others}` : 'n/a');
  const cpuGap = (c: UnitCpu | null, floor: UnitCpu | null) =>
    c?.main == null || floor?.main == null ? null : Math.round((c.main - floor.main) * 10) / 10;
  const cpuHeld = (gap: number | null) => (gap === null ? null : gap <= CPU_MARGIN_US);
  const gapCell = (gap: number | null) => (gap === null ? 'n/a' : `${gap} µs ${yes(cpuHeld(gap))}`);

  const singleShare = t.single.vigil.reqPerSec / t.single.floor.reqPerSec;
  const p99Limit = Math.max(P99_AT_LEAST_MS, P99_FLOOR_FACTOR * t.single.floor.latencyP99Ms);
  const batchShare = t.batch.eventsPerSec / t.batch.floorEventsPerSec;
  const ndShare = t.ndjson.eventsPerSec / t.batch.floorEventsPerSec;
  const gaps = {
    single: cpuGap(t.single.cpu, t.single.floorCpu),
    batch: cpuGap(t.batch.cpu, t.batch.floorCpu),
    ndjson: cpuGap(t.ndjson.cpu, t.batch.floorCpu),
  };
  const held = {
    singleThroughput: singleShare >= SINGLE_SHARE,
    singleP99: t.single.vigil.latencyP99Ms <= p99Limit,
    batchThroughput: batchShare >= BULK_SHARE,
    ndjsonThroughput: ndShare >= BULK_SHARE,
    singleCpu: cpuHeld(gaps.single),
    batchCpu: cpuHeld(gaps.batch),
    ndjsonCpu: cpuHeld(gaps.ndjson),
  };
  const rows = [
    [
      'single events/s',
      fmt(t.single.vigil.reqPerSec),
      fmt(t.single.floor.reqPerSec),
      pct(singleShare),
      `≥ ${pct(SINGLE_SHARE)}`,
      yes(held.singleThroughput),
      cpuCell(t.single.cpu),
      cpuCell(t.single.floorCpu),
      gapCell(gaps.single),
    ],
    [
      'single p99 ms',
      fmt(t.single.vigil.latencyP99Ms, 1),
      fmt(t.single.floor.latencyP99Ms, 1),
      '—',
      `≤ ${fmt(p99Limit, 1)}`,
      yes(held.singleP99),
      '',
      '',
      '',
    ],
    [
      `batches of ${BATCH_SIZE}, events/s`,
      fmt(t.batch.eventsPerSec),
      fmt(t.batch.floorEventsPerSec),
      pct(batchShare),
      `≥ ${pct(BULK_SHARE)}`,
      yes(held.batchThroughput),
      cpuCell(t.batch.cpu),
      cpuCell(t.batch.floorCpu),
      gapCell(gaps.batch),
    ],
    [
      'NDJSON events/s',
      fmt(t.ndjson.eventsPerSec),
      `${fmt(t.batch.floorEventsPerSec)} (batches)`,
      pct(ndShare),
      `≥ ${pct(BULK_SHARE)}`,
      yes(held.ndjsonThroughput),
      cpuCell(t.ndjson.cpu),
      cpuCell(t.batch.floorCpu),
      gapCell(gaps.ndjson),
    ],
  ];
  return { rows, held };
}

// ---------------------------------------------------------------------------------------------
// The run

async function main(): Promise<void> {
  // Checked before anything runs: the HTTP layer's server (2b) runs the same build.
  const server = compiledServer();
  const startedAt = new Date();
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-'));
  tempDirToRemove = tempDir;
  const dbFile = path.join(tempDir, 'bench.db');
  const ingestKey = randomKey();
  let adminKey = randomKey();
  while (adminKey === ingestKey) adminKey = randomKey();
  const problems: string[] = [];
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: startedAt.toISOString(),
  };
  log(`machine: ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}; temp dir ${tempDir}`);
  log(`the load generator (autocannon) runs in this process and shares the ${machine.cpus} cores with the server`);

  try {
    // 1. Ceiling: no-op Fastify.
    const noopPort = await freePort();
    const noopUrl = `http://127.0.0.1:${noopPort}`;
    const noop = startChild('noop-server', ['--import', 'tsx', path.join(BENCH_DIR, 'noop-server.ts')], {
      NOOP_PORT: String(noopPort),
      NOOP_HOST: '127.0.0.1',
    });
    await waitHealthy(noop, noopUrl);
    const singleHeaders = { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' };
    const noopOptions = { url: `${noopUrl}/noop`, connections: CONNECTIONS, headers: singleHeaders, bodies: SINGLE_BODIES };
    log(`ceiling: warm-up ${WARMUP_S} s`);
    await load('noop warm-up', { ...noopOptions, durationS: WARMUP_S });
    log(`ceiling: ${DURATION_S} s at ${CONNECTIONS} connections`);
    const noopCpuBefore = childCpuMs(noop);
    const ceiling = (await load('noop', { ...noopOptions, durationS: DURATION_S })).figures;
    const noopCpu = serverCpu(noop, noopCpuBefore, ceiling.requests);
    assertClean('ceiling (POST /noop)', ceiling);
    await stopChild(noop);

    // 2. The floor: the same loads on a server that only validates and durably inserts.
    const floorPort = await freePort();
    const floorUrl = `http://127.0.0.1:${floorPort}`;
    // The floor runs with the V8 flags `npm start` gives Vigil (src/cli/node-flags.ts): the same runtime.
    const floorServer = startChild('floor-server', [...SERVER_FLAGS, '--import', 'tsx', path.join(BENCH_DIR, 'floor-server.ts')], {
      FLOOR_PORT: String(floorPort),
      FLOOR_HOST: '127.0.0.1',
      FLOOR_DB: path.join(tempDir, 'floor.db'),
    });
    await waitHealthy(floorServer, floorUrl);
    const floorSingleOptions = { ...noopOptions, url: `${floorUrl}/floor` };
    log(`floor: warm-up ${WARMUP_S} s, then ${DURATION_S} s single events and ${DURATION_S} s batches`);
    await load('floor single warm-up', { ...floorSingleOptions, durationS: WARMUP_S });
    const floorSingleCpuBefore = childCpuMs(floorServer);
    const floorSingle = (await load('floor single', { ...floorSingleOptions, durationS: DURATION_S })).figures;
    const floorSingleCpu = serverCpu(floorServer, floorSingleCpuBefore, floorSingle.requests);
    assertClean('floor (POST /floor)', floorSingle);
    const bodies = batchBodies();
    const floorBatchOptions = {
      url: `${floorUrl}/floor/batch`,
      connections: BATCH_CONNECTIONS,
      headers: singleHeaders,
      bodies,
    };
    await load('floor batch warm-up', { ...floorBatchOptions, durationS: WARMUP_S });
    const floorBatchCpuBefore = childCpuMs(floorServer);
    const floorBatch = (await load('floor batch', { ...floorBatchOptions, durationS: DURATION_S })).figures;
    // Per event: autocannon counts requests, each of BATCH_SIZE events.
    const floorBatchCpu = serverCpu(floorServer, floorBatchCpuBefore, floorBatch.requests * BATCH_SIZE);
    assertClean('floor (POST /floor/batch)', floorBatch);
    await stopChild(floorServer);

    // 2b. Vigil's HTTP layer alone: the compiled server with its pipeline switched off (every event
    // answered stored with one fixed result; bench/ablation-server.ts), single events only. What
    // Vigil spends around the pipeline: JSON parsing, the key, hooks, routing, the answer.
    const layerPort = await freePort();
    const layerUrl = `http://127.0.0.1:${layerPort}`;
    const layerServer = startChild('http-layer', [...SERVER_FLAGS, ablationServer()], {
      VIGIL_DATABASE_URL: `sqlite:${path.join(tempDir, 'layer.db')}`,
      VIGIL_SECRET_KEY_FILE: path.join(tempDir, 'layer-secret'),
      VIGIL_PORT: String(layerPort),
      VIGIL_HOST: '127.0.0.1',
      VIGIL_INGEST_KEY: ingestKey,
      VIGIL_ADMIN_KEY: adminKey,
      VIGIL_DEMO: 'false',
      VIGIL_LOG_LEVEL: 'warn',
      ABLATION_OFF: 'pipeline',
    });
    await waitHealthy(layerServer, layerUrl);
    const layerOptions = { ...noopOptions, url: `${layerUrl}/v1/events` };
    log(`Vigil's HTTP layer alone: warm-up ${WARMUP_S} s, then ${DURATION_S} s single events`);
    await load('http layer warm-up', { ...layerOptions, durationS: WARMUP_S });
    const layerCpuBefore = childCpuMs(layerServer);
    const layer = (await load('http layer', { ...layerOptions, durationS: DURATION_S })).figures;
    const layerCpu = serverCpu(layerServer, layerCpuBefore, layer.requests);
    assertClean("Vigil's HTTP layer alone (POST /v1/events)", layer);
    await stopChild(layerServer);

    // Vigil, on a fresh SQLite file.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    log('starting vigil serve');
    const vigilStart = performance.now();
    const profile = PROFILE_DIR === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR];
    const profilesBefore = new Set(PROFILE_DIR !== undefined && existsSync(PROFILE_DIR) ? readdirSync(PROFILE_DIR) : []);
    const vigil = startChild('vigil', [...profile, ...SERVER_FLAGS, server, 'serve'], {
      VIGIL_DATABASE_URL: `sqlite:${dbFile}`,
      VIGIL_PORT: String(port),
      VIGIL_HOST: '127.0.0.1',
      VIGIL_INGEST_KEY: ingestKey,
      VIGIL_ADMIN_KEY: adminKey,
      VIGIL_DEMO: 'false',
      VIGIL_LOG_LEVEL: 'warn',
    });
    await waitHealthy(vigil, url);
    const startupMs = performance.now() - vigilStart;
    log(`vigil healthy after ${fmt(startupMs / 1000, 1)} s`);
    const rss = new RssSampler(vigil.proc.pid);

    // Events the server has confirmed stored (lower bound of the row count) and the most that may
    // also have been stored by requests still in flight when autocannon stopped.
    let confirmed = 0;
    let inFlightSlack = 0;

    // Sanity: one event and one batch, answered as documented, before anything is measured.
    const probe = await fetchJson(`${url}/v1/events`, { method: 'POST', headers: singleHeaders, body: eventJson(0) });
    if (probe.status !== 200 || typeof (probe.body as { decision?: unknown } | undefined)?.decision !== 'string') {
      throw new Error(`POST /v1/events (one event) answered ${probe.status}: ${probe.text.slice(0, 1000)}`);
    }
    confirmed++;

    // 3. Single events.
    const singleOptions = { url: `${url}/v1/events`, connections: CONNECTIONS, headers: singleHeaders, bodies: SINGLE_BODIES };
    log(`single: warm-up ${WARMUP_S} s`);
    const singleWarm = await load('single warm-up', { ...singleOptions, durationS: WARMUP_S });
    assertClean('single-event warm-up', singleWarm.figures);
    confirmed += singleWarm.twoXx;
    inFlightSlack += CONNECTIONS;
    log(`single: ${DURATION_S} s at ${CONNECTIONS} connections`);
    rss.start();
    const singleCpuBefore = childCpuMs(vigil);
    const singleRun = await load('single', { ...singleOptions, durationS: DURATION_S });
    const singleRss = rss.stop();
    const singleCpu = serverCpu(vigil, singleCpuBefore, singleRun.figures.requests);
    confirmed += singleRun.twoXx;
    inFlightSlack += CONNECTIONS;
    const single = singleRun.figures;
    assertClean('single events (POST /v1/events)', single);

    // 4. Batches.
    const batchProbe = await fetchJson(`${url}/v1/events`, { method: 'POST', headers: singleHeaders, body: bodies[0] as string });
    const probeAccepted = (batchProbe.body as { accepted?: unknown } | undefined)?.accepted;
    if (batchProbe.status !== 200 || probeAccepted !== BATCH_SIZE) {
      throw new Error(`POST /v1/events (batch of ${BATCH_SIZE}) answered ${batchProbe.status}: ${batchProbe.text.slice(0, 1000)}`);
    }
    confirmed += BATCH_SIZE;
    let batchAccepted = 0;
    let batchRejected = 0;
    let batchUnparsed = 0;
    const onBatchResponse = (status: number, body: string) => {
      if (status < 200 || status >= 300) return;
      // The summary leads the body; parsing only it keeps the load generator cheap.
      const m = /^\{"accepted":(\d+),"rejected":(\d+)/.exec(body);
      if (!m) {
        batchUnparsed++;
        return;
      }
      batchAccepted += Number(m[1]);
      batchRejected += Number(m[2]);
    };
    const batchOptions = {
      url: `${url}/v1/events`,
      connections: BATCH_CONNECTIONS,
      headers: singleHeaders,
      bodies,
      onResponse: onBatchResponse,
    };
    log(`batch: warm-up ${WARMUP_S} s`);
    const batchWarm = await load('batch warm-up', { ...batchOptions, durationS: WARMUP_S });
    assertClean('batch warm-up', batchWarm.figures);
    inFlightSlack += BATCH_CONNECTIONS * BATCH_SIZE;
    log(`batch: ${DURATION_S} s at ${BATCH_CONNECTIONS} connections, ${BATCH_SIZE} events per request`);
    const acceptedBeforeRun = batchAccepted;
    rss.start();
    const batchCpuBefore = childCpuMs(vigil);
    const batchRun = await load('batch', { ...batchOptions, durationS: DURATION_S });
    const batchRss = rss.stop();
    const batchCpuAfter = childCpuMs(vigil);
    inFlightSlack += BATCH_CONNECTIONS * BATCH_SIZE;
    const batch = batchRun.figures;
    assertClean(`batches of ${BATCH_SIZE}`, batch);
    if (batchRejected > 0 || batchUnparsed > 0) {
      throw new Error(`batches: ${batchRejected} events rejected and ${batchUnparsed} answers without a summary`);
    }
    confirmed += batchAccepted;
    const batchAcceptedInRun = batchAccepted - acceptedBeforeRun;
    const batchCpu = perUnit(cpuBetween(batchCpuBefore, batchCpuAfter, vigil.proc.pid ?? -1), batchAcceptedInRun);

    // 5. One NDJSON stream.
    log(`ndjson: streaming ${fmt(NDJSON_EVENTS)} events in one request`);
    rss.start();
    const ndCpuBefore = childCpuMs(vigil);
    const nd = await postNdjson(`${url}/v1/events`, ingestKey, NDJSON_EVENTS, NDJSON_FIRST_EVENT, NDJSON_TIMEOUT_S * 1000);
    const ndRss = rss.stop();
    const ndCpu = serverCpu(vigil, ndCpuBefore, NDJSON_EVENTS);
    const summary = JSON.parse(nd.body || 'null') as { accepted?: number; rejected?: number; errors?: unknown[] } | null;
    if (nd.status !== 200 || summary?.accepted !== NDJSON_EVENTS || summary.rejected !== 0) {
      throw new Error(`NDJSON stream answered ${nd.status}: ${nd.body.slice(0, 2000)}`);
    }
    confirmed += summary.accepted;
    const ndEventsPerSec = NDJSON_EVENTS / (nd.totalMs / 1000);
    log(`ndjson: ${fmt(NDJSON_EVENTS)} accepted in ${fmt(nd.totalMs / 1000, 1)} s`);

    // 6. Durability: read back with the admin key, then count rows with the server stopped.
    const someUser = users[1234 % USERS]?.user ?? 'u0';
    const readBack = await fetchJson(`${url}/v1/users/${encodeURIComponent(someUser)}/events?limit=1`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    const readEvents = (readBack.body as { events?: unknown[] } | undefined)?.events;
    const readBackOk = readBack.status === 200 && Array.isArray(readEvents) && readEvents.length === 1;
    if (!readBackOk) problems.push(`GET /v1/users/${someUser}/events?limit=1 answered ${readBack.status}: ${readBack.text.slice(0, 500)}`);

    log('stopping vigil (SIGTERM)');
    const stopped = await stopChild(vigil);
    if (stopped.forced) problems.push(`vigil did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; killed`);
    else if (stopped.code !== 0) problems.push(`vigil exited with code ${stopped.code} after SIGTERM`);

    // The server writes its profile as it exits: the top of it (self time by function) goes to the report.
    const profileFile = PROFILE_DIR === undefined ? undefined : newestProfile(PROFILE_DIR);
    const profileTop =
      profileFile === undefined || profilesBefore.has(path.basename(profileFile))
        ? undefined
        : { file: profileFile, selfTime: selfTimeByFunction(JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile, PROFILE_TOP) };
    if (PROFILE_DIR !== undefined && profileTop === undefined) problems.push(`no new CPU profile in ${PROFILE_DIR}`);

    let rowCount: number | null = null;
    if (existsSync(dbFile)) {
      const db = new Database(dbFile, { fileMustExist: true });
      try {
        rowCount = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
      } finally {
        db.close();
      }
    } else problems.push(`database file ${dbFile} does not exist`);
    const countOk = rowCount !== null && rowCount >= confirmed && rowCount <= confirmed + inFlightSlack;
    if (!countOk) {
      problems.push(
        `events table holds ${rowCount} rows; expected between ${confirmed} (confirmed by 2xx answers) and ${confirmed + inFlightSlack} (plus requests in flight when load stopped)`,
      );
    }
    if (vigil.counts.error > 0 || vigil.counts.warn > 0 || vigil.counts.stderr > 0) {
      problems.push(
        `vigil logged ${vigil.counts.error} error, ${vigil.counts.warn} warn and ${vigil.counts.stderr} other stderr lines (see serverLog in results.json)`,
      );
    }

    // 7. Report.
    const batchEventsPerSec = batch.reqPerSec * BATCH_SIZE;
    const floorBatchEventsPerSec = floorBatch.reqPerSec * BATCH_SIZE;
    const percent = (x: number, of: number) => `${fmt((100 * x) / of, 1)}%`;
    /** A table row for an autocannon run: batches show requests with a decimal, and events apart. */
    const loadRow = (label: string, f: LoadFigures, eventsPerSec: number | undefined, vsCeiling: string, vsFloor: string) => [
      label,
      String(f.connections),
      fmt(f.reqPerSec, eventsPerSec === undefined || eventsPerSec === f.reqPerSec ? 0 : 1),
      eventsPerSec === undefined ? '—' : fmt(eventsPerSec),
      fmt(f.latencyP50Ms, 1),
      fmt(f.latencyP99Ms, 1),
      String(f.non2xx),
      vsCeiling,
      vsFloor,
    ];
    /** Single events: one per request, against the ceiling and the floor. */
    const singleRow = (label: string, f: LoadFigures) =>
      loadRow(label, f, f.reqPerSec, percent(f.reqPerSec, ceiling.reqPerSec), percent(f.reqPerSec, floorSingle.reqPerSec));
    const rows = [
      loadRow('ceiling: no-op Fastify POST /noop', ceiling, undefined, '100%', '—'),
      loadRow(
        'floor: validate + insert, single',
        floorSingle,
        floorSingle.reqPerSec,
        percent(floorSingle.reqPerSec, ceiling.reqPerSec),
        '100%',
      ),
      loadRow(`floor: validate + insert, batch of ${BATCH_SIZE}`, floorBatch, floorBatchEventsPerSec, '—', '100%'),
      singleRow("Vigil's HTTP layer alone, single", layer),
      singleRow('single event POST /v1/events', single),
      loadRow(`JSON batch of ${BATCH_SIZE}`, batch, batchEventsPerSec, '—', percent(batchEventsPerSec, floorBatchEventsPerSec)),
      [
        `NDJSON stream of ${fmt(NDJSON_EVENTS)}`,
        '1',
        '—',
        fmt(ndEventsPerSec),
        `${fmt(nd.totalMs / 1000, 1)} s total`,
        '—',
        nd.status === 200 ? '0' : '1',
        '—',
        percent(ndEventsPerSec, floorBatchEventsPerSec),
      ],
    ];
    const out: string[] = [];
    out.push('');
    out.push(`Vigil ingestion benchmark — ${machine.date}`);
    out.push(`${machine.cpus} × ${machine.cpuModel}, ${mb(machine.totalMemoryBytes)} RAM, ${machine.platform}, node ${machine.node}`);
    out.push(
      `SQLite ${dbFile}; ${DURATION_S} s per run after ${WARMUP_S} s warm-up; autocannon in this process (bodies: ${REQUEST_MODE}), same cores as the server; servers' V8 flags: ${SERVER_FLAGS.join(' ') || 'none'}`,
    );
    out.push('');
    out.push(table(['scenario', 'conns', 'req/s', 'events/s', 'p50 ms', 'p99 ms', 'non-2xx', 'vs ceiling', 'vs floor'], rows));
    out.push('');
    out.push(
      `single: ${fmt(single.requests)} requests in ${fmt(single.durationS, 1)} s, latency avg ${fmt(single.latencyAvgMs, 1)} ms, max ${fmt(single.latencyMaxMs)} ms; server peak RSS ${mb(singleRss)}`,
    );
    out.push(
      `batch:  ${fmt(batch.requests)} requests, ${fmt(batchAcceptedInRun)} events accepted in ${fmt(batch.durationS, 1)} s (${fmt(batchAcceptedInRun / batch.durationS)} events/s counted), max ${fmt(batch.latencyMaxMs)} ms; peak RSS ${mb(batchRss)}`,
    );
    out.push(
      `ndjson: ${fmt(nd.bytes / 1024 / 1024, 1)} MB sent, upload done at ${nd.uploadMs === null ? 'n/a' : `${fmt(nd.uploadMs / 1000, 1)} s`}, answer at ${fmt(nd.totalMs / 1000, 1)} s; summary accepted=${summary.accepted} rejected=${summary.rejected}; peak RSS ${mb(ndRss)}`,
    );
    const windows = nd.progress.map((p, i) => {
      const prev = nd.progress[i - 1] ?? { atS: 0, linesSent: 0 };
      return `${prev.atS}-${p.atS} s: ${fmt((Math.min(p.linesSent, NDJSON_EVENTS) - prev.linesSent) / (p.atS - prev.atS || 1))}/s`;
    });
    if (windows.length > 0) out.push(`ndjson rate by 10 s window (lines sent): ${windows.join(', ')}`);
    const cpuText = (c: UnitCpu | null, unit: string) => (c ? `${c.main} / ${c.others} µs per ${unit}` : 'n/a');
    out.push(
      `server CPU, main thread / other threads: no-op ${cpuText(noopCpu, 'request')}; floor single ${cpuText(floorSingleCpu, 'request')}; HTTP layer alone ${cpuText(layerCpu, 'request')}; floor batch ${cpuText(floorBatchCpu, 'event')}; single ${cpuText(singleCpu, 'request')}; batch ${cpuText(batchCpu, 'event')}; ndjson ${cpuText(ndCpu, 'event')}`,
    );
    const targets = targetRows({
      single: { vigil: single, floor: floorSingle, cpu: singleCpu, floorCpu: floorSingleCpu },
      batch: { eventsPerSec: batchEventsPerSec, floorEventsPerSec: floorBatchEventsPerSec, cpu: batchCpu, floorCpu: floorBatchCpu },
      ndjson: { eventsPerSec: ndEventsPerSec, cpu: ndCpu },
    });
    out.push('');
    out.push('Issue 18 targets, against the floor of this run:');
    out.push(
      table(
        ['scenario', 'Vigil', 'floor', 'ratio', 'target', 'held', 'CPU µs main / others', 'floor CPU', 'main − floor (≤ 25)'],
        targets.rows,
      ),
    );
    if (layerCpu?.main != null && singleCpu?.main != null && floorSingleCpu?.main != null) {
      // The single-event target asks for 80% of the floor's rate; the main thread is what saturates.
      out.push(
        `single events, main thread: Vigil's HTTP layer alone ${layerCpu.main} µs per request against the floor's ${floorSingleCpu.main} (the layer alone reaches ${percent(layer.reqPerSec, floorSingle.reqPerSec)} of the floor); the pipeline adds ${fmt(singleCpu.main - layerCpu.main, 1)} µs per event on top of it`,
      );
    }
    out.push(`startup: vigil healthy ${fmt(startupMs / 1000, 1)} s after spawn`);
    out.push(
      `durability: GET /v1/users/${someUser}/events?limit=1 → ${readBack.status}${readBackOk ? ' (1 event)' : ''}; events rows after shutdown: ${rowCount === null ? 'n/a' : fmt(rowCount)} (confirmed by 2xx: ${fmt(confirmed)}, at most ${fmt(confirmed + inFlightSlack)} with in-flight) ${countOk ? 'OK' : 'MISMATCH'}`,
    );
    out.push(
      `server log: ${vigil.counts.error} error, ${vigil.counts.warn} warn, ${vigil.counts.stderr} other stderr lines; exit code ${stopped.code}${stopped.forced ? ' (killed)' : ''}`,
    );
    if (profileTop) {
      out.push('');
      out.push(
        formatSelfTime(
          `vigil's CPU profile, the whole run (start, single, batch, ndjson), self time by function: ${profileTop.file}`,
          profileTop.selfTime,
        ),
      );
    }
    if (problems.length > 0) {
      out.push('');
      out.push('PROBLEMS:');
      for (const p of problems) out.push(`  - ${p}`);
    }
    out.push('');
    process.stdout.write(`${out.join('\n')}\n`);

    const results = {
      machine,
      settings: {
        durationS: DURATION_S,
        warmupS: WARMUP_S,
        connections: CONNECTIONS,
        batchConnections: BATCH_CONNECTIONS,
        batchSize: BATCH_SIZE,
        ndjsonEvents: NDJSON_EVENTS,
        distinctUsers: USERS,
        database: 'sqlite',
        loadGenerator: `autocannon in the bench process, on the same ${machine.cpus} cores as the server`,
        latencyNote: 'autocannon per-request latency percentiles (p50 = median), one measurement run each',
        requestMode: REQUEST_MODE,
      },
      ceiling,
      floor: {
        note: 'bench/floor-server.ts: Fastify parses and validates with the event schema, a group commit inserts into an events-shaped SQLite table (WAL, synchronous=NORMAL); nothing else',
        single: { ...floorSingle, eventsPerSec: floorSingle.reqPerSec, ratioToCeiling: floorSingle.reqPerSec / ceiling.reqPerSec },
        batch: { ...floorBatch, eventsPerSec: floorBatchEventsPerSec },
      },
      httpLayer: {
        note: "Vigil's compiled server with its ingest pipeline switched off (bench/ablation-server.ts, ABLATION_OFF=pipeline): parsing, the key, hooks, routing, the answer",
        single: { ...layer, eventsPerSec: layer.reqPerSec, ratioToFloor: layer.reqPerSec / floorSingle.reqPerSec },
      },
      serverCpuUs: {
        note: 'CPU µs of the server process per request (ceiling, single) or per event (batch, ndjson): its main thread, and all its other threads together (writer thread, GC helpers); from /proc',
        ceiling: noopCpu,
        floorSingle: floorSingleCpu,
        floorBatch: floorBatchCpu,
        httpLayerSingle: layerCpu,
        single: singleCpu,
        batch: batchCpu,
        ndjson: ndCpu,
      },
      single: {
        ...single,
        eventsPerSec: single.reqPerSec,
        ratioToCeiling: single.reqPerSec / ceiling.reqPerSec,
        ratioToFloor: single.reqPerSec / floorSingle.reqPerSec,
        peakRssBytes: singleRss,
      },
      batch: {
        ...batch,
        eventsPerSec: batchEventsPerSec,
        ratioToFloor: batchEventsPerSec / floorBatchEventsPerSec,
        eventsAcceptedInRun: batchAcceptedInRun,
        eventsPerSecCounted: batchAcceptedInRun / batch.durationS,
        peakRssBytes: batchRss,
      },
      ndjson: {
        events: NDJSON_EVENTS,
        status: nd.status,
        accepted: summary.accepted,
        rejected: summary.rejected,
        bytes: nd.bytes,
        uploadMs: nd.uploadMs,
        totalMs: nd.totalMs,
        eventsPerSec: ndEventsPerSec,
        ratioToFloor: ndEventsPerSec / floorBatchEventsPerSec,
        progress: nd.progress,
        peakRssBytes: ndRss,
      },
      durability: {
        readBackUser: someUser,
        readBackStatus: readBack.status,
        readBackOk,
        rowCount,
        confirmedStored: confirmed,
        maxWithInFlight: confirmed + inFlightSlack,
        countOk,
      },
      server: { startupMs, exitCode: stopped.code, forcedKill: stopped.forced, logCounts: vigil.counts, serverLog: vigil.notable },
      targets: targets.held,
      ...(profileTop && { profile: profileTop }),
      problems,
    };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${path.relative(ROOT, RESULTS_FILE)}`);
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    killAllChildrenNow();
    if (KEEP_DB) log(`kept ${tempDir}`);
    else removeTempDir();
  }
}

function removeTempDir(): void {
  if (KEEP_DB || tempDirToRemove === undefined) return;
  try {
    rmSync(tempDirToRemove, { recursive: true, force: true });
  } catch {
    // a child may still hold it open for a moment; it is in the OS temp dir anyway
  }
  tempDirToRemove = undefined;
}

process.on('exit', killAllChildrenNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping servers`);
    killAllChildrenNow();
    removeTempDir();
    process.exit(130);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  for (const child of allChildren) {
    if (child.tail.length > 0) process.stderr.write(`\n--- last output of ${child.name} ---\n${child.tail.slice(-40).join('\n')}\n`);
  }
  killAllChildrenNow();
  process.exitCode = 1;
});
