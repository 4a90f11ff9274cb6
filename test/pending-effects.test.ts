import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, INGEST_KEY } from './support/app.js';
import { freshDatabase, type TestDatabase } from './support/database.js';
import { PROCESS_TEST_TIMEOUT_MS, type RunningServer, startServer } from './support/process.js';

/**
 * What a batch's commit owes (ingest/pending-effects.ts), across a crash: the server is killed with
 * SIGKILL after it locked an account and answered, while the lock's announcements were still under
 * way (the webhook receiver holds them), and before the owner's unlock code went out. The next start
 * carries out what was owed: one audit entry, one delivery per webhook and cause, one code.
 */
const DAY = 24 * 3_600_000;
const HOME_IP = '81.2.69.160'; // London
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
// A child process has the machine's clock: the story is placed before it, at fixed distances.
const iso = (ms: number) => new Date(ms).toISOString();

/** A webhook receiver that, while `holding`, reads each delivery and never answers it. */
class Receiver {
  holding = true;
  /** Every delivery received: its id (the same on a retry) and type. */
  readonly received: Array<{ id: string; type: string }> = [];
  private readonly held = new Set<http.ServerResponse>();
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const { id, type } = JSON.parse(body) as { id: string; type: string };
      this.received.push({ id, type });
      if (this.holding) this.held.add(res);
      else res.writeHead(200).end();
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let db: TestDatabase;
let server: RunningServer | undefined;
let receiver: Receiver;
beforeEach(async () => {
  db = await freshDatabase();
  receiver = new Receiver();
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await receiver.close();
  await db.drop();
});

const env = () => ({
  VIGIL_DATABASE_URL: db.url,
  VIGIL_INGEST_KEY: INGEST_KEY,
  VIGIL_ADMIN_KEY: ADMIN_KEY,
  VIGIL_DEMO: 'false',
  VIGIL_WEBHOOK_ALLOW_CIDRS: '127.0.0.0/8',
});

async function call(method: string, path: string, body?: unknown, key = ADMIN_KEY) {
  const r = await fetch(`${(server as RunningServer).url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

const codesSent = async () =>
  ((await call('GET', '/v1/outbox?user=alice')).json.messages as Array<{ subject: string }>).filter((m) => /unlock code/.test(m.subject))
    .length;
const lockEntries = async () =>
  ((await call('GET', '/v1/audit?subject=account:alice&action=account.locked')).json.entries as unknown[]).length;
const deliveries = async (hook: string) =>
  ((await call('GET', `/v1/webhooks/${hook}/deliveries`)).json.deliveries as Array<{ eventType: string; status: string }>).map(
    (d) => `${d.eventType} ${d.status}`,
  );

/** Rows of what committed batches owe, read from the database itself. */
async function owedRows(): Promise<number> {
  if (db.target.dialect === 'sqlite') {
    const sqlite = new Database(db.target.file, { readonly: true });
    try {
      return (sqlite.prepare('SELECT count(*) AS n FROM pending_effects').get() as { n: number }).n;
    } finally {
      sqlite.close();
    }
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return Number((await client.query('SELECT count(*) AS n FROM pending_effects')).rows[0].n);
  } finally {
    await client.end();
  }
}

async function until(what: string, holds: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await holds())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('what a commit owes, across a crash', () => {
  it('announces the lock and sends the unlock code once after the server is killed between its commit and its announcements', {
    timeout: PROCESS_TEST_TIMEOUT_MS,
  }, async () => {
    const hookUrl = await receiver.listen();
    server = await startServer(env());
    const hook = (await call('POST', '/v1/webhooks', { url: hookUrl, events: ['alert.raised', 'account.locked'] })).json.id as string;
    expect((await call('PUT', '/v1/accounts/alice/contact', { email: 'alice@example.com' }, INGEST_KEY)).status).toBe(200);

    // Three weeks of ordinary shopping from London, then a large purchase from a phone never seen.
    const now = Date.now();
    const base = { user: 'alice', ip: HOME_IP, device: 'alice-laptop', userAgent: CHROME };
    const history: Array<Record<string, unknown>> = [];
    for (let d = 21; d >= 1; d -= 3) {
      history.push({ ...base, type: 'login.succeeded', timestamp: iso(now - d * DAY) });
      history.push({
        ...base,
        type: 'transaction',
        amount: 40 + d,
        currency: 'GBP',
        merchant: 'grocer',
        timestamp: iso(now - d * DAY + 60_000),
      });
    }
    expect((await call('POST', '/v1/events', { events: history }, INGEST_KEY)).status).toBe(200);
    const purchase = await call(
      'POST',
      '/v1/events',
      {
        ...base,
        type: 'transaction',
        amount: 1900,
        currency: 'GBP',
        merchant: 'electronics',
        device: 'unknown-phone',
        timestamp: iso(now),
      },
      INGEST_KEY,
    );
    expect(purchase.status).toBe(200);
    expect(purchase.json).toMatchObject({ severity: 'high', decision: 'block' });

    // The lock is committed and answered; its announcement is stuck at the receiver, the code not sent.
    await until('the lock’s webhook is under way', () => receiver.received.some((r) => r.type === 'account.locked'));
    expect(await codesSent()).toBe(0);
    expect(await owedRows()).toBe(1);
    await server.kill9();

    receiver.holding = false;
    server = await startServer(env());
    // At start: well before a running process's periodic pass (a minute) would take it up.
    await until('the code went out', async () => (await codesSent()) > 0, 40_000);
    expect(await codesSent()).toBe(1);
    expect(await lockEntries()).toBe(1);
    // One delivery per cause: those made before the crash, still to be retried once their claim
    // runs out (outbound/), and none made again.
    expect((await deliveries(hook)).map((d) => d.split(' ')[0]).sort()).toEqual(['account.locked', 'alert.raised']);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(2);

    // Nothing is owed any more once the server stopped: the next start has nothing to carry out.
    await server.stop();
    server = undefined;
    expect(await owedRows()).toBe(0);
  });
});
