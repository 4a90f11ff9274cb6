import type { Clock } from '../core/clock.js';
import type { Verdict } from '../detect/detector.js';
import type { ActivityEvent } from '../domain/activity-event.js';
import type { LockWrite } from '../domain/lock.js';
import type { ResponseStep } from '../domain/response.js';
import type { Severity } from '../domain/severity.js';
import type { LockBook } from './lock-book.js';
import { planResponse } from './response-planner.js';
import type { ResponsePolicy } from './response-policy.js';

export interface ResponderDependencies {
  readonly locks: LockBook;
  readonly policy: ResponsePolicy;
  readonly clock: Clock;
}

/** What the response step made of one scored event: the verdict as answered, and the steps taken. */
export interface Responded {
  readonly verdict: Verdict;
  readonly steps: readonly ResponseStep[];
}

/** Alerts remembered as responded to; they merge only within their rule's window, so old ones no longer matter. */
const MAX_REMEMBERED = 100_000;

/**
 * The response step of the pipeline: plans with the pure planner (response-planner.ts) from the
 * account's lock in memory, and applies the plan to memory at once, so that the next event of the
 * same batch sees the lock. The lock's row is written by the pipeline in the event's transaction;
 * `revert` puts memory back if that write fails.
 */
export class Responder {
  /** The highest severity each alert has been responded to at, so repeats of an alert do not resend codes. */
  private readonly respondedAt = new Map<string, Severity>();

  constructor(private readonly deps: ResponderDependencies) {}

  respond(event: ActivityEvent & { readonly id: string }, verdict: Verdict): Responded {
    const alertId = verdict.alert?.id;
    const steps = planResponse({
      event,
      verdict,
      lock: this.deps.locks.get(event.user),
      respondedAt: alertId === undefined ? undefined : this.respondedAt.get(alertId),
      policy: this.deps.policy,
      now: this.deps.clock.now(),
    });
    let answered = verdict;
    for (const step of steps) {
      switch (step.kind) {
        case 'lock':
          this.deps.locks.set(step.user, step.lock);
          break;
        case 'unlock':
          this.deps.locks.set(step.user, undefined);
          break;
        case 'remember':
          this.remember(step.alertId, step.severity);
          break;
        case 'block':
          answered = { ...answered, decision: 'block', reasons: [...answered.reasons, step.reason] };
          break;
        case 'follow_up':
          break;
      }
    }
    return { verdict: answered, steps };
  }

  /** Puts back the locks in memory of steps whose events were never stored, latest first. */
  revert(steps: readonly ResponseStep[]): void {
    for (const step of [...steps].reverse()) {
      if (step.kind === 'lock') this.deps.locks.set(step.user, step.before);
      else if (step.kind === 'unlock') this.deps.locks.set(step.user, step.lifted);
    }
  }

  private remember(alertId: string, severity: Severity): void {
    this.respondedAt.delete(alertId);
    this.respondedAt.set(alertId, severity);
    if (this.respondedAt.size > MAX_REMEMBERED) this.respondedAt.delete(this.respondedAt.keys().next().value as string);
  }
}

/** The lock rows a batch's steps write, in order, in the events' transaction. */
export function lockWrites(steps: readonly ResponseStep[], at: number): LockWrite[] {
  const writes: LockWrite[] = [];
  for (const step of steps) {
    if (step.kind === 'lock') writes.push({ user: step.user, lock: step.lock, at });
    else if (step.kind === 'unlock') writes.push({ user: step.user, lock: null, at });
  }
  return writes;
}
