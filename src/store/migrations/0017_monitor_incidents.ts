import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
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
};
