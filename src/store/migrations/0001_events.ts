import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
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
};
