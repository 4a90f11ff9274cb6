import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
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
};
