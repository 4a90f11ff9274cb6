import { type Kysely, type Migration, sql } from 'kysely';

export const migration: Migration = {
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
};
