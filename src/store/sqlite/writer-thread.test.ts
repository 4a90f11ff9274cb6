import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../domain/activity-event.js';
import { type DatabaseHandle, openDatabase } from '../database.js';
import { inThreadWriter, SqliteWriterThread, type WriteBatch, type WriteStatements } from './writer-thread.js';

/**
 * The SQLite writer thread (the event write path for a database file) against the same write run in
 * the caller's thread: the same rows, duplicates reported, a failing batch leaving nothing behind.
 */
const SQL: WriteStatements = {
  insertEvent: 'INSERT INTO user_seen (user_id, kind, value, first_seen_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  // An event's user, device, type and time fill the user_seen row's user, kind, value and time.
  eventColumns: ['user_id', 'device_id', 'type', 'occurred_at'],
  insertSeen: 'INSERT INTO user_seen (user_id, kind, value, first_seen_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  upsertAlert: 'SELECT 1 WHERE ? IS NULL',
  upsertLock: 'SELECT 1 WHERE ? IS NULL',
  insertOwed: 'SELECT 1 WHERE ? IS NULL',
};
// The "events" of these tests are written as user_seen rows: a small table whose key (user, kind,
// value) makes a repeat a duplicate, reported by its id (here the user).
const row = (user: string, value: string, at = 1): StoredEvent =>
  ({
    id: user,
    user,
    device: 'device',
    type: value,
    occurredAt: at,
    receivedAt: at,
    enrichment: { novelty: { newDevice: false, newCountry: false, newNetwork: false } },
    result: { id: user, decision: 'allow', risk: 0, severity: 'none', reasons: [] },
  }) as unknown as StoredEvent;
const seen = (user: string, value: string, at = 1): unknown[] => [user, 'device', value, at];
const batch = (events: StoredEvent[], learnt: unknown[][] = []): WriteBatch => ({ events, learnt, alerts: [], locks: [], owed: [] });

let dir: string;
let handle: DatabaseHandle;
let thread: SqliteWriterThread;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-writer-'));
  handle = await openDatabase({ dialect: 'sqlite', file: path.join(dir, 'v.db'), synchronous: 'normal' }, { migrate: true });
  const file = handle.sqliteFile;
  if (!file) throw new Error('a file database has its path');
  thread = new SqliteWriterThread({ file: file.path, pragmas: file.pragmas, sql: SQL, writeTurn: file.writeTurn });
});
afterEach(async () => {
  await thread.close();
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const stored = async () =>
  (await handle.db.selectFrom('user_seen').select(['user_id', 'value']).orderBy('user_id').orderBy('value').execute()).map(
    (r) => `${r.user_id}/${r.value}`,
  );

describe('the SQLite writer thread', () => {
  it('commits a batch before answering, visible at once to the main connection, and reports repeats', async () => {
    expect(await thread.write(batch([row('ann', 'a'), row('bob', 'b')], [seen('cid', 'c')]))).toEqual([]);
    expect(await stored()).toEqual(['ann/a', 'bob/b', 'cid/c']);
    expect(await thread.write(batch([row('ann', 'a'), row('dan', 'd')]))).toEqual(['ann']);
    expect(await stored()).toEqual(['ann/a', 'bob/b', 'cid/c', 'dan/d']);
  });

  it('writes what the same batch written in this thread writes', async () => {
    const other = await openDatabase({ dialect: 'sqlite', file: ':memory:', synchronous: 'normal' }, { migrate: true });
    try {
      const rows = Array.from({ length: 300 }, (_, i) => row(`u${i % 37}`, `d${i % 11}`, i));
      const here = inThreadWriter(other.sqlite as NonNullable<DatabaseHandle['sqlite']>, SQL)(batch(rows));
      const there = await thread.write(batch(rows));
      expect(there).toEqual(here);
      const mine = await other.db.selectFrom('user_seen').selectAll().orderBy('user_id').orderBy('value').execute();
      const theirs = await handle.db.selectFrom('user_seen').selectAll().orderBy('user_id').orderBy('value').execute();
      expect(theirs).toEqual(mine);
    } finally {
      await other.close();
    }
  });

  it('rejects a batch that breaks a constraint and leaves none of it written', async () => {
    await expect(thread.write(batch([row('ann', 'a'), row('bob', 'b')], [seen('cid', 'c'), [null, 'device', 'x', 1]]))).rejects.toThrow(
      /NOT NULL/,
    );
    expect(await stored()).toEqual([]);
    // The thread goes on: the next batch is written.
    await thread.write(batch([row('eve', 'e')]));
    expect(await stored()).toEqual(['eve/e']);
  });

  it('waits for the writes under way when closed, and refuses later ones', async () => {
    const writes = Array.from({ length: 20 }, (_, i) => thread.write(batch([row(`w${i}`, 'x')])));
    await thread.close();
    expect((await Promise.all(writes)).flat()).toEqual([]);
    expect((await stored()).length).toBe(20);
    await expect(thread.write(batch([row('late', 'x')]))).rejects.toThrow(/closed/);
  });
});

describe("the main connection's writes beside the writer thread", () => {
  // The thread commits group after group, as during a stream of events. A write on the main
  // connection (Security Health, the volume monitor, the audit trail) goes next, once the commit under
  // way ends (the write turn, store/sqlite/dialect.ts), and the event loop turns meanwhile: with
  // busy_timeout it slept in SQLite, in the thread that answers requests.
  it('go next, after the commit under way, without stopping the event loop', async () => {
    // Each "event" stores 100,000 rows: long commits in the thread for next to no work in this one.
    const file = handle.sqliteFile as NonNullable<DatabaseHandle['sqliteFile']>;
    const heavy = new SqliteWriterThread({
      file: file.path,
      pragmas: file.pragmas,
      writeTurn: file.writeTurn,
      sql: {
        ...SQL,
        insertEvent: `INSERT INTO user_seen (user_id, kind, value, first_seen_at)
          SELECT ? || '-' || n, ?, ?, ? FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100000) SELECT n FROM c)`,
      },
    });
    let writing = true;
    const commits: number[] = [];
    const keepWriting = async (lane: number) => {
      for (let n = 0; writing; n++) {
        await heavy.write(batch([row(`t${lane}-${n}`, 'x')]));
        commits.push(n);
      }
    };
    const writers = [keepWriting(0), keepWriting(1)];

    // What happened during each main write, counted rather than timed: how many thread commits ended,
    // and how often a 2 ms timer fired. Durations depend on the machine's load; the ratios of wait to
    // commit and of stall to commit are measured by bench/write-turn.ts.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 2);
    const during: Array<{ commits: number; ticks: number }> = [];
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      // At least ten writes, and for as long as it takes the thread to commit six groups beside them.
      for (let i = 0; i < 10 || (commits.length <= 5 && i < 200); i++) {
        const before = { commits: commits.length, ticks };
        // A transaction, and a write outside one: both take the lock the same way.
        await handle.db.transaction().execute((trx) =>
          trx
            .insertInto('user_seen')
            .values({ user_id: `main${i}`, kind: 'device', value: 'tx', first_seen_at: i })
            .execute(),
        );
        await handle.db
          .insertInto('user_seen')
          .values({ user_id: `main${i}`, kind: 'device', value: 'auto', first_seen_at: i })
          .execute();
        during.push({ commits: commits.length - before.commits, ticks: ticks - before.ticks });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      clearInterval(ticker);
      writing = false;
      await Promise.all(writers);
      await heavy.close();
    }
    expect(await handle.db.selectFrom('user_seen').select('value').where('user_id', 'like', 'main%').execute()).toHaveLength(
      2 * during.length,
    );
    // The thread kept committing meanwhile...
    expect(commits.length).toBeGreaterThan(5);
    // ...and a main write (two lock takes) went next after the commit under way: each take waits
    // through that commit and at most one whose answer was already on its way, four for the two; one
    // more each should the thread's 100 ms of stepping aside run out on a busy machine. Without the
    // write turn a single take waited through up to 13 commits.
    expect(Math.max(...during.map((d) => d.commits))).toBeLessThanOrEqual(6);
    // ...while the event loop turned: every write that waited through a commit saw the timer fire.
    for (const d of during.filter((w) => w.commits > 0)) expect(d.ticks).toBeGreaterThan(0);
  });
});
