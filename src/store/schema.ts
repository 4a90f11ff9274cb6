import type { ColumnType } from 'kysely';

/** Table types for Kysely. Times are epoch milliseconds (bigint on PostgreSQL, parsed back to number). */
export interface Database {
  events: EventsTable;
  user_seen: UserSeenTable;
  api_keys: ApiKeysTable;
  alerts: AlertsTable;
  alert_transitions: AlertTransitionsTable;
  alert_comments: AlertCommentsTable;
  rule_settings: RuleSettingsTable;
  rule_versions: RuleVersionsTable;
  rule_daily_stats: RuleDailyStatsTable;
  accounts: AccountsTable;
  account_trust: AccountTrustTable;
  one_time_codes: OneTimeCodesTable;
  audit_log: AuditLogTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  pending_effects: PendingEffectsTable;
  partition_fences: PartitionFencesTable;
  staff_channels: StaffChannelsTable;
  staff_messages: StaffMessagesTable;
  staff_alert_groups: StaffAlertGroupsTable;
  staff_digests: StaffDigestsTable;
  outbox: OutboxTable;
  people: PeopleTable;
  sessions: SessionsTable;
  anomaly_models: AnomalyModelsTable;
  login_scores: LoginScoresTable;
  monitor_series: MonitorSeriesTable;
  monitor_baselines: MonitorBaselinesTable;
  monitor_anomalies: MonitorAnomaliesTable;
  monitor_incidents: MonitorIncidentsTable;
  snoozes: SnoozesTable;
  list_entries: ListEntriesTable;
  saved_views: SavedViewsTable;
}

/** The alert feed's saved views: a staff member's named filters (alerts/saved-views.ts). */
export interface SavedViewsTable {
  id: string;
  /** The person's id, or `key:<id>` for an API key. */
  owner: string;
  name: string;
  /** The feed's query string, without `?`. */
  query: string;
  created_at: number;
  updated_at: number;
}

/** The volume monitor's per-minute counts: one row per source, minute and status. */
export interface MonitorSeriesTable {
  /** `reported` (POST /v1/monitor, vigil monitor train) or `events` (counted from Vigil's events). */
  source: string;
  /** The minute's start, epoch ms (UTC). */
  minute_at: number;
  /** Normalised: lower case, `_` for spaces and hyphens. */
  status: string;
  count: number;
  /** What was expected when the minute was judged; null while the status was still learning. */
  expected: number | null;
  lower_bound: number | null;
  upper_bound: number | null;
  /** Standard deviations from the expected level (square-root scale), signed. */
  score: number | null;
  /** `hour_of_day` or `recent`. */
  basis: string | null;
  updated_at: number;
}

/** A learned baseline per source and status (monitor/baseline.ts `StatusBaseline`, as JSON). */
export interface MonitorBaselinesTable {
  source: string;
  status: string;
  state_json: string;
  last_minute: number | null;
  updated_at: number;
}

/** Minutes the volume monitor found anomalous, with the alert each raised or updated. */
export interface MonitorAnomaliesTable {
  id: string;
  source: string;
  minute_at: number;
  status: string;
  count: number;
  expected: number;
  /** One standard deviation, in counts. */
  spread: number;
  lower_bound: number;
  upper_bound: number;
  score: number;
  /** `rise` or `drop`. */
  direction: string;
  /** `low`, `medium` or `high`. */
  severity: string;
  basis: string;
  reason: string;
  /** Null for anomalies found in a training history (no alert is raised for the past). */
  alert_id: string | null;
  found_at: number;
  /** The incident the minute belongs to (0017); null for rows stored before incidents existed. */
  incident_id: string | null;
}

/** The volume monitor's incidents (monitor/incident.ts `IncidentRecord`). */
export interface MonitorIncidentsTable {
  id: string;
  source: string;
  status: string;
  /** `rise` or `drop`. */
  direction: string;
  /** `open` or `closed`. */
  state: string;
  start_at: number;
  detected_at: number;
  last_abnormal_at: number;
  end_at: number | null;
  closed_at: number | null;
  anomalous_minutes: number;
  count: number;
  expected: number;
  /** {minute, count, expected, score}. */
  peak_json: string;
  note: string | null;
  alert_id: string | null;
  updated_at: number;
}

/** Logins flagged in uploaded login-activity files, one row per login (by content hash). */
export interface LoginScoresTable {
  id: string;
  /** SHA-256 of the login's normalised content; unique. */
  row_hash: string;
  /** The upload that first flagged it, and its line there. */
  upload_id: string;
  line: number;
  user_id: string;
  occurred_at: number;
  ip: string | null;
  location: string | null;
  device: string | null;
  /** s(x) in (0, 1] and the threshold it was above. */
  score: number;
  threshold: number;
  reasons_json: string;
  /** Every cell of the row, by header name. */
  row_json: string;
  flagged_at: number;
}

export interface AnomalyModelsTable {
  id: string;
  /** `login` or `transaction`. */
  kind: string;
  /** `isolation_forest`. */
  type: string;
  /** 1, 2, 3… per kind. */
  version: number;
  parameters_json: string;
  /** Feature names, in input order. */
  features_json: string;
  metrics_json: string;
  /** The serialized forest. */
  forest_json: string;
  trained_at: number;
  trained_by: string;
  /** 1 for the kind's active model, 0 otherwise. */
  active: number;
  activated_at: number | null;
  activated_by: string | null;
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
  /** What caused it, for deliveries that must not be made twice for one cause (see 0022). */
  origin: string | null;
}

/** What a committed batch still owes: announcements and responses (ingest/pending-effects.ts). */
/** The distributed mode's fencing token per partition (migration 0023). */
export interface PartitionFencesTable {
  partition: number;
  epoch: number;
  owner: string;
}

export interface PendingEffectsTable {
  id: string;
  user_id: string;
  created_at: number;
  /** `{ raised: alert ids, responses: PlannedResponse[] }`. */
  effects_json: string;
}

/** A chat channel for staff (Slack, Teams, generic chat webhook). */
export interface StaffChannelsTable {
  id: string;
  /** `slack`, `teams` or `chat`. */
  kind: string;
  name: string;
  /** The incoming-webhook URL, encrypted (AES-256-GCM) with the server's secret key: it is the channel's credential. */
  url_ciphertext: string;
  /** What the API shows instead of the URL: its scheme and host. */
  url_hint: string;
  min_severity: string;
  /** Rule ids the channel hears about; `[]`: every rule. */
  rule_ids_json: string;
  /** Alert types (`security`, `transaction`, `system`) the channel hears about; `[]`: every type. */
  alert_types_json: string;
  per_minute: number;
  group_minutes: number;
  created_at: number;
  created_by: string;
  disabled_at: number | null;
}

/** One chat message for one channel: an alert, or the summary of a group of alerts held back. */
export interface StaffMessagesTable {
  id: string;
  channel_id: string;
  /** `alert`, `summary` or `test`. */
  kind: string;
  group_key: string;
  alert_id: string | null;
  /** The alert's severity rank when posted (alert messages), so that only a higher one is posted again. */
  severity_rank: number | null;
  payload_json: string;
  /** `pending`, `delivered` or `failed`. */
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

/** The open group of a channel and rule: until `closes_at`, alerts like the first one are counted instead of sent. */
export interface StaffAlertGroupsTable {
  channel_id: string;
  group_key: string;
  opened_at: number;
  closes_at: number;
  /** The highest severity rank sent for this group (-1: none yet, held back by the rate limit). */
  sent_rank: number;
  held: number;
  /** What the summary will say about the alerts held back (staff-notify/grouping.ts, `HeldAlerts`). */
  held_json: string;
}

export interface StaffDigestsTable {
  /** `hourly` or `daily`. */
  cadence: string;
  period_start: number;
  /** When it was claimed; once sent, when it was sent. */
  sent_at: number;
  /** While the claiming process sends it, until when its claim holds; null once sent. */
  lease_until: number | null;
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
  /** The HTML alternative of an email, when it had one (from 0006). */
  html: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** The member of staff working the alert (from 0018); detection never writes these. */
  owner_id: ColumnType<string | null, string | null | undefined, string | null>;
  owner_email: ColumnType<string | null, string | null | undefined, string | null>;
  assigned_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** The alert a duplicate was closed into, which takes its occurrences (from 0024); null for others. */
  folded_into: ColumnType<string | null, string | null | undefined, string | null>;
}

/** An alert's comment thread (from 0018): plain text, kept as written. */
export interface AlertCommentsTable {
  id: string;
  alert_id: string;
  /** The actor: the person (email and id) or API key (name and id) who wrote it. */
  author: string;
  body: string;
  created_at: number;
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
  /** 'live' or 'shadow'; null (rows from before modes) reads as live. */
  mode: string | null;
}

export interface RuleVersionsTable {
  rule_id: string;
  version: number;
  kind: string;
  config_json: string;
  changed_by: string;
  changed_at: number;
  note: string | null;
  mode: string | null;
}

/** Findings per rule, UTC day ('YYYY-MM-DD') and mode, and the alerts they raised or would have. */
export interface RuleDailyStatsTable {
  rule_id: string;
  day: string;
  mode: string;
  hits: number;
  alerts: number;
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
  /** Findings recorded but not counted (shadow, snooze, allow list); null when none. */
  suppressed_json: string | null;
}

export interface UserSeenTable {
  user_id: string;
  kind: string;
  value: string;
  first_seen_at: number;
  /** The familiarity columns (0015_familiarity): null on rows written before them. */
  last_seen_at: number | null;
  seen_days: number | null;
  via: string | null;
  proven_at: number | null;
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

export interface PeopleTable {
  id: string;
  email: string;
  role: string;
  /** For members: the `user` of the events they may see. */
  user_id: string | null;
  /** argon2id, PHC string. */
  password_hash: string;
  /** TOTP secrets, AES-256-GCM under a key derived from the server secret. */
  totp_secret_sealed: string | null;
  totp_pending_sealed: string | null;
  /** The last TOTP time step accepted, so a code is never accepted twice. */
  totp_last_step: number | null;
  created_at: number;
  created_by: string;
  last_sign_in_at: number | null;
}

export interface SessionsTable {
  token_hash: string;
  person_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
}

/** A rule snoozed for one account until a time (detect/snoozes.ts); kept once ended or cancelled. */
export interface SnoozesTable {
  id: string;
  rule_id: string;
  user_id: string;
  /** Epoch ms: the snooze is in force while now < until. */
  until: number;
  reason: string;
  /** The actor: an admin key or person, or the member themself. */
  created_by: string;
  created_at: number;
  cancelled_at: number | null;
  cancelled_by: string | null;
}

/** Allow and block list entries (detect/lists.ts); removed ones are kept for the record. */
export interface ListEntriesTable {
  id: string;
  /** `allow` or `block`. */
  list: string;
  /** `ip`, `device`, `email`, `email_domain`, `country`, `payment_method` or `user`. */
  kind: string;
  /** Normalised (normaliseListValue). */
  value: string;
  reason: string;
  /** Allow entries: the rule ids it stops, as a JSON array; `[]` for every rule. */
  rules_json: string;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  removed_at: number | null;
  removed_by: string | null;
}
