import { assertExhaustive } from '../core/result.js';
import type { Decision, EventType, Reason } from './event-schema.js';
import type { Severity } from './severity.js';
import { type ALERT_ACTIONS, type ALERT_STATUSES, OPEN_STATUSES } from './vocabulary.js';

/** A finding's severity: never none. */
export type HitSeverity = Exclude<Severity, 'none'>;
export type AlertType = 'security' | 'transaction' | 'system';

/** Who a detection rule's finding is about. Most rules are about the user; credential stuffing is about the IP. */
export type Subject = AccountSubject | SourceSubject;

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

/** What the volume monitor suggests: its alerts are about traffic, so the account actions do not fit. */
export const TRAFFIC_ACTIONS = [
  'check_payment_provider',
  'look_for_card_testing',
  'review_decline_reasons',
  'review_reversals',
  'check_checkout',
] as const;
export type TrafficAction = (typeof TRAFFIC_ACTIONS)[number];

/** A detection rule's finding about one account: most rules. */
export interface AccountSubject {
  readonly kind: 'user';
  readonly value: string;
}
/** A finding about a source many accounts may share: an IP (credential stuffing) or a device (card testing). */
export interface SourceSubject {
  readonly kind: 'ip' | 'device';
  readonly value: string;
}
/** A transaction status the volume monitor (`monitor/`) watched: the shop's traffic as a whole, no account. */
export interface TrafficSubject {
  readonly kind: 'status';
  readonly value: string;
}
/** Who an alert is about. The kinds are the ones stored (`alerts.subject_kind`) and returned by the API. */
export type AlertSubject = AccountSubject | SourceSubject | TrafficSubject;

/** What every alert has, whoever raised it. */
interface AlertBase {
  readonly id: string;
  /** Rule and subject (an incident for traffic): a repeat within its merge window updates this alert instead of raising another. */
  readonly dedupKey: string;
  readonly ruleId: string;
  readonly ruleIds: readonly string[];
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
  /** The member of staff working the alert; absent or null: nobody yet. Only people set it, never detection. */
  readonly owner?: AlertOwner | null;
}

/** A member of staff (analyst or admin) as an alert names its owner. */
export interface AlertOwner {
  readonly id: string;
  readonly email: string;
}

/** Where the event that raised an alert came from: the account it was for, its session, device and place. */
export interface EventContext {
  readonly user: string;
  readonly session?: string;
  readonly device?: string;
  readonly ip?: string;
  readonly country?: string;
  readonly city?: string;
  readonly userAgent?: string;
}

/** Raised by detection about an account. */
export interface AccountAlert extends AlertBase, EventContext {
  readonly subject: AccountSubject;
}

/** Raised by detection about an IP or a device; `user` is the account of the event that raised it. */
export interface SourceAlert extends AlertBase, EventContext {
  readonly subject: SourceSubject;
}

/**
 * Raised by the volume monitor about a transaction status: no account and no event, so none of the
 * event's context (`user` is absent here; `alertUser` gives what the API and the user filter show).
 */
export interface TrafficAlert extends AlertBase {
  readonly subject: TrafficSubject;
  readonly user?: never;
  readonly session?: never;
  readonly device?: never;
  readonly ip?: never;
  readonly country?: never;
  readonly city?: never;
  readonly userAgent?: never;
}

/** An alert, by what it is about. One raiser (`detect/alert-raiser.ts`) opens and merges all three. */
export type Alert = AccountAlert | SourceAlert | TrafficAlert;
/** An alert detection raised from an event. */
export type EventAlert = AccountAlert | SourceAlert;

/**
 * What a start reads of an open alert (`AlertStore.listOpenHeads`): enough to know which events may
 * grow it and to choose between two alerts about one source, without its events and reasons, which
 * are most of its row (detect/alert-book.ts loads those when an event about its subject comes).
 */
export interface OpenAlertHead {
  readonly id: string;
  readonly dedupKey: string;
  readonly status: AlertStatus;
  readonly subject: AlertSubject;
  readonly occurrences: number;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  readonly createdAt: number;
}

/**
 * The alert's `user` as stored (`alerts.user_id`) and returned by the API: the account for alerts
 * detection raised, `status:<name>` for traffic alerts. The label is what clients have always seen,
 * and what `GET /v1/alerts?user=status:failed` and search find; `subject` says what it really is.
 */
export function alertUser(a: Alert): string {
  return isTrafficAlert(a) ? `status:${a.subject.value}` : a.user;
}

export const isTrafficAlert = (a: Alert): a is TrafficAlert => a.subject.kind === 'status';
export const isAccountAlert = (a: Alert): a is AccountAlert => a.subject.kind === 'user';
/** Whether an alert is about this account itself (not an IP or device it used, nor traffic). */
export const isAboutAccount = (a: Alert, user: string): a is AccountAlert =>
  isAccountAlert(a) && a.subject.value === user && a.user === user;

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
