import type { AccountLockChange } from '../bus/bus.js';
import { type Alert, alertUser } from '../domain/alert.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The `data` of an `alert.raised` delivery: the alert as the API shows it, times in ISO 8601. The
 * de-duplication key is internal and left out.
 */
export function alertRaisedData(a: Alert) {
  return {
    id: a.id,
    ruleId: a.ruleId,
    ruleIds: a.ruleIds,
    subject: a.subject,
    user: alertUser(a),
    ...(a.session !== undefined && { session: a.session }),
    ...(a.device !== undefined && { device: a.device }),
    ...(a.ip !== undefined && { ip: a.ip }),
    ...(a.country !== undefined && { country: a.country }),
    ...(a.city !== undefined && { city: a.city }),
    ...(a.userAgent !== undefined && { userAgent: a.userAgent }),
    summary: a.summary,
    type: a.type,
    severity: a.severity,
    risk: a.risk,
    decision: a.decision,
    status: a.status,
    reasons: a.reasons,
    events: a.events.map((e) => ({ ...e, occurredAt: iso(e.occurredAt) })),
    relatedEventIds: a.relatedEventIds,
    suggestedActions: a.suggestedActions,
    occurrences: a.occurrences,
    firstSeenAt: iso(a.firstSeenAt),
    lastSeenAt: iso(a.lastSeenAt),
    createdAt: iso(a.createdAt),
  };
}

/** The `data` of `account.locked` and `account.unlocked`. */
export function accountLockData(c: AccountLockChange) {
  return {
    user: c.user,
    scope: c.scope,
    at: iso(c.at),
    actor: c.actor,
    reason: c.reason,
    ...(c.alertId !== undefined && { alertId: c.alertId }),
  };
}
