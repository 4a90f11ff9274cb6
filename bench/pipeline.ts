/**
 * Where ingestion's time goes, without HTTP: on a fresh SQLite file, in this process,
 *
 *   1. pipeline  IngestService.ingest on batches of 500 parsed from their JSON text, 4 at a time:
 *                validation, enrichment, every built-in rule, the group commit and the writer thread;
 *   2. storage   the same events, already enriched and scored, written again through the group
 *                commit and the writer thread into another fresh file: SQLite's share alone.
 *
 * For each: events/s, and the CPU time per event of the main thread and of the other threads (the
 * writer thread, garbage-collector helpers), read from /proc on Linux. Compare with run.ts's
 * batch figure for what HTTP adds. Adds its figures to bench/results.json.
 *
 * Knobs: BENCH_PIPELINE_EVENTS (200,000 per stage), BENCH_PIPELINE_CONCURRENCY (4).
 */
import fs from 'node:fs';
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

const BATCH_SIZE = 500;
const EVENTS = envInt('BENCH_PIPELINE_EVENTS', 200_000);
const CONCURRENCY = envInt('BENCH_PIPELINE_CONCURRENCY', 4);
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

/** Runs `step` (one batch) from `concurrency` loops until `total` events are done; measures it. */
async function measure(total: number, step: () => Promise<number>): Promise<StageFigures> {
  const before = threadCpuMs('self');
  const started = performance.now();
  let events = 0;
  let claimed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      // A batch is claimed before it starts, so that the loops together run exactly total / BATCH_SIZE.
      while (claimed < total) {
        claimed += BATCH_SIZE;
        // Not `events += await step()`: that reads events before the await, losing the other loops' counts.
        const done = await step();
        events += done;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = cpuBetween(before, threadCpuMs('self'), process.pid);
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
  const { eventJson } = benchEvents(EVENTS + WARM_UP_BATCHES * BATCH_SIZE);
  const bodies: string[] = [];
  for (let first = 0; first < EVENTS + WARM_UP_BATCHES * BATCH_SIZE; first += BATCH_SIZE) {
    const lines: string[] = [];
    for (let n = first; n < first + BATCH_SIZE; n++) lines.push(eventJson(n));
    bodies.push(`{"events":[${lines.join(',')}]}`);
  }

  // 1. The whole pipeline.
  const config = loadConfig({
    VIGIL_DATABASE_URL: `sqlite:${path.join(dir, 'pipeline.db')}`,
    VIGIL_SECRET_KEY_FILE: path.join(dir, 'secret'),
    VIGIL_DEMO: 'false',
    VIGIL_LOG_LEVEL: 'warn',
  });
  const system = await createSystem(config, { logger: { info() {}, warn() {}, error: console.error } });
  let next = 0;
  const ingestOne = async () => {
    const body = bodies[next++] as string;
    const { events } = JSON.parse(body) as { events: unknown[] };
    const report = await system.ingest.ingest(events);
    if (report.rejected > 0) throw new Error(`${report.rejected} events rejected`);
    return report.accepted;
  };
  for (let i = 0; i < WARM_UP_BATCHES; i++) await ingestOne();
  const pipeline = await measure(EVENTS, ingestOne);

  // The stored events, as the writer received them, for the storage stage.
  const stored: StoredEvent[] = [];
  for await (const page of system.events.scan(0, Number.MAX_SAFE_INTEGER, { pageSize: 5000 })) stored.push(...page);
  await system.close();

  // 2. Storage alone: the same rows through the group commit and the writer thread.
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
  const storage = await measure(EVENTS, storeOne);
  await writer.flushed();
  await handle.close();

  const line = (name: string, f: StageFigures) =>
    `${name.padEnd(9)} ${f.eventsPerSec.toLocaleString('en-US').padStart(7)} events/s; CPU per event: main thread ${f.mainThreadUsPerEvent ?? 'n/a'} µs, other threads ${f.otherThreadsUsPerEvent ?? 'n/a'} µs`;
  console.log('');
  console.log(
    `In process, no HTTP: batches of ${BATCH_SIZE}, ${CONCURRENCY} at a time, ${EVENTS.toLocaleString('en-US')} events per stage`,
  );
  console.log(line('pipeline', pipeline));
  console.log(line('storage', storage));

  const results = fs.existsSync(RESULTS_FILE) ? (JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>) : {};
  results.inProcess = { batchSize: BATCH_SIZE, concurrency: CONCURRENCY, pipeline, storage };
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
