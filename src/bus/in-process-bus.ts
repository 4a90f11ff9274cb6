import type { Bus, BusMessages, Handler, Topic } from './bus.js';

export type BusErrorSink = (error: unknown, topic: Topic) => void;

/**
 * Delivers messages to subscribers in this process, after the publisher's turn, so a slow or failing
 * subscriber never delays or fails the ingest request that published.
 */
export class InProcessBus implements Bus {
  private readonly handlers = new Map<Topic, Set<Handler<Topic>>>();
  private inFlight = new Set<Promise<void>>();

  constructor(private readonly onError: BusErrorSink) {}

  async publish<T extends Topic>(topic: T, message: BusMessages[T]): Promise<void> {
    const handlers = this.handlers.get(topic);
    if (!handlers || handlers.size === 0) return;
    for (const handler of handlers) {
      const delivery = Promise.resolve()
        .then(() => (handler as Handler<T>)(message))
        .catch((error: unknown) => this.onError(error, topic))
        .finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void {
    let set = this.handlers.get(topic);
    if (!set) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    set.add(handler as Handler<Topic>);
    return () => set.delete(handler as Handler<Topic>);
  }

  /** Waits for deliveries under way, so a graceful shutdown does not cut a subscriber off. */
  async close(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.handlers.clear();
  }
}
