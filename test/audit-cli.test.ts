import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/store/database.js';
import { freshDatabase, type TestDatabase } from './support/database.js';
import { PROCESS_TEST_TIMEOUT_MS, runCli } from './support/process.js';

let db: TestDatabase;
beforeEach(async () => {
  db = await freshDatabase();
});
afterEach(async () => db.drop());

const env = () => ({ VIGIL_DATABASE_URL: db.url, VIGIL_DEMO: 'false' });

async function auditRows() {
  const handle = await openDatabase(db.target, { migrate: false });
  try {
    return await handle.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  } finally {
    await handle.close();
  }
}

describe('vigil audit verify', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('passes on a good chain and names the entry after a row is tampered with in SQL', async () => {
    const empty = runCli(['audit', 'verify'], env());
    expect(empty.status).toBe(0);
    expect(empty.stdout).toContain('audit chain intact: 0 entries');

    const secrets: string[] = [];
    for (const role of ['admin', 'ingest']) {
      const created = runCli(['keys', 'create', '--role', role, '--name', `${role} for audit`], env());
      expect(created.status).toBe(0);
      secrets.push(created.stdout.trim());
    }
    const rows = await auditRows();
    const revoked = rows[1]?.subject.slice('key:'.length) as string;
    expect(runCli(['keys', 'revoke', revoked], env()).status).toBe(0);

    const after = await auditRows();
    expect(after.map((r) => [r.seq, r.actor, r.action])).toEqual([
      [1, 'cli', 'key.created'],
      [2, 'cli', 'key.created'],
      [3, 'cli', 'key.revoked'],
    ]);
    // Only the key's id, role and visible prefix: never the secret.
    for (const secret of secrets) expect(JSON.stringify(after)).not.toContain(secret);

    const good = runCli(['audit', 'verify'], env());
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('audit chain intact: 3 entries');
    expect(good.stdout).toContain(`head: #3 ${after[2]?.hash}`);

    const handle = await openDatabase(db.target, { migrate: false });
    try {
      await handle.db
        .updateTable('audit_log')
        .set({ details_json: '{"keyId":"key_forged","role":"admin"}' })
        .where('seq', '=', 2)
        .execute();
    } finally {
      await handle.close();
    }
    const bad = runCli(['audit', 'verify'], env());
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('audit chain broken at entry #2: hash mismatch');
    // Six CLI runs, each a cold Node start: generous for a loaded 2-core machine.
  }, 120_000);
});
