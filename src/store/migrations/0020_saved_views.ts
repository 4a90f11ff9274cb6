import { type Kysely, type Migration, sql } from 'kysely';

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
    // The feed sorted by severity (strongest first, newest first within one) reads this index in order
    // instead of sorting every alert: the expression is word for word the store's severity sort key
    // (store/alert-store.ts, alerts/alert-order.ts), as both planners use an expression index only then.
    await sql`create index alerts_severity_sort on alerts (((case severity when 'none' then 0 when 'low' then 1 when 'medium' then 2 when 'high' then 3 when 'critical' then 4 else 0 end) * 10000000000000 + created_at), id)`.execute(
      db,
    );
  },
};
