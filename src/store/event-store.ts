import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type { ActivityEvent, Enrichment, FirstSeenVia, StoredEvent } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';
import type { Decision, EventResult, EventType, Reason, SuppressedReason } from '../domain/event-schema.js';
import type { LockWrite } from '../domain/lock.js';
import type { Severity } from '../domain/severity.js';
import type { SeenKind, SeenRecord } from '../enrich/novelty.js';
import type { EventStore, UserEventsQuery } from '../ingest/ports.js';
import { SQLITE_UPSERT_LOCK, sqliteLockParams, upsertLocks } from './account-store.js';
import { ALERT_COLUMNS, SQLITE_UPSERT_ALERT, toAlertRow, upsertAlerts } from './alert-store.js';
import { type DatabaseHandle, WRITER_CHECKPOINT_PAGES } from './database.js';
import type { Database, EventsTable } from './schema.js';
import { type BatchWriter, eventRow, inThreadWriter, SqliteWriterThread, type WriteStatements } from './sqlite-writer-thread.js';

type EventRow = Insertable<EventsTable>;

// PostgreSQL allows 65,535 bind parameters per statement and SQLite 32,766; 500 rows of 16 columns
// stays well under both.
const ROWS_PER_STATEMENT = 500;
const IDS_PER_LOOKUP = 500;

const EVENT_COLUMNS = [
  'id',
  'user_id',
  'type',
  'occurred_at',
  'received_at',
  'session_id',
  'device_id',
  'ip',
  'country',
  'decision',
  'risk',
  'severity',
  'alert_id',
  'event_json',
  'enrichment_json',
  'reasons_json',
  'suppressed_json',
] as const satisfies readonly (keyof EventRow)[];

/** Events and what is known of each user, in one Kysely store for SQLite and PostgreSQL. */
export class SqlEventStore implements EventStore {
  private readonly sqliteWrite: BatchWriter | undefined;
  /** Two on a SQLite file: its writer thread takes the inserts one after the other, in order. */
  readonly orderedInserts: number;

  constructor(private readonly handle: DatabaseHandle) {
    this.sqliteWrite = handle.sqlite ? sqliteWriter(handle) : undefined;
    this.orderedInserts = handle.sqliteFile ? 2 : 1;
  }

  async insert(
    events: readonly StoredEvent[],
    learnt: readonly SeenRecord[],
    alerts: readonly Alert[] = [],
    locks: readonly LockWrite[] = [],
  ): Promise<ReadonlySet<string>> {
    const write = this.sqliteWrite;
    if (write) {
      // The one dialect-specific path: on SQLite the group commit runs better-sqlite3 prepared
      // statements directly (several times faster than compiling a fresh multi-row INSERT), in a
      // writer thread for a file (store/sqlite-writer-thread.ts).
      return new Set(
        await write({
          events,
          learnt: learnt.map(seenParams),
          alerts: alerts.map((a) => {
            const row = toAlertRow(a);
            return ALERT_COLUMNS.map((c) => row[c] ?? null);
          }),
          locks: locks.map(sqliteLockParams),
        }),
      );
    }
    const rows = events.map(eventRow);
    return this.handle.db.transaction().execute(async (trx) => {
      const inserted = new Set<string>();
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        const written = await trx
          .insertInto('events')
          .values(rows.slice(i, i + ROWS_PER_STATEMENT))
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .execute();
        for (const r of written) inserted.add(r.id);
      }
      await upsertSeen(trx, learnt);
      await upsertAlerts(trx, alerts);
      await upsertLocks(trx, locks);
      return new Set(rows.filter((r) => !inserted.has(r.id)).map((r) => r.id));
    });
  }

  async findResults(ids: readonly string[]): Promise<ReadonlyMap<string, EventResult>> {
    const found = new Map<string, EventResult>();
    for (let i = 0; i < ids.length; i += IDS_PER_LOOKUP) {
      const rows = await this.handle.db
        .selectFrom('events')
        .select(['id', 'decision', 'risk', 'severity', 'reasons_json', 'alert_id', 'suppressed_json'])
        .where('id', 'in', ids.slice(i, i + IDS_PER_LOOKUP))
        .execute();
      for (const row of rows) found.set(row.id, resultOf(row));
    }
    return found;
  }

  async loadSeen(users: readonly string[]): Promise<readonly SeenRecord[]> {
    const records: SeenRecord[] = [];
    for (let i = 0; i < users.length; i += IDS_PER_LOOKUP) {
      const rows = await this.handle.db
        .selectFrom('user_seen')
        .selectAll()
        .where('user_id', 'in', users.slice(i, i + IDS_PER_LOOKUP))
        .execute();
      for (const r of rows) {
        records.push({
          user: r.user_id,
          kind: r.kind as SeenKind,
          value: r.value,
          firstSeenAt: r.first_seen_at,
          lastSeenAt: r.last_seen_at,
          days: r.seen_days,
          via: r.via as FirstSeenVia | null,
          provenAt: r.proven_at,
        });
      }
    }
    return records;
  }

  /** What the owner proved (NoveltyTracker.prove), outside an event's transaction: the same upsert. */
  async saveSeen(records: readonly SeenRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.handle.db.transaction().execute((trx) => upsertSeen(trx, records));
  }

  async listUserEvents(q: UserEventsQuery): Promise<readonly StoredEvent[]> {
    let query = this.handle.db.selectFrom('events').selectAll().where('user_id', '=', q.user);
    if (q.types && q.types.length > 0) query = query.where('type', 'in', q.types);
    if (q.from !== undefined) query = query.where('occurred_at', '>=', q.from);
    if (q.to !== undefined) query = query.where('occurred_at', '<', q.to);
    const after = q.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([eb('occurred_at', '<', after.occurredAt), eb.and([eb('occurred_at', '=', after.occurredAt), eb('id', '<', after.id)])]),
      );
    }
    const rows = await query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(fromRow);
  }

  async *scan(
    from: number,
    to: number,
    options: { readonly pageSize?: number; readonly types?: readonly EventType[] } = {},
  ): AsyncIterable<readonly StoredEvent[]> {
    const pageSize = options.pageSize ?? 2000;
    let after: { at: number; id: string } | undefined;
    for (;;) {
      let query = this.handle.db.selectFrom('events').selectAll().where('occurred_at', '>=', from).where('occurred_at', '<', to);
      if (options.types?.length) query = query.where('type', 'in', options.types);
      const cursor = after;
      if (cursor) {
        query = query.where((eb) =>
          eb.or([eb('occurred_at', '>', cursor.at), eb.and([eb('occurred_at', '=', cursor.at), eb('id', '>', cursor.id)])]),
        );
      }
      const rows = await query.orderBy('occurred_at').orderBy('id').limit(pageSize).execute();
      if (rows.length === 0) return;
      yield rows.map(fromRow);
      const last = rows[rows.length - 1] as (typeof rows)[number];
      after = { at: last.occurred_at, id: last.id };
      if (rows.length < pageSize) return;
    }
  }

  async countEvents(): Promise<number> {
    const row = await this.handle.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

const SEEN_COLUMNS = ['user_id', 'kind', 'value', 'first_seen_at', 'last_seen_at', 'seen_days', 'via', 'proven_at'] as const;

/**
 * A `user_seen` record is an upsert, the same SQL on both dialects: inserted on first sight; a later
 * record (a new day of use, a proof) only moves last seen and days forward, and keeps how it first
 * came and the first proof. Forward only, so that two writers (a group commit and a proof on the main
 * connection) may commit in either order. Rows from before 0015_familiarity have nulls.
 */
const SEEN_UPDATES = {
  last_seen_at:
    'CASE WHEN excluded.last_seen_at > coalesce(user_seen.last_seen_at, user_seen.first_seen_at) THEN excluded.last_seen_at ELSE user_seen.last_seen_at END',
  seen_days: 'CASE WHEN excluded.seen_days > coalesce(user_seen.seen_days, 1) THEN excluded.seen_days ELSE user_seen.seen_days END',
  via: 'coalesce(user_seen.via, excluded.via)',
  proven_at: 'coalesce(user_seen.proven_at, excluded.proven_at)',
} as const;

const SQLITE_WRITE_STATEMENTS: WriteStatements = {
  eventColumns: EVENT_COLUMNS,
  insertEvent: `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (id) DO NOTHING`,
  insertSeen: `INSERT INTO user_seen (${SEEN_COLUMNS.join(', ')}) VALUES (${SEEN_COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (user_id, kind, value) DO UPDATE SET ${Object.entries(SEEN_UPDATES)
       .map(([column, value]) => `${column} = ${value}`)
       .join(', ')}`,
  upsertAlert: SQLITE_UPSERT_ALERT,
  upsertLock: SQLITE_UPSERT_LOCK,
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
    const thread = new SqliteWriterThread({ file: file.path, pragmas, sql: SQLITE_WRITE_STATEMENTS, writeTurn: file.writeTurn });
    handle.onClose(() => thread.close());
    return (batch) => thread.write(batch);
  }
  const write = inThreadWriter(handle.sqlite as NonNullable<DatabaseHandle['sqlite']>, SQLITE_WRITE_STATEMENTS);
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

const toSeenRow = (s: SeenRecord) => ({
  user_id: s.user,
  kind: s.kind,
  value: s.value,
  first_seen_at: s.firstSeenAt,
  last_seen_at: s.lastSeenAt ?? null,
  seen_days: s.days ?? null,
  via: s.via ?? null,
  proven_at: s.provenAt ?? null,
});

/**
 * Upserts records with Kysely (PostgreSQL's group commit, and proofs on both dialects). A multi-row
 * upsert may not touch one row twice, so a record repeated in the group (first sight, then a new day,
 * in one import) keeps only its latest: the tracker's records of one row only move forward.
 */
async function upsertSeen(db: Kysely<Database>, records: readonly SeenRecord[]): Promise<void> {
  if (records.length === 0) return;
  let rows = records;
  if (records.length > 1) {
    const latest = new Map<string, SeenRecord>();
    for (const r of records) latest.set(`${r.user}\u0000${r.kind}\u0000${r.value}`, r);
    if (latest.size < records.length) rows = [...latest.values()];
  }
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    await db
      .insertInto('user_seen')
      .values(rows.slice(i, i + ROWS_PER_STATEMENT).map(toSeenRow))
      .onConflict((oc) =>
        oc.columns(['user_id', 'kind', 'value']).doUpdateSet({
          last_seen_at: sql.raw(SEEN_UPDATES.last_seen_at),
          seen_days: sql.raw(SEEN_UPDATES.seen_days),
          via: sql.raw(SEEN_UPDATES.via),
          proven_at: sql.raw(SEEN_UPDATES.proven_at),
        }),
      )
      .execute();
  }
}

function resultOf(
  row: Pick<Selectable<EventsTable>, 'id' | 'decision' | 'risk' | 'severity' | 'reasons_json' | 'alert_id'> & {
    suppressed_json?: string | null;
  },
): EventResult {
  return {
    id: row.id,
    decision: row.decision as Decision,
    risk: row.risk,
    severity: row.severity as Severity,
    reasons: JSON.parse(row.reasons_json) as Reason[],
    ...(row.alert_id !== null && { alertId: row.alert_id }),
    ...(row.suppressed_json != null && { suppressed: JSON.parse(row.suppressed_json) as SuppressedReason[] }),
  };
}

function fromRow(row: Selectable<EventsTable>): StoredEvent {
  const event = JSON.parse(row.event_json) as Omit<ActivityEvent, 'type'> & { type: EventType };
  return {
    ...event,
    id: row.id,
    receivedAt: row.received_at,
    enrichment: JSON.parse(row.enrichment_json) as Enrichment,
    result: resultOf(row),
  };
}
