'use strict';
/**
 * The SQLite event write: one transaction per group commit, with the events, the novelty facts they
 * taught, the alerts they raised or updated, the locks they caused and what the batches owe once committed. Plain CommonJS, so that the
 * same code runs in a worker thread (which loads it untransformed, in development, tests and
 * production alike) and, for an in-memory database that a thread cannot share, in the caller's.
 *
 * Events arrive as stored events and are turned into rows here, where the thread has time to spare:
 * building the rows (three JSON texts per event) had been a tenth of the main thread's work. The
 * other rows arrive as arrays of bound parameters, built by store/event-store.ts; the SQL comes from
 * there too.
 */
const { parentPort, workerData, isMainThread } = require('node:worker_threads');

/**
 * A stored event's row in the events table, column by column: the one mapping, for both dialects
 * (store/event-store.ts uses it for PostgreSQL).
 * @param {import('../../domain/activity-event.js').StoredEvent} e
 */
function eventRow(e) {
  const { id, receivedAt, enrichment, result, ...event } = e;
  return {
    id,
    user_id: e.user,
    type: e.type,
    occurred_at: e.occurredAt,
    received_at: receivedAt,
    session_id: e.session ?? null,
    device_id: e.device ?? null,
    ip: e.ip ?? null,
    country: enrichment.geo?.country ?? null,
    decision: result.decision,
    risk: result.risk,
    severity: result.severity,
    alert_id: result.alertId ?? null,
    event_json: JSON.stringify(event),
    enrichment_json: JSON.stringify(enrichment),
    reasons_json: JSON.stringify(result.reasons),
    suppressed_json: result.suppressed === undefined ? null : JSON.stringify(result.suppressed),
  };
}

/**
 * @param {import('better-sqlite3').Database} db
 * @param {{ insertEvent: string, eventColumns: readonly string[], insertSeen: string, upsertAlert: string, upsertLock: string, insertOwed: string }} sql
 * @returns {(batch: { events: import('../../domain/activity-event.js').StoredEvent[], learnt: unknown[][], alerts: unknown[][], locks: unknown[][], owed: unknown[][] }) => string[]}
 *   the ids of events that were already stored (not written again)
 */
function makeWriter(db, sql) {
  const insertEvent = db.prepare(sql.insertEvent);
  const insertSeen = db.prepare(sql.insertSeen);
  const upsertAlert = db.prepare(sql.upsertAlert);
  const upsertLock = db.prepare(sql.upsertLock);
  const insertOwed = db.prepare(sql.insertOwed);
  const columns = sql.eventColumns;
  return db.transaction((batch) => {
    const duplicates = [];
    for (const event of batch.events) {
      const row = eventRow(event);
      if (insertEvent.run(columns.map((c) => row[c])).changes === 0) duplicates.push(event.id);
    }
    for (const params of batch.learnt) insertSeen.run(params);
    for (const params of batch.alerts) upsertAlert.run(params);
    for (const params of batch.locks) upsertLock.run(params);
    for (const params of batch.owed) insertOwed.run(params);
    return duplicates;
  });
}

/**
 * The longest the thread lets a write on the main connection go first. Those writes (Security Health,
 * the volume monitor, the audit trail) take a millisecond or two; were one to hold the lock longer,
 * the group commit waits for it on busy_timeout like any other writer.
 */
const MAX_YIELD_MS = 100;

/**
 * Before each group commit: if the main connection waits for SQLite's write lock or holds it (the
 * write turn above zero, store/sqlite/dialect.ts), let that write go first. One write per commit,
 * not every write that comes: main-connection writes that follow each other closely then alternate
 * with the group commits instead of holding them back.
 * @param {Int32Array | undefined} turn
 */
function yieldTurn(turn) {
  if (!turn) return;
  const waiting = Atomics.load(turn, 0);
  // Returns once that write is done (the turn changes), at once if it already is, or at the limit.
  if (waiting > 0) Atomics.wait(turn, 0, waiting, MAX_YIELD_MS);
}

/**
 * The thread's side: opens its own connection to the file with the server's settings, then answers
 * each batch with `{ id, duplicates }` once committed, or `{ id, error }`. Batches arrive one at a
 * time (the group commit waits for each answer), so there is no ordering to keep.
 */
function serve() {
  const Database = require(workerData.driver);
  const db = new Database(workerData.file);
  for (const pragma of workerData.pragmas) db.pragma(pragma);
  let write;
  parentPort.on('message', (message) => {
    if (message.close) {
      db.close();
      parentPort.close();
      return;
    }
    try {
      write ??= makeWriter(db, workerData.sql);
      yieldTurn(workerData.writeTurn);
      parentPort.postMessage({ id: message.id, duplicates: write(message.batch) });
    } catch (error) {
      parentPort.postMessage({ id: message.id, error: { message: String(error?.message ?? error), code: error?.code } });
    }
  });
}

if (!isMainThread && workerData?.role === 'vigil-sqlite-writer') serve();

module.exports = { makeWriter, eventRow };
