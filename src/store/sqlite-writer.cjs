'use strict';
/**
 * The SQLite event write: one transaction per group commit, with the events, the novelty facts they
 * taught, the alerts they raised or updated and the locks they caused. Plain CommonJS, so that the
 * same code runs in a worker thread (which loads it untransformed, in development, tests and
 * production alike) and, for an in-memory database that a thread cannot share, in the caller's.
 *
 * A batch is arrays of bound parameters, built by store/event-store.ts; the SQL comes from there too.
 */
const { parentPort, workerData, isMainThread } = require('node:worker_threads');

/**
 * @param {import('better-sqlite3').Database} db
 * @param {{ insertEvent: string, insertSeen: string, upsertAlert: string, upsertLock: string }} sql
 * @returns {(batch: { events: unknown[][], learnt: unknown[][], alerts: unknown[][], locks: unknown[][] }) => string[]}
 *   the ids of events that were already stored (not written again)
 */
function makeWriter(db, sql) {
  const insertEvent = db.prepare(sql.insertEvent);
  const insertSeen = db.prepare(sql.insertSeen);
  const upsertAlert = db.prepare(sql.upsertAlert);
  const upsertLock = db.prepare(sql.upsertLock);
  return db.transaction((batch) => {
    const duplicates = [];
    for (const params of batch.events) {
      // The id is the first parameter.
      if (insertEvent.run(params).changes === 0) duplicates.push(params[0]);
    }
    for (const params of batch.learnt) insertSeen.run(params);
    for (const params of batch.alerts) upsertAlert.run(params);
    for (const params of batch.locks) upsertLock.run(params);
    return duplicates;
  });
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
      parentPort.postMessage({ id: message.id, duplicates: write(message.batch) });
    } catch (error) {
      parentPort.postMessage({ id: message.id, error: { message: String(error?.message ?? error), code: error?.code } });
    }
  });
}

if (!isMainThread && workerData?.role === 'vigil-sqlite-writer') serve();

module.exports = { makeWriter };
