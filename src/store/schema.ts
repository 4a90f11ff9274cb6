import type { ColumnType } from 'kysely';

/** Table types for Kysely. Times are epoch milliseconds (bigint on PostgreSQL, parsed back to number). */
export interface Database {
  events: EventsTable;
  user_seen: UserSeenTable;
  api_keys: ApiKeysTable;
  alerts: AlertsTable;
  alert_transitions: AlertTransitionsTable;
  rule_settings: RuleSettingsTable;
  rule_versions: RuleVersionsTable;
  accounts: AccountsTable;
  account_trust: AccountTrustTable;
  one_time_codes: OneTimeCodesTable;
  audit_log: AuditLogTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  outbox: OutboxTable;
}

export interface AccountsTable {
  user_id: string;
  email: string | null;
  phone: string | null;
  /** null when not locked; `sensitive` or `full`. */
  lock_scope: string | null;
  locked_at: number | null;
  lock_reason: string | null;
  lock_alert_id: string | null;
  locked_by: string | null;
  /** What lifts the lock besides an admin: `code` (the owner's one-time code), `password_change` (after a dispute) or `admin` only. */
  unlock_requires: string | null;
  health_score: number;
  health_json: string;
  updated_at: number;
}

export interface AccountTrustTable {
  user_id: string;
  /** `device`, `ip` or `country`. */
  kind: string;
  value: string;
  /** `trusted` (the owner said "this was me") or `untrusted` (the owner said "this wasn't me"). */
  trust: string;
  alert_id: string | null;
  at: number;
}

export interface OneTimeCodesTable {
  id: string;
  user_id: string;
  /** `unlock` or `confirm` (proving control before an alert is closed as a false positive). */
  purpose: string;
  alert_id: string | null;
  channel: string;
  /** HMAC-SHA256 of the code; the code itself is never stored. */
  code_hash: string;
  created_at: number;
  expires_at: number;
  failed_attempts: number;
  used_at: number | null;
}

export interface AuditLogTable {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  details_json: string;
  prev_hash: string;
  /** SHA-256 over the previous hash and this entry's fields: editing any row breaks the chain from there. */
  hash: string;
}

export interface WebhooksTable {
  id: string;
  url: string;
  events_json: string;
  /** The signing secret, encrypted (AES-256-GCM) with the server's secret key: it must be read back to sign. */
  secret_ciphertext: string;
  description: string | null;
  created_at: number;
  created_by: string;
  disabled_at: number | null;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_type: string;
  payload_json: string;
  /** `pending`, `delivered` or `failed` (gave up after the last retry). */
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface OutboxTable {
  id: string;
  /** `email` or `sms`. */
  channel: string;
  recipient: string;
  subject: string;
  body: string;
  user_id: string | null;
  created_at: number;
}

export interface AlertsTable {
  id: string;
  dedup_key: string;
  rule_id: string;
  rule_ids_json: string;
  subject_kind: string;
  subject_value: string;
  user_id: string;
  session_id: string | null;
  device_id: string | null;
  ip: string | null;
  country: string | null;
  city: string | null;
  user_agent: string | null;
  summary: string;
  type: string;
  severity: string;
  risk: number;
  decision: string;
  status: string;
  reasons_json: string;
  events_json: string;
  related_json: string;
  actions_json: string;
  occurrences: number;
  first_seen_at: number;
  last_seen_at: number;
  created_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  resolved_at: number | null;
  /** Lower-cased summary, user, IP, place and reasons: what `q` searches. */
  search_text: string;
}

export interface AlertTransitionsTable {
  id: string;
  alert_id: string;
  from_status: string;
  to_status: string;
  actor: string;
  note: string | null;
  at: number;
}

export interface RuleSettingsTable {
  rule_id: string;
  kind: string;
  version: number;
  /** Built-in rules: the configuration override. Custom rules: the whole definition. */
  config_json: string;
  updated_at: number;
  updated_by: string;
}

export interface RuleVersionsTable {
  rule_id: string;
  version: number;
  kind: string;
  config_json: string;
  changed_by: string;
  changed_at: number;
  note: string | null;
}

export interface EventsTable {
  id: string;
  user_id: string;
  type: string;
  occurred_at: number;
  received_at: number;
  session_id: string | null;
  device_id: string | null;
  ip: string | null;
  country: string | null;
  decision: string;
  risk: number;
  severity: string;
  alert_id: string | null;
  /** The validated event as JSON; the columns above are copies kept for indexes and filters. */
  event_json: string;
  enrichment_json: string;
  reasons_json: string;
}

export interface UserSeenTable {
  user_id: string;
  kind: string;
  value: string;
  first_seen_at: number;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  role: string;
  /** The first characters of the key, enough to recognise it in a list; never enough to use it. */
  prefix: string;
  /** SHA-256 of the whole key. Keys are 256-bit random, so a fast hash is enough: nothing to brute-force. */
  secret_hash: string;
  source: string;
  created_at: number;
  revoked_at: ColumnType<number | null, number | null | undefined, number | null>;
}
