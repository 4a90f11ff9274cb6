import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AccountLock, LockScope, LockWrite, UnlockBy } from '../domain/lock.js';
import type {
  AccountQuery,
  AccountRecord,
  AccountStore,
  CodeChannel,
  CodePurpose,
  Contact,
  HealthRecord,
  StoredCode,
  TrustKind,
  TrustMark,
} from '../respond/ports.js';
import type { DatabaseHandle } from './database.js';
import type { AccountsTable, Database, OneTimeCodesTable } from './schema.js';

/** 6 parameters a row: well under SQLite's and PostgreSQL's limits on bound parameters. */
const HEALTH_ROWS_PER_STATEMENT = 250;

/** Health of an account no one has computed yet; replaced at the first computation. */
export const UNCOMPUTED_HEALTH = { health_score: 100, health_json: 'null' } as const;

export const lockColumns = (w: LockWrite) => ({
  lock_scope: w.lock?.scope ?? null,
  locked_at: w.lock?.lockedAt ?? null,
  lock_reason: w.lock?.reason ?? null,
  lock_alert_id: w.lock?.alertId ?? null,
  locked_by: w.lock?.lockedBy ?? null,
  unlock_requires: w.lock?.unlockBy ?? null,
  updated_at: w.at,
});

/** Lock changes, inside a transaction of the caller's (the event write path's, on PostgreSQL). */
export async function upsertLocks(db: Kysely<Database> | Transaction<Database>, locks: readonly LockWrite[]): Promise<void> {
  for (const w of locks) {
    const columns = lockColumns(w);
    await db
      .insertInto('accounts')
      .values({ user_id: w.user, email: null, phone: null, ...UNCOMPUTED_HEALTH, ...columns })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(columns))
      .execute();
  }
}

/** Accounts per query: well under both dialects' bind-parameter limits. */
const USERS_PER_QUERY = 500;

export class SqlAccountStore implements AccountStore {
  private readonly db: Kysely<Database>;

  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async get(user: string): Promise<AccountRecord | undefined> {
    const row = await this.db.selectFrom('accounts').selectAll().where('user_id', '=', user).executeTakeFirst();
    return row && toAccount(row);
  }

  async contacts(users: readonly string[]): Promise<ReadonlyMap<string, Contact>> {
    const found = new Map<string, Contact>();
    const unique = [...new Set(users)];
    for (let i = 0; i < unique.length; i += USERS_PER_READ) {
      const rows = await this.db
        .selectFrom('accounts')
        .select(['user_id', 'email', 'phone'])
        .where('user_id', 'in', unique.slice(i, i + USERS_PER_READ))
        .execute();
      for (const r of rows) found.set(r.user_id, contactOf(r));
    }
    return found;
  }

  async list(q: AccountQuery): Promise<readonly AccountRecord[]> {
    let query = this.db.selectFrom('accounts').selectAll();
    if (q.lockedOnly) query = query.where('lock_scope', 'is not', null);
    const rows = await query
      .orderBy((eb) => eb.case().when('lock_scope', 'is', null).then(1).else(0).end())
      .orderBy('locked_at', 'desc')
      .orderBy('health_score', 'asc')
      .orderBy('user_id')
      .limit(q.limit)
      .offset(q.offset)
      .execute();
    return rows.map(toAccount);
  }

  async listLocks(): Promise<ReadonlyArray<{ user: string; lock: AccountLock }>> {
    // The lock's columns only: a start reads every locked account, and their Security Health JSON is most of a row.
    const rows = await this.db.selectFrom('accounts').select(LOCKED_ACCOUNT_COLUMNS).where('lock_scope', 'is not', null).execute();
    return rows.flatMap((r) => {
      const lock = lockOf(r);
      return lock ? [{ user: r.user_id, lock }] : [];
    });
  }

  async setContact(user: string, contact: Contact, at: number): Promise<void> {
    const set = {
      ...(contact.email !== undefined && { email: contact.email }),
      ...(contact.phone !== undefined && { phone: contact.phone }),
      updated_at: at,
    };
    await this.db
      .insertInto('accounts')
      .values({ user_id: user, email: contact.email ?? null, phone: contact.phone ?? null, ...UNCOMPUTED_HEALTH, updated_at: at })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(set))
      .execute();
  }

  async fillEmails(pairs: ReadonlyArray<{ user: string; email: string }>, at: number): Promise<void> {
    if (pairs.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      const users = [...new Set(pairs.map((p) => p.user))];
      const skip = new Set<string>();
      for (let i = 0; i < users.length; i += USERS_PER_QUERY) {
        const some = users.slice(i, i + USERS_PER_QUERY);
        // Accounts with an email on file keep it: nothing to fill, and no need to read their events.
        const known = await trx
          .selectFrom('accounts')
          .select('user_id')
          .where('user_id', 'in', some)
          .where('email', 'is not', null)
          .execute();
        for (const row of known) skip.add(row.user_id);
        const open = some.filter((u) => !skip.has(u));
        if (open.length === 0) continue;
        // An email change anywhere in the account's history: the address events carry is not trusted.
        const changed = await trx
          .selectFrom('events')
          .select('user_id')
          .distinct()
          .where('user_id', 'in', open)
          .where('type', '=', 'email.changed')
          .execute();
        for (const row of changed) skip.add(row.user_id);
      }
      for (const { user, email } of pairs) {
        if (skip.has(user)) continue;
        await trx
          .insertInto('accounts')
          .values({ user_id: user, email, phone: null, ...UNCOMPUTED_HEALTH, updated_at: at })
          .onConflict((oc) => oc.column('user_id').doUpdateSet({ email }).where('accounts.email', 'is', null))
          .execute();
      }
    });
  }

  async writeLocks(locks: readonly LockWrite[]): Promise<void> {
    await this.db.transaction().execute((trx) => upsertLocks(trx, locks));
  }

  async saveHealth(records: ReadonlyArray<{ readonly user: string; readonly health: HealthRecord }>): Promise<void> {
    if (records.length === 0) return;
    // Many rows per statement: a refresh saves up to 500 accounts, and one statement each had made
    // building and running SQL a tenth of the main thread's ingest work. The latest record per
    // account only: PostgreSQL refuses a statement that updates one row twice.
    const latest = [...new Map(records.map((r) => [r.user, r])).values()];
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < latest.length; i += HEALTH_ROWS_PER_STATEMENT) {
        const rows = latest.slice(i, i + HEALTH_ROWS_PER_STATEMENT).map(({ user, health }) => ({
          user_id: user,
          email: null,
          phone: null,
          health_score: health.score,
          health_json: JSON.stringify(health),
          updated_at: health.computedAt,
        }));
        await trx
          .insertInto('accounts')
          .values(rows)
          .onConflict((oc) =>
            oc.column('user_id').doUpdateSet((eb) => ({
              health_score: eb.ref('excluded.health_score'),
              health_json: eb.ref('excluded.health_json'),
            })),
          )
          .execute();
      }
    });
  }

  async listTrust(): Promise<readonly TrustMark[]> {
    return (await this.db.selectFrom('account_trust').selectAll().execute()).map(toTrust);
  }

  async userTrust(user: string): Promise<readonly TrustMark[]> {
    return (await this.db.selectFrom('account_trust').selectAll().where('user_id', '=', user).execute()).map(toTrust);
  }

  async setTrust(marks: readonly TrustMark[]): Promise<void> {
    if (marks.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const m of marks) {
        const row = { user_id: m.user, kind: m.kind, value: m.value, trust: m.trust, alert_id: m.alertId ?? null, at: m.at };
        await trx
          .insertInto('account_trust')
          .values(row)
          .onConflict((oc) =>
            oc.columns(['user_id', 'kind', 'value']).doUpdateSet({ trust: row.trust, alert_id: row.alert_id, at: row.at }),
          )
          .execute();
      }
    });
  }

  async insertCode(c: StoredCode): Promise<void> {
    await this.db
      .insertInto('one_time_codes')
      .values({
        id: c.id,
        user_id: c.user,
        purpose: c.purpose,
        alert_id: c.alertId ?? null,
        channel: c.channel,
        code_hash: c.codeHash,
        created_at: c.createdAt,
        expires_at: c.expiresAt,
        failed_attempts: c.failedAttempts,
        used_at: c.usedAt,
      })
      .execute();
  }

  async latestCode(user: string, purpose: CodePurpose): Promise<StoredCode | undefined> {
    const row = await this.db
      .selectFrom('one_time_codes')
      .selectAll()
      .where('user_id', '=', user)
      .where('purpose', '=', purpose)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toCode(row);
  }

  async countCodesSince(user: string, since: number): Promise<number> {
    const row = await this.db
      .selectFrom('one_time_codes')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('user_id', '=', user)
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async recordFailedAttempt(id: string, maxAttempts: number): Promise<boolean> {
    const result = await this.db
      .updateTable('one_time_codes')
      .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('failed_attempts', '<', maxAttempts)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async markCodeUsed(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('one_time_codes')
      .set({ used_at: at })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

const LOCKED_ACCOUNT_COLUMNS = [
  'user_id',
  'lock_scope',
  'locked_at',
  'lock_reason',
  'lock_alert_id',
  'locked_by',
  'unlock_requires',
] as const;

function lockOf(r: Pick<Selectable<AccountsTable>, (typeof LOCKED_ACCOUNT_COLUMNS)[number]>): AccountLock | undefined {
  if (r.lock_scope === null || r.locked_at === null) return undefined;
  return {
    scope: r.lock_scope as LockScope,
    lockedAt: r.locked_at,
    reason: r.lock_reason ?? '',
    ...(r.lock_alert_id !== null && { alertId: r.lock_alert_id }),
    lockedBy: r.locked_by ?? 'vigil',
    unlockBy: (r.unlock_requires ?? 'code') as UnlockBy,
  };
}

/** Accounts per `in (…)` read: well under both dialects' bind-parameter limits. */
const USERS_PER_READ = 500;

const contactOf = (r: { readonly email: string | null; readonly phone: string | null }): Contact => ({
  ...(r.email !== null && { email: r.email }),
  ...(r.phone !== null && { phone: r.phone }),
});

export function toAccount(r: Selectable<AccountsTable>): AccountRecord {
  const lock = lockOf(r);
  const health = JSON.parse(r.health_json) as HealthRecord | null;
  return {
    user: r.user_id,
    contact: contactOf(r),
    ...(lock && { lock }),
    ...(health && { health }),
    updatedAt: r.updated_at,
  };
}

export function toTrust(r: Selectable<Database['account_trust']>): TrustMark {
  return {
    user: r.user_id,
    kind: r.kind as TrustKind,
    value: r.value,
    trust: r.trust as TrustMark['trust'],
    ...(r.alert_id !== null && { alertId: r.alert_id }),
    at: r.at,
  };
}

function toCode(r: Selectable<OneTimeCodesTable>): StoredCode {
  return {
    id: r.id,
    user: r.user_id,
    purpose: r.purpose as CodePurpose,
    ...(r.alert_id !== null && { alertId: r.alert_id }),
    channel: r.channel as CodeChannel,
    codeHash: r.code_hash,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    failedAttempts: r.failed_attempts,
    usedAt: r.used_at,
  };
}
