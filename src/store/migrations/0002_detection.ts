import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
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
};
