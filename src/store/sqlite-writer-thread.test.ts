import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../ingest/activity-event.js';
import { type DatabaseHandle, openDatabase } from './database.js';
import { inThreadWriter, SqliteWriterThread, type WriteBatch, type WriteStatements } from './sqlite-writer-thread.js';

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
const batch = (events: StoredEvent[], learnt: unknown[][] = []): WriteBatch => ({ events, learnt, alerts: [], locks: [] });

let dir: string;
let handle: DatabaseHandle;
let thread: SqliteWriterThread;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-writer-'));
  handle = await openDatabase({ dialect: 'sqlite', file: path.join(dir, 'v.db'), synchronous: 'normal' }, { migrate: true });
  const file = handle.sqliteFile;
  if (!file) throw new Error('a file database has its path');
  thread = new SqliteWriterThread({ file: file.path, pragmas: file.pragmas, sql: SQL });
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
