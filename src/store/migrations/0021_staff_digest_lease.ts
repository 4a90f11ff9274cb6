import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // A digest's claim becomes a lease (staff-notify/digest.ts): set while its email is on the way,
    // cleared once it went out. A process that dies in between leaves a lease that runs out, and the
    // next process takes the period over instead of the digest being lost. Rows from before have
    // none: they were sent.
    await db.schema.alterTable('staff_digests').addColumn('lease_until', 'bigint').execute();
  },
};
