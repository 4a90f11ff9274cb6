import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // What a batch's commit still owes the world (ingest/pending-effects.ts): its raised alerts'
    // announcements and its planned responses (audit, lock webhook, unlock code, notices). Written
    // in the events' own transaction and deleted once carried out, so a process that dies in
    // between leaves the row for its next start, or for the worker that takes its partition over.
    await db.schema
      .createTable('pending_effects')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // The batch's first user: whose partition the row belongs to in the distributed mode.
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('effects_json', 'text', (c) => c.notNull())
      .execute();
    // A delivery made again for the same cause (a replayed row) finds the first one and is not
    // stored twice: `alert.raised:<alert id>`, `account.locked:<user>:<at>:<actor>`, ...
    await db.schema.alterTable('webhook_deliveries').addColumn('origin', 'text').execute();
    await db.schema.createIndex('webhook_deliveries_origin').unique().on('webhook_deliveries').columns(['webhook_id', 'origin']).execute();
  },
};
