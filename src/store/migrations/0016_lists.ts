import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // Allow and block lists (detect/lists.ts). Removed entries are kept, with who removed them and
    // when, for the record; the others (expired ones too) are loaded into memory at start.
    await db.schema
      .createTable('list_entries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('list', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('rules_json', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('removed_at', 'bigint')
      .addColumn('removed_by', 'text')
      .execute();
    await db.schema.createIndex('list_entries_current').on('list_entries').columns(['removed_at', 'created_at']).execute();
    await db.schema.createIndex('list_entries_value').on('list_entries').columns(['kind', 'value']).execute();
  },
};
