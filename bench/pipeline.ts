/**
 * Where ingestion's time goes, without HTTP: on a fresh SQLite file, in this process,
 *
 *   1. single    IngestService.ingest on one event at a time, 50 at a time (as the HTTP bench's single
 *                events, without HTTP): what each call costs beside the event's own work;
 *   2. pipeline  IngestService.ingest on batches of 500 parsed from their JSON text, 4 at a time:
 *                validation, enrichment, every built-in rule, the group commit and the writer thread;
 *   3. attack    credential stuffing from one address: batches of 500 failed logins against as many
 *                accounts, 4 at a time, every event growing the same alert;
 *   4. storage   the events of 1 to 3, already enriched and scored, written again through the group
 *                commit and the writer thread into another fresh file: SQLite's share alone.
 *
 * For each: events/s, and the CPU time per event of the main thread and of the other threads (the
 * writer thread, garbage-collector helpers), read from /proc on Linux. Compare with run.ts's
 * batch figure for what HTTP adds. Adds its figures to bench/results.json.
 *
 * Knobs: BENCH_PIPELINE_EVENTS (200,000 per stage), BENCH_PIPELINE_CONCURRENCY (4),
 * BENCH_PIPELINE_SINGLE_EVENTS (50,000), BENCH_PIPELINE_ATTACK_EVENTS (50,000), BENCH_PROFILE=DIR: a V8 CPU profile of each stage there, and
 * its top functions by self time printed.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { newId } from '../src/core/ids.js';
import type { StoredEvent } from '../src/domain/activity-event.js';
import { GroupCommitWriter } from '../src/ingest/group-commit.js';
import { openDatabase } from '../src/store/database.js';
import { SqlEventStore } from '../src/store/event-store.js';
import { createSystem } from '../src/system.js';
import { cpuBetween, threadCpuMs, usPer } from './cpu.js';
import { envInt } from './env.js';
import { benchEvents } from './events.js';
import { type CpuProfile, formatSelfTime, selfTimeByFunction } from './profile-summary.js';

const BATCH_SIZE = 500;
const EVENTS = envInt('BENCH_PIPELINE_EVENTS', 200_000);
const CONCURRENCY = envInt('BENCH_PIPELINE_CONCURRENCY', 4);
const SINGLE_EVENTS = envInt('BENCH_PIPELINE_SINGLE_EVENTS', 50_000);
const ATTACK_EVENTS = envInt('BENCH_PIPELINE_ATTACK_EVENTS', 50_000);
/** As bench/run.ts's single events: one event per call, this many calls at a time. */
const SINGLE_CONCURRENCY = 50;
const PROFILE_DIR = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
const PROFILE_TOP = envInt('BENCH_PROFILE_TOP', 25);
const WARM_UP_BATCHES = 20;
const RESULTS_FILE = path.join(import.meta.dirname, 'results.json');

interface StageFigures {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSec: number;
  /** CPU µs per event on the main thread, and on all others together; null where /proc is missing. */
  readonly mainThreadUsPerEvent: number | null;
  readonly otherThreadsUsPerEvent: number | null;
}

const profiler = PROFILE_DIR === undefined ? undefined : new Session();
profiler?.connect();

/**
 * Runs `step` (`perStep` events) from `concurrency` loops until `total` events are done; measures
 * it, and profiles it under BENCH_PROFILE (the profile of stage `name` is written and its top printed).
 */
async function measure(
  name: string,
  total: number,
  step: () => Promise<number>,
  { concurrency = CONCURRENCY, perStep = BATCH_SIZE } = {},
): Promise<StageFigures> {
  if (profiler) {
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const before = threadCpuMs('self');
  const started = performance.now();
  let events = 0;
  let claimed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      // A step is claimed before it starts, so that the loops together run exactly total / perStep.
      while (claimed < total) {
        claimed += perStep;
        // Not `events += await step()`: that reads events before the await, losing the other loops' counts.
        const done = await step();
        events += done;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = cpuBetween(before, threadCpuMs('self'), process.pid);
  if (profiler && PROFILE_DIR) {
    const { profile } = await profiler.post('Profiler.stop');
    fs.mkdirSync(PROFILE_DIR, { recursive: true });
    const file = path.join(PROFILE_DIR, `pipeline-${name}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    console.log(formatSelfTime(`\n${name}: self time by function (${file})`, selfTimeByFunction(profile as CpuProfile, PROFILE_TOP)));
  }
  return {
    events,
    seconds: Math.round(seconds * 100) / 100,
    eventsPerSec: Math.round(events / seconds),
    mainThreadUsPerEvent: usPer(used?.mainMs, events),
    otherThreadsUsPerEvent: usPer(used?.othersMs, events),
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-pipeline-'));
try {
  const singles = SINGLE_EVENTS + WARM_UP_BATCHES * BATCH_SIZE;
  const { eventJson } = benchEvents(singles + EVENTS + WARM_UP_BATCHES * BATCH_SIZE);
  const bodies: string[] = [];
  for (let first = singles; first < singles + EVENTS + WARM_UP_BATCHES * BATCH_SIZE; first += BATCH_SIZE) {
    const lines: string[] = [];
    for (let n = first; n < first + BATCH_SIZE; n++) lines.push(eventJson(n));
    bodies.push(`{"events":[${lines.join(',')}]}`);
  }

  // The whole pipeline: one system for single events, then batches.
  const config = loadConfig({
    VIGIL_DATABASE_URL: `sqlite:${path.join(dir, 'pipeline.db')}`,
    VIGIL_SECRET_KEY_FILE: path.join(dir, 'secret'),
    VIGIL_DEMO: 'false',
    VIGIL_LOG_LEVEL: 'warn',
  });
  const system = await createSystem(config, { logger: { info() {}, warn() {}, error: console.error } });
  // 1. Single events first (event numbers 0 to `singles`), then the batches (after them, in event time).
  let nextSingle = 0;
  const ingestSingle = async () => {
    const report = await system.ingest.ingest([JSON.parse(eventJson(nextSingle++))]);
    if (report.rejected > 0) throw new Error('a single event was rejected');
    return report.accepted;
  };
  const singleOptions = { concurrency: SINGLE_CONCURRENCY, perStep: 1 };
  for (let i = 0; i < WARM_UP_BATCHES * BATCH_SIZE; i += SINGLE_CONCURRENCY) {
    await Promise.all(Array.from({ length: SINGLE_CONCURRENCY }, ingestSingle));
  }
  const single = await measure('single', SINGLE_EVENTS, ingestSingle, singleOptions);

  // 2. Batches.
  let next = 0;
  const ingestOne = async () => {
    const body = bodies[next++] as string;
    const { events } = JSON.parse(body) as { events: unknown[] };
    const report = await system.ingest.ingest(events);
    if (report.rejected > 0) throw new Error(`${report.rejected} events rejected`);
    return report.accepted;
  };
  for (let i = 0; i < WARM_UP_BATCHES; i++) await ingestOne();
  const pipeline = await measure('pipeline', EVENTS, ingestOne);

  // 3. An attack: credential stuffing from one address, batches of failed logins against as many
  // accounts. Every event grows the same alert; what Vigil costs when it matters most.
  const attackStart = Date.now() - 600_000;
  let attackN = 0;
  const attackOne = async () => {
    const events: unknown[] = [];
    for (let i = 0; i < BATCH_SIZE; i++) {
      const n = attackN++;
      events.push({
        type: 'login.failed',
        user: `victim-${n % 20_000}`,
        timestamp: new Date(attackStart + n * 5).toISOString(),
        ip: '203.0.113.77',
        userAgent: 'python-requests/2.32.3',
      });
    }
    const report = await system.ingest.ingest(events);
    if (report.rejected > 0) throw new Error(`${report.rejected} attack events rejected`);
    return report.accepted;
  };
  for (let i = 0; i < WARM_UP_BATCHES; i++) await attackOne();
  const attack = await measure('attack', ATTACK_EVENTS, attackOne);

  // The stored events, as the writer received them, for the storage stage.
  const stored: StoredEvent[] = [];
  for await (const page of system.events.scan(0, Number.MAX_SAFE_INTEGER, { pageSize: 5000 })) stored.push(...page);
  await system.close();

  // 4. Storage alone: the same rows through the group commit and the writer thread.
  const handle = await openDatabase({ dialect: 'sqlite', file: path.join(dir, 'storage.db'), synchronous: 'normal' }, { migrate: true });
  const writer = new GroupCommitWriter(new SqlEventStore(handle));
  let at = 0;
  const storeOne = async () => {
    const batch = stored.slice(at, at + BATCH_SIZE).map((e) => ({ ...e, id: newId('evt') }));
    at = (at + BATCH_SIZE) % Math.max(BATCH_SIZE, stored.length - BATCH_SIZE);
    await writer.write(batch, []);
    return batch.length;
  };
  for (let i = 0; i < WARM_UP_BATCHES; i++) await storeOne();
  const storage = await measure('storage', EVENTS, storeOne);
  await writer.flushed();
  await handle.close();

  const line = (name: string, f: StageFigures) =>
    `${name.padEnd(9)} ${f.eventsPerSec.toLocaleString('en-US').padStart(7)} events/s; CPU per event: main thread ${f.mainThreadUsPerEvent ?? 'n/a'} µs, other threads ${f.otherThreadsUsPerEvent ?? 'n/a'} µs`;
  console.log('');
  console.log(
    `In process, no HTTP: batches of ${BATCH_SIZE}, ${CONCURRENCY} at a time, ${EVENTS.toLocaleString('en-US')} events per stage`,
  );
  console.log(line('single', single));
  console.log(line('pipeline', pipeline));
  console.log(line('attack', attack));
  console.log(line('storage', storage));

  const results = fs.existsSync(RESULTS_FILE) ? (JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>) : {};
  results.inProcess = {
    batchSize: BATCH_SIZE,
    concurrency: CONCURRENCY,
    singleConcurrency: SINGLE_CONCURRENCY,
    single,
    pipeline,
    attack,
    storage,
  };
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
