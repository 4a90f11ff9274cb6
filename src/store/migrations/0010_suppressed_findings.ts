import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // Findings recorded but counted for nothing (shadow-mode rules, snoozes, allow-list entries),
    // beside the reasons that counted. Null for the events that had none, which is most of them.
    await db.schema.alterTable('events').addColumn('suppressed_json', 'text').execute();
  },
};
