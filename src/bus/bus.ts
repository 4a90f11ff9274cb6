import type { StoredEvent } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';
import type { PlannedResponse } from '../domain/response.js';

/** Why and how an account was locked or unlocked; the same shape goes to webhooks. */
export interface AccountLockChange {
  readonly user: string;
  /** `sensitive`: transactions, payment-method, password and email changes; `full`: logins too. */
  readonly scope: 'sensitive' | 'full';
  readonly at: number;
  /** `vigil` for automatic responses, `admin:<key id>` or `user:<id>` for people. */
  readonly actor: string;
  readonly reason: string;
  readonly alertId?: string;
}

/** Every message that crosses the bus, by topic. Consumers depend on these, never on producers. */
export interface BusMessages {
  /** Events just made durable, in the order they were stored. */
  'events.stored': readonly StoredEvent[];
  /** Alerts raised (created, not updated) by those events, after they were stored. */
  'alert.raised': readonly Alert[];
  /** Alerts that changed after they were raised: a repeat (occurrences, last seen) or a transition. */
  'alert.updated': readonly Alert[];
  /** Responses decided while scoring stored events: codes to send, people to notify (respond/). */
  'response.planned': readonly PlannedResponse[];
  'account.locked': AccountLockChange;
  'account.unlocked': AccountLockChange;
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
