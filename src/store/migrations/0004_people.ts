import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
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
};
