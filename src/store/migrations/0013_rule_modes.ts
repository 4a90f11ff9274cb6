import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
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
};
