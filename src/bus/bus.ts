import type { StoredEvent } from '../ingest/activity-event.js';

/** Every message that crosses the bus, by topic. Consumers depend on these, never on producers. */
export interface BusMessages {
  /** Events just made durable, in the order they were stored. */
  'events.stored': readonly StoredEvent[];
}
export type Topic = keyof BusMessages;
export type Handler<T extends Topic> = (message: BusMessages[T]) => void | Promise<void>;

/**
 * The seam between ingestion and whatever reacts to stored events. The first implementation is in
 * process; a NATS JetStream one lets detection run in worker processes without touching the core.
 */
export interface Bus {
  publish<T extends Topic>(topic: T, message: BusMessages[T]): Promise<void>;
  subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void;
  close(): Promise<void>;
}
