import type { Selectable } from 'kysely';
import type { Enrichment, FirstSeenVia, StoredEvent } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';
import type { Decision, EventResult, EventType, Reason, SuppressedReason } from '../domain/event-schema.js';
import type { LockWrite } from '../domain/lock.js';
import type { OwedEffects } from '../domain/owed-effects.js';
import type { Severity } from '../domain/severity.js';
import type { SeenKind, SeenRecord } from '../enrich/novelty.js';
import type { CommitReceipt, EventStore, StoredEventsMark, UserEventsQuery } from '../ingest/ports.js';
import { type EventBatchWriter, openBatchWriter } from './batch-writer.js';
import type { DatabaseHandle } from './database.js';
import type { WriteFence } from './event-batch-writer.js';
import { upsertSeen } from './event-rows.js';
import type { EventsTable } from './schema.js';
import { SqliteStoredPositions } from './sqlite/stored-positions.js';

const IDS_PER_LOOKUP = 500;

/** Events and what is known of each user, in one Kysely store for SQLite and PostgreSQL. */
export class SqlEventStore implements EventStore {
  private readonly batches: EventBatchWriter;
  /** Two on a SQLite file: its writer thread takes the inserts one after the other, in order. */
  readonly orderedInserts: number;
  /** SQLite only: PostgreSQL has no order of storage to read (its rows have no such number). */
  private readonly positions: SqliteStoredPositions | undefined;

  constructor(private readonly handle: DatabaseHandle) {
    this.batches = openBatchWriter(handle);
    this.orderedInserts = this.batches.orderedInserts;
    this.positions = handle.sqlite ? new SqliteStoredPositions(handle.sqlite) : undefined;
  }

  /** Distributed mode: each later commit of events first passes `fence` (PostgreSQL only). */
  fenceWith(fence: WriteFence): void {
    if (!this.batches.fenceWith) throw new Error('Fenced commits need PostgreSQL (the distributed mode).');
    this.batches.fenceWith(fence);
  }

  /** Events, what enrichment learnt, alerts and lock changes in one transaction (the dialect's batch writer). */
  insert(
    events: readonly StoredEvent[],
    learnt: readonly SeenRecord[],
    alerts: readonly Alert[] = [],
    locks: readonly LockWrite[] = [],
    owed: readonly OwedEffects[] = [],
  ): Promise<CommitReceipt> {
    return this.batches.write(events, learnt, alerts, locks, owed);
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
    options: { readonly pageSize?: number; readonly types?: readonly EventType[]; readonly receivedFrom?: number } = {},
  ): AsyncIterable<readonly StoredEvent[]> {
    const pageSize = options.pageSize ?? 2000;
    let after: { at: number; id: string } | undefined;
    for (;;) {
      let query = this.handle.db.selectFrom('events').selectAll().where('occurred_at', '>=', from).where('occurred_at', '<', to);
      if (options.types?.length) query = query.where('type', 'in', options.types);
      if (options.receivedFrom !== undefined) query = query.where('received_at', '>=', options.receivedFrom);
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

  storedMark(): StoredEventsMark | undefined {
    return this.positions?.mark();
  }

  scanStoredAfter(
    mark: StoredEventsMark,
    from: number,
    options: { readonly pageSize?: number } = {},
  ): AsyncIterable<readonly StoredEvent[]> | undefined {
    const pages = this.positions?.after(mark, from, options.pageSize ?? 2000);
    if (pages === undefined) return undefined;
    return (async function* stored() {
      for await (const rows of pages) yield rows.map(fromRow);
    })();
  }

  async countEvents(): Promise<number> {
    const row = await this.handle.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function resultOf(
  row: Pick<Selectable<EventsTable>, 'id' | 'decision' | 'risk' | 'severity' | 'reasons_json' | 'alert_id'> & {
    suppressed_json?: string | null;
  },
): EventResult {
  const result: { -readonly [K in keyof EventResult]: EventResult[K] } = {
    id: row.id,
    decision: row.decision as Decision,
    risk: row.risk,
    severity: row.severity as Severity,
    reasons: JSON.parse(row.reasons_json) as Reason[],
  };
  if (row.alert_id !== null) result.alertId = row.alert_id;
  if (row.suppressed_json != null) result.suppressed = JSON.parse(row.suppressed_json) as SuppressedReason[];
  return result;
}

/**
 * The stored event, built on the object its JSON parses to: spreading that into a new object (and
 * the optional fields through temporary ones) cost about as much again as parsing it, on every row a
 * start replays and every list reads.
 */
function fromRow(row: Selectable<EventsTable>): StoredEvent {
  const event = JSON.parse(row.event_json) as { -readonly [K in keyof StoredEvent]: StoredEvent[K] };
  event.id = row.id;
  event.receivedAt = row.received_at;
  event.enrichment = JSON.parse(row.enrichment_json) as Enrichment;
  event.result = resultOf(row);
  return event;
}
