/**
 * The JSON the dashboard reads, as the server presents it (src/http/routes/*.ts: presentAlert,
 * presentAccount, presentEvent, presentRule, …). Times are ISO 8601 strings.
 */

export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

export const ALERT_STATUSES = ['new', 'acknowledged', 'escalated', 'resolved', 'false_positive'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const OPEN_STATUSES: ReadonlySet<AlertStatus> = new Set(['new', 'acknowledged', 'escalated']);

export const ALERT_ACTIONS = ['acknowledge', 'escalate', 'resolve', 'false-positive'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

export const ALERT_TYPES = ['security', 'transaction', 'system'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export type Decision = 'allow' | 'challenge' | 'block';

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
export type EventType = (typeof EVENT_TYPES)[number];

export interface Reason {
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  readonly evidence: Readonly<Record<string, unknown>>;
}

export interface AlertEventSnapshot {
  readonly id: string;
  readonly type: EventType;
  readonly occurredAt: string;
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
  readonly ruleId: string;
  readonly ruleIds: readonly string[];
  readonly subject: { readonly kind: 'user' | 'ip' | 'device' | 'status'; readonly value: string };
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
  readonly suggestedActions: readonly string[];
  readonly occurrences: number;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly acknowledgedAt: string | null;
  readonly resolvedAt: string | null;
  readonly timeToAcknowledgeMs: number | null;
  readonly timeToResolveMs: number | null;
}

export interface AlertTransition {
  readonly alertId: string;
  readonly from: AlertStatus;
  readonly to: AlertStatus;
  readonly actor: string;
  readonly note: string | null;
  readonly at: string;
}

export interface AlertDetail extends Alert {
  readonly transitions: readonly AlertTransition[];
}

export interface AlertPage {
  readonly alerts: readonly Alert[];
  readonly nextCursor: string | null;
}

export type LockScope = 'sensitive' | 'full';
export type UnlockBy = 'code' | 'password_change' | 'admin';

export interface HealthReason {
  readonly factor: string;
  readonly impact: number;
  readonly message: string;
}

export interface Suggestion {
  readonly action: string;
  readonly why: string;
}

export interface Account {
  readonly user: string;
  readonly locked: boolean;
  readonly lockScope: LockScope | null;
  readonly lockedAt: string | null;
  readonly reason: string | null;
  readonly alertId: string | null;
  readonly lockedBy?: string | null;
  readonly unlockBy: UnlockBy | null;
  readonly contact: { readonly email?: string; readonly phone?: string };
  readonly health: { readonly score: number; readonly reasons: readonly HealthReason[]; readonly computedAt: string | null };
  readonly suggestions: readonly Suggestion[];
  /** GET /v1/me only: whether the member's simulator is on (demo mode). */
  readonly simulator?: boolean;
}

export interface AccountPage {
  readonly accounts: readonly Account[];
  readonly nextCursor: string | null;
}

export interface StoredEvent {
  readonly id: string;
  readonly type: EventType;
  readonly user: string;
  readonly timestamp: string;
  readonly receivedAt: string;
  readonly session?: string;
  readonly device?: string;
  readonly ip?: string;
  readonly userAgent?: string;
  readonly amount?: number;
  readonly currency?: string;
  readonly merchant?: string;
  readonly path?: string;
  readonly enrichment?: {
    readonly geo?: { readonly country?: string; readonly city?: string };
    readonly userAgent?: { readonly summary: string; readonly deviceClass: string };
    readonly novelty?: {
      readonly hasHistory: boolean;
      readonly newDevice: boolean | null;
      readonly newCountry: boolean | null;
      readonly newNetwork: boolean | null;
    };
  };
  readonly decision: Decision;
  readonly risk: number;
  readonly severity: Severity;
  readonly reasons: readonly Reason[];
  readonly alertId?: string;
}

export interface EventPage {
  readonly user: string;
  readonly events: readonly StoredEvent[];
  readonly nextCursor: string | null;
}

export interface Person {
  readonly id: string;
  readonly email: string;
  readonly role: 'admin' | 'member';
  readonly user: string | null;
  readonly totpEnabled: boolean;
}

export interface Session {
  readonly person: Person;
  readonly csrfToken: string;
}

export interface SentCode {
  readonly sent: true;
  readonly channel: 'email' | 'sms';
  readonly to: string;
  readonly expiresAt: string;
}

export const SCENARIOS = ['failed-logins', 'large-purchase-new-device', 'password-change', 'browsing-burst', 'login-abroad'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface SimulationResult {
  readonly scenario: Scenario;
  readonly results: ReadonlyArray<{
    readonly id: string;
    readonly decision: Decision;
    readonly risk: number;
    readonly severity: Severity;
    readonly reasons: readonly Reason[];
    readonly alertId?: string;
  }>;
}

export interface JsonSchema {
  readonly type?: string;
  readonly description?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly anyOf?: ReadonlyArray<{ readonly const?: unknown; readonly type?: string }>;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly patternProperties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
}

export interface Rule {
  readonly id: string;
  readonly kind: 'builtin' | 'custom';
  readonly title: string;
  readonly description: string;
  readonly alertType: AlertType;
  readonly enabled: boolean;
  /** live: findings count. shadow: findings are stored and counted, but change nothing. */
  readonly mode: RuleMode;
  /** Findings per mode: last 7 and 30 UTC days (today included) and the last 14 days one by one. */
  readonly stats?: RuleStats;
  readonly version: number;
  readonly config: Readonly<Record<string, unknown>>;
  readonly defaults?: Readonly<Record<string, unknown>>;
  readonly configSchema?: JsonSchema;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

export type RuleMode = 'live' | 'shadow';

export interface RuleDay {
  /** 'YYYY-MM-DD', UTC. */
  readonly day: string;
  readonly hits: number;
  /** Alerts raised (live) or that would have been raised (shadow). */
  readonly alerts: number;
}

export interface RuleStats {
  readonly live: {
    readonly last7Days: { readonly hits: number; readonly alerts: number };
    readonly last30Days: { readonly hits: number; readonly alerts: number };
    readonly daily: readonly RuleDay[];
  };
  readonly shadow: {
    readonly last7Days: { readonly hits: number; readonly wouldHaveAlerted: number };
    readonly last30Days: { readonly hits: number; readonly wouldHaveAlerted: number };
    readonly daily: readonly RuleDay[];
  };
}

export interface BacktestResult {
  readonly ruleId: string;
  readonly from: string;
  readonly to: string;
  readonly eventsReplayed: number;
  readonly hits: number;
  readonly alerts: number;
  readonly bySeverity: Readonly<Record<string, number>>;
  readonly users: ReadonlyArray<{ readonly user: string; readonly hits: number }>;
  readonly examples: ReadonlyArray<{
    readonly eventId: string;
    readonly user: string;
    readonly at: string;
    readonly severity: string;
    readonly message: string;
  }>;
}

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
  'person.created',
  'person.signed_in',
  'person.signed_out',
  'person.sign_in_blocked',
  'person.totp_enabled',
  'person.totp_disabled',
  'person.totp_code_rejected',
  'person.totp_change_blocked',
  'snooze.created',
  'snooze.cancelled',
  'list.entry_added',
  'list.entry_removed',
] as const;

export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  readonly nextCursor: string | null;
}

export type AuditVerify =
  | { readonly ok: true; readonly entries: number; readonly head?: { readonly seq: number; readonly hash: string } | null }
  | { readonly ok: false; readonly entries: number; readonly broken: { readonly seq: number; readonly reason: string } };

export interface OutboxMessage {
  readonly id: string;
  readonly channel: 'email' | 'sms';
  readonly to: string;
  readonly subject: string | null;
  readonly text: string;
  readonly user: string | null;
  readonly createdAt: string;
}

export interface OutboxPage {
  readonly messages: readonly OutboxMessage[];
  readonly nextCursor: string | null;
}

export interface ActivityStats {
  readonly from: string;
  readonly to: string;
  readonly minutes: ReadonlyArray<{
    readonly at: string;
    readonly events: Readonly<Record<string, number>>;
    readonly alerts: Readonly<Record<string, number>>;
  }>;
}

/** `event: account` of the live feed. */
export interface AccountChange {
  readonly user: string;
  readonly locked: boolean;
  readonly scope: LockScope;
  readonly at: string;
  readonly actor: string;
  readonly reason: string;
  readonly alertId?: string;
}

/** One reason a scored login stood out: a feature's share of its isolation (src/logins/login-scoring.ts). */
export interface LoginReason {
  readonly feature: string;
  readonly contribution: number;
  readonly value: number;
  readonly detail: string;
}

/** A row of POST /v1/logins/score (presentUpload). */
export interface ScoredLoginRow {
  readonly line: number;
  readonly user: string;
  readonly timestamp: string;
  readonly anomaly_score: number;
  readonly anomaly_flag: 0 | 1;
  readonly reasons: readonly LoginReason[];
}

export interface LoginUploadResult {
  readonly uploadId: string;
  readonly rows: number;
  readonly flagged: number;
  readonly threshold: number;
  readonly contamination: 'auto' | number;
  readonly stored: { readonly new: number; readonly alreadyStored: number };
  readonly emailed: number;
  readonly columns: {
    readonly mapped: Readonly<Record<string, string>>;
    readonly numeric: readonly string[];
    readonly categorical: readonly string[];
    readonly features: readonly string[];
  };
  readonly results: readonly ScoredLoginRow[];
}

/** A row of GET /v1/logins/flagged (presentFlagged). */
export interface StoredFlaggedLogin {
  readonly id: string;
  readonly uploadId: string;
  readonly line: number;
  readonly user: string;
  readonly timestamp: string;
  readonly ip: string | null;
  readonly location: string | null;
  readonly device: string | null;
  readonly anomaly_score: number;
  readonly threshold: number;
  readonly reasons: readonly LoginReason[];
  readonly row: Readonly<Record<string, string>>;
  readonly flaggedAt: string;
}

export interface FlaggedLoginsPage {
  readonly logins: readonly StoredFlaggedLogin[];
  readonly nextCursor: string | null;
}

/** One minute of GET /v1/monitor/series. */
export interface MonitorPoint {
  readonly timestamp: string;
  readonly count: number;
  /** What the minute was judged against; null while the status was still learning. */
  readonly expected: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  readonly score: number | null;
  readonly anomaly: boolean;
  readonly direction?: 'rise' | 'drop';
  readonly severity?: 'low' | 'medium' | 'high';
  readonly reason?: string;
  readonly alertId?: string | null;
  /** The incident the minute belongs to. */
  readonly incidentId?: string | null;
}

/** One incident of GET /v1/monitor/incidents: a status going one way for a while, with its one alert. */
export interface MonitorIncident {
  readonly id: string;
  readonly source: 'reported' | 'events';
  readonly status: string;
  readonly direction: 'rise' | 'drop';
  readonly state: 'open' | 'closed';
  readonly start: string;
  readonly detectedAt: string;
  readonly lastAbnormal: string;
  readonly end: string | null;
  readonly closedAt: string | null;
  readonly minutes: number;
  readonly anomalousMinutes: number;
  readonly count: number;
  readonly expected: number;
  readonly peak: { readonly timestamp: string; readonly count: number; readonly expected: number; readonly score: number };
  readonly note: string | null;
  readonly alertId: string | null;
}

export interface MonitorSeries {
  readonly source: 'reported' | 'events';
  readonly status: string;
  readonly anomalies: number;
  readonly points: readonly MonitorPoint[];
}

export interface MonitorSeriesPage {
  readonly from: string;
  readonly to: string;
  readonly series: readonly MonitorSeries[];
}

/** A rule snoozed for one account until a time (GET/POST /v1/snoozes, /v1/me/snoozes). */
export interface Snooze {
  readonly id: string;
  readonly rule: string;
  readonly user: string;
  readonly until: string;
  readonly reason: string;
  /** In force now: not cancelled and not yet ended. */
  readonly active: boolean;
  readonly createdAt: string;
  readonly cancelledAt: string | null;
  /** Admins' view only. */
  readonly createdBy?: string;
  readonly cancelledBy?: string | null;
}

export interface SnoozeList {
  readonly snoozes: readonly Snooze[];
  /** GET /v1/me/snoozes: the rules a member may snooze. */
  readonly rules?: readonly string[];
}

/** Allow and block lists (GET/POST /v1/lists, DELETE /v1/lists/:id). */
export const LIST_NAMES = ['block', 'allow'] as const;
export type ListName = (typeof LIST_NAMES)[number];
export const LIST_KINDS = ['ip', 'email', 'email_domain', 'country', 'device', 'payment_method', 'user'] as const;
export type ListKind = (typeof LIST_KINDS)[number];

export interface ListEntry {
  readonly id: string;
  readonly list: ListName;
  readonly kind: ListKind;
  readonly value: string;
  readonly reason: string;
  /** Allow entries: the rules it stops; empty for every rule. */
  readonly rules: readonly string[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly expired: boolean;
}
