import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // Familiarity (enrich/novelty.ts): how long and on how many days an account has used a device,
    // network, country or payment method, how it first came, and whether the owner proved it.
    // Nullable: rows written before read as one day, via 'event', last seen when first seen.
    await db.schema.alterTable('user_seen').addColumn('last_seen_at', 'bigint').execute();
    await db.schema.alterTable('user_seen').addColumn('seen_days', 'integer').execute();
    await db.schema.alterTable('user_seen').addColumn('via', 'text').execute();
    await db.schema.alterTable('user_seen').addColumn('proven_at', 'bigint').execute();
  },
};
