import { type Kysely, type Migration, sql } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // The alert a duplicate was closed into (the distributed mode: two workers raised one alert about
    // an IP at the same moment). Repeats still under way for the duplicate when it was closed are
    // counted there. Null for every other alert.
    await db.schema.alterTable('alerts').addColumn('folded_into', 'text').execute();
    // A fold finds the alerts folded into the one it closes (a chain) by this: the few marked.
    await db.schema
      .createIndex('alerts_folded_into')
      .on('alerts')
      .column('folded_into')
      .where(sql.ref('folded_into'), 'is not', null)
      .execute();
  },
};
