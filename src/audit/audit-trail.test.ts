import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { freshDatabase, type TestDatabase, testDialect } from '../../test/support/database.js';
import type { Clock } from '../core/clock.js';
import { SqlAuditStore } from '../store/audit-store.js';
import { type DatabaseHandle, openDatabase } from '../store/database.js';
import { GENESIS_HASH, hashEntry } from './audit-entry.js';
import { AUDIT_GATHER_MS, AuditTrail } from './audit-trail.js';

// The real store on the suite's database (SQLite, or PostgreSQL when VIGIL_TEST_DATABASE_URL is set).
let db: TestDatabase;
let handle: DatabaseHandle;
let now: number;
const clock: Clock = { now: () => now };
let trail: AuditTrail;

beforeEach(async () => {
  db = await freshDatabase();
  handle = await openDatabase(db.target, { migrate: true });
  now = Date.parse('2026-11-01T10:00:00Z');
  trail = new AuditTrail(new SqlAuditStore(handle), clock);
});
afterEach(async () => {
  await handle.close();
  await db.drop();
});

async function recordTen(): Promise<void> {
  for (let i = 1; i <= 10; i++) {
    now += 1000;
    await trail.record(i % 2 ? 'vigil' : 'ops (key_1)', i % 2 ? 'account.locked' : 'account.unlocked', `account:u${i % 3}`, { i });
  }
}

describe('AuditTrail on the store', () => {
  it('stores entries numbered from 1, each chained to the one before, and reads them back as written', async () => {
    const first = await trail.record('vigil', 'account.locked', 'account:alice', {
      scope: 'sensitive',
      alertId: 'alrt_1',
      skipped: undefined,
    });
    now += 5;
    const second = await trail.record('cli', 'key.created', 'key:key_1', { keyId: 'key_1', role: 'admin', prefix: 'vgl_admin_ab…' });
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, details: { scope: 'sensitive', alertId: 'alrt_1' } });
    expect(first.details).not.toHaveProperty('skipped');
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, at: now });
    expect(second.hash).toBe(hashEntry(first.hash, second));
    expect(await trail.list({ limit: 10 })).toEqual([second, first]);
    expect(await trail.verify()).toEqual({ ok: true, entries: 2, head: { seq: 2, hash: second.hash } });
  });

  it('lists newest first, filtered by subject, action and actor, a page at a time', async () => {
    await recordTen();
    const u1 = await trail.list({ subject: 'account:u1', limit: 10 });
    expect(u1.map((e) => e.seq)).toEqual([10, 7, 4, 1]);
    const page = await trail.list({ subject: 'account:u1', limit: 2, beforeSeq: 7 });
    expect(page.map((e) => e.seq)).toEqual([4, 1]);
    expect((await trail.list({ action: 'account.unlocked', limit: 10 })).map((e) => e.seq)).toEqual([10, 8, 6, 4, 2]);
    expect((await trail.list({ actor: 'vigil', subject: 'account:u0', limit: 10 })).map((e) => e.seq)).toEqual([9, 3]);
  });

  it('keeps one unbroken chain under 50 concurrent records, in the order they were made', async () => {
    const stored = await Promise.all(
      Array.from({ length: 50 }, (_, i) => trail.record('vigil', 'code.sent', `account:u${i}`, { i, channel: 'email' })),
    );
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(stored.map((e) => e.details.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await trail.verify(7)).toMatchObject({ ok: true, entries: 50, head: { seq: 50 } });
  });

  it('stores the records made in one turn of the event loop in one append', async () => {
    const store = new SqlAuditStore(handle);
    const append = vi.spyOn(store, 'append');
    const batching = new AuditTrail(store, clock);
    // As the responses to one group commit's requests are recorded: each on its own, in the same turn.
    const stored = await Promise.all(
      Array.from({ length: 5 }, (_, i) => batching.record('vigil', 'account.locked', `account:u${i}`, { scope: 'sensitive' })),
    );
    expect(append).toHaveBeenCalledTimes(1);
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    await batching.record('vigil', 'account.unlocked', 'account:u0');
    expect(append).toHaveBeenCalledTimes(2);
    expect(await batching.verify()).toMatchObject({ ok: true, entries: 6 });
  });

  it('gathers records marked so into one append up to AUDIT_GATHER_MS after the last; others go at once and take them along', async () => {
    const store = new SqlAuditStore(handle);
    const append = vi.spyOn(store, 'append');
    let monotonic = 1_000;
    const gathering = new AuditTrail(store, clock, { monotonicMs: () => monotonic });
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const lock = (i: number) => gathering.record('vigil', 'account.locked', `account:u${i}`, { scope: 'sensitive' }, { gather: true });
      // After a quiet spell a gathered record is appended at the end of the turn, no timer.
      expect((await lock(0)).seq).toBe(1);
      expect(append).toHaveBeenCalledTimes(1);
      // 5 ms after that append, three in three turns of the event loop: they wait for the rest of the 20 ms.
      monotonic += 5;
      const waiting = [lock(1)];
      for (const i of [2, 3]) {
        await nextTurn();
        waiting.push(lock(i));
      }
      await nextTurn();
      await vi.advanceTimersByTimeAsync(AUDIT_GATHER_MS - 6);
      expect(append).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(1);
      expect((await Promise.all(waiting)).map((e) => e.seq)).toEqual([2, 3, 4]);
      expect(append).toHaveBeenCalledTimes(2);
      expect(append.mock.calls[1]?.[0]).toHaveLength(3);

      // Records not marked are appended one after another at once, however close: no timer advanced.
      for (let i = 5; i <= 7; i++) expect((await gathering.record('ops (key_1)', 'trust.changed', `account:u${i}`, { i })).seq).toBe(i);
      expect(append).toHaveBeenCalledTimes(5);

      // A record not marked ends the wait of the gathered ones before it: one append, at once.
      const gathered = lock(8);
      await nextTurn();
      const unmarked = gathering.record('ops (key_1)', 'account.unlocked', 'account:u8');
      expect([(await gathered).seq, (await unmarked).seq]).toEqual([8, 9]);
      expect(append).toHaveBeenCalledTimes(6);
      expect(append.mock.calls[5]?.[0]).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
    expect(await gathering.verify()).toMatchObject({ ok: true, entries: 9 });
  });

  // Two handles stand for two processes. On SQLite this works in one process only because an
  // appender waits for the other's write lock without blocking the event loop (store/sqlite/dialect.ts):
  // a synchronous wait would block the very loop that releases the lock.
  it('keeps one chain when two processes append at once', async () => {
    const other = await openDatabase(db.target, { migrate: false });
    try {
      const trail2 = new AuditTrail(new SqlAuditStore(other), clock);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? trail : trail2).record('vigil', 'trust.changed', `account:u${i}`, { i })),
      );
    } finally {
      await other.close();
    }
    expect(await trail.verify(9)).toMatchObject({ ok: true, entries: 40 });
  });

  if (testDialect === 'sqlite') {
    it('waits for a write lock another connection holds without blocking the event loop, and gives up after the busy timeout', async () => {
      const other = await openDatabase(db.target, { migrate: false });
      const sqlite = other.sqlite as NonNullable<DatabaseHandle['sqlite']>;
      try {
        sqlite.exec('BEGIN IMMEDIATE');
        const recorded = trail.record('vigil', 'trust.changed', 'account:u1', { i: 1 });
        let waiting = true;
        void recorded.then(
          () => (waiting = false),
          () => (waiting = false),
        );
        // The loop kept turning while the append waited: a timer fired six times meanwhile. Counted, not
        // timed (how many ticks fit in 100 ms depends on how busy the machine is).
        await new Promise<void>((resolve) => {
          let ticks = 0;
          const ticker = setInterval(() => {
            if (++ticks < 6) return;
            clearInterval(ticker);
            resolve();
          }, 5);
        });
        expect(waiting).toBe(true);
        sqlite.exec('COMMIT');
        expect((await recorded).seq).toBe(1);

        vi.useFakeTimers({ toFake: ['Date'] });
        sqlite.exec('BEGIN IMMEDIATE');
        const refused = trail.record('vigil', 'trust.changed', 'account:u2', { i: 2 });
        // Once the append has started waiting, the clock passes its busy timeout.
        await new Promise((resolve) => setTimeout(resolve, 20));
        vi.setSystemTime(Date.now() + 6000);
        await expect(refused).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
        sqlite.exec('ROLLBACK');
      } finally {
        vi.useRealTimers();
        await other.close();
      }
      // The failed append left nothing behind, and the next one goes on.
      await trail.record('vigil', 'trust.changed', 'account:u3', { i: 3 });
      expect(await trail.verify(9)).toMatchObject({ ok: true, entries: 2 });
    });
  }

  it('refuses details that name a secret, and an unknown action, storing nothing', async () => {
    await expect(trail.record('vigil', 'code.sent', 'account:alice', { code: '123456' })).rejects.toThrow('must not carry secrets');
    await expect(trail.record('vigil', 'code.sent', 'account:alice', { nested: { password: 'hunter2' } })).rejects.toThrow(
      'must not carry secrets',
    );
    // As a caller typed against a looser port (`action: string`) would.
    const loose = trail as unknown as { record(actor: string, action: string, subject: string): Promise<unknown> };
    await expect(loose.record('vigil', 'account.deleted', 'account:alice')).rejects.toThrow('Unknown audit action');
    expect(await trail.list({ limit: 10 })).toEqual([]);
    await trail.flushed();
  });
});

describe('tampering found by verify', () => {
  beforeEach(recordTen);
  const table = () => handle.db.updateTable('audit_log');

  it('an edited row: hash mismatch at that entry, across page boundaries', async () => {
    await table().set({ details_json: '{"i":700}' }).where('seq', '=', 7).execute();
    expect(await trail.verify(3)).toEqual({ ok: false, entries: 6, broken: { seq: 7, reason: 'hash mismatch' } });
  });

  it('a deleted middle row: a gap naming the missing entry', async () => {
    await handle.db.deleteFrom('audit_log').where('seq', '=', 5).execute();
    expect(await trail.verify(4)).toEqual({ ok: false, entries: 4, broken: { seq: 5, reason: 'gap' } });
  });

  it('an edited hash: hash mismatch at that entry', async () => {
    await table()
      .set({ hash: 'a'.repeat(64) })
      .where('seq', '=', 4)
      .execute();
    expect(await trail.verify()).toEqual({ ok: false, entries: 3, broken: { seq: 4, reason: 'hash mismatch' } });
  });

  it('a row rewritten with its hash recomputed: chain break at the next entry', async () => {
    const [row] = await trail.list({ limit: 1, beforeSeq: 4 });
    if (!row) throw new Error('no entry #3');
    const forged = { ...row, actor: 'nobody' };
    await table()
      .set({ actor: 'nobody', hash: hashEntry(row.prevHash, forged) })
      .where('seq', '=', 3)
      .execute();
    expect(await trail.verify()).toEqual({ ok: false, entries: 3, broken: { seq: 4, reason: 'chain break' } });
  });

  it('details that are no longer JSON: hash mismatch rather than a crash', async () => {
    await table().set({ details_json: '{not json' }).where('seq', '=', 2).execute();
    expect(await trail.verify()).toEqual({ ok: false, entries: 1, broken: { seq: 2, reason: 'hash mismatch' } });
  });

  it('appends after a tampered tail without repairing it', async () => {
    await sql`update audit_log set subject = 'account:zz' where seq = 10`.execute(handle.db);
    const next = await trail.record('vigil', 'account.locked', 'account:u1', {});
    expect(next.seq).toBe(11);
    expect(await trail.verify()).toMatchObject({ ok: false, broken: { seq: 10, reason: 'hash mismatch' } });
  });
});
