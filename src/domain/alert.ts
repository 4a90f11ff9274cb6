import { assertExhaustive } from '../core/result.js';
import type { Decision, EventType, Reason } from './event-schema.js';
import type { Severity } from './severity.js';
import { type ALERT_ACTIONS, type ALERT_STATUSES, OPEN_STATUSES } from './vocabulary.js';

/** A finding's severity: never none. */
export type HitSeverity = Exclude<Severity, 'none'>;
export type AlertType = 'security' | 'transaction' | 'system';

/** Who an alert is about. Most rules are about the user; credential stuffing is about the IP. */
export interface Subject {
  readonly kind: 'user' | 'ip' | 'device';
  readonly value: string;
}

export const SUGGESTED_ACTIONS = [
  'confirm_with_user_by_otp',
  'block_ip',
  'reset_password',
  'lock_account',
  'review_transaction',
  'review_device',
  'enable_2fa',
] as const;
export type SuggestedAction = (typeof SUGGESTED_ACTIONS)[number];

export type AlertStatus = (typeof ALERT_STATUSES)[number];
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** A triggering event as the alert keeps it: enough to understand it without another query. */
export interface AlertEventSnapshot {
  readonly id: string;
  readonly type: EventType;
  readonly occurredAt: number;
  readonly ip?: string;
  readonly device?: string;
  readonly country?: string;
  readonly city?: string;
  readonly amount?: number;
  readonly currency?: string;
  readonly path?: string;
}

/**
 * Who an alert is about: a detection rule's subject (a user, an IP, a device), or a transaction
 * status watched by the volume monitor (`monitor/`), whose alerts are about the shop's traffic as a
 * whole. Such alerts carry `user: "status:<name>"`, so that the user filter and search find them;
 * Security Health counts only alerts whose subject is a user, so no account's score moves.
 */
export type AlertSubject = Subject | { readonly kind: 'status'; readonly value: string };

/** What the volume monitor suggests: its alerts are about traffic, so the account actions do not fit. */
export const TRAFFIC_ACTIONS = [
  'check_payment_provider',
  'look_for_card_testing',
  'review_decline_reasons',
  'review_reversals',
  'check_checkout',
] as const;
export type TrafficAction = (typeof TRAFFIC_ACTIONS)[number];

export interface Alert {
  readonly id: string;
  /** Rule and subject: repeats within the rule's window update this alert instead of raising another. */
  readonly dedupKey: string;
  readonly ruleId: string;
  readonly ruleIds: readonly string[];
  readonly subject: AlertSubject;
  readonly user: string;
  readonly session?: string;
  readonly device?: string;
  readonly ip?: string;
  readonly country?: string;
  readonly city?: string;
  readonly userAgent?: string;
  readonly summary: string;
  readonly type: AlertType;
  readonly severity: Severity;
  readonly risk: number;
  readonly decision: Decision;
  readonly status: AlertStatus;
  readonly reasons: readonly Reason[];
  readonly events: readonly AlertEventSnapshot[];
  readonly relatedEventIds: readonly string[];
  readonly suggestedActions: readonly (SuggestedAction | TrafficAction)[];
  readonly occurrences: number;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly acknowledgedAt: number | null;
  readonly resolvedAt: number | null;
}

export interface AlertTransition {
  readonly alertId: string;
  readonly from: AlertStatus;
  readonly to: AlertStatus;
  readonly actor: string;
  readonly note: string | null;
  readonly at: number;
}

/** The status an action leads to from a status, or undefined when the lifecycle does not allow it. */
export function nextStatus(from: AlertStatus, action: AlertAction): AlertStatus | undefined {
  if (!OPEN_STATUSES.has(from)) return undefined;
  switch (action) {
    case 'acknowledge':
      return from === 'acknowledged' ? undefined : 'acknowledged';
    case 'escalate':
      return from === 'escalated' ? undefined : 'escalated';
    case 'resolve':
      return 'resolved';
    case 'false-positive':
      return 'false_positive';
    default:
      return assertExhaustive(action, 'alert action');
  }
}
