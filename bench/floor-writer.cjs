'use strict';
/**
 * bench/floor-server.ts's writer thread: one SQLite connection, one transaction per group, into a
 * table shaped like Vigil's events (the same columns, the id primary key, the per-user and per-time
 * indexes), with the settings Vigil's own writer uses (store/database.ts). Plain CommonJS, so that the
 * thread runs it without TypeScript's loader, as Vigil's store/sqlite/writer.cjs.
 */
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('cache_size = -65536');
db.pragma('wal_autocheckpoint = 50000');
db.exec(`CREATE TABLE events (
  id text PRIMARY KEY, user_id text NOT NULL, type text NOT NULL, occurred_at bigint NOT NULL,
  received_at bigint NOT NULL, session_id text, device_id text, ip text, country text,
  decision text NOT NULL, risk integer NOT NULL, severity text NOT NULL, alert_id text,
  event_json text NOT NULL, enrichment_json text NOT NULL, reasons_json text NOT NULL);
CREATE INDEX events_user_time ON events (user_id, occurred_at);
CREATE INDEX events_time ON events (occurred_at);`);
const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, 0, ?, NULL, ?, ?, ?)');
const write = db.transaction((rows) => {
  for (const { id, event: e, occurredAt, receivedAt } of rows) {
    insert.run(
      id,
      e.user,
      e.type,
      occurredAt,
      receivedAt,
      e.session ?? null,
      e.device ?? null,
      e.ip ?? null,
      'allow',
      'none',
      JSON.stringify(e),
      '{}',
      '[]',
    );
  }
});

parentPort.on('message', (message) => {
  write(message.rows);
  parentPort.postMessage(message.group);
});
