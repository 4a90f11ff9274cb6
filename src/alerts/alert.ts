import { assertExhaustive } from '../core/result.js';
import type { AlertType, Subject, SuggestedAction } from '../detect/rule.js';
import type { Decision, EventType, Reason, Severity } from '../ingest/event-schema.js';

export const ALERT_STATUSES = ['new', 'acknowledged', 'escalated', 'resolved', 'false_positive'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const OPEN_STATUSES: ReadonlySet<AlertStatus> = new Set(['new', 'acknowledged', 'escalated']);

export const ALERT_ACTIONS = ['acknowledge', 'escalate', 'resolve', 'false-positive'] as const;
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

export interface Alert {
  readonly id: string;
  /** Rule and subject: repeats within the rule's window update this alert instead of raising another. */
  readonly dedupKey: string;
  readonly ruleId: string;
  readonly ruleIds: readonly string[];
  readonly subject: Subject;
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
  readonly suggestedActions: readonly SuggestedAction[];
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
