import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, INGEST_KEY } from './support/app.js';
import { TEST_NOW } from './support/clock.js';
import { freshDatabase, type TestDatabase } from './support/database.js';
import { PROCESS_TEST_TIMEOUT_MS, type RunningServer, startServer } from './support/process.js';

let db: TestDatabase;
let server: RunningServer | undefined;
beforeEach(async () => {
  db = await freshDatabase();
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await db.drop();
});

describe('the server log', () => {
  it('is JSON lines only, through the flows that used to print plain text', { timeout: PROCESS_TEST_TIMEOUT_MS }, async () => {
    server = await startServer({
      VIGIL_DATABASE_URL: db.url,
      VIGIL_INGEST_KEY: INGEST_KEY,
      VIGIL_ADMIN_KEY: ADMIN_KEY,
      VIGIL_DEMO: 'false',
      VIGIL_LOG_LEVEL: 'info',
    });
    const call = (method: string, path: string, key: string, body?: unknown) =>
      fetch(`${server?.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
    expect((await call('PUT', '/v1/accounts/cleo/contact', INGEST_KEY, { email: 'cleo@example.com' })).status).toBe(200);
    // A purchase far above cleo's usual from a phone never seen: blocked, the account locked, and a code
    // emailed, to the outbox without SMTP (once a plain "email to c***@example.com sent via outbox").
    const at = (minutesBefore: number) => new Date(TEST_NOW - minutesBefore * 60_000).toISOString();
    const usual = { user: 'cleo', device: 'laptop', ip: '81.2.69.160' };
    const history = [
      { type: 'login.succeeded', ...usual, timestamp: at(3 * 24 * 60) },
      ...[5, 4, 3, 2, 1].map((d) => ({ type: 'transaction', ...usual, amount: 40 + d, currency: 'EUR', timestamp: at(d * 24 * 60 - 60) })),
    ];
    expect((await call('POST', '/v1/events', INGEST_KEY, { events: history })).status).toBe(200);
    const big = await call('POST', '/v1/events', INGEST_KEY, {
      type: 'transaction',
      user: 'cleo',
      device: 'new-phone',
      ip: '81.2.69.160',
      amount: 2500,
      currency: 'EUR',
      timestamp: at(0),
    });
    expect(((await big.json()) as { decision: string }).decision).toBe('block');
    // Client mistakes and an unknown route.
    expect((await call('POST', '/v1/events', INGEST_KEY, '{broken')).status).toBe(400);
    expect((await call('GET', '/v1/nothing-here', ADMIN_KEY)).status).toBe(404);
    await server.stop();

    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.length > 0);
    const notJson = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    const messages = lines.map((line) => (JSON.parse(line) as { msg?: string }).msg);
    expect(messages).toContain('email to c***@example.com sent via outbox');
    expect(messages.some((m) => m?.startsWith('Vigil listening on'))).toBe(true);
    expect(messages).toContain('shutting down');
  });
});
