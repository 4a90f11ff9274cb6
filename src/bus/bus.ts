import { assertExhaustive } from '../core/result.js';
import type { StoredEvent } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';

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
  'account.locked': AccountLockChange;
  'account.unlocked': AccountLockChange;
  /**
   * People changed what detection reads from memory besides the events: the allow and block lists,
   * the snoozes, the rules in force (their configs, modes and custom rules), or an owner's word on
   * their sources (trust marks, familiarity proofs). In one process
   * the change is in memory already; other processes read it again from the store (cluster/).
   */
  'settings.changed': SettingsChange;
}

/** Which in-memory book of detection settings changed, or whose word on their own sources. */
export type SettingsChange =
  | { readonly what: 'lists' | 'snoozes' | 'rules' }
  /** The owner trusted or untrusted an alert's sources, or proved them familiar. */
  | { readonly what: 'owner'; readonly user: string };

/**
 * Something one process changed that every process keeps in memory, to be read again (the distributed
 * mode: `System.refresh`): the settings, one account's lock, one alert as it now is; `everything`
 * after a process lost NATS for a while and may have missed some.
 */
export type SharedChange =
  | SettingsChange
  | { readonly what: 'lock'; readonly user: string }
  | { readonly what: 'alert'; readonly alert: Alert }
  | { readonly what: 'everything' };

/** What a message on the bus asks other processes to read again; none for most topics. */
export function sharedChanges<T extends Topic>(topic: T, message: BusMessages[T]): readonly SharedChange[] {
  const t = topic as Topic;
  switch (t) {
    case 'settings.changed':
      return [message as SettingsChange];
    case 'account.locked':
    case 'account.unlocked':
      return [{ what: 'lock', user: (message as AccountLockChange).user }];
    case 'alert.updated':
      return (message as readonly Alert[]).map((alert) => ({ what: 'alert', alert }));
    // Raised alerts are the owner's own (nobody else scores its users); the rest stay in process.
    case 'alert.raised':
    case 'events.stored':
      return [];
    default:
      return assertExhaustive(t, 'bus topic');
  }
}
export type Topic = keyof BusMessages;
export type Handler<T extends Topic> = (message: BusMessages[T]) => void | Promise<void>;

/**
 * The seam between ingestion and whatever reacts to stored events. The first implementation is in
 * process; a NATS JetStream one lets detection run in worker processes without touching the core.
 */
export interface Bus {
  publish<T extends Topic>(topic: T, message: BusMessages[T]): Promise<void>;
  /**
   * Publishes, and resolves once this process's subscribers are done with the message (a webhook's
   * delivery stored and tried): for announcements that are owed until done (ingest/pending-effects.ts).
   */
  deliver<T extends Topic>(topic: T, message: BusMessages[T]): Promise<void>;
  subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void;
  close(): Promise<void>;
}
