import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
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
};
