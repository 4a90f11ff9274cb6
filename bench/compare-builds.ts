/**
 * Two builds of Vigil in one process, taking turns: `COMPARE_BEFORE=/path/to/other/dist npm run
 * bench:compare`. The main thread's CPU per event of a build before a change against this checkout's
 * build, finer than two servers can tell on a shared machine: whatever else runs there weighs on both
 * alike, since they alternate every few hundred milliseconds in one process.
 *
 * Each build gets its own system (createSystem on its own fresh SQLite file) and its own HTTP app
 * (buildApp), driven by `app.inject`: Fastify's routing, hooks, parsing and serialization, the
 * pipeline and the group commit, without sockets. Single events go 50 at a time (as bench/run.ts's
 * connections), batches of 500 4 at a time; the same events, in the same order, to each build.
 *
 * Knobs: COMPARE_TURNS (40 turns per build and load), COMPARE_TURN_EVENTS (1,000 single events or
 * 4 batches of 500 per turn), COMPARE_WARMUP_TURNS (10).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ConfigModule from '../src/config/config.js';
import type * as AppModule from '../src/http/app.js';
import type * as SystemModule from '../src/system.js';
import { threadCpuMs } from './cpu.js';
import { envInt } from './env.js';
import { benchEvents } from './events.js';

const BEFORE = process.env.COMPARE_BEFORE;
/** COMPARE_AFTER: the build after the change; this checkout's dist/ by default. */
const AFTER = path.resolve(process.env.COMPARE_AFTER ?? path.join(import.meta.dirname, '../dist'));
const TURNS = envInt('COMPARE_TURNS', 40);
const WARMUP_TURNS = envInt('COMPARE_WARMUP_TURNS', 10);
const TURN_SINGLES = envInt('COMPARE_TURN_EVENTS', 1000);
const CONCURRENCY = 50;
const BATCH_SIZE = 500;
const BATCHES_PER_TURN = 4;
const INGEST_KEY = 'compare-builds-ingest-key-0123456789abcdef';

interface Build {
  readonly name: string;
  readonly system: SystemModule.System;
  readonly app: AppModule.App;
  /** Single events and batch numbers sent so far, so that each build gets the same sequence. */
  nextSingle: number;
  nextBatch: number;
  readonly cpuMs: { single: number; batch: number };
  readonly events: { single: number; batch: number };
}

const quiet = { info() {}, warn() {}, error: (m: string, e?: unknown) => console.error(m, e) };

async function open(name: string, dist: string, dir: string): Promise<Build> {
  const load = <T>(file: string): Promise<T> => import(pathToFileURL(path.join(dist, file)).href) as Promise<T>;
  const { loadConfig } = await load<typeof ConfigModule>('config/config.js');
  const { createSystem } = await load<typeof SystemModule>('system.js');
  const { buildApp } = await load<typeof AppModule>('http/app.js');
  fs.mkdirSync(dir, { recursive: true });
  const config = loadConfig({
    VIGIL_DATABASE_URL: `sqlite:${path.join(dir, 'vigil.db')}`,
    VIGIL_SECRET_KEY_FILE: path.join(dir, 'secret'),
    VIGIL_INGEST_KEY: INGEST_KEY,
    VIGIL_DEMO: 'false',
    VIGIL_LOG_LEVEL: 'warn',
  });
  const system = await createSystem(config, { logger: quiet });
  const app = await buildApp(system, { logger: false });
  await app.ready();
  return { name, system, app, nextSingle: 0, nextBatch: 0, cpuMs: { single: 0, batch: 0 }, events: { single: 0, batch: 0 } };
}

const { eventJson } = benchEvents(4_000_000);
const headers = { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' };

async function post(build: Build, payload: string): Promise<void> {
  const response = await build.app.inject({ method: 'POST', url: '/v1/events', headers, payload });
  if (response.statusCode !== 200)
    throw new Error(`${build.name}: POST /v1/events answered ${response.statusCode}: ${response.body.slice(0, 500)}`);
}

/** One turn of single events: TURN_SINGLES of them, CONCURRENCY at a time. */
async function singleTurn(build: Build): Promise<number> {
  for (let sent = 0; sent < TURN_SINGLES; sent += CONCURRENCY) {
    await Promise.all(Array.from({ length: CONCURRENCY }, () => post(build, eventJson(build.nextSingle++))));
  }
  return TURN_SINGLES;
}

/** One turn of batches: BATCHES_PER_TURN batches of 500 side by side. */
async function batchTurn(build: Build): Promise<number> {
  await Promise.all(
    Array.from({ length: BATCHES_PER_TURN }, () => {
      const first = 2_000_000 + build.nextBatch++ * BATCH_SIZE;
      const lines: string[] = [];
      for (let n = first; n < first + BATCH_SIZE; n++) lines.push(eventJson(n));
      return post(build, `{"events":[${lines.join(',')}]}`);
    }),
  );
  return BATCHES_PER_TURN * BATCH_SIZE;
}

const mainThreadMs = () => threadCpuMs('self')?.get(process.pid) ?? Number.NaN;

async function alternate(builds: readonly Build[], kind: 'single' | 'batch'): Promise<void> {
  const turn = kind === 'single' ? singleTurn : batchTurn;
  for (let i = 0; i < WARMUP_TURNS; i++) for (const b of builds) await turn(b);
  for (let i = 0; i < TURNS; i++) {
    // Which build goes first alternates, so neither always follows the other's garbage.
    for (const b of i % 2 === 0 ? builds : [...builds].reverse()) {
      const before = mainThreadMs();
      const events = await turn(b);
      b.cpuMs[kind] += mainThreadMs() - before;
      b.events[kind] += events;
    }
  }
}

async function main(): Promise<void> {
  if (!BEFORE) throw new Error('COMPARE_BEFORE=/path/to/the/other/dist is required');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-compare-'));
  const builds: Build[] = [];
  try {
    builds.push(await open('before', path.resolve(BEFORE), path.join(dir, 'before')));
    builds.push(await open('after', AFTER, path.join(dir, 'after')));
    await alternate(builds, 'single');
    await alternate(builds, 'batch');
    const us = (b: Build, k: 'single' | 'batch') => (b.cpuMs[k] * 1000) / b.events[k];
    const [before, after] = builds as [Build, Build];
    const one = (x: number) => x.toFixed(1);
    console.log(
      [
        `Main-thread CPU µs per event, ${path.resolve(BEFORE)} (before) and ${AFTER} (after), ${TURNS} turns each (load ${os.loadavg()[0]?.toFixed(1)})`,
        '| load | before | after | saved |',
        '| --- | --- | --- | --- |',
        `| single events, ${CONCURRENCY} at a time | ${one(us(before, 'single'))} | ${one(us(after, 'single'))} | ${one(us(before, 'single') - us(after, 'single'))} |`,
        `| batches of ${BATCH_SIZE}, ${BATCHES_PER_TURN} at a time | ${one(us(before, 'batch'))} | ${one(us(after, 'batch'))} | ${one(us(before, 'batch') - us(after, 'batch'))} |`,
      ].join('\n'),
    );
  } finally {
    for (const b of builds) {
      await b.app.close();
      await b.system.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
