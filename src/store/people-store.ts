import type { Selectable } from 'kysely';
import type { PeopleStore, Person, PersonRole, SessionRecord } from '../auth/people.js';
import type { DatabaseHandle } from './database.js';
import type { PeopleTable, SessionsTable } from './schema.js';

export class SqlPeopleStore implements PeopleStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async insert(p: Person): Promise<boolean> {
    const r = await this.handle.db
      .insertInto('people')
      .values({
        id: p.id,
        email: p.email,
        role: p.role,
        user_id: p.user,
        password_hash: p.passwordHash,
        totp_secret_sealed: p.totpSecretSealed,
        totp_pending_sealed: p.totpPendingSealed,
        totp_last_step: p.totpLastStep,
        created_at: p.createdAt,
        created_by: p.createdBy,
        last_sign_in_at: p.lastSignInAt,
      })
      .onConflict((oc) => oc.column('email').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async findByEmail(email: string): Promise<Person | undefined> {
    const row = await this.handle.db.selectFrom('people').selectAll().where('email', '=', email).executeTakeFirst();
    return row && personFromRow(row);
  }

  async findById(id: string): Promise<Person | undefined> {
    const row = await this.handle.db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
    return row && personFromRow(row);
  }

  async countAdmins(): Promise<number> {
    const row = await this.handle.db
      .selectFrom('people')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('role', '=', 'admin')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async list(): Promise<readonly Person[]> {
    const rows = await this.handle.db.selectFrom('people').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(personFromRow);
  }

  async update(
    id: string,
    patch: Partial<Pick<Person, 'role' | 'passwordHash' | 'totpSecretSealed' | 'totpPendingSealed' | 'totpLastStep' | 'lastSignInAt'>>,
  ): Promise<void> {
    await this.handle.db
      .updateTable('people')
      .set({
        ...(patch.role !== undefined && { role: patch.role }),
        ...(patch.passwordHash !== undefined && { password_hash: patch.passwordHash }),
        ...(patch.totpSecretSealed !== undefined && { totp_secret_sealed: patch.totpSecretSealed }),
        ...(patch.totpPendingSealed !== undefined && { totp_pending_sealed: patch.totpPendingSealed }),
        ...(patch.totpLastStep !== undefined && { totp_last_step: patch.totpLastStep }),
        ...(patch.lastSignInAt !== undefined && { last_sign_in_at: patch.lastSignInAt }),
      })
      .where('id', '=', id)
      .execute();
  }

  async claimTotpStep(id: string, step: number): Promise<boolean> {
    const r = await this.handle.db
      .updateTable('people')
      .set({ totp_last_step: step })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async insertSession(s: SessionRecord): Promise<void> {
    await this.handle.db
      .insertInto('sessions')
      .values({
        token_hash: s.tokenHash,
        person_id: s.personId,
        created_at: s.createdAt,
        last_seen_at: s.lastSeenAt,
        expires_at: s.expiresAt,
        ip: s.ip,
        user_agent: s.userAgent,
      })
      .execute();
  }

  async findSession(tokenHash: string): Promise<SessionRecord | undefined> {
    const row = await this.handle.db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && sessionFromRow(row);
  }

  async touchSession(tokenHash: string, lastSeenAt: number): Promise<void> {
    await this.handle.db.updateTable('sessions').set({ last_seen_at: lastSeenAt }).where('token_hash', '=', tokenHash).execute();
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.handle.db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
  }

  async deleteSessionsOf(personId: string, except?: string): Promise<void> {
    let q = this.handle.db.deleteFrom('sessions').where('person_id', '=', personId);
    if (except !== undefined) q = q.where('token_hash', '!=', except);
    await q.execute();
  }

  async deleteExpiredSessions(now: number, idleMs: number): Promise<number> {
    const r = await this.handle.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - idleMs)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function personFromRow(row: Selectable<PeopleTable>): Person {
  return {
    id: row.id,
    email: row.email,
    role: row.role as PersonRole,
    user: row.user_id,
    passwordHash: row.password_hash,
    totpSecretSealed: row.totp_secret_sealed,
    totpPendingSealed: row.totp_pending_sealed,
    totpLastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
    lastSignInAt: row.last_sign_in_at === null ? null : Number(row.last_sign_in_at),
  };
}

function sessionFromRow(row: Selectable<SessionsTable>): SessionRecord {
  return {
    tokenHash: row.token_hash,
    personId: row.person_id,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    ip: row.ip,
    userAgent: row.user_agent,
  };
}
