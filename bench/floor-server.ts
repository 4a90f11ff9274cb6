/**
 * The floor for bench/run.ts: what a durable ingest route costs on this machine with Vigil's stack
 * when it does nothing else. A Fastify 5 server whose POST /floor (one event) and POST /floor/batch
 * ({"events":[...]}) parse and validate the body with Vigil's own event schema, then hand the events
 * to a group commit: a worker thread (floor-writer.cjs) inserts each group in one transaction into a
 * table shaped like Vigil's events (the same columns, id primary key, the per-user and per-time
 * indexes) in SQLite WAL with synchronous=NORMAL, and every request is answered once its events are
 * committed.
 *
 * Nothing else: no API key, no enrichment, no detection, no alerts, no bus. What Vigil does on top
 * costs the gap between this and POST /v1/events under the same load, and a target above this floor
 * cannot be met by any amount of work on what Vigil adds.
 *
 * Usage: node --import tsx bench/floor-server.ts   (FLOOR_PORT, FLOOR_HOST, FLOOR_DB from the environment)
 */
import { Worker } from 'node:worker_threads';
import Fastify from 'fastify';
import { EventBatchSchema, type EventInput, EventInputSchema } from '../src/domain/event-schema.js';

interface Row {
  readonly id: string;
  readonly event: EventInput;
  readonly occurredAt: number;
  readonly receivedAt: number;
}

/** Fastify, and the group commit (whatever arrived while the last commit ran, in one). */
async function serveHttp(): Promise<void> {
  const port = Number(process.env.FLOOR_PORT ?? '0');
  const host = process.env.FLOOR_HOST ?? '127.0.0.1';
  const writer = new Worker(new URL('./floor-writer.cjs', import.meta.url), { workerData: { file: process.env.FLOOR_DB } });
  const committed = new Map<number, Array<() => void>>();
  let queue: Array<{ row: Row; done: () => void }> = [];
  let underWay = 0;
  let nextGroup = 0;
  let scheduled = false;
  // Two groups in flight at most, as Vigil's GroupCommitWriter: the next is sent while one commits.
  const schedule = () => {
    if (scheduled || underWay >= 2 || queue.length === 0) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (underWay >= 2 || queue.length === 0) return;
      const group = nextGroup++;
      committed.set(
        group,
        queue.map((q) => q.done),
      );
      writer.postMessage({ group, rows: queue.map((q) => q.row) });
      queue = [];
      underWay++;
    });
  };
  writer.on('message', (group: number) => {
    for (const done of committed.get(group) ?? []) done();
    committed.delete(group);
    underWay--;
    schedule();
  });

  let sequence = 0;
  const store = (event: EventInput, now: number): { id: string; stored: Promise<void> } => {
    const id = `evt_${now.toString(36)}${(sequence++).toString(36).padStart(8, '0')}`;
    const occurredAt = event.timestamp === undefined ? now : Date.parse(event.timestamp);
    const stored = new Promise<void>((done) => queue.push({ row: { id, event, occurredAt, receivedAt: now }, done }));
    return { id, stored };
  };
  const answer = (id: string) => ({ id, decision: 'allow', risk: 0, severity: 'none', reasons: [] });

  const app = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024 });
  app.addSchema(EventInputSchema);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.post('/floor', { schema: { body: EventInputSchema } }, async (request) => {
    const { id, stored } = store(request.body as EventInput, Date.now());
    schedule();
    await stored;
    return answer(id);
  });
  app.post('/floor/batch', { schema: { body: EventBatchSchema } }, async (request) => {
    const events = (request.body as { events: EventInput[] }).events;
    const now = Date.now();
    const stored = events.map((event) => store(event, now));
    schedule();
    await Promise.all(stored.map((s) => s.stored));
    return { accepted: events.length, rejected: 0, results: stored.map((s) => answer(s.id)) };
  });

  const stop = async () => {
    await app.close();
    await writer.terminate();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await app.listen({ host, port });
}

serveHttp().catch((error: unknown) => {
  process.stderr.write(`floor-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
