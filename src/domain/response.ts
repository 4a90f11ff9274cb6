import type { Reason } from './event-schema.js';
import type { AccountLock } from './lock.js';
import type { Severity } from './severity.js';

/** What a response policy can do about an alert on an account. */
export const RESPONSE_ACTIONS = ['lock_sensitive', 'lock_full', 'send_unlock_code', 'notify_user', 'notify_admins'] as const;
export type ResponseAction = (typeof RESPONSE_ACTIONS)[number];

/**
 * What the response to one event amounts to, for what runs after the commit (codes, notifications,
 * audit, webhooks: AccountService, from the bus). The lock change itself is a step of the plan.
 */
export interface PlannedResponse {
  readonly user: string;
  readonly eventId: string;
  readonly alertId?: string;
  readonly severity?: Severity;
  readonly actions: readonly ResponseAction[];
  /** The lock this event put in force (new, or a stricter one). */
  readonly locked?: AccountLock;
  /** The lock this event lifted: a password change after "this wasn't me". */
  readonly unlocked?: AccountLock;
  /** When it was lifted: the moment its event was scored. */
  readonly unlockedAt?: number;
  /** The lock before this event, to undo the change if the write fails. */
  readonly before?: AccountLock;
}

/**
 * One step of the response to an event. The pipeline carries them out: a lock change in memory at
 * once and in the event's own transaction, a block in the answer, the follow-up after the commit.
 */
export type ResponseStep =
  /** Put this lock in force (new, or stricter than `before`). */
  | { readonly kind: 'lock'; readonly user: string; readonly lock: AccountLock; readonly before: AccountLock | undefined }
  /** Lift this lock: the owner changed the password after "this wasn't me". */
  | { readonly kind: 'unlock'; readonly user: string; readonly lifted: AccountLock }
  /** The account is locked for this kind of event: the answer is `block`, with this reason. */
  | { readonly kind: 'block'; readonly reason: Reason }
  /** Remember that this alert was responded to at this severity, so its repeats do not respond again. */
  | { readonly kind: 'remember'; readonly alertId: string; readonly severity: Severity }
  /** What runs after the commit. */
  | { readonly kind: 'follow_up'; readonly response: PlannedResponse };
