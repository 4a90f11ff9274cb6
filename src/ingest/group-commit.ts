import type { Alert } from '../alerts/alert.js';
import type { SeenRecord } from '../enrich/novelty.js';
import type { LockWrite } from '../respond/lock.js';
import type { StoredEvent } from './activity-event.js';
import type { EventStore } from './ports.js';

interface PendingWrite {
  readonly events: readonly StoredEvent[];
  readonly learnt: readonly SeenRecord[];
  readonly alerts: readonly Alert[];
  readonly locks: readonly LockWrite[];
  resolve(duplicates: ReadonlySet<string>): void;
  reject(error: unknown): void;
}

/**
 * Group commit: every write asked for while the previous commit was running, or in the same turn of
 * the event loop, goes into one transaction. Fifty concurrent single-event requests then cost one
 * commit instead of fifty, and each request is still answered only once its own events are durable.
 */
export class GroupCommitWriter {
  private queue: PendingWrite[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly store: EventStore) {}

  /** Resolves, once durable, with the ids another writer had already stored (not written again). */
  write(
    events: readonly StoredEvent[],
    learnt: readonly SeenRecord[],
    alerts: readonly Alert[] = [],
    locks: readonly LockWrite[] = [],
  ): Promise<ReadonlySet<string>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, learnt, alerts, locks, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return;
    // setImmediate, not a microtask: requests whose bodies arrive in the same I/O phase join the group.
    this.running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.running = undefined;
        if (this.queue.length > 0) this.schedule();
      });
  }

  /** Resolves when everything asked for so far has been committed or has failed. */
  async flushed(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      const events = group.flatMap((w) => w.events);
      const learnt = group.flatMap((w) => w.learnt);
      // An alert updated several times in the group is written once, in its latest state.
      const alerts = [...new Map(group.flatMap((w) => w.alerts).map((a) => [a.id, a])).values()];
      const locks = group.flatMap((w) => w.locks);
      try {
        const duplicates = events.length === 0 ? new Set<string>() : await this.store.insert(events, learnt, alerts, locks);
        for (const w of group) w.resolve(duplicates);
      } catch (error) {
        for (const w of group) w.reject(error);
      }
    }
  }
}
