import type { ColumnType } from 'kysely';

/** Table types for Kysely. Times are epoch milliseconds (bigint on PostgreSQL, parsed back to number). */
export interface Database {
  events: EventsTable;
  user_seen: UserSeenTable;
  api_keys: ApiKeysTable;
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
