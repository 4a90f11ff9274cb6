import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../database.js';
import { ORDER_AFTER_SQL, SqliteStoredPositions } from './stored-positions.js';

// The SQLite adapter itself: always a SQLite file, whatever database the suite runs against.
let dir: string;
let handle: DatabaseHandle;
let sqlite: SqliteDatabase.Database;
let positions: SqliteStoredPositions;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-positions-'));
  handle = await openDatabase({ dialect: 'sqlite', file: path.join(dir, 'vigil.db'), synchronous: 'normal' }, { migrate: true });
  sqlite = handle.sqlite as SqliteDatabase.Database;
  positions = new SqliteStoredPositions(sqlite);
});
afterEach(async () => {
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const T = Date.parse('2026-11-24T10:00:00Z');

/** A row as the writer stores it (only what these reads look at matters). */
function store(id: string, occurredAt: number, receivedAt = T): void {
  sqlite
    .prepare(
      `INSERT INTO events (id, user_id, type, occurred_at, received_at, decision, risk, severity, event_json, enrichment_json, reasons_json)
       VALUES (?, 'alice', 'login.succeeded', ?, ?, 'allow', 0, 'info', '{}', '{}', '[]')`,
    )
    .run(id, occurredAt, receivedAt);
}

async function idsAfter(mark: NonNullable<ReturnType<SqliteStoredPositions['mark']>>, from: number, pageSize = 2000) {
  const pages = positions.after(mark, from, pageSize);
  if (pages === undefined) return undefined;
  const ids: string[][] = [];
  for await (const page of pages) ids.push(page.map((r) => r.id));
  return ids;
}

describe('SqliteStoredPositions', () => {
  it('marks the last event stored, and reads those stored after it in event-time order, whatever their receipt', async () => {
    expect(positions.mark()).toBeUndefined();
    store('e1', T);
    store('e2', T + 1000);
    const mark = positions.mark();
    expect(mark).toEqual({ position: 2, eventId: 'e2' });
    // Stored after the mark: one with an older event time, one received long before the others
    // (a batch that waited), one before `from` (older than any window).
    store('e3', T + 5000);
    store('e4', T - 60_000, T - 3_600_000);
    store('e5', T + 2000);
    store('old', T - 10 * 86_400_000);
    expect(await idsAfter(mark as NonNullable<typeof mark>, T - 86_400_000)).toEqual([['e4', 'e5', 'e3']]);
  });

  it('pages through many events in order, ties on the millisecond by id', async () => {
    store('first', T);
    const mark = positions.mark() as NonNullable<ReturnType<SqliteStoredPositions['mark']>>;
    const expected: string[] = [];
    sqlite.transaction(() => {
      for (let i = 1200; i > 0; i--) {
        // Stored newest first, read oldest first; pairs share a millisecond.
        const id = `e${String(i).padStart(5, '0')}`;
        store(id, T + Math.ceil(i / 2));
        expected.unshift(id);
      }
    })();
    const pages = (await idsAfter(mark, T, 700)) as string[][];
    expect(pages.map((p) => p.length)).toEqual([700, 500]);
    expect(pages.flat()).toEqual(expected);
  });

  it('does not use a mark whose event is no longer at its position (a deleted last row gives its number again)', async () => {
    store('e1', T);
    store('e2', T + 1000);
    const mark = positions.mark() as NonNullable<ReturnType<SqliteStoredPositions['mark']>>;
    sqlite.prepare("DELETE FROM events WHERE id = 'e2'").run();
    store('e3', T + 2000);
    expect(positions.mark()).toEqual({ position: 2, eventId: 'e3' });
    expect(await idsAfter(mark, T)).toBeUndefined();
  });

  it('reads the rows after the mark as a range of the table, not by walking the event-time index', () => {
    const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${ORDER_AFTER_SQL}`).all(1, T) as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/SEARCH events USING INTEGER PRIMARY KEY \(rowid>\?\)/);
  });
});
