/** The columns and upserts of events and `user_seen`, shared by the store and both dialects' batch writers. */
import { type Insertable, type Kysely, sql } from 'kysely';
import type { SeenRecord } from '../enrich/novelty.js';
import type { Database, EventsTable } from './schema.js';

export { eventRow } from './sqlite/writer-thread.js';

type EventRow = Insertable<EventsTable>;

// PostgreSQL allows 65,535 bind parameters per statement and SQLite 32,766; 500 rows of 16 columns
// stays well under both.
export const ROWS_PER_STATEMENT = 500;

export const EVENT_COLUMNS = [
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

export const SEEN_COLUMNS = ['user_id', 'kind', 'value', 'first_seen_at', 'last_seen_at', 'seen_days', 'via', 'proven_at'] as const;

/**
 * A `user_seen` record is an upsert, the same SQL on both dialects: inserted on first sight; a later
 * record (a new day of use, a proof) only moves last seen and days forward, and keeps how it first
 * came and the first proof. Forward only, so that two writers (a group commit and a proof on the main
 * connection) may commit in either order. Rows from before 0015_familiarity have nulls.
 */
export const SEEN_UPDATES = {
  last_seen_at:
    'CASE WHEN excluded.last_seen_at > coalesce(user_seen.last_seen_at, user_seen.first_seen_at) THEN excluded.last_seen_at ELSE user_seen.last_seen_at END',
  seen_days: 'CASE WHEN excluded.seen_days > coalesce(user_seen.seen_days, 1) THEN excluded.seen_days ELSE user_seen.seen_days END',
  via: 'coalesce(user_seen.via, excluded.via)',
  proven_at: 'coalesce(user_seen.proven_at, excluded.proven_at)',
} as const;

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
export async function upsertSeen(db: Kysely<Database>, records: readonly SeenRecord[]): Promise<void> {
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
