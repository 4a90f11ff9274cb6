/**
 * The API's fixed vocabularies, as values. This file imports nothing, so that the dashboard can
 * import it as it is (its filters and labels list these); the schemas build their unions from it,
 * and ./present.ts proves each list equal to the server's own type.
 */

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

export const LIST_NAMES = ['block', 'allow'] as const;
export const LIST_KINDS = ['ip', 'email', 'email_domain', 'country', 'device', 'payment_method', 'user'] as const;

export const SCENARIOS = ['failed-logins', 'large-purchase-new-device', 'password-change', 'browsing-burst', 'login-abroad'] as const;

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
  'rule.created',
  'rule.updated',
  'rule.promoted',
  'rule.shadowed',
  'key.created',
  'key.revoked',
  'webhook.created',
  'webhook.deleted',
  'trust.changed',
  'model.trained',
  'model.activated',
  'logins.scored',
  'person.created',
  'person.signed_in',
  'person.signed_out',
  'person.sign_in_blocked',
  'person.totp_enabled',
  'person.totp_disabled',
  'person.totp_code_rejected',
  'person.totp_change_blocked',
  'list.entry_added',
  'list.entry_removed',
  'snooze.created',
  'snooze.cancelled',
  'monitor.level_accepted',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
