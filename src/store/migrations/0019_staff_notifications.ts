import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // Chat channels for staff (staff-notify/): Slack, Teams or a generic chat webhook. The URL is the
    // channel's only credential (anyone holding it can post), so it is stored sealed, like webhook
    // signing secrets; `url_hint` is what the API shows instead (scheme and host).
    await db.schema
      .createTable('staff_channels')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('url_ciphertext', 'text', (c) => c.notNull())
      .addColumn('url_hint', 'text', (c) => c.notNull())
      .addColumn('min_severity', 'text', (c) => c.notNull())
      .addColumn('rule_ids_json', 'text', (c) => c.notNull())
      .addColumn('alert_types_json', 'text', (c) => c.notNull())
      .addColumn('per_minute', 'integer', (c) => c.notNull())
      .addColumn('group_minutes', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('disabled_at', 'bigint')
      .execute();
    // The durable queue of chat messages: written before the first attempt, claimed per attempt.
    await db.schema
      .createTable('staff_messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('channel_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('group_key', 'text', (c) => c.notNull())
      .addColumn('alert_id', 'text')
      .addColumn('severity_rank', 'integer')
      .addColumn('payload_json', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint')
      .addColumn('last_status_code', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at', 'bigint')
      .execute();
    await db.schema.createIndex('staff_messages_due').on('staff_messages').columns(['status', 'next_attempt_at']).execute();
    await db.schema.createIndex('staff_messages_alert').on('staff_messages').columns(['alert_id']).execute();
    await db.schema.createIndex('staff_messages_channel').on('staff_messages').columns(['channel_id', 'created_at']).execute();
    // One open group per channel and rule: alerts held back while it is open, summarised when it closes.
    await db.schema
      .createTable('staff_alert_groups')
      .addColumn('channel_id', 'text', (c) => c.notNull())
      .addColumn('group_key', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'bigint', (c) => c.notNull())
      .addColumn('closes_at', 'bigint', (c) => c.notNull())
      .addColumn('sent_rank', 'integer', (c) => c.notNull())
      .addColumn('held', 'integer', (c) => c.notNull())
      .addColumn('held_json', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('staff_alert_groups_pk', ['channel_id', 'group_key'])
      .execute();
    await db.schema.createIndex('staff_alert_groups_closes').on('staff_alert_groups').columns(['closes_at']).execute();
    // Digests sent (or being sent), one row per cadence and period: the row is the claim.
    await db.schema
      .createTable('staff_digests')
      .addColumn('cadence', 'text', (c) => c.notNull())
      .addColumn('period_start', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('staff_digests_pk', ['cadence', 'period_start'])
      .execute();
  },
};
