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
  private inFlight = new Set<Promise<void>>();
  private outlet: BusOutlet | undefined;

  constructor(private readonly onError: BusErrorSink) {}

  /** Sends every message published here to other processes as well (set once, by the distributed mode). */
  relayTo(outlet: BusOutlet): void {
    this.outlet = outlet;
  }

  async publish<T extends Topic>(topic: T, message: BusMessages[T]): Promise<void> {
    this.dispatch(topic, message);
    if (this.outlet) await this.outlet.publish(topic, message);
  }

  async deliver<T extends Topic>(topic: T, message: BusMessages[T]): Promise<void> {
    const handled = this.dispatch(topic, message);
    if (this.outlet) await this.outlet.publish(topic, message);
    await Promise.all(handled);
  }

  /**
   * Hands the message to each subscriber, after this turn. A subscriber's failure is reported here;
   * the promises returned reject with it too, for `deliver`'s caller, who still owes the message.
   */
  private dispatch<T extends Topic>(topic: T, message: BusMessages[T]): Promise<void>[] {
    const handled: Promise<void>[] = [];
    for (const handler of this.handlers.get(topic) ?? []) {
      const handling = Promise.resolve().then(() => (handler as Handler<T>)(message));
      const delivery = handling.catch((error: unknown) => this.onError(error, topic)).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
      handled.push(handling);
    }
    return handled;
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
