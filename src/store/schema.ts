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
