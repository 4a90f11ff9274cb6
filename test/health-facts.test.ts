import { CompiledQuery } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqlAccountStore } from '../src/store/account-store.js';
import { latestAccountChanges, openAlertCounts, SqlHealthFacts } from '../src/store/health-facts-store.js';
import { startTestApp, type TestApp } from './support/app.js';

/**
 * The facts behind Security Health, read for many accounts in one go (store/health-facts-store.ts),
 * on SQLite and on PostgreSQL: they must say what reading each account alone said.
 */
const DAY = 86_400_000;
const now = Date.parse('2026-11-24T12:00:00Z');
const iso = (t: number) => new Date(t).toISOString();
const HOME = '81.2.69.160';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp({ clock: { now: () => now } });
});
afterEach(async () => t.close());

describe('health facts of many accounts', () => {
  it('counts open alerts about each account, and finds its latest 2FA change, password change, devices and trust', async () => {
    const events: Record<string, unknown>[] = [];
    for (const user of ['ana', 'ben']) {
      for (let d = 14; d >= 2; d--)
        events.push({ type: 'login.succeeded', user, ip: HOME, device: `${user}-laptop`, timestamp: iso(now - d * DAY) });
    }
    events.push(
      { type: 'mfa.enabled', user: 'ana', ip: HOME, device: 'ana-laptop', timestamp: iso(now - 10 * DAY) },
      { type: 'mfa.disabled', user: 'ana', ip: HOME, device: 'ana-laptop', timestamp: iso(now - 5 * DAY) },
      { type: 'password.changed', user: 'ana', ip: HOME, device: 'ana-laptop', timestamp: iso(now - 9 * DAY) },
      { type: 'password.changed', user: 'ana', ip: HOME, device: 'ana-laptop', timestamp: iso(now - 3 * DAY) },
      { type: 'mfa.enabled', user: 'ben', ip: HOME, device: 'ben-laptop', timestamp: iso(now - 4 * DAY) },
      { type: 'login.succeeded', user: 'ana', ip: HOME, device: 'ana-phone', timestamp: iso(now - DAY) },
    );
    // A burst of failed logins on ana: an open alert about her account.
    for (let i = 0; i < 6; i++)
      events.push({ type: 'login.failed', user: 'ana', ip: '185.220.101.4', timestamp: iso(now - 60_000 + i * 5000) });
    const report = await t.system.ingest.ingest(events);
    expect(report.rejected).toBe(0);
    await t.system.accountService.settled();

    const facts = await new SqlHealthFacts(t.system.database).healthFacts(['ana', 'ben', 'nobody', 'ana']);
    expect([...facts.keys()].sort()).toEqual(['ana', 'ben', 'nobody']);

    const ana = facts.get('ana');
    const open = await t.system.alerts.list({ user: 'ana', status: ['new', 'acknowledged', 'escalated'], limit: 50 });
    const aboutAna = open.filter((a) => a.subject.kind === 'user' && a.user === 'ana');
    expect(aboutAna.length).toBeGreaterThan(0);
    const bySeverity: Record<string, number> = {};
    for (const a of aboutAna) bySeverity[a.severity] = (bySeverity[a.severity] ?? 0) + 1;
    expect(ana?.openAlerts).toEqual(bySeverity);
    expect(ana?.mfa).toBe('mfa.disabled');
    expect(ana?.passwordChangedAt).toBe(now - 3 * DAY);
    expect(ana?.devices.map((d) => d.value).sort()).toEqual(['ana-laptop', 'ana-phone']);
    expect(ana?.devices.find((d) => d.value === 'ana-phone')?.firstSeenAt).toBe(now - DAY);

    const ben = facts.get('ben');
    expect(ben).toMatchObject({ openAlerts: {}, mfa: 'mfa.enabled', trust: [] });
    expect(ben?.passwordChangedAt).toBeUndefined();
    expect(facts.get('nobody')).toEqual({ openAlerts: {}, trust: [], devices: [] });

    // A resolved alert no longer counts; a trust mark ("this was me") is read with the account.
    const first = aboutAna[0];
    if (!first) throw new Error('no alert');
    await t.system.alertService.act(first.id, 'resolve', 'test', null);
    await new SqlAccountStore(t.system.database).setTrust([{ user: 'ana', kind: 'device', value: 'ana-phone', trust: 'trusted', at: now }]);
    const after = (await new SqlHealthFacts(t.system.database).healthFacts(['ana'])).get('ana');
    const remaining = Object.values(after?.openAlerts ?? {}).reduce((a, b) => a + b, 0);
    expect(remaining).toBe(aboutAna.length - 1);
    expect(after?.trust).toEqual([{ user: 'ana', kind: 'device', value: 'ana-phone', trust: 'trusted', at: now }]);
  });

  it('reads more accounts than one query takes', async () => {
    const users = Array.from({ length: 1203 }, (_, i) => `u${i}`);
    await t.system.ingest.ingest(
      users.map((user) => ({ type: 'login.succeeded', user, ip: HOME, device: `${user}-d`, timestamp: iso(now - DAY) })),
    );
    const facts = await new SqlHealthFacts(t.system.database).healthFacts(users);
    expect(facts.size).toBe(1203);
    expect(users.every((u) => facts.get(u)?.devices[0]?.value === `${u}-d`)).toBe(true);
  });

  it('reads account changes and open alerts through their partial indexes, not through all history', async () => {
    const plan = async ({ sql: text, parameters }: CompiledQuery) => {
      if (t.system.database.dialect === 'sqlite') {
        const rows = (await t.system.database.db.executeQuery(CompiledQuery.raw(`explain query plan ${text}`, [...parameters]))).rows;
        return JSON.stringify(rows);
      }
      // PostgreSQL prefers a sequential scan of a near-empty table: forbid it, to see what it could use.
      return t.system.database.db.transaction().execute(async (trx) => {
        await trx.executeQuery(CompiledQuery.raw('set local enable_seqscan = off'));
        return JSON.stringify((await trx.executeQuery(CompiledQuery.raw(`explain ${text}`, [...parameters]))).rows);
      });
    };
    const { db, dialect } = t.system.database;
    // Two accounts, and on SQLite a batch's 500: without statistics SQLite took the status index from
    // ten accounts on. (PostgreSQL plans from statistics; on a near-empty table any plan is as cheap.)
    const batch = Array.from({ length: 500 }, (_, i) => `u${i}`);
    for (const users of dialect === 'sqlite' ? [['ana', 'ben'], batch] : [['ana', 'ben']]) {
      expect(await plan(latestAccountChanges(db, users).compile())).toContain('events_account_changes');
      const alerts = await plan(openAlertCounts(db, dialect, users));
      expect(alerts).toContain('alerts_open_about_user');
      expect(alerts).not.toContain('alerts_status');
    }
  });

  it('saves the health of many accounts at once, the latest per account, keeping their email and lock', async () => {
    const accounts = new SqlAccountStore(t.system.database);
    await accounts.setContact('ana', { email: 'ana@example.com' }, now - DAY);
    await accounts.writeLocks([
      {
        user: 'ana',
        lock: { scope: 'sensitive', lockedAt: now - DAY, reason: 'test', lockedBy: 'vigil', unlockBy: 'code' },
        at: now - DAY,
      },
    ]);
    const health = (score: number) => ({ score, reasons: [], suggestions: [], computedAt: now });
    // More accounts than one statement takes, ana twice: the second one counts.
    const records = [
      { user: 'ana', health: health(10) },
      ...Array.from({ length: 600 }, (_, i) => ({ user: `u${i}`, health: health(i % 101) })),
      { user: 'ana', health: health(42) },
    ];
    await accounts.saveHealth(records);

    const ana = await accounts.get('ana');
    expect(ana).toMatchObject({
      contact: { email: 'ana@example.com' },
      health: { score: 42 },
      lock: { scope: 'sensitive', reason: 'test' },
    });
    expect(ana?.updatedAt).toBe(now - DAY);
    expect((await accounts.get('u599'))?.health?.score).toBe(599 % 101);
    const { n } = await t.system.database.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(n)).toBe(601);
  });
});
