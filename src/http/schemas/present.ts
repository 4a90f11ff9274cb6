/**
 * The presenters: domain records as the API shows them, each returning the body type of its schema
 * (./*.ts), so that the compiler holds the two together. Times become ISO 8601. Not for the dashboard:
 * these import the server's domain types.
 */

import type { BulkOutcome } from '../../alerts/alert-service.js';
import type {
  AlertCount,
  AlertGroup as AlertGroupRecord,
  AlertComment as CommentRecord,
  SavedView as SavedViewRecord,
} from '../../alerts/ports.js';
import type { AuditEntry as AuditRecord, AuditAction as ServerAuditAction } from '../../audit/audit-entry.js';
import type { Scenario as ServerScenario } from '../../demo/simulator.js';
import type { ListEntry as ListRecord, ListKind as ServerListKind, ListName as ServerListName } from '../../detect/lists.js';
import type { Snooze as SnoozeRecord } from '../../detect/snoozes.js';
import type { StoredEvent as StoredEventRecord } from '../../domain/activity-event.js';
import {
  type Alert as AlertRecord,
  alertUser,
  type AlertAction as ServerAlertAction,
  type AlertStatus as ServerAlertStatus,
  type AlertType as ServerAlertType,
  type AlertTransition as TransitionRecord,
} from '../../domain/alert.js';
import type { EventType as ServerEventType } from '../../domain/event-schema.js';
import type {
  ALERT_ACTIONS,
  ALERT_STATUSES,
  ALERT_TYPES,
  AuditAction,
  EVENT_TYPES,
  LIST_KINDS,
  LIST_NAMES,
  SCENARIOS,
} from '../../domain/vocabulary.js';
import { ALERT_SEVERITIES as SEVERITY_LIST, ALERT_STATUSES as STATUS_LIST } from '../../domain/vocabulary.js';
import type { FlaggedLogin } from '../../logins/ports.js';
import type { OutboxMessage as OutboxRecord } from '../../notify/ports.js';
import type { QueuedItem } from '../../outbound/ports.js';
import type { AccountView } from '../../respond/account-service.js';
import type { SentCode as SentCodeRecord } from '../../respond/one-time-codes.js';
import type { Account, SentCode } from './accounts.js';
import type {
  Alert,
  AlertComment,
  AlertCounts,
  AlertGrouping,
  AlertGroups,
  AlertTransition,
  BulkAlertAction,
  BulkAlertResult,
  SavedView,
} from './alerts.js';
import type { AuditEntry } from './audit.js';
import type { Body } from './common.js';
import type { StoredEvent } from './events.js';
import type { ListEntry } from './lists.js';
import type { StoredFlaggedLogin } from './logins.js';
import type { OutboxMessage } from './outbox.js';
import type { OwnSnoozeSchema, SnoozeSchema } from './snoozes.js';

/** Compiles only when the vocabularies the dashboard reads (./vocabulary.ts) are the server's own. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type VocabularyMatchesServer = [
  Holds<Same<(typeof EVENT_TYPES)[number], ServerEventType>>,
  Holds<Same<(typeof ALERT_STATUSES)[number], ServerAlertStatus>>,
  Holds<Same<(typeof ALERT_ACTIONS)[number], ServerAlertAction>>,
  Holds<Same<(typeof ALERT_TYPES)[number], ServerAlertType>>,
  Holds<Same<(typeof LIST_NAMES)[number], ServerListName>>,
  Holds<Same<(typeof LIST_KINDS)[number], ServerListKind>>,
  Holds<Same<(typeof SCENARIOS)[number], ServerScenario>>,
  Holds<Same<AuditAction, ServerAuditAction>>,
];

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** An alert: times in ISO 8601, and the times to act. */
export function presentAlert(a: AlertRecord): Alert {
  // The owner is staff's business: members and the shop's app see alerts through this, without it.
  const { owner: _staffOnly, ...rest } = a;
  return {
    ...rest,
    user: alertUser(a),
    events: a.events.map((e) => ({ ...e, occurredAt: iso(e.occurredAt) })),
    firstSeenAt: iso(a.firstSeenAt),
    lastSeenAt: iso(a.lastSeenAt),
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
    acknowledgedAt: isoOrNull(a.acknowledgedAt),
    resolvedAt: isoOrNull(a.resolvedAt),
    timeToAcknowledgeMs: a.acknowledgedAt === null ? null : a.acknowledgedAt - a.createdAt,
    timeToResolveMs: a.resolvedAt === null ? null : a.resolvedAt - a.createdAt,
  };
}

/** An alert as staff see it: with its owner (null: nobody). */
export const presentStaffAlert = (a: AlertRecord): Alert => ({ ...presentAlert(a), owner: a.owner ?? null });

export const presentComment = (c: CommentRecord): AlertComment => ({
  id: c.id,
  alertId: c.alertId,
  author: c.author,
  text: c.text,
  createdAt: iso(c.at),
});

export const presentTransition = (t: TransitionRecord): AlertTransition => ({ ...t, at: iso(t.at) });

/** Counts per status and severity, every one named (zero when none), and their total. */
export function presentCounts(rows: readonly AlertCount[]): AlertCounts {
  const status = Object.fromEntries(STATUS_LIST.map((s) => [s, 0])) as Record<(typeof STATUS_LIST)[number], number>;
  const severity = Object.fromEntries(SEVERITY_LIST.map((s) => [s, 0])) as Record<(typeof SEVERITY_LIST)[number], number>;
  let total = 0;
  for (const row of rows) {
    status[row.status] += row.count;
    // An alert's severity is low or above (an event below `low` raises none).
    if (row.severity !== 'none') severity[row.severity] += row.count;
    total += row.count;
  }
  return { total, status, severity };
}

export function presentGroups(by: AlertGrouping, groups: readonly AlertGroupRecord[], limit: number): AlertGroups {
  return {
    by,
    groups: groups.slice(0, limit).map((g) => ({ key: g.key, count: g.count, latestAt: iso(g.latestAt), severity: g.severity })),
    more: groups.length > limit,
  };
}

export function presentBulk(action: BulkAlertAction, outcomes: readonly BulkOutcome[]): BulkAlertResult {
  const results = outcomes.map((o) =>
    o.ok
      ? { id: o.id, ok: true, status: o.alert.status }
      : { id: o.id, ok: false, error: { code: o.error.code, message: o.error.message } },
  );
  const succeeded = outcomes.filter((o) => o.ok).length;
  return { action, succeeded, failed: outcomes.length - succeeded, results };
}

export const presentSavedView = (v: SavedViewRecord): SavedView => ({
  id: v.id,
  name: v.name,
  query: v.query,
  createdAt: iso(v.createdAt),
  updatedAt: iso(v.updatedAt),
});

export function presentAccount(a: AccountView): Account {
  const { unlockCode, ...rest } = a;
  return {
    ...rest,
    lockedAt: isoOrNull(a.lockedAt),
    health: { ...a.health, computedAt: isoOrNull(a.health.computedAt || null) },
    ...(unlockCode !== undefined && {
      unlockCode:
        unlockCode === null
          ? null
          : { ...unlockCode, sentAt: iso(unlockCode.sentAt), expiresAt: iso(unlockCode.expiresAt), nextCodeAt: iso(unlockCode.nextCodeAt) },
    }),
  };
}

export const presentSent = (s: SentCodeRecord): SentCode => ({ sent: true, channel: s.channel, to: s.to, expiresAt: iso(s.expiresAt) });

/** An event: times as ISO 8601 again, and the answer it got beside it. */
export function presentEvent(e: StoredEventRecord): StoredEvent {
  const { occurredAt, receivedAt, result, ...rest } = e;
  return {
    ...rest,
    timestamp: iso(occurredAt),
    receivedAt: iso(receivedAt),
    decision: result.decision,
    risk: result.risk,
    severity: result.severity,
    reasons: result.reasons,
    ...(result.alertId !== undefined && { alertId: result.alertId }),
  };
}

/** An audit entry: the stored fields, with the time in ISO 8601 as well as epoch ms for re-hashing. */
export function presentAuditEntry(e: AuditRecord): AuditEntry {
  return {
    seq: e.seq,
    at: iso(e.at),
    atMs: e.at,
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    details: e.details,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

export function presentOutboxMessage(m: OutboxRecord): OutboxMessage {
  return {
    id: m.id,
    channel: m.channel,
    to: m.recipient,
    subject: m.subject,
    text: m.body,
    ...(m.html !== undefined && { html: m.html }),
    user: m.user,
    createdAt: iso(m.createdAt),
  };
}

export function presentFlaggedLogin(l: FlaggedLogin): StoredFlaggedLogin {
  return {
    id: l.id,
    uploadId: l.uploadId,
    line: l.line,
    user: l.user,
    timestamp: iso(l.occurredAt),
    ip: l.ip,
    location: l.location,
    device: l.device,
    anomaly_score: Math.round(l.score * 1e4) / 1e4,
    threshold: l.threshold,
    reasons: l.reasons,
    row: l.row,
    flaggedAt: iso(l.flaggedAt),
  };
}

/** A list entry: times as ISO 8601, and whether it is in force now. */
export function presentListEntry(e: ListRecord, now: number): ListEntry {
  return {
    id: e.id,
    list: e.list,
    kind: e.kind,
    value: e.value,
    reason: e.reason,
    rules: e.rules,
    createdBy: e.createdBy,
    createdAt: iso(e.createdAt),
    expiresAt: isoOrNull(e.expiresAt),
    expired: e.expiresAt !== null && e.expiresAt <= now,
  };
}

/** A snooze as admins see it. */
export function presentSnooze(s: SnoozeRecord, now: number): Body<typeof SnoozeSchema> {
  return {
    id: s.id,
    rule: s.ruleId,
    user: s.user,
    until: iso(s.until),
    reason: s.reason,
    active: s.cancelledAt === null && now < s.until,
    createdAt: iso(s.createdAt),
    createdBy: s.createdBy,
    cancelledAt: isoOrNull(s.cancelledAt),
    cancelledBy: s.cancelledBy ?? null,
  };
}

/** A snooze as the member sees it on their own account: who at Vigil set or cancelled it is not theirs to read. */
export function presentOwnSnooze(s: SnoozeRecord, now: number): Body<typeof OwnSnoozeSchema> {
  const { createdBy: _createdBy, cancelledBy: _cancelledBy, ...rest } = presentSnooze(s, now);
  return rest;
}

/** Where a webhook delivery's or a chat message's attempts stand (schemas' `AttemptProperties`). */
export function presentAttempts(item: QueuedItem) {
  return {
    status: item.status,
    attempts: item.attempts,
    // While pending, when the next attempt is due (a lease while one runs); null once settled.
    nextAttemptAt: item.status === 'pending' ? isoOrNull(item.nextAttemptAt) : null,
    lastStatusCode: item.lastStatusCode,
    lastError: item.lastError,
    createdAt: iso(item.createdAt),
    deliveredAt: isoOrNull(item.deliveredAt),
  };
}
