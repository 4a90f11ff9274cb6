import { type Kysely, sql } from 'kysely';
import type { Severity } from '../domain/severity.js';
import type { HealthFacts, HealthFactsSource, TrustMark } from '../respond/ports.js';
import { toAccount, toTrust } from './account-store.js';
import type { DatabaseHandle } from './database.js';
import type { Database } from './schema.js';

/**
 * The conditions of the partial indexes of migration 0008, word for word and as literals (not bound
 * parameters), so that SQLite's and PostgreSQL's planners see that the queries may use them. On
 * SQLite openAlertCounts names its index: a condition that no longer implies the index's is an
 * error there ("no query solution"), not a slow plan (test/health-facts.test.ts reads the plans).
 */
const ACCOUNT_CHANGES = sql<boolean>`type in ('mfa.enabled', 'mfa.disabled', 'password.changed')`;
const OPEN_ALERTS_ABOUT_USER = sql<boolean>`status in ('new', 'acknowledged', 'escalated') and subject_kind = 'user'`;

/**
 * Open alerts about each account (not those about an IP that merely tried it), by severity.
 *
 * On SQLite the partial index is named (INDEXED BY): before it has statistics (a new database, and
 * until PRAGMA optimize first finds the table grown), SQLite's planner guesses that ten or more
 * accounts in the IN list cost more than the three open statuses, and took the status index, reading
 * every open alert of every account for each batch of 500 (10 to 20 ms a batch at 18,000 open
 * alerts, growing with them). PostgreSQL plans from statistics autovacuum keeps.
 */
export function openAlertCounts(db: Kysely<Database>, dialect: DatabaseHandle['dialect'], users: readonly string[]) {
  const alerts = dialect === 'sqlite' ? sql`alerts indexed by alerts_open_about_user` : sql`alerts`;
  return sql<{ user_id: string; severity: string; n: number | string }>`select user_id, severity, count(*) as n from ${alerts}
    where user_id in (${sql.join(users)}) and ${OPEN_ALERTS_ABOUT_USER} group by user_id, severity`.compile(db);
}

/**
 * Events of the demo's member simulator (`attributes.simulated: true`, stored as written by
 * JSON.stringify) are not account changes: a simulated password change must not count as one.
 */
const NOT_SIMULATED = sql<boolean>`event_json not like ${'%"simulated":true%'}`;

/** The latest time of each kind of account change (2FA on, 2FA off, password) per account. */
export function latestAccountChanges(db: Kysely<Database>, users: readonly string[]) {
  return db
    .selectFrom('events')
    .select(['user_id', 'type', (eb) => eb.fn.max('occurred_at').as('at')])
    .where('user_id', 'in', users)
    .where(ACCOUNT_CHANGES)
    .where(NOT_SIMULATED)
    .groupBy(['user_id', 'type']);
}

/** Accounts per query: well under both dialects' bind-parameter limits. */
const USERS_PER_QUERY = 500;

type MutableFacts = {
  -readonly [K in keyof HealthFacts]: HealthFacts[K];
} & { openAlerts: Partial<Record<Severity, number>>; trust: TrustMark[]; devices: Array<{ value: string; firstSeenAt: number }> };

/**
 * The facts behind Security Health for many accounts at once: five set-based queries per 500
 * accounts, where reading them one account at a time took six queries each. Each reads an index
 * that holds only what it needs, so the cost does not grow with an account's history.
 */
export class SqlHealthFacts implements HealthFactsSource {
  private readonly db: Kysely<Database>;
  private readonly dialect: DatabaseHandle['dialect'];

  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
    this.dialect = handle.dialect;
  }

  async healthFacts(users: readonly string[]): Promise<ReadonlyMap<string, HealthFacts>> {
    const facts = new Map<string, MutableFacts>();
    for (const user of users) facts.set(user, { openAlerts: {}, trust: [], devices: [] });
    const unique = [...facts.keys()];
    for (let i = 0; i < unique.length; i += USERS_PER_QUERY) await this.read(unique.slice(i, i + USERS_PER_QUERY), facts);
    return facts;
  }

  private async read(users: string[], facts: Map<string, MutableFacts>): Promise<void> {
    const of = (user: string) => facts.get(user) as MutableFacts;
    const [accounts, alerts, trust, changes, devices] = await Promise.all([
      this.db.selectFrom('accounts').selectAll().where('user_id', 'in', users).execute(),
      this.db.executeQuery(openAlertCounts(this.db, this.dialect, users)).then((result) => result.rows),
      this.db.selectFrom('account_trust').selectAll().where('user_id', 'in', users).execute(),
      latestAccountChanges(this.db, users).execute(),
      this.db
        .selectFrom('user_seen')
        .select(['user_id', 'value', 'first_seen_at'])
        .where('user_id', 'in', users)
        .where('kind', '=', 'device')
        .execute(),
    ]);
    for (const row of accounts) of(row.user_id).account = toAccount(row);
    for (const row of alerts) {
      const open = of(row.user_id).openAlerts;
      const severity = row.severity as Severity;
      open[severity] = (open[severity] ?? 0) + Number(row.n);
    }
    for (const row of trust) of(row.user_id).trust.push(toTrust(row));
    const latestMfa = new Map<string, number>();
    for (const row of changes) {
      const at = Number(row.at);
      if (row.type === 'password.changed') of(row.user_id).passwordChangedAt = at;
      else if (at >= (latestMfa.get(row.user_id) ?? Number.NEGATIVE_INFINITY)) {
        latestMfa.set(row.user_id, at);
        of(row.user_id).mfa = row.type as 'mfa.enabled' | 'mfa.disabled';
      }
    }
    for (const row of devices) of(row.user_id).devices.push({ value: row.value, firstSeenAt: Number(row.first_seen_at) });
  }
}
