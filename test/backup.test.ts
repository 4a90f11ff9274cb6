import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, INGEST_KEY } from './support/app.js';
import { TEST_NOW } from './support/clock.js';
import { freshDatabase, type TestDatabase, testDialect } from './support/database.js';
import { PROCESS_TEST_TIMEOUT_MS, type RunningServer, runCli, runCliAsync, startServer } from './support/process.js';

let db: TestDatabase;
let dir: string;
let server: RunningServer | undefined;
beforeEach(async () => {
  db = await freshDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-backup-'));
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ VIGIL_DATABASE_URL: db.url, VIGIL_INGEST_KEY: INGEST_KEY, VIGIL_ADMIN_KEY: ADMIN_KEY, VIGIL_DEMO: 'false' });

/** A batch of 100 page views of user `backup`, at fixed times; resolves when acknowledged. */
async function sendBatch(s: RunningServer, batch: number): Promise<void> {
  const events = Array.from({ length: 100 }, (_, i) => ({
    type: 'page.viewed',
    user: 'backup',
    id: `b${batch}-${i}`,
    path: `/p/${i}`,
    timestamp: new Date(TEST_NOW - 3_600_000 + batch * 1000 + i).toISOString(),
  }));
  const r = await fetch(`${s.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  expect(r.status).toBe(200);
}

// One suite or the other, by the database the suite runs on (a skipped test fails CI).
if (testDialect === 'sqlite') {
  describe('vigil backup (SQLite)', () => {
    it('copies the database while the server runs and writes; the copy opens and holds every event acknowledged before it', {
      timeout: PROCESS_TEST_TIMEOUT_MS,
    }, async () => {
      server = await startServer(env());
      const running = server;
      for (let b = 0; b < 5; b++) await sendBatch(running, b);
      const backupFile = path.join(dir, 'vigil-backup.db');
      const backup = runCliAsync(['backup', backupFile], { VIGIL_DATABASE_URL: db.url });
      // Writes go on during the backup.
      let done = false;
      let sent = 5;
      const writing = (async () => {
        while (!done) await sendBatch(running, sent++);
      })();
      const result = await backup;
      done = true;
      await writing;
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`to ${backupFile}`);

      const copy = new SqliteDatabase(backupFile, { readonly: true });
      try {
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        const count = (copy.prepare("select count(*) as n from events where user_id = 'backup'").get() as { n: number }).n;
        // Every batch acknowledged before the backup began, at most every batch sent, and whole batches only (one transaction each).
        expect(count).toBeGreaterThanOrEqual(500);
        expect(count).toBeLessThanOrEqual(sent * 100);
        expect(count % 100).toBe(0);
      } finally {
        copy.close();
      }
      // The copy is a Vigil database: its audit chain verifies.
      const verified = runCli(['audit', 'verify'], { VIGIL_DATABASE_URL: `sqlite:${backupFile}` });
      expect(verified.stdout).toContain('audit chain intact');

      // Backing up over an existing file is refused, and the file is left as it was.
      const before = fs.statSync(backupFile).size;
      const again = runCli(['backup', backupFile], { VIGIL_DATABASE_URL: db.url });
      expect(again.status).toBe(1);
      expect(again.stderr).toContain('exists');
      expect(fs.statSync(backupFile).size).toBe(before);
    });
  });
} else {
  describe('vigil backup (PostgreSQL)', () => {
    it('points to pg_dump', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
      const r = runCli(['backup', path.join(dir, 'x.db')], { VIGIL_DATABASE_URL: db.url });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('pg_dump');
      expect(fs.existsSync(path.join(dir, 'x.db'))).toBe(false);
    });
  });
}
