import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AttemptOutcome, OutboundQueueStore, OutboundStatus, QueuedItem } from '../outbound/ports.js';
import type { DatabaseHandle } from './database.js';
import type { Database } from './schema.js';

/** The tables that hold an outbound queue: webhook deliveries and staff chat messages. */
export type OutboundTableName = 'webhook_deliveries' | 'staff_messages';

/** The columns every outbound queue's table has, whatever else it keeps. */
type QueueColumns = Pick<
  Database[OutboundTableName],
  'id' | 'payload_json' | 'status' | 'attempts' | 'next_attempt_at' | 'last_status_code' | 'last_error' | 'created_at' | 'delivered_at'
>;

/** One queue's table: its name, the column naming an item's owner (webhook, channel), and how its rows map to items. */
export interface OutboundTable<Name extends OutboundTableName, Item extends QueuedItem> {
  readonly name: Name;
  readonly owner: 'webhook_id' | 'channel_id';
  fromRow(row: Selectable<Database[Name]>): Item;
}

/** The queue's columns of an item, for a table's row (the rest are the table's own). */
export function queueColumns(item: QueuedItem): QueueColumns {
  return {
    id: item.id,
    payload_json: item.payloadJson,
    status: item.status,
    attempts: item.attempts,
    next_attempt_at: item.nextAttemptAt,
    last_status_code: item.lastStatusCode,
    last_error: item.lastError,
    created_at: item.createdAt,
    delivered_at: item.deliveredAt,
  };
}

/** The queue's fields of a row, for an item (the rest are the table's own). */
export function queuedFromRow(row: QueueColumns): QueuedItem {
  return {
    id: row.id,
    payloadJson: row.payload_json,
    status: row.status as OutboundStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}

/**
 * One outbound queue's table as a queue: pending items due, a claim by compare-and-swap on
 * `next_attempt_at`, an attempt's outcome, and the items of a disabled owner given up. The same SQL
 * for every queue's table; each store keeps its table's own columns and queries.
 */
export class SqlOutboundQueue<Name extends OutboundTableName, Item extends QueuedItem> implements OutboundQueueStore<Item> {
  constructor(
    private readonly handle: DatabaseHandle,
    private readonly table: OutboundTable<Name, Item>,
  ) {}

  async due(now: number, limit: number): Promise<readonly Item[]> {
    const rows = await this.handle.db
      .selectFrom(this.tableName)
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => this.table.fromRow(r as Selectable<Database[Name]>));
  }

  async claim(id: string, expected: number, leaseUntil: number): Promise<boolean> {
    const result = await this.handle.db
      .updateTable(this.tableName)
      .set({ next_attempt_at: leaseUntil })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async recordAttempt(id: string, o: AttemptOutcome): Promise<void> {
    await this.handle.db
      .updateTable(this.tableName)
      .set({
        status: o.status,
        attempts: o.attempts,
        next_attempt_at: o.nextAttemptAt,
        last_status_code: o.lastStatusCode,
        last_error: o.lastError,
        delivered_at: o.deliveredAt,
      })
      .where('id', '=', id)
      // An owner (webhook, channel) disabled while the attempt ran has already given up its items.
      .where('status', '=', 'pending')
      .execute();
  }

  /** Within the transaction that disables an owner: the log says so, instead of showing retries that will never come. */
  async giveUpPending(trx: Transaction<Database> | Kysely<Database>, ownerId: string, reason: string): Promise<void> {
    await trx
      .updateTable(this.tableName)
      .set({ status: 'failed', next_attempt_at: null, last_error: reason })
      .where(this.table.owner, '=', ownerId)
      .where('status', '=', 'pending')
      .execute();
  }

  /** Both tables seen through their shared columns: Kysely checks every query above against those. */
  private get tableName(): OutboundTableName {
    return this.table.name;
  }
}
