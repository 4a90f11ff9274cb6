import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // The alert a duplicate was closed into (the distributed mode: two workers raised one alert about
    // an IP at the same moment). Repeats still under way for the duplicate when it was closed are
    // counted there. Null for every other alert.
    await db.schema.alterTable('alerts').addColumn('folded_into', 'text').execute();
  },
};
