import type { AccountLockChange, Bus, BusMessages } from '../bus/bus.js';
import { assertExhaustive } from '../core/result.js';
import type { Alert } from '../domain/alert.js';

/** What the admins' live feed shows: alerts as they are raised or change, and locks as they happen. */
export type FeedMessage =
  | { readonly kind: 'alert'; readonly alert: Alert }
  | { readonly kind: 'account'; readonly change: AccountLockChange & { readonly locked: boolean } };

/** The bus topics the feed shows. */
export const FEED_TOPICS = ['alert.raised', 'alert.updated', 'account.locked', 'account.unlocked'] as const;
export type FeedTopic = (typeof FEED_TOPICS)[number];

export type FeedListener = (message: FeedMessage) => void;

/**
 * Fans bus messages out to connected dashboards. One subscription per topic, whatever the number of
 * browsers; a listener that throws (a closed socket) is dropped rather than allowed to stop the others.
 */
export class LiveFeed {
  private readonly listeners = new Set<FeedListener>();
  private readonly unsubscribe: Array<() => void>;

  constructor(bus: Bus) {
    this.unsubscribe = FEED_TOPICS.map((topic) => bus.subscribe(topic, (message) => this.receive(topic, message)));
  }

  /**
   * One message of a feed topic: from this process's bus, or (the distributed mode) relayed from
   * another process's, so that every dashboard sees what every process raised, once.
   */
  receive<T extends FeedTopic>(topic: T, message: BusMessages[T]): void {
    const t = topic as FeedTopic;
    switch (t) {
      case 'alert.raised':
      case 'alert.updated':
        for (const alert of message as readonly Alert[]) this.emit({ kind: 'alert', alert });
        return;
      case 'account.locked':
      case 'account.unlocked':
        this.emit({ kind: 'account', change: { ...(message as AccountLockChange), locked: t === 'account.locked' } });
        return;
      default:
        assertExhaustive(t, 'feed topic');
    }
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
