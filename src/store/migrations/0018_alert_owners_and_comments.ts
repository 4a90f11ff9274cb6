import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // Who works an alert (alerts/alert-ownership.ts): a member of staff, or nobody. The email is kept
    // beside the id so that a list of alerts names its owners without a join to `people`; people's
    // emails do not change. Detection never writes these columns (they are not among the detection
    // columns of store/alert-store.ts), so a repeat of the alert keeps its owner.
    await db.schema.alterTable('alerts').addColumn('owner_id', 'text').execute();
    await db.schema.alterTable('alerts').addColumn('owner_email', 'text').execute();
    await db.schema.alterTable('alerts').addColumn('assigned_at', 'bigint').execute();
    await db.schema.createIndex('alerts_owner').on('alerts').columns(['owner_id', 'created_at']).execute();
    // The Team page reads the alerts acknowledged or closed in the last 30 days.
    await db.schema.createIndex('alerts_acknowledged_at').on('alerts').columns(['acknowledged_at']).execute();
    await db.schema.createIndex('alerts_resolved_at').on('alerts').columns(['resolved_at']).execute();

    // The comment thread of an alert (alerts/alert-comments.ts): plain text, never edited or removed.
    await db.schema
      .createTable('alert_comments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('alert_id', 'text', (c) => c.notNull())
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('alert_comments_alert').on('alert_comments').columns(['alert_id', 'created_at']).execute();
  },
};
