import type { StoredEvent } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';
import type { EventResult, EventType } from '../domain/event-schema.js';
import type { LockWrite } from '../domain/lock.js';
import type { OwedEffects } from '../domain/owed-effects.js';
import type { SeenRecord, SeenStore } from '../enrich/novelty.js';

export interface UserEventsQuery {
  readonly user: string;
  readonly types?: readonly EventType[];
  /** Inclusive lower bound on event time (ms). */
  readonly from?: number;
  /** Exclusive upper bound on event time (ms). */
  readonly to?: number;
  readonly limit: number;
  /** Continue after this (occurredAt, id), newest first. */
  readonly after?: { readonly occurredAt: number; readonly id: string };
}

/**
 * Where the stored events ended at some moment: the store's own position of the last one (SQLite's
 * rowid) and that event's id, which must still be at that position for the mark to be used.
 */
export interface StoredEventsMark {
  readonly position: number;
  readonly eventId: string;
}

/** What a committed group of events says back. */
export interface CommitReceipt {
  /** The ids another writer had stored first: those events were not written again. */
  readonly duplicates: ReadonlySet<string>;
  /**
   * PostgreSQL: the occurrences stored for each alert the commit grew whose count differs from the
   * one written, because other processes grew it too (the distributed mode's shared sources) or some
   * of its events were stored before. Each commit adds its own events' repeats to what is stored,
   * rather than writing its count over the others'. Empty on SQLite: one process writes every alert.
   */
  readonly alertOccurrences: ReadonlyMap<string, number>;
}

/** A receipt's `alertOccurrences` when no alert's count needs correcting. */
export const NO_OCCURRENCES: ReadonlyMap<string, number> = new Map();

/** Where events live. Implemented once with Kysely for SQLite and PostgreSQL (store/event-store.ts). */
export interface EventStore extends SeenStore {
  /**
   * Writes events, learnt novelty facts, the alerts they raised or updated and the account locks
   * they put in force or lifted, in one transaction.
   * Returns the ids that were already stored (another writer got there first; those events were
   * not written again) and the stored count of alerts others grew as well (`CommitReceipt`).
   */
  insert(
    events: readonly StoredEvent[],
    learnt: readonly SeenRecord[],
    alerts: readonly Alert[],
    locks?: readonly LockWrite[],
    /** What the batches owe once committed, written in the same transaction (pending-effects.ts). */
    owed?: readonly OwedEffects[],
  ): Promise<CommitReceipt>;
  /**
   * How many inserts may be under way at once with their commits still in the order they were asked
   * for: more than one only where a single writer takes them in turn (SQLite's writer thread).
   */
  readonly orderedInserts: number;
  /** The stored answers for these ids, for idempotent replays. */
  findResults(ids: readonly string[]): Promise<ReadonlyMap<string, EventResult>>;
  listUserEvents(query: UserEventsQuery): Promise<readonly StoredEvent[]>;
  countEvents(): Promise<number>;
  /**
   * Events with event time in [from, to), oldest first, in pages: for replays and backtests;
   * `receivedFrom`: only those received at or after it (the replay after a detection snapshot).
   */
  scan(
    from: number,
    to: number,
    options?: { readonly pageSize?: number; readonly types?: readonly EventType[]; readonly receivedFrom?: number },
  ): AsyncIterable<readonly StoredEvent[]>;
  /**
   * Where the stored events end now, on a store that keeps them in the order they were stored
   * (SQLite); undefined on one that does not (PostgreSQL) or while there are none.
   */
  storedMark(): StoredEventsMark | undefined;
  /**
   * The events stored after the mark, event time from `from` on, oldest first, in pages; undefined
   * when the mark cannot be used here (another store, or its event no longer at its position).
   */
  scanStoredAfter(
    mark: StoredEventsMark,
    from: number,
    options?: { readonly pageSize?: number },
  ): AsyncIterable<readonly StoredEvent[]> | undefined;
}
