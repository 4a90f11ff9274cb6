import type { StoredEvent } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';
import type { LockWrite } from '../domain/lock.js';
import type { OwedEffects } from '../domain/owed-effects.js';
import type { SeenRecord } from '../enrich/novelty.js';
import { type CommitReceipt, type EventStore, NO_OCCURRENCES } from './ports.js';

const NOTHING_COMMITTED: CommitReceipt = { duplicates: new Set(), alertOccurrences: NO_OCCURRENCES };

/** Events that make a group worth committing at once, without waiting for more to join it. */
const FULL_GROUP_EVENTS = 256;

interface PendingWrite {
  readonly events: readonly StoredEvent[];
  readonly learnt: readonly SeenRecord[];
  readonly alerts: readonly Alert[];
  readonly locks: readonly LockWrite[];
  readonly owed: readonly OwedEffects[];
  resolve(receipt: CommitReceipt): void;
  reject(error: unknown): void;
}

/**
 * Group commit: every write asked for while the previous commit was running, or in the same turn of
 * the event loop, goes into one transaction. Fifty concurrent single-event requests then cost one
 * commit instead of fifty, and each request is still answered only once its own events are durable.
 *
 * Where the store commits in order (store.orderedInserts > 1, the SQLite writer thread), the next
 * group is handed over while the previous one commits: the main thread prepares and sends it, and
 * the writer starts on it the moment it is done, instead of both waiting for each other in turn.
 */
export class GroupCommitWriter {
  private queue: PendingWrite[] = [];
  /** Events in the queue, kept as writes arrive rather than counted on each one. */
  private queuedEvents = 0;
  private scheduled: Promise<void> | undefined;
  private readonly underWay = new Set<Promise<void>>();
  private readonly maxUnderWay: number;

  constructor(private readonly store: EventStore) {
    this.maxUnderWay = Math.max(1, store.orderedInserts);
  }

  /** Resolves, once durable, with the group's receipt: the ids another writer had already stored (not written again), and more. */
  write(
    events: readonly StoredEvent[],
    learnt: readonly SeenRecord[],
    alerts: readonly Alert[] = [],
    locks: readonly LockWrite[] = [],
    owed: readonly OwedEffects[] = [],
  ): Promise<CommitReceipt> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, learnt, alerts, locks, owed, resolve, reject });
      this.queuedEvents += events.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.underWay.size >= this.maxUnderWay || this.queue.length === 0) return;
    if (this.queuedEvents >= FULL_GROUP_EVENTS) {
      // Enough for a group of its own: sent now, so that the store commits it while the next
      // batches are scored. Waiting for setImmediate would wait for every batch already scheduled
      // for scoring, since scoring runs in promise jobs, and the store would sit idle meanwhile.
      this.commitNextGroup();
      return;
    }
    if (this.scheduled) return;
    // setImmediate, not a microtask: requests whose bodies arrive in the same I/O phase join the group.
    this.scheduled = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.scheduled = undefined;
      // A full group may have taken the last place meanwhile; the next to finish schedules again.
      if (this.underWay.size < this.maxUnderWay) this.commitNextGroup();
    });
  }

  /** Resolves when everything asked for so far has been committed or has failed. */
  async flushed(): Promise<void> {
    while (this.scheduled || this.underWay.size > 0) await Promise.all([this.scheduled, ...this.underWay]);
  }

  private commitNextGroup(): void {
    const group = this.queue;
    this.queue = [];
    this.queuedEvents = 0;
    if (group.length === 0) return;
    const events = group.flatMap((w) => w.events);
    const learnt = group.flatMap((w) => w.learnt);
    // An alert updated several times in the group is written once, in its latest state.
    const alerts = [...new Map(group.flatMap((w) => w.alerts).map((a) => [a.id, a])).values()];
    const locks = group.flatMap((w) => w.locks);
    const owed = group.flatMap((w) => w.owed);
    const committed = (
      events.length === 0 ? Promise.resolve(NOTHING_COMMITTED) : this.store.insert(events, learnt, alerts, locks, owed)
    ).then(
      (receipt) => {
        for (const w of group) w.resolve(receipt);
      },
      (error: unknown) => {
        for (const w of group) w.reject(error);
      },
    );
    this.underWay.add(committed);
    void committed.finally(() => {
      this.underWay.delete(committed);
      this.schedule();
    });
    this.schedule();
  }
}
