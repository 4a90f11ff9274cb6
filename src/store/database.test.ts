import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase, refreshStatistics } from './database.js';

/** The SQLite handle's statement cache: statements reused by SQL text, with fresh parameters each run. */
let handle: DatabaseHandle;
beforeEach(async () => {
  handle = await openDatabase({ dialect: 'sqlite', file: ':memory:', synchronous: 'normal' }, { migrate: true });
  await handle.db
    .insertInto('user_seen')
    .values(['a', 'b', 'c'].map((value, i) => ({ user_id: 'u', kind: 'device', value, first_seen_at: i })))
    .execute();
});
afterEach(async () => handle.close());

const devices = () => handle.db.selectFrom('user_seen').select('value').where('user_id', '=', 'u').orderBy('first_seen_at');

describe('the SQLite statement cache', () => {
  it('gives the same answers when a query is run again with other parameters', async () => {
    expect((await devices().execute()).map((r) => r.value)).toEqual(['a', 'b', 'c']);
    await handle.db.insertInto('user_seen').values({ user_id: 'v', kind: 'device', value: 'z', first_seen_at: 9 }).execute();
    const other = await handle.db.selectFrom('user_seen').select('value').where('user_id', '=', 'v').orderBy('first_seen_at').execute();
    expect(other.map((r) => r.value)).toEqual(['z']);
    expect((await devices().execute()).map((r) => r.value)).toEqual(['a', 'b', 'c']);
  });

  it('streams a query again once an earlier stream of it has ended, and runs it between', async () => {
    const streamed = async () => {
      const values: string[] = [];
      for await (const row of devices().stream()) values.push(row.value);
      return values;
    };
    expect(await streamed()).toEqual(['a', 'b', 'c']);
    expect((await devices().execute()).length).toBe(3);
    expect(await streamed()).toEqual(['a', 'b', 'c']);
  });

  it('sees schema changes made after a statement was cached', async () => {
    await sql`select count(*) as n from user_seen`.execute(handle.db);
    await sql`alter table user_seen add column note text`.execute(handle.db);
    const rows = await sql<{ note: string | null }>`select note from user_seen limit 1`.execute(handle.db);
    expect(rows.rows).toEqual([{ note: null }]);
  });
});

describe('planner statistics', () => {
  it('are gathered for tables that have none, so SQLite picks indexes by what they hold', async () => {
    const sqlite = handle.sqlite;
    if (!sqlite) throw new Error('not SQLite');
    const stats = () => sqlite.prepare("select idx from sqlite_stat1 where tbl = 'user_seen' order by idx").all() as Array<{ idx: string }>;
    expect(sqlite.prepare("select name from sqlite_master where name = 'sqlite_stat1'").all()).toEqual([]);
    refreshStatistics(sqlite);
    expect(stats().length).toBeGreaterThan(0);
  });
});
