/**
 * Vigil's fixed vocabularies, as values, defined once: event types, alert statuses and actions,
 * audit actions, demo scenarios, roles. This file imports nothing, so that the dashboard imports it as it
 * is (its filters and labels list these) and the server's types and schemas are built from it.
 */

/** Every event type Vigil accepts. Adding one is a deliberate change: detection switches over these. */
export const EVENT_TYPES = [
  'login.succeeded',
  'login.failed',
  'logout',
  'password.changed',
  'email.changed',
  'mfa.enabled',
  'mfa.disabled',
  'payment_method.changed',
  'transaction',
  'payment.failed',
  'page.viewed',
] as const;

/** The severities an alert can have, strongest first (an event may also score `none`). */
export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

export const ALERT_STATUSES = ['new', 'acknowledged', 'escalated', 'resolved', 'false_positive'] as const;
export const OPEN_STATUSES: ReadonlySet<(typeof ALERT_STATUSES)[number]> = new Set(['new', 'acknowledged', 'escalated']);
export const ALERT_ACTIONS = ['acknowledge', 'escalate', 'resolve', 'false-positive'] as const;
export const ALERT_TYPES = ['security', 'transaction', 'system'] as const;
/** What a selection of alerts in the feed may do at once (assigning an owner is another kind of bulk change). */
export const BULK_ALERT_ACTIONS = ['acknowledge', 'resolve', 'false-positive'] as const;
/** At most this many alerts per bulk call: one call's transitions and audit entries stay a short wait. */
export const MAX_BULK_ALERTS = 100;
/** How the feed groups alerts: by attack story, by user, or by the alert's rule. */
export const ALERT_GROUPINGS = ['story', 'user', 'rule'] as const;
/** The feed's orders: time either way, or strongest severity first (newest first within one). */
export const ALERT_SORTS = ['newest', 'oldest', 'severity'] as const;

export const LIST_NAMES = ['block', 'allow'] as const;
export const LIST_KINDS = ['ip', 'email', 'email_domain', 'country', 'device', 'payment_method', 'user'] as const;

/**
 * Staff roles, weakest first: each may do what the ones before it may. A `viewer` reads alerts,
 * accounts, rules, lists, snoozes and the monitor; an `analyst` also triages alerts and locks and
 * unlocks accounts; an `admin` does everything (rules, lists, keys, webhooks, people, models).
 */
export const STAFF_ROLES = ['viewer', 'analyst', 'admin'] as const;
/** API keys: `ingest` for the shop's own apps (events, shoppers' codes), or a staff role. */
export const KEY_ROLES = ['ingest', ...STAFF_ROLES] as const;
/** People who sign in to the dashboard: staff, or a `member` (a shopper, seeing their own account). */
export const PERSON_ROLES = [...STAFF_ROLES, 'member'] as const;

export const SCENARIOS = ['failed-logins', 'large-purchase-new-device', 'password-change', 'browsing-burst', 'login-abroad'] as const;

/**
 * What the audit trail records. A closed list, so a typo in a caller is a compile error and a reader
 * of the log can rely on every action it may meet being listed here.
 */
export const AUDIT_ACTIONS = [
  'account.locked',
  'account.unlocked',
  'account.contact_changed',
  'user.notified',
  'code.sent',
  'code.verified',
  'code.failed',
  'alert.acknowledged',
  'alert.escalated',
  'alert.resolved',
  'alert.false_positive',
  'alert.disputed',
  'alert.confirmed',
  'alert.assigned',
  'alert.unassigned',
  'alert.commented',
  'rule.created',
  'rule.updated',
  'rule.promoted',
  'rule.shadowed',
  'key.created',
  'key.revoked',
  'webhook.created',
  'webhook.deleted',
  'staff_channel.created',
  'staff_channel.deleted',
  'trust.changed',
  'model.trained',
  'model.activated',
  'logins.scored',
  'person.created',
  'person.role_changed',
  'person.signed_in',
  'person.signed_out',
  'person.sign_in_blocked',
  'person.sso_refused',
  'person.totp_enabled',
  'person.totp_disabled',
  'person.totp_code_rejected',
  'person.totp_change_blocked',
  'list.entry_added',
  'list.entry_removed',
  'snooze.created',
  'snooze.cancelled',
  'alerts.exported',
  'view.saved',
  'view.deleted',
  'monitor.level_accepted',
  'monitor.incident_closed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
