import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createSystem } from '../src/system.js';
import { ADMIN_KEY, INGEST_KEY, sharedGeoIp } from './support/app.js';
import { RUN_DAY } from './support/clock.js';
import { freshDatabase, type TestDatabase } from './support/database.js';
import { PROCESS_TEST_TIMEOUT_MS, runCli, startServer } from './support/process.js';

let db: TestDatabase;
let dir: string;
beforeEach(async () => {
  db = await freshDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cli-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ VIGIL_DATABASE_URL: db.url, VIGIL_DEMO: 'false' });

async function withSystem<T>(work: (s: Awaited<ReturnType<typeof createSystem>>) => Promise<T>): Promise<T> {
  const system = await createSystem(loadConfig(env()), { geoIp: await sharedGeoIp() });
  try {
    return await work(system);
  } finally {
    await system.close();
  }
}

describe('vigil import', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('imports NDJSON with the API validation and names rejected lines', async () => {
    const file = path.join(dir, 'events.ndjson');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ type: 'login.succeeded', user: 'ann', ip: '81.2.69.160', timestamp: '2026-11-01T10:00:00Z' }),
        JSON.stringify({ type: 'teleport', user: 'ann' }),
        '{broken',
        '',
        JSON.stringify({ type: 'transaction', user: 'ann', amount: 10, currency: 'EUR', timestamp: '2026-11-01T10:05:00Z' }),
      ].join('\n'),
    );
    const r = runCli(['import', file], env());
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('2 accepted, 2 rejected');
    expect(r.stdout).toContain('line 2: unknown_event_type');
    expect(r.stdout).toContain('line 3: invalid_ndjson');
    const events = await withSystem((s) => s.events.listUserEvents({ user: 'ann', limit: 10 }));
    expect(events.map((e) => e.type)).toEqual(['transaction', 'login.succeeded']);
    expect(events[1]?.enrichment.geo?.country).toBe('GB');
  });

  it('imports CSV with attribute columns, and is idempotent on ids', async () => {
    const file = path.join(dir, 'events.csv');
    fs.writeFileSync(
      file,
      [
        'id,type,user,timestamp,ip,amount,currency,attributes.channel',
        'c1,transaction,cat,2026-11-01T10:00:00Z,8.8.8.8,19.99,usd,web',
        'c2,transaction,cat,2026-11-01T10:01:00Z,8.8.8.8,lots,USD,app',
        'c3,login.failed,cat,2026-11-01T10:02:00Z,,,,',
      ].join('\n'),
    );
    const first = runCli(['import', file], env());
    expect(first.status).toBe(3);
    expect(first.stdout).toContain('2 accepted, 1 rejected');
    expect(first.stdout).toContain('line 3: invalid_amount');
    const again = runCli(['import', file], env());
    expect(again.stdout).toContain('2 accepted, 1 rejected');
    const events = await withSystem((s) => s.events.listUserEvents({ user: 'cat', limit: 10 }));
    expect(events).toHaveLength(2);
    expect(events.find((e) => e.id === 'c1')).toMatchObject({ amount: 19.99, currency: 'USD', attributes: { channel: 'web' } });
  });

  it('stops at the header for an unknown column, before storing anything', async () => {
    const file = path.join(dir, 'bad.csv');
    fs.writeFileSync(file, 'type,user,colour\nlogout,dan,red\n');
    const r = runCli(['import', file], env());
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('line 1');
    expect(r.stderr).toContain('"colour"');
    expect(await withSystem((s) => s.events.countEvents())).toBe(0);
  });
});

describe('vigil import --url', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('sends through a running server, whose detection knows the imported history at once', async () => {
    const server = await startServer({ ...env(), VIGIL_INGEST_KEY: INGEST_KEY, VIGIL_ADMIN_KEY: ADMIN_KEY });
    try {
      // The child runs on the real clock: the history lies on the day before today (RUN_DAY).
      const at = (hoursBefore: number) => new Date(RUN_DAY - hoursBefore * 3_600_000).toISOString();
      const purchase = (amount: number, hoursBefore: number) => ({
        type: 'transaction',
        user: 'imp',
        amount,
        currency: 'EUR',
        device: 'imp-laptop',
        ip: '81.2.69.160',
        timestamp: at(hoursBefore),
      });
      const file = path.join(dir, 'history.ndjson');
      const history = Array.from({ length: 12 }, (_, i) => purchase(64 + (i % 5) * 2, 24 - i));
      fs.writeFileSync(file, history.map((e) => JSON.stringify(e)).join('\n'));
      const r = runCli(['import', file, '--url', server.url, '--key', INGEST_KEY], env());
      expect(r.stdout).toContain('12 accepted, 0 rejected');
      expect(r.status).toBe(0);

      // No restart: the next purchase, about 30 times the usual, is judged against the imported ones.
      const big = await fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(purchase(2000, 1)),
      });
      const answer = (await big.json()) as { risk: number; reasons: Array<{ rule: string; message: string }> };
      expect(answer.risk).toBeGreaterThan(0);
      expect(answer.reasons.find((x) => x.rule === 'large-transaction')?.message).toContain('median');
    } finally {
      await server.stop();
    }
  });
});

describe('vigil keys', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('creates a key printed once that authenticates with its role; lists and revokes it', async () => {
    const created = runCli(['keys', 'create', '--role', 'admin', '--name', 'ops'], env());
    expect(created.status).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^vgl_admin_[A-Za-z0-9_-]{43}$/);
    const key = await withSystem((s) => s.authenticator.authenticate(secret));
    expect(key?.role).toBe('admin');

    const listed = runCli(['keys', 'list'], env());
    const [header, ...rows] = listed.stdout.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual(['ID', 'ROLE', 'PREFIX', 'SOURCE', 'STATE', 'NAME']);
    const row = rows.find((r) => r.startsWith(key?.id as string)) as string;
    // Each value starts under its column's title.
    expect(row.indexOf('admin')).toBe(header?.indexOf('ROLE'));
    expect(row.indexOf('active')).toBe(header?.indexOf('STATE'));
    expect(listed.stdout).toContain(key?.id);
    expect(listed.stdout).not.toContain(secret);
    expect(runCli(['keys', 'revoke', key?.id as string], env()).status).toBe(0);
    expect(await withSystem((s) => s.authenticator.authenticate(secret))).toBeUndefined();
  });
});

// What the command line refuses before it opens a database is in cli-config.test.ts (run once, on SQLite).
describe('configuration', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('applies migrations with vigil migrate, and again is a no-op', () => {
    expect(runCli(['migrate'], env()).status).toBe(0);
    expect(runCli(['migrate'], env()).stdout).toContain('up to date');
  });
});
