import type { StoredEvent } from '../../domain/activity-event.js';
import type { Alert } from '../../domain/alert.js';
import type { LockWrite } from '../../domain/lock.js';
import type { OwedEffects } from '../../domain/owed-effects.js';
import type { SeenRecord } from '../../enrich/novelty.js';
import { type CommitReceipt, NO_OCCURRENCES } from '../../ingest/ports.js';
import { lockColumns, UNCOMPUTED_HEALTH } from '../account-store.js';
import { ALERT_COLUMNS, DETECTION_COLUMNS, toAlertRow } from '../alert-store.js';
import { type DatabaseHandle, WRITER_CHECKPOINT_PAGES } from '../database.js';
import type { EventBatchWriter } from '../event-batch-writer.js';
import { EVENT_COLUMNS, SEEN_COLUMNS, SEEN_UPDATES } from '../event-rows.js';
import { OWED_COLUMNS, owedRow } from '../pending-effects-store.js';
import { type BatchWriter, inThreadWriter, SqliteWriterThread, type WriteStatements } from './writer-thread.js';

/**
 * SQLite's group commit: better-sqlite3 prepared statements run directly (several times faster than
 * compiling a fresh multi-row INSERT), in a writer thread for a file (writer-thread.ts), in this
 * thread for an in-memory database. The statements are the same upserts as the Kysely ones of the
 * stores, written out once here.
 */
export class SqliteBatchWriter implements EventBatchWriter {
  private readonly batch: BatchWriter;
  /** Two on a file: its writer thread takes the inserts one after the other, in order. */
  readonly orderedInserts: number;

  constructor(handle: DatabaseHandle) {
    this.batch = sqliteWriter(handle);
    this.orderedInserts = handle.sqliteFile ? 2 : 1;
  }

  async write(
    events: readonly StoredEvent[],
    learnt: readonly SeenRecord[],
    alerts: readonly Alert[],
    locks: readonly LockWrite[],
    owed: readonly OwedEffects[],
  ): Promise<CommitReceipt> {
    const duplicates = await this.batch({
      events,
      learnt: learnt.map(seenParams),
      // Each alert once, in its latest state: an alert that several events of the commit grew is one
      // row however many versions of it they made (the upsert would overwrite each with the next).
      alerts: [...latestOf(alerts)].map((a) => {
        const row = toAlertRow(a);
        return ALERT_COLUMNS.map((c) => row[c] ?? null);
      }),
      locks: locks.map(lockParams),
      owed: owed.map((o) => {
        const row = owedRow(o);
        return OWED_COLUMNS.map((c) => row[c]);
      }),
    });
    // One process writes every alert of a SQLite file: the counts written are the counts stored.
    return { duplicates: new Set(duplicates), alertOccurrences: NO_OCCURRENCES };
  }
}

/** The last version of each alert, in the order the alerts first appear. */
function latestOf(alerts: readonly Alert[]): IterableIterator<Alert> {
  const latest = new Map<string, Alert>();
  for (const a of alerts) latest.set(a.id, a);
  return latest.values();
}

/** upsertLocks (account-store.ts) as one better-sqlite3 statement. */
const UPSERT_LOCK = `INSERT INTO accounts (user_id, email, phone, health_score, health_json, lock_scope, locked_at, lock_reason,
  lock_alert_id, locked_by, unlock_requires, updated_at) VALUES (?, NULL, NULL, ${UNCOMPUTED_HEALTH.health_score}, '${UNCOMPUTED_HEALTH.health_json}', ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (user_id) DO UPDATE SET lock_scope = excluded.lock_scope, locked_at = excluded.locked_at, lock_reason = excluded.lock_reason,
  lock_alert_id = excluded.lock_alert_id, locked_by = excluded.locked_by, unlock_requires = excluded.unlock_requires, updated_at = excluded.updated_at`;

function lockParams(w: LockWrite): unknown[] {
  const c = lockColumns(w);
  return [w.user, c.lock_scope, c.locked_at, c.lock_reason, c.lock_alert_id, c.locked_by, c.unlock_requires, c.updated_at];
}

/** upsertAlerts (alert-store.ts) as one better-sqlite3 statement. */
const UPSERT_ALERT = `INSERT INTO alerts (${ALERT_COLUMNS.join(', ')}) VALUES (${ALERT_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${DETECTION_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`;

const STATEMENTS: WriteStatements = {
  eventColumns: EVENT_COLUMNS,
  insertEvent: `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (id) DO NOTHING`,
  insertSeen: `INSERT INTO user_seen (${SEEN_COLUMNS.join(', ')}) VALUES (${SEEN_COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (user_id, kind, value) DO UPDATE SET ${Object.entries(SEEN_UPDATES)
       .map(([column, value]) => `${column} = ${value}`)
       .join(', ')}`,
  upsertAlert: UPSERT_ALERT,
  upsertLock: UPSERT_LOCK,
  insertOwed: `INSERT INTO pending_effects (${OWED_COLUMNS.join(', ')}) VALUES (${OWED_COLUMNS.map(() => '?').join(', ')})`,
};

/**
 * A file gets a writer thread, closed with the handle. An in-memory database cannot be opened by
 * another thread: it is written in this one, inside Kysely's connection lock so that the write never
 * interleaves with a Kysely transaction on the same connection.
 */
function sqliteWriter(handle: DatabaseHandle): BatchWriter {
  const file = handle.sqliteFile;
  if (file) {
    const pragmas = [...file.pragmas, `wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`];
    const thread = new SqliteWriterThread({ file: file.path, pragmas, sql: STATEMENTS, writeTurn: file.writeTurn });
    handle.onClose(() => thread.close());
    return (batch) => thread.write(batch);
  }
  const write = inThreadWriter(handle.sqlite as NonNullable<DatabaseHandle['sqlite']>, STATEMENTS);
  return (batch) => handle.db.connection().execute(async () => write(batch));
}

/** The bound parameters of a record, in SEEN_COLUMNS order (the SQLite write path's statement). */
const seenParams = (s: SeenRecord): unknown[] => [
  s.user,
  s.kind,
  s.value,
  s.firstSeenAt,
  s.lastSeenAt ?? null,
  s.days ?? null,
  s.via ?? null,
  s.provenAt ?? null,
];
