import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // The alert feed's saved views (alerts/saved-views.ts): one staff member's named filters. A name
    // is unique per owner, so saving under a name again replaces that view.
    await db.schema
      .createTable('saved_views')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('query', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('saved_views_owner_name', ['owner', 'name'])
      .execute();
    // The feed's counts per status and severity (GET /v1/alerts/counts): with this index both databases
    // count from the index alone instead of reading every alert row, and a time bound narrows it.
    await db.schema.createIndex('alerts_status_severity').on('alerts').columns(['status', 'severity', 'created_at']).execute();
  },
};
