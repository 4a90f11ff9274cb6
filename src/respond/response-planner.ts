import type { Verdict } from '../detect/detector.js';
import type { ActivityEvent } from '../ingest/activity-event.js';
import type { Reason, Severity } from '../ingest/event-schema.js';
import { type AccountLock, describeScope, type LockScope, lockCovers, SCOPE_RANK, type UnlockBy } from './lock.js';
import { actionsFor, type ResponseAction, type ResponsePolicy } from './response-policy.js';

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

/** What the planner reads besides the event and its verdict: the state before this event. */
export interface PlanInput {
  readonly event: ActivityEvent & { readonly id: string };
  readonly verdict: Verdict;
  /** The account's lock before this event. */
  readonly lock: AccountLock | undefined;
  /** The highest severity the event's alert was already responded to at, if any. */
  readonly respondedAt: Severity | undefined;
  readonly policy: ResponsePolicy;
  readonly now: number;
}

const UNLOCK_RANK: Readonly<Record<UnlockBy, number>> = { code: 0, password_change: 1, admin: 2 };
const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { none: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * The response policy applied to one scored event: a pure function of the event, its verdict and the
 * account's lock before it, returning the steps to carry out. Nothing here reads or writes state,
 * so a worker that owns the account can plan on its own, and a test needs no server.
 */
export function planResponse(input: PlanInput): readonly ResponseStep[] {
  const { event, verdict, policy } = input;
  const steps: ResponseStep[] = [];
  const before = input.lock;
  let lock = before;
  let followUp: PlannedResponse | undefined;

  const alert = verdict.alert;
  // Automatic responses act on the account only for alerts about that account. Credential
  // stuffing is about an IP trying many accounts: locking every account it tried would let anyone
  // lock anyone out by failing logins in their name.
  if (alert && alert.subject.kind === 'user' && verdict.severity !== 'none') {
    const escalation = input.respondedAt === undefined || SEVERITY_ORDER[input.respondedAt] < SEVERITY_ORDER[verdict.severity];
    if (escalation) steps.push({ kind: 'remember', alertId: alert.id, severity: verdict.severity });
    const actions = actionsFor(policy, verdict.severity, alert.ruleIds);
    // A repeat of an alert already responded to, on an account that is no longer locked: the owner
    // unlocked with a code (the alert stays open), and the same suspicious activity happened again.
    // It locks again, with a new code, rather than passing as a mere repeat.
    const locksAgain = !lock && (actions.includes('lock_full') || actions.includes('lock_sensitive'));
    if (escalation || locksAgain) {
      const scope: LockScope | undefined = actions.includes('lock_full')
        ? 'full'
        : actions.includes('lock_sensitive')
          ? 'sensitive'
          : undefined;
      let locked: AccountLock | undefined;
      if (scope && (!lock || SCOPE_RANK[scope] > SCOPE_RANK[lock.scope])) {
        const unlockBy: UnlockBy = actions.includes('send_unlock_code') ? 'code' : 'admin';
        locked = {
          scope,
          lockedAt: input.now,
          reason: alert.summary,
          alertId: alert.id,
          lockedBy: 'vigil',
          unlockBy: lock && UNLOCK_RANK[lock.unlockBy] > UNLOCK_RANK[unlockBy] ? lock.unlockBy : unlockBy,
        };
        steps.push({ kind: 'lock', user: event.user, lock: locked, before: lock });
        lock = locked;
      }
      if (actions.length > 0) {
        followUp = {
          user: event.user,
          eventId: event.id,
          alertId: alert.id,
          severity: verdict.severity,
          // A code is sent only with a lock it can lift.
          actions: locked || !actions.includes('send_unlock_code') ? actions : actions.filter((a) => a !== 'send_unlock_code'),
          ...(locked && { locked }),
          ...(before && { before }),
        };
      }
    }
  }

  // A simulated password change (the demo's member simulator) is not one: it never lifts the lock.
  if (lock?.unlockBy === 'password_change' && event.type === 'password.changed' && !isSimulated(event)) {
    steps.push({ kind: 'unlock', user: event.user, lifted: lock });
    steps.push({
      kind: 'follow_up',
      response: { user: event.user, eventId: event.id, actions: followUp?.actions ?? [], unlocked: lock, ...(before && { before }) },
    });
    return steps;
  }

  if (followUp) steps.push({ kind: 'follow_up', response: followUp });
  if (lock && lockCovers(lock, event.type)) steps.push({ kind: 'block', reason: lockedReason(lock) });
  return steps;
}

function lockedReason(lock: AccountLock): Reason {
  return {
    rule: 'account-locked',
    severity: 'high',
    message: `Account locked since ${new Date(lock.lockedAt).toISOString()} (${lock.reason}): ${describeScope(lock.scope)} until ${unlockHint(lock.unlockBy)}.`,
    evidence: {
      scope: lock.scope,
      lockedAt: lock.lockedAt,
      lockedBy: lock.lockedBy,
      unlockBy: lock.unlockBy,
      ...(lock.alertId && { alertId: lock.alertId }),
    },
  };
}

function unlockHint(by: UnlockBy): string {
  switch (by) {
    case 'code':
      return 'the owner unlocks it with a one-time code or an admin unlocks it';
    case 'password_change':
      return 'the owner changes the password or an admin unlocks it';
    case 'admin':
      return 'an admin unlocks it';
  }
}

/** An event sent by the member's simulator (demo mode): it may raise alerts and locks, never lift or relax them. */
export function isSimulated(event: { readonly attributes?: Readonly<Record<string, unknown>> }): boolean {
  return event.attributes?.simulated === true;
}
