import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
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
};
