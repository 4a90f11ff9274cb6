import type { Clock } from '../core/clock.js';
import type { Detector, Verdict } from '../detect/detector.js';
import type { HitSeverity } from '../detect/rule.js';
import type { ActivityEvent, Enrichment } from '../ingest/activity-event.js';
import type { Reason, Severity } from '../ingest/event-schema.js';
import { type AccountLock, describeScope, type LockBook, type LockScope, lockCovers, SCOPE_RANK, type UnlockBy } from './lock.js';
import { actionsFor, type ResponseAction, type ResponsePolicy } from './response-policy.js';

/**
 * What the response to one event amounts to. The lock change is applied in memory at once and
 * written in the same transaction as the event; the rest (codes, notifications, audit, webhooks)
 * runs after the commit, from the bus.
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

export interface ResponderDependencies {
  readonly detector: Detector;
  readonly locks: LockBook;
  readonly policy: ResponsePolicy;
  readonly clock: Clock;
}

const UNLOCK_RANK: Readonly<Record<UnlockBy, number>> = { code: 0, password_change: 1, admin: 2 };
const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { none: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * Detection, then response: applies the response policy to what the detector found, and enforces
 * locks. It wraps the detector on the ingest path, so a locked account's transaction is answered
 * `block` in the same call that scores it, without reading the database.
 */
export class Responder implements Detector {
  /** The highest severity each alert has been responded to at, so repeats of an alert do not resend codes. */
  private readonly respondedAt = new Map<string, number>();

  constructor(private readonly deps: ResponderDependencies) {}

  score(event: ActivityEvent & { readonly id: string }, enrichment: Enrichment): Verdict & { readonly response?: PlannedResponse } {
    const verdict = this.deps.detector.score(event, enrichment);
    const before = this.deps.locks.get(event.user);
    let lock = before;
    let planned: PlannedResponse | undefined;

    const alert = verdict.alert;
    // Automatic responses act on the account only for alerts about that account. Credential
    // stuffing is about an IP trying many accounts: locking every account it tried would let anyone
    // lock anyone out by failing logins in their name.
    if (
      alert &&
      alert.subject.kind === 'user' &&
      verdict.severity !== 'none' &&
      (this.isEscalation(alert.id, verdict.severity) || this.locksAgain(alert.ruleIds, verdict.severity, lock))
    ) {
      const actions = actionsFor(this.deps.policy, verdict.severity, alert.ruleIds);
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
          lockedAt: this.deps.clock.now(),
          reason: alert.summary,
          alertId: alert.id,
          lockedBy: 'vigil',
          unlockBy: lock && UNLOCK_RANK[lock.unlockBy] > UNLOCK_RANK[unlockBy] ? lock.unlockBy : unlockBy,
        };
        lock = locked;
        this.deps.locks.set(event.user, locked);
      }
      if (actions.length > 0) {
        planned = {
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

    // A simulated password change (the demo's member simulator) is not one: it never lifts the lock.
    if (lock?.unlockBy === 'password_change' && event.type === 'password.changed' && !isSimulated(event)) {
      this.deps.locks.set(event.user, undefined);
      planned = { user: event.user, eventId: event.id, actions: planned?.actions ?? [], unlocked: lock, ...(before && { before }) };
      return { ...verdict, response: planned };
    }

    if (!lock || !lockCovers(lock, event.type)) return planned ? { ...verdict, response: planned } : verdict;
    const reason: Reason = {
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
    return { ...verdict, decision: 'block', reasons: [...verdict.reasons, reason], ...(planned && { response: planned }) };
  }

  /** Puts back the locks of responses whose events were never stored. */
  revert(responses: readonly PlannedResponse[]): void {
    for (const r of [...responses].reverse()) this.deps.locks.set(r.user, r.before);
  }

  /**
   * A repeat of an alert already responded to, on an account that is no longer locked: the owner
   * unlocked with a code (the alert stays open), and the same suspicious activity happened again.
   * It locks again, with a new code, rather than passing as a mere repeat.
   */
  private locksAgain(ruleIds: readonly string[], severity: HitSeverity, lock: AccountLock | undefined): boolean {
    if (lock) return false;
    const actions = actionsFor(this.deps.policy, severity, ruleIds);
    return actions.includes('lock_full') || actions.includes('lock_sensitive');
  }

  private isEscalation(alertId: string, severity: Severity): boolean {
    const rank = SEVERITY_ORDER[severity];
    const earlier = this.respondedAt.get(alertId);
    if (earlier !== undefined && earlier >= rank) return false;
    this.respondedAt.set(alertId, rank);
    // Bounded: alerts are merged only within their rule's window, so old entries no longer matter.
    if (this.respondedAt.size > 100_000) this.respondedAt.delete(this.respondedAt.keys().next().value as string);
    return true;
  }
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
