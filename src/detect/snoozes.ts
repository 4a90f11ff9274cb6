/**
 * A rule suppressed for one subject until a time (Jube's suppression, Marble's rule snooze): the
 * rule still runs and its findings are recorded as snoozed, but they add nothing to risk, decision
 * or alerts.
 */
export interface Snooze {
  readonly id: string;
  readonly ruleId: string;
  /** The account it applies to. */
  readonly user: string;
  readonly until: number;
  readonly reason: string;
  readonly createdBy: string;
  readonly createdAt: number;
  /** When it was cancelled; null while it was not. A cancelled snooze is never in force. */
  readonly cancelledAt: number | null;
  /** Who cancelled it (the store always sets it; detection does not need it). */
  readonly cancelledBy?: string | null;
}

/** What detection asks of the snoozes: the one in force for this rule and user at `now`, if any. */
export interface SnoozeLookup {
  snoozed(ruleId: string, user: string, now: number): Snooze | undefined;
}
