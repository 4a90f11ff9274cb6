/**
 * The write turn's timings (store/sqlite/dialect.ts), moved here from the writer-thread test, which
 * now counts commits and timer ticks instead: a write on the main connection beside a writer thread
 * committing group after group (each group 100,000 rows), on a quiet machine. Prints the main write's
 * average wait against the median commit, and the event loop's longest stall, and adds them to
 * bench/results.json. Targets: average wait below the median commit; longest stall under 0.75 of it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StoredEvent } from '../src/domain/activity-event.js';
import { openDatabase } from '../src/store/database.js';
import { SqliteWriterThread } from '../src/store/sqlite/writer-thread.js';

const WRITES = Number(process.env.BENCH_WRITE_TURN_WRITES ?? 30);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-turn-'));
const handle = await openDatabase({ dialect: 'sqlite', file: path.join(dir, 'v.db'), synchronous: 'normal' }, { migrate: true });
const file = handle.sqliteFile;
if (!file) throw new Error('a file database has its path');
const heavy = new SqliteWriterThread({
  file: file.path,
  pragmas: file.pragmas,
  writeTurn: file.writeTurn,
  sql: {
    insertEvent: `INSERT INTO user_seen (user_id, kind, value, first_seen_at)
      SELECT ? || '-' || n, ?, ?, ? FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100000) SELECT n FROM c)`,
    eventColumns: ['user_id', 'device_id', 'type', 'occurred_at'],
    insertSeen: 'INSERT INTO user_seen (user_id, kind, value, first_seen_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    upsertAlert: 'SELECT 1 WHERE ? IS NULL',
    upsertLock: 'SELECT 1 WHERE ? IS NULL',
    insertOwed: 'SELECT 1 WHERE ? IS NULL',
  },
});
const event = (user: string) =>
  ({
    id: user,
    user,
    device: 'device',
    type: 'x',
    occurredAt: 1,
    receivedAt: 1,
    enrichment: { novelty: { newDevice: false, newCountry: false, newNetwork: false } },
    result: { id: user, decision: 'allow', risk: 0, severity: 'none', reasons: [] },
  }) as unknown as StoredEvent;

let writing = true;
const commits: number[] = [];
const keepWriting = async (lane: number) => {
  for (let n = 0; writing; n++) {
    const started = performance.now();
    await heavy.write({ events: [event(`t${lane}-${n}`)], learnt: [], alerts: [], locks: [], owed: [] });
    commits.push(performance.now() - started);
  }
};
const writers = [keepWriting(0), keepWriting(1)];
let last = performance.now();
let longestStall = 0;
const ticker = setInterval(() => {
  const at = performance.now();
  longestStall = Math.max(longestStall, at - last);
  last = at;
}, 2);
const waits: number[] = [];
try {
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let i = 0; i < WRITES; i++) {
    const started = performance.now();
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
    waits.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
} finally {
  clearInterval(ticker);
  writing = false;
  await Promise.all(writers);
  await heavy.close();
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

const round = (ms: number) => Math.round(ms * 10) / 10;
const result = {
  writes: waits.length,
  commits: commits.length,
  medianCommitMs: round(median(commits)),
  averageWaitMs: round(waits.reduce((a, b) => a + b) / waits.length),
  longestWaitMs: round(Math.max(...waits)),
  longestStallMs: round(longestStall),
};
console.log('write turn', result);
console.log(`  average wait below the median commit: ${result.averageWaitMs < result.medianCommitMs ? 'yes' : 'NO'}`);
console.log(`  longest stall under 0.75 of the median commit: ${result.longestStallMs < 0.75 * result.medianCommitMs ? 'yes' : 'NO'}`);
const resultsFile = path.join(import.meta.dirname, 'results.json');
const existing = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : {};
fs.writeFileSync(resultsFile, `${JSON.stringify({ ...existing, writeTurn: result }, null, 2)}\n`);
