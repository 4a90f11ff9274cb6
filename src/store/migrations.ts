import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

// Migrations are code, in order, and never edited once released: add a new one instead.
// Only portable DDL is used, so one list serves SQLite and PostgreSQL.
const migrations: Record<string, Migration> = {
  '0001_events': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('occurred_at', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('session_id', 'text')
        .addColumn('device_id', 'text')
        .addColumn('ip', 'text')
        .addColumn('country', 'text')
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('risk', 'integer', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text')
        .addColumn('event_json', 'text', (c) => c.notNull())
        .addColumn('enrichment_json', 'text', (c) => c.notNull())
        .addColumn('reasons_json', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_user_time').on('events').columns(['user_id', 'occurred_at', 'id']).execute();
      await db.schema.createIndex('events_time').on('events').column('occurred_at').execute();

      await db.schema
        .createTable('user_seen')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_seen_pk', ['user_id', 'kind', 'value'])
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
    },
  },
  '0002_detection': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('dedup_key', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('rule_ids_json', 'text', (c) => c.notNull())
        .addColumn('subject_kind', 'text', (c) => c.notNull())
        .addColumn('subject_value', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text')
        .addColumn('device_id', 'text')
        .addColumn('ip', 'text')
        .addColumn('country', 'text')
        .addColumn('city', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('risk', 'integer', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reasons_json', 'text', (c) => c.notNull())
        .addColumn('events_json', 'text', (c) => c.notNull())
        .addColumn('related_json', 'text', (c) => c.notNull())
        .addColumn('actions_json', 'text', (c) => c.notNull())
        .addColumn('occurrences', 'integer', (c) => c.notNull())
        .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('acknowledged_at', 'bigint')
        .addColumn('resolved_at', 'bigint')
        .addColumn('search_text', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alerts_created').on('alerts').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('alerts_status').on('alerts').columns(['status', 'created_at']).execute();
      await db.schema.createIndex('alerts_user').on('alerts').columns(['user_id', 'created_at']).execute();
      await db.schema.createIndex('alerts_ip').on('alerts').columns(['ip', 'created_at']).execute();

      await db.schema
        .createTable('alert_transitions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('alert_id', 'text', (c) => c.notNull())
        .addColumn('from_status', 'text', (c) => c.notNull())
        .addColumn('to_status', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alert_transitions_alert').on('alert_transitions').columns(['alert_id', 'at']).execute();

      await db.schema
        .createTable('rule_settings')
        .addColumn('rule_id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('config_json', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('rule_versions')
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('config_json', 'text', (c) => c.notNull())
        .addColumn('changed_by', 'text', (c) => c.notNull())
        .addColumn('changed_at', 'bigint', (c) => c.notNull())
        .addColumn('note', 'text')
        .addPrimaryKeyConstraint('rule_versions_pk', ['rule_id', 'version'])
        .execute();
    },
  },
  '0003_response': {
    async up(db: Kysely<unknown>) {
      // One row per user that Vigil knows more of than events: contact, lock, health.
      await db.schema
        .createTable('accounts')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text')
        .addColumn('phone', 'text')
        .addColumn('lock_scope', 'text')
        .addColumn('locked_at', 'bigint')
        .addColumn('lock_reason', 'text')
        .addColumn('lock_alert_id', 'text')
        .addColumn('locked_by', 'text')
        .addColumn('unlock_requires', 'text')
        .addColumn('health_score', 'integer', (c) => c.notNull())
        .addColumn('health_json', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('accounts_locked').on('accounts').columns(['locked_at']).execute();

      await db.schema
        .createTable('account_trust')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('trust', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('account_trust_pk', ['user_id', 'kind', 'value'])
        .execute();

      await db.schema
        .createTable('one_time_codes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('failed_attempts', 'integer', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema.createIndex('one_time_codes_user').on('one_time_codes').columns(['user_id', 'created_at']).execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('details_json', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_subject').on('audit_log').columns(['subject', 'seq']).execute();

      await db.schema
        .createTable('webhooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events_json', 'text', (c) => c.notNull())
        .addColumn('secret_ciphertext', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('disabled_at', 'bigint')
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('webhook_id', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('payload_json', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .execute();
      await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_deliveries_hook').on('webhook_deliveries').columns(['webhook_id', 'created_at']).execute();

      // Messages sent while no SMTP server or SMS gateway is configured: the demo's mailbox.
      await db.schema
        .createTable('outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('outbox_created').on('outbox').columns(['created_at']).execute();
    },
  },
  '0004_people': {
    async up(db: Kysely<unknown>) {
      // People who sign in to the dashboard: admins, and members tied to a user id of the events.
      await db.schema
        .createTable('people')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('totp_secret_sealed', 'text')
        .addColumn('totp_pending_sealed', 'text')
        .addColumn('totp_last_step', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('last_sign_in_at', 'bigint')
        .execute();
      await db.schema.createIndex('people_user').on('people').columns(['user_id']).execute();

      // Only the SHA-256 of a session token is kept: a copy of the database signs nobody in.
      await db.schema
        .createTable('sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('sessions_person').on('sessions').columns(['person_id']).execute();
    },
  },
  '0005_anomaly_models': {
    async up(db: Kysely<unknown>) {
      // Trained anomaly models (the seed's AnomalyModel). The forest is JSON text beside the record:
      // listing models reads the small columns only; the forest is read when a model is activated.
      await db.schema
        .createTable('anomaly_models')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('parameters_json', 'text', (c) => c.notNull())
        .addColumn('features_json', 'text', (c) => c.notNull())
        .addColumn('metrics_json', 'text', (c) => c.notNull())
        .addColumn('forest_json', 'text', (c) => c.notNull())
        .addColumn('trained_at', 'bigint', (c) => c.notNull())
        .addColumn('trained_by', 'text', (c) => c.notNull())
        // 0 or 1: the same integer on both dialects.
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('activated_at', 'bigint')
        .addColumn('activated_by', 'text')
        .addUniqueConstraint('anomaly_models_kind_version', ['kind', 'version'])
        .execute();
      // At most one active model per kind, enforced by the database too: two activations racing in
      // two processes cannot leave two models scoring.
      await db.schema
        .createIndex('anomaly_models_one_active')
        .on('anomaly_models')
        .column('kind')
        .unique()
        .where(sql.ref('active'), '=', 1)
        .execute();
    },
  },
  '0006_login_scores': {
    async up(db: Kysely<unknown>) {
      // Logins flagged in uploaded login-activity files (seed 003). A login is identified by the
      // SHA-256 of its normalised content: the unique index makes the same file uploaded twice, or
      // by two admins at once, store each login once.
      await db.schema
        .createTable('login_scores')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('row_hash', 'text', (c) => c.notNull().unique())
        .addColumn('upload_id', 'text', (c) => c.notNull())
        .addColumn('line', 'integer', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('occurred_at', 'bigint', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('location', 'text')
        .addColumn('device', 'text')
        .addColumn('score', 'double precision', (c) => c.notNull())
        .addColumn('threshold', 'double precision', (c) => c.notNull())
        .addColumn('reasons_json', 'text', (c) => c.notNull())
        .addColumn('row_json', 'text', (c) => c.notNull())
        .addColumn('flagged_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('login_scores_flagged').on('login_scores').columns(['flagged_at', 'id']).execute();
      await db.schema.createIndex('login_scores_user').on('login_scores').columns(['user_id', 'flagged_at', 'id']).execute();
      // The outbox keeps the HTML of an email too (the login report is read as HTML), not only its text.
      await db.schema.alterTable('outbox').addColumn('html', 'text').execute();
    },
  },
  '0007_volume_monitor': {
    async up(db: Kysely<unknown>) {
      // Per-minute counts per status (reported, or counted from Vigil's events) and what was expected
      // of each when it was judged: the chart reads one table, and a baseline learned later does not
      // rewrite what an earlier minute was judged against.
      await db.schema
        .createTable('monitor_series')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('minute_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('expected', 'double precision')
        .addColumn('lower_bound', 'double precision')
        .addColumn('upper_bound', 'double precision')
        .addColumn('score', 'double precision')
        .addColumn('basis', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('monitor_series_pk', ['source', 'minute_at', 'status'])
        .execute();
      await db.schema.createIndex('monitor_series_minute').on('monitor_series').columns(['minute_at']).execute();

      // One row per status and source: the learned level and spread, as JSON (24 hourly profiles and a
      // recent one), so a restart judges the next minute exactly as the last one was judged.
      await db.schema
        .createTable('monitor_baselines')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('state_json', 'text', (c) => c.notNull())
        .addColumn('last_minute', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('monitor_baselines_pk', ['source', 'status'])
        .execute();

      await db.schema
        .createTable('monitor_anomalies')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('minute_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('expected', 'double precision', (c) => c.notNull())
        .addColumn('spread', 'double precision', (c) => c.notNull())
        .addColumn('lower_bound', 'double precision', (c) => c.notNull())
        .addColumn('upper_bound', 'double precision', (c) => c.notNull())
        .addColumn('score', 'double precision', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('basis', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text')
        .addColumn('found_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('monitor_anomalies_minute_status', ['source', 'minute_at', 'status'])
        .execute();
      await db.schema.createIndex('monitor_anomalies_minute').on('monitor_anomalies').columns(['minute_at']).execute();
    },
  },
  '0008_health_indexes': {
    async up(db: Kysely<unknown>) {
      // Security Health reads each account's latest 2FA and password change, and counts its open
      // alerts. Without these, both read every event or alert the account ever had, so health got
      // slower as history grew. Partial: only the rare account changes and the open alerts about an
      // account are indexed, so storing an ordinary event costs nothing more. The queries repeat
      // these conditions word for word (store/health-facts-store.ts): a planner uses a partial index
      // only when it can see that the query's condition implies the index's.
      await sql`create index events_account_changes on events (user_id, type, occurred_at)
        where type in ('mfa.enabled', 'mfa.disabled', 'password.changed')`.execute(db);
      await sql`create index alerts_open_about_user on alerts (user_id, severity)
        where status in ('new', 'acknowledged', 'escalated') and subject_kind = 'user'`.execute(db);
    },
  },
  '0009_events_user_index_without_id': {
    async up(db: Kysely<unknown>) {
      // The per-user index is most of what storing an event costs: each event lands on a page of its
      // own user's, so a group commit writes about one index page per event. Its entries held the
      // event id (30 bytes) for ties on the millisecond; without it they are a third of the size and
      // storing went from 30.6 to 25.3 µs an event on one core, with random users (scratch
      // measurement, SQLite, 1,000,000 events already stored). Reads still walk the index newest
      // first; ties on the same millisecond are put in id order by a sort of just those rows.
      await db.schema.dropIndex('events_user_time').execute();
      await db.schema.createIndex('events_user_time').on('events').columns(['user_id', 'occurred_at']).execute();
    },
  },
  '0010_suppressed_findings': {
    async up(db: Kysely<unknown>) {
      // Findings recorded but counted for nothing (shadow-mode rules, snoozes, allow-list entries),
      // beside the reasons that counted. Null for the events that had none, which is most of them.
      await db.schema.alterTable('events').addColumn('suppressed_json', 'text').execute();
    },
  },
  '0014_snoozes': {
    async up(db: Kysely<unknown>) {
      // A rule snoozed for one account until a time (detect/snoozes.ts). Rows are kept once ended or
      // cancelled, for the record; the ones still in force are loaded into memory at start.
      await db.schema
        .createTable('snoozes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('until', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('cancelled_at', 'bigint')
        .addColumn('cancelled_by', 'text')
        .execute();
      await db.schema.createIndex('snoozes_user').on('snoozes').columns(['user_id', 'until']).execute();
      await db.schema.createIndex('snoozes_until').on('snoozes').columns(['until']).execute();
    },
  },
  '0013_rule_modes': {
    async up(db: Kysely<unknown>) {
      // A rule's mode (live or shadow) is part of its stored setting and of each version. Null on the
      // rows from before: they read as live.
      await db.schema.alterTable('rule_settings').addColumn('mode', 'text').execute();
      await db.schema.alterTable('rule_versions').addColumn('mode', 'text').execute();
      // Findings per rule, UTC day and mode, and the alerts they raised (live) or would have (shadow):
      // flushed from memory every 10 s by detect/rule-stats.ts, added to what the row holds.
      await db.schema
        .createTable('rule_daily_stats')
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('hits', 'bigint', (c) => c.notNull())
        .addColumn('alerts', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('rule_daily_stats_pk', ['rule_id', 'day', 'mode'])
        .execute();
      await db.schema.createIndex('rule_daily_stats_day').on('rule_daily_stats').columns(['day']).execute();
    },
  },
  '0015_familiarity': {
    async up(db: Kysely<unknown>) {
      // Familiarity (enrich/novelty.ts): how long and on how many days an account has used a device,
      // network, country or payment method, how it first came, and whether the owner proved it.
      // Nullable: rows written before read as one day, via 'event', last seen when first seen.
      await db.schema.alterTable('user_seen').addColumn('last_seen_at', 'bigint').execute();
      await db.schema.alterTable('user_seen').addColumn('seen_days', 'integer').execute();
      await db.schema.alterTable('user_seen').addColumn('via', 'text').execute();
      await db.schema.alterTable('user_seen').addColumn('proven_at', 'bigint').execute();
    },
  },
  '0016_lists': {
    async up(db: Kysely<unknown>) {
      // Allow and block lists (detect/lists.ts). Removed entries are kept, with who removed them and
      // when, for the record; the others (expired ones too) are loaded into memory at start.
      await db.schema
        .createTable('list_entries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('list', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('rules_json', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('removed_at', 'bigint')
        .addColumn('removed_by', 'text')
        .execute();
      await db.schema.createIndex('list_entries_current').on('list_entries').columns(['removed_at', 'created_at']).execute();
      await db.schema.createIndex('list_entries_value').on('list_entries').columns(['kind', 'value']).execute();
    },
  },
  '0017_monitor_incidents': {
    async up(db: Kysely<unknown>) {
      // The volume monitor's incidents (monitor/incident.ts): one status going one way for a while,
      // one alert each. The open one's running state also lives in the status's baseline; this row is
      // what people read, and stays once it is closed.
      await db.schema
        .createTable('monitor_incidents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('start_at', 'bigint', (c) => c.notNull())
        .addColumn('detected_at', 'bigint', (c) => c.notNull())
        .addColumn('last_abnormal_at', 'bigint', (c) => c.notNull())
        .addColumn('end_at', 'bigint')
        .addColumn('closed_at', 'bigint')
        .addColumn('anomalous_minutes', 'integer', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('expected', 'double precision', (c) => c.notNull())
        .addColumn('peak_json', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('alert_id', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('monitor_incidents_start').on('monitor_incidents').columns(['start_at']).execute();
      await db.schema.createIndex('monitor_incidents_status').on('monitor_incidents').columns(['source', 'status', 'start_at']).execute();
      await db.schema.alterTable('monitor_anomalies').addColumn('incident_id', 'text').execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every pending migration; returns the names applied. Throws with the failing one's name. */
export async function migrateToLatest(db: Kysely<any>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'vigil_migrations',
    migrationLockTableName: 'vigil_migrations_lock',
    // On PostgreSQL, Kysely looks for its tables in every schema unless told which one: name the
    // current schema, so two Vigils in two schemas of one database never mistake each other's.
    ...(schema !== undefined && { migrationTableSchema: schema }),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
