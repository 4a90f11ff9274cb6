import type { Bus, BusMessages, Handler, Topic } from './bus.js';

export type BusErrorSink = (error: unknown, topic: Topic) => void;

/**
 * Where a bus sends what other processes must see too (the distributed mode: cluster/bus-relay.ts).
 * `publish` resolves once the message is on its way, so that a person's change is announced to the
 * other processes before their request is answered; it never throws (failures are its to report).
 */
export interface BusOutlet {
  publish<T extends Topic>(topic: T, message: BusMessages[T]): Promise<void>;
}

/**
 * Delivers messages to subscribers in this process, after the publisher's turn, so a slow or failing
 * subscriber never delays or fails the ingest request that published.
 */
export class InProcessBus implements Bus {
  private readonly handlers = new Map<Topic, Set<Handler<Topic>>>();
  private inFlight = new Set<Promise<unknown>>();
  private outlet: BusOutlet | undefined;

  constructor(private readonly onError: BusErrorSink) {}

  /** Sends every message published here to other processes as well (set once, by the distributed mode). */
  relayTo(outlet: BusOutlet): void {
    this.outlet = outlet;
  }

  async publish<T extends Topic>(topic: T, message: BusMessages[T]): Promise<void> {
    const handlers = this.handlers.get(topic);
    if (handlers !== undefined && handlers.size > 0) {
      // One delivery per message, whatever the number of subscribers (every event published costs
      // this): the subscribers of the moment, run after the publisher's turn.
      const subscribers = [...handlers] as Handler<T>[];
      const delivery = Promise.resolve()
        .then(() => this.deliver(topic, subscribers, message))
        .finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
    if (this.outlet) await this.outlet.publish(topic, message);
  }

  /** Each subscriber on its own: one that throws, at once or later, does not stop the others. */
  private deliver<T extends Topic>(topic: T, subscribers: readonly Handler<T>[], message: BusMessages[T]): Promise<unknown> | undefined {
    const pending: Array<Promise<void>> = [];
    for (const handler of subscribers) {
      try {
        const running = handler(message);
        if (running !== undefined) pending.push(running.catch((error: unknown) => this.onError(error, topic)));
      } catch (error) {
        this.onError(error, topic);
      }
    }
    return pending.length > 0 ? Promise.all(pending) : undefined;
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
