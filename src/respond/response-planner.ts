import type { Verdict } from '../detect/detector.js';
import type { ActivityEvent } from '../domain/activity-event.js';
import type { Reason } from '../domain/event-schema.js';
import { type AccountLock, describeScope, type LockScope, lockCovers, SCOPE_RANK, type UnlockBy } from '../domain/lock.js';
import type { PlannedResponse, ResponseStep } from '../domain/response.js';
import { SEVERITY_RANK, type Severity } from '../domain/severity.js';
import { actionsFor, type ResponsePolicy } from './response-policy.js';

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
    const escalation = input.respondedAt === undefined || SEVERITY_RANK[input.respondedAt] < SEVERITY_RANK[verdict.severity];
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
      response: {
        user: event.user,
        eventId: event.id,
        actions: followUp?.actions ?? [],
        unlocked: lock,
        unlockedAt: input.now,
        ...(before && { before }),
      },
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
