import { type Kysely, type Migration, sql } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // Security Health reads each account's latest 2FA and password change, and counts its open
    // alerts. Without these, both read every event or alert the account ever had, so health got
    // slower as history grew. Partial: only the rare account changes and the open alerts about an
    // account are indexed, so storing an ordinary event costs nothing more. The queries repeat
    // these conditions word for word (store/health-facts-store.ts): a planner uses a partial index
    // only when it can see that the query's condition implies the index's.
    await sql`create index events_account_changes on events (user_id, type, occurred_at)
      where type in ('mfa.enabled', 'mfa.disabled', 'password.changed')`.execute(db);
    await sql`create index alerts_open_about_user on alerts (user_id, severity)
      where status in ('new', 'acknowledged', 'escalated') and subject_kind = 'user'`.execute(db);
  },
};
