import type { AccountLockChange, Bus } from '../bus/bus.js';
import type { Alert } from '../domain/alert.js';

/** What the admins' live feed shows: alerts as they are raised or change, and locks as they happen. */
export type FeedMessage =
  | { readonly kind: 'alert'; readonly alert: Alert }
  | { readonly kind: 'account'; readonly change: AccountLockChange & { readonly locked: boolean } };

export type FeedListener = (message: FeedMessage) => void;

/**
 * Fans bus messages out to connected dashboards. One subscription per topic, whatever the number of
 * browsers; a listener that throws (a closed socket) is dropped rather than allowed to stop the others.
 */
export class LiveFeed {
  private readonly listeners = new Set<FeedListener>();
  private readonly unsubscribe: Array<() => void>;

  constructor(bus: Bus) {
    const alerts = (list: readonly Alert[]) => {
      for (const alert of list) this.emit({ kind: 'alert', alert });
    };
    this.unsubscribe = [
      bus.subscribe('alert.raised', alerts),
      bus.subscribe('alert.updated', alerts),
      bus.subscribe('account.locked', (change) => this.emit({ kind: 'account', change: { ...change, locked: true } })),
      bus.subscribe('account.unlocked', (change) => this.emit({ kind: 'account', change: { ...change, locked: false } })),
    ];
  }

  get connections(): number {
    return this.listeners.size;
  }

  connect(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    for (const off of this.unsubscribe) off();
    this.listeners.clear();
  }

  private emit(message: FeedMessage): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }
}
