import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/support/database.js';
import { ServerSecret } from '../auth/server-secret.js';
import { InProcessBus } from '../bus/in-process-bus.js';
import { type DatabaseHandle, openDatabase } from '../store/database.js';
import { SqlWebhookStore } from '../store/webhook-store.js';
import { createWebhookDispatcher, type WebhookDispatcher, type WebhookDispatcherDeps } from './dispatcher.js';
import type { WebhookEventType } from './ports.js';
import { verifySignature } from './signature.js';
import type { HostLookup } from './target-guard.js';

const KEY = ServerSecret.fromBytes(Buffer.alloc(32, 7)).subkey('webhook-secrets');
const START = Date.parse('2026-05-01T10:00:00Z');

let db: TestDatabase;
let handle: DatabaseHandle;
let now: number;
const clock = { now: () => now };
const logLines: string[] = [];
const log = { info: (m: string) => logLines.push(m), warn: (m: string) => logLines.push(m), error: (m: string) => logLines.push(m) };
const cleanups: Array<() => Promise<void>> = [];
/** Audit entries the dispatcher recorded: registrations and disablings. */
const audited: Array<[actor: string, action: string, subject: string]> = [];
const audit = { record: async (actor: string, action: string, subject: string) => audited.push([actor, action, subject]) };

beforeEach(async () => {
  db = await freshDatabase();
  handle = await openDatabase(db.target, { migrate: true });
  now = START;
  logLines.length = 0;
  lookups.length = 0;
  audited.length = 0;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await handle.close();
  await db.drop();
});

/** Host names the tests use, answered without DNS: no test sends a query off this machine. */
const NAMES: Record<string, readonly string[]> = {
  'shop.example': ['93.184.215.14'],
  'a.example': ['93.184.215.14'],
  'intranet.example': ['10.0.0.7'],
  'mixed.example': ['93.184.215.14', '10.0.0.7'],
  'mapped.example': ['::ffff:127.0.0.1'],
  'metadata.example': ['169.254.169.254'],
  'receiver.example': ['127.0.0.2'],
};
const lookups: string[] = [];
const lookup: HostLookup = async (name) => {
  lookups.push(name);
  const addresses = NAMES[name];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return addresses;
};

/** A dispatcher whose receivers on 127.0.0.0/8 are allowed, as an admin would allow an internal range. */
function dispatcher(over: Partial<WebhookDispatcherDeps> = {}): WebhookDispatcher {
  const d = createWebhookDispatcher({
    store: new SqlWebhookStore(handle),
    key: KEY,
    clock,
    log,
    audit,
    allowCidrs: ['127.0.0.0/8'],
    lookup,
    ...over,
  });
  cleanups.push(() => d.stop());
  return d;
}

interface Hit {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** What the documented check says about this request, with the secret the test holds. */
  verified: ReturnType<typeof verifySignature> | undefined;
}

/** A client app's webhook endpoint on 127.0.0.1: records requests, answers the next status of `statuses` (then the last one). */
async function receiver(statuses: number[] = [200], headers: Record<string, string> = {}, host = '127.0.0.1') {
  const hits: Hit[] = [];
  let secret: string | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verified =
        secret === undefined
          ? undefined
          : verifySignature({ header: req.headers['vigil-signature'] as string | undefined, body, secret, nowSec: Math.floor(now / 1000) });
      hits.push({ headers: req.headers, body, verified });
      const status = statuses[Math.min(hits.length - 1, statuses.length - 1)] as number;
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: (server.address() as AddressInfo).port,
    url: `http://${host}:${(server.address() as AddressInfo).port}/hooks/vigil`,
    hits,
    useSecret: (s: string) => {
      secret = s;
    },
  };
}

async function register(d: WebhookDispatcher, url: string, events: readonly WebhookEventType[] = ['account.locked']) {
  const created = await d.register({ url, events, description: 'shop backend' }, 'admin (key_1)');
  if (!created.ok) throw new Error(created.error.message);
  return created.value;
}

const lockChange = {
  user: 'alice',
  scope: 'sensitive',
  at: START - 1000,
  actor: 'vigil',
  reason: 'High-risk transaction',
  alertId: 'alrt_1',
};

describe('registration', () => {
  it('creates a whsec_ secret, returns it once and stores it only sealed', async () => {
    const d = dispatcher();
    const { webhook, secret } = await register(d, 'https://shop.example/hooks');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhook).toEqual({
      id: expect.stringMatching(/^whk_/),
      url: 'https://shop.example/hooks',
      events: ['account.locked'],
      description: 'shop backend',
      createdAt: START,
      createdBy: 'admin (key_1)',
      disabledAt: null,
    });
    const row = await handle.db.selectFrom('webhooks').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));
    expect(ServerSecret.decrypt(KEY, row.secret_ciphertext)).toBe(secret);
    expect(await d.list()).toEqual([webhook]);
    expect(JSON.stringify(await d.list())).not.toContain('secret');
  });

  it.each([
    ['ftp://files.example/in', 'url must start with https:// or http://'],
    ['javascript:alert(1)', 'url must start with https:// or http://'],
    ['file:///etc/passwd', 'url must start with https:// or http://'],
    ['not a url', 'url is not a valid absolute URL'],
    ['https://user:pass@shop.example/hooks', 'url must not contain a user name or password'],
  ])('refuses %s', async (url, message) => {
    const created = await dispatcher().register({ url, events: ['alert.raised'] }, 'admin');
    expect(created).toEqual({ ok: false, error: { code: 'invalid_body', message: expect.stringContaining(message), path: '/url' } });
    expect(await handle.db.selectFrom('webhooks').selectAll().execute()).toEqual([]);
  });

  it('refuses an empty or unknown event list', async () => {
    const d = dispatcher();
    expect(await d.register({ url: 'https://a.example', events: [] }, 'admin')).toMatchObject({ ok: false, error: { path: '/events' } });
    expect(await d.register({ url: 'https://a.example', events: ['user.deleted' as WebhookEventType] }, 'admin')).toMatchObject({
      ok: false,
      error: { code: 'invalid_body', path: '/events' },
    });
  });
});

describe('delivery', () => {
  it('POSTs the payload signed; the receiver verifies it with verifySignature', async () => {
    const d = dispatcher();
    const r = await receiver();
    const { webhook, secret } = await register(d, r.url);
    r.useSecret(secret);

    const [delivery] = await d.emit('account.locked', { user: 'alice', scope: 'full' }, START - 5000);
    expect(r.hits).toHaveLength(1);
    const hit = r.hits[0] as Hit;
    expect(hit.verified).toEqual({ ok: true, value: { timestampSec: Math.floor(START / 1000) } });
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['vigil-delivery']).toBe(delivery?.id);
    expect(hit.headers['vigil-event']).toBe('account.locked');
    expect(JSON.parse(hit.body)).toEqual({
      id: delivery?.id,
      type: 'account.locked',
      createdAt: new Date(START - 5000).toISOString(),
      data: { user: 'alice', scope: 'full' },
    });
    // The secret itself never travels.
    expect(JSON.stringify(hit)).not.toContain(secret);

    const log = await d.deliveries(webhook.id, { limit: 10 });
    expect(log).toEqual({
      ok: true,
      value: [
        expect.objectContaining({
          id: delivery?.id,
          status: 'delivered',
          attempts: 1,
          lastStatusCode: 200,
          lastError: null,
          nextAttemptAt: null,
          deliveredAt: START,
        }),
      ],
    });
  });

  it('retries with backoff: 500, 500, then 200 is delivered after 3 attempts, and the log shows each one', async () => {
    const d = dispatcher();
    const r = await receiver([500, 500, 200]);
    const { webhook, secret } = await register(d, r.url);
    r.useSecret(secret);
    const logOf = async () => {
      const result = await d.deliveries(webhook.id, { limit: 10 });
      return result.ok ? result.value : [];
    };

    await d.emit('account.locked', { user: 'alice' }, START);
    expect(await logOf()).toEqual([
      expect.objectContaining({ status: 'pending', attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500 Internal Server Error' }),
    ]);
    expect((await logOf())[0]?.nextAttemptAt).toBe(START + 10_000);

    now += 9_999;
    expect(await d.runDue()).toBe(0); // not due yet
    now += 1;
    expect(await d.runDue()).toBe(1);
    expect(await logOf()).toEqual([
      expect.objectContaining({ status: 'pending', attempts: 2, lastStatusCode: 500, nextAttemptAt: now + 60_000 }),
    ]);

    now += 60_000;
    expect(await d.runDue()).toBe(1);
    expect(await logOf()).toEqual([
      expect.objectContaining({
        status: 'delivered',
        attempts: 3,
        lastStatusCode: 200,
        lastError: null,
        deliveredAt: now,
        nextAttemptAt: null,
      }),
    ]);
    expect(await d.runDue()).toBe(0);

    // One delivery id throughout; each attempt signed afresh with its own timestamp, each verifying.
    expect(r.hits).toHaveLength(3);
    expect(new Set(r.hits.map((h) => h.headers['vigil-delivery'])).size).toBe(1);
    expect(new Set(r.hits.map((h) => h.body)).size).toBe(1);
    expect(r.hits.map((h) => h.verified?.ok)).toEqual([true, true, true]);
    expect(r.hits.map((h) => (h.verified?.ok ? h.verified.value.timestampSec : 0))).toEqual(
      [START, START + 10_000, START + 70_000].map((ms) => ms / 1000),
    );
    expect(logLines).toEqual([
      expect.stringMatching(/^webhook whk_\w+ delivery whd_\w+ attempt 1 failed \(HTTP 500 Internal Server Error\); next attempt in 10 s$/),
      expect.stringMatching(/attempt 2 failed \(HTTP 500 Internal Server Error\); next attempt in 60 s$/),
    ]);
  });

  it('gives up after the last retry and marks the delivery failed', async () => {
    const d = dispatcher({ retryDelaysMs: [1_000, 2_000] });
    const r = await receiver([503]);
    const { webhook } = await register(d, r.url);
    await d.emit('account.locked', { user: 'alice' }, START);
    now += 1_000;
    await d.runDue();
    now += 2_000;
    await d.runDue();
    now += 1_000_000;
    expect(await d.runDue()).toBe(0);
    expect(r.hits).toHaveLength(3);
    const log = await d.deliveries(webhook.id, { limit: 10 });
    expect(log.ok && log.value).toEqual([
      expect.objectContaining({ status: 'failed', attempts: 3, lastStatusCode: 503, nextAttemptAt: null, deliveredAt: null }),
    ]);
    expect(logLines.at(-1)).toMatch(/attempt 3 failed \(HTTP 503 Service Unavailable\); giving up$/);
  });

  it('does not follow redirects', async () => {
    const elsewhere = await receiver();
    const r = await receiver([302], { location: elsewhere.url });
    const d = dispatcher();
    const { webhook } = await register(d, r.url);
    await d.emit('account.locked', { user: 'alice' }, START);
    expect(elsewhere.hits).toEqual([]);
    const log = await d.deliveries(webhook.id, { limit: 10 });
    expect(log.ok && log.value[0]).toMatchObject({
      status: 'pending',
      lastStatusCode: 302,
      lastError: 'HTTP 302: redirects are not followed',
    });
  });

  it('counts a receiver that does not answer in time, or cannot be reached, as a failed attempt', async () => {
    const silent = http.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const d = dispatcher({ timeoutMs: 200 });
    const slow = await register(d, `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`);
    const gone = await receiver();
    const down = await register(d, gone.url);
    await cleanups.pop()?.(); // the receiver is closed: connection refused
    await d.emit('account.locked', { user: 'alice' }, START);
    const slowLog = await d.deliveries(slow.webhook.id, { limit: 1 });
    const downLog = await d.deliveries(down.webhook.id, { limit: 1 });
    expect(slowLog.ok && slowLog.value[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatusCode: null,
      lastError: 'no answer within 200 ms',
    });
    expect(downLog.ok && downLog.value[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatusCode: null,
      lastError: 'ECONNREFUSED',
    });
  });

  it('sends each event only to active webhooks subscribed to its type', async () => {
    const d = dispatcher();
    const locks = await receiver();
    const alerts = await receiver();
    const disabled = await receiver();
    await register(d, locks.url, ['account.locked', 'account.unlocked']);
    await register(d, alerts.url, ['alert.raised']);
    const off = await register(d, disabled.url, ['account.locked', 'alert.raised']);
    expect(await d.disable(off.webhook.id, 'admin (key_1)')).toMatchObject({ ok: true, value: { disabledAt: START } });

    await d.emit('account.locked', { user: 'alice' }, START);
    await d.emit('account.unlocked', { user: 'alice' }, START);
    await d.emit('alert.raised', { id: 'alrt_1' }, START);
    expect(locks.hits.map((h) => h.headers['vigil-event'])).toEqual(['account.locked', 'account.unlocked']);
    expect(alerts.hits.map((h) => h.headers['vigil-event'])).toEqual(['alert.raised']);
    expect(disabled.hits).toEqual([]);
  });

  it('disabling a webhook gives up its pending retries', async () => {
    const d = dispatcher();
    const r = await receiver([500]);
    const { webhook } = await register(d, r.url);
    await d.emit('account.locked', { user: 'alice' }, START);
    await d.disable(webhook.id, 'admin (key_2)');
    now += 3_600_000;
    expect(await d.runDue()).toBe(0);
    const log = await d.deliveries(webhook.id, { limit: 10 });
    expect(log.ok && log.value[0]).toMatchObject({ status: 'failed', attempts: 1, lastError: 'webhook disabled' });
    expect(await d.disable('whk_nope', 'admin (key_2)')).toMatchObject({ ok: false, error: { code: 'not_found' } });
    // Audited by the dispatcher itself, whoever asks: the API and any other caller alike.
    expect(audited).toEqual([
      ['admin (key_1)', 'webhook.created', `webhook:${webhook.id}`],
      ['admin (key_2)', 'webhook.deleted', `webhook:${webhook.id}`],
    ]);
  });

  it('sends a webhook.test event to one webhook on demand', async () => {
    const d = dispatcher();
    const r = await receiver();
    const { webhook, secret } = await register(d, r.url, ['alert.raised']);
    r.useSecret(secret);
    const sent = await d.sendTest(webhook.id);
    expect(sent).toMatchObject({ ok: true, value: { eventType: 'webhook.test', status: 'delivered', attempts: 1, lastStatusCode: 200 } });
    expect(r.hits[0]?.verified?.ok).toBe(true);
    expect(JSON.parse(r.hits[0]?.body ?? '{}')).toMatchObject({ type: 'webhook.test', data: { webhookId: webhook.id } });
    expect(await d.sendTest('whk_nope')).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

/** Every form of an internal target the guard must catch; `{port}` is a receiver's port on 127.0.0.1. */
const INTERNAL_TARGETS = [
  'http://127.0.0.1:{port}/hooks',
  'http://localhost:{port}/hooks',
  'http://localhost.:{port}/hooks',
  'http://api.localhost:{port}/hooks',
  'http://2130706433:{port}/hooks',
  'http://0x7f000001:{port}/hooks',
  'http://0177.0.0.1:{port}/hooks',
  'http://127.1:{port}/hooks',
  'http://[::ffff:127.0.0.1]:{port}/hooks',
  'http://[::127.0.0.1]:{port}/hooks',
  'http://[::1]:{port}/hooks',
  'http://mapped.example:{port}/hooks',
  'http://169.254.169.254/latest/meta-data/',
  'http://metadata.example/latest/meta-data/',
  'http://10.1.2.3/',
  'http://172.16.0.1/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://0.0.0.0:{port}/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://192.0.2.1/',
  'http://198.51.100.7/',
  'http://240.0.0.1/',
  'http://[::]/',
  'http://[fe80::1]/',
  'http://[fd00::1]/',
  'http://[ff02::1]/',
  'http://[2001:db8::1]/',
  'http://[64:ff9b::7f00:1]/',
  'http://intranet.example/',
  'http://mixed.example/',
];

describe('internal targets (SSRF)', () => {
  it.each(INTERNAL_TARGETS)('refuses %s at registration', async (template) => {
    const r = await receiver();
    const url = template.replace('{port}', String(r.port));
    const created = await dispatcher({ allowCidrs: [] }).register({ url, events: ['alert.raised'] }, 'admin');
    expect(created).toEqual({
      ok: false,
      error: { code: 'webhook_target_not_allowed', message: expect.stringContaining('public address'), path: '/url' },
    });
    expect(await handle.db.selectFrom('webhooks').selectAll().execute()).toEqual([]);
    expect(r.hits).toEqual([]);
  });

  it.each(INTERNAL_TARGETS)('refuses %s at delivery, sending nothing and telling nothing of the connection', async (template) => {
    const r = await receiver();
    const url = template.replace('{port}', String(r.port));
    // As a webhook stored before the check existed, or by a process allowed more: straight into the store.
    const id = 'whk_internal';
    await new SqlWebhookStore(handle).create({
      id,
      url,
      events: ['account.locked'],
      description: null,
      createdAt: START,
      createdBy: 'admin',
      disabledAt: null,
      secretCiphertext: ServerSecret.encrypt(KEY, 'whsec_test'),
    });
    const d = dispatcher({ allowCidrs: [] });
    await d.emit('account.locked', { user: 'alice' }, START);
    const sent = await d.sendTest(id);
    expect(r.hits).toEqual([]);
    const refused = 'target not allowed: not a public address (see VIGIL_WEBHOOK_ALLOW_CIDRS); nothing was sent';
    expect(sent).toMatchObject({ ok: true, value: { status: 'pending', attempts: 1, lastStatusCode: null, lastError: refused } });
    const log = await d.deliveries(id, { limit: 10 });
    expect(log.ok && log.value.map((x) => x.lastError)).toEqual([refused, refused]);
  });

  it('the allow list lets 127.0.0.0/8 through, by address or by a name resolving into it', async () => {
    const r = await receiver();
    const d = dispatcher({ allowCidrs: ['127.0.0.0/8'] });
    for (const url of [r.url, `http://localhost:${r.port}/a`, `http://2130706433:${r.port}/b`, `http://[::ffff:127.0.0.1]:${r.port}/c`]) {
      const { webhook } = await register(d, url);
      expect((await d.sendTest(webhook.id)).ok && (await d.deliveries(webhook.id, { limit: 1 }))).toMatchObject({
        ok: true,
        value: [{ status: 'delivered' }],
      });
    }
    expect(r.hits.map((h) => h.headers.host)).toEqual([
      `127.0.0.1:${r.port}`,
      `localhost:${r.port}`,
      `127.0.0.1:${r.port}`,
      `[::ffff:7f00:1]:${r.port}`,
    ]);
    // Only the range allowed: 10.0.0.0/8 stays refused, and so does ::1 (not in an IPv4 range).
    expect(await d.register({ url: 'http://10.0.0.1/', events: ['alert.raised'] }, 'admin')).toMatchObject({
      ok: false,
      error: { code: 'webhook_target_not_allowed' },
    });
    expect(await d.register({ url: `http://[::1]:${r.port}/`, events: ['alert.raised'] }, 'admin')).toMatchObject({
      ok: false,
      error: { code: 'webhook_target_not_allowed' },
    });
  });

  it('connects to the address it vetted, resolved once per attempt (no second lookup to rebind)', async () => {
    // receiver.example resolves (in this test's resolver only) to 127.0.0.2; the system resolver
    // would never answer that, so the delivery arriving proves the connection used the vetted address.
    const r = await receiver([200], {}, '127.0.0.2');
    const d = dispatcher({ allowCidrs: ['127.0.0.2/32'] });
    const { webhook } = await register(d, `http://receiver.example:${r.port}/hooks`);
    lookups.length = 0;
    const sent = await d.sendTest(webhook.id);
    expect(sent).toMatchObject({ ok: true, value: { status: 'delivered' } });
    expect(lookups).toEqual(['receiver.example']);
    expect(r.hits[0]?.headers.host).toBe(`receiver.example:${r.port}`);
  });

  it('does not follow a redirect to an internal address', async () => {
    const inside = await receiver([200], {}, '127.0.0.3');
    const r = await receiver([302], { location: `http://127.0.0.3:${inside.port}/` }, '127.0.0.2');
    const redirectToMetadata = await receiver([307], { location: 'http://169.254.169.254/latest/meta-data/' }, '127.0.0.2');
    const d = dispatcher({ allowCidrs: ['127.0.0.2/32'] });
    for (const url of [r.url, redirectToMetadata.url]) {
      const { webhook } = await register(d, url);
      const sent = await d.sendTest(webhook.id);
      expect(sent).toMatchObject({
        ok: true,
        value: { status: 'pending', lastError: expect.stringContaining('redirects are not followed') },
      });
    }
    expect(r.hits).toHaveLength(1);
    expect(inside.hits).toEqual([]);
  });

  it('lets a name that does not resolve yet be registered; its attempts fail without a connection', async () => {
    const d = dispatcher({ allowCidrs: [] });
    const { webhook } = await register(d, 'https://not-deployed.example/hooks');
    expect(await d.sendTest(webhook.id)).toMatchObject({
      ok: true,
      value: { status: 'pending', lastError: 'cannot resolve the host (ENOTFOUND)' },
    });
  });
});

describe('durability', () => {
  it('a restart picks up a delivery left pending by the previous run', async () => {
    const r = await receiver([500, 200]);
    const first = dispatcher();
    const { webhook, secret } = await register(first, r.url);
    r.useSecret(secret);
    await first.emit('account.locked', { user: 'alice' }, START);
    expect(r.hits).toHaveLength(1);
    await first.stop();

    // A new process: new store, new dispatcher, the retry now due.
    now += 10_000;
    const second = dispatcher({ store: new SqlWebhookStore(handle), pollIntervalMs: 20 });
    second.start();
    await until(() => r.hits.length === 2);
    await second.stop();
    expect(r.hits[1]?.verified?.ok).toBe(true);
    const log = await second.deliveries(webhook.id, { limit: 10 });
    expect(log.ok && log.value).toEqual([expect.objectContaining({ status: 'delivered', attempts: 2 })]);
  });

  it('an event emitted while stopped is stored and sent at the next start', async () => {
    const r = await receiver();
    const d = dispatcher({ pollIntervalMs: 20 });
    await register(d, r.url);
    await d.stop();
    const [delivery] = await d.emit('account.locked', { user: 'alice' }, START);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: START });
    expect(r.hits).toEqual([]);
    d.start();
    await until(() => r.hits.length === 1);
  });

  it('a delivery claimed by a process that died is retried once its lease runs out', async () => {
    const r = await receiver();
    const d = dispatcher({ timeoutMs: 1_000 });
    const { webhook } = await register(d, r.url);
    const store = new SqlWebhookStore(handle);
    // As a crashed process leaves it: stored, claimed for its first attempt, never attempted.
    await store.addDeliveries([
      {
        id: 'whd_crashed',
        webhookId: webhook.id,
        eventType: 'account.locked',
        payloadJson: '{"id":"whd_crashed"}',
        status: 'pending',
        attempts: 0,
        nextAttemptAt: START + 61_000,
        lastStatusCode: null,
        lastError: null,
        createdAt: START,
        deliveredAt: null,
      },
    ]);
    expect(await d.runDue()).toBe(0);
    now = START + 61_000;
    expect(await d.runDue()).toBe(1);
    expect(r.hits.map((h) => h.headers['vigil-delivery'])).toEqual(['whd_crashed']);
  });

  it('two dispatchers on one database never send one attempt twice', async () => {
    const r = await receiver([500, 200]);
    const a = dispatcher();
    const b = dispatcher({ store: new SqlWebhookStore(handle) });
    await register(a, r.url);
    await a.emit('account.locked', { user: 'alice' }, START);
    now += 10_000;
    const attempted = await Promise.all([a.runDue(), b.runDue()]);
    expect(attempted[0] + attempted[1]).toBe(1);
    expect(r.hits).toHaveLength(2);
  });
});

describe('bus subscription', () => {
  it('turns account.locked, account.unlocked and each raised alert into deliveries', async () => {
    const bus = new InProcessBus((error) => {
      throw error;
    });
    const d = dispatcher();
    const r = await receiver();
    await register(d, r.url, ['account.locked', 'account.unlocked']);
    d.subscribe(bus);
    await bus.publish('account.locked', { ...lockChange, scope: 'sensitive' });
    await bus.publish('account.unlocked', { ...lockChange, scope: 'sensitive', actor: 'user:alice', reason: 'one-time code' });
    await bus.close();
    // Each delivery is sent on its own, so they may arrive in either order (none is promised).
    const bodies = r.hits.map((h) => JSON.parse(h.body) as { type: string }).sort((a, b) => a.type.localeCompare(b.type));
    expect(bodies).toEqual([
      {
        id: expect.stringMatching(/^whd_/),
        type: 'account.locked',
        createdAt: new Date(START - 1000).toISOString(),
        data: {
          user: 'alice',
          scope: 'sensitive',
          at: new Date(START - 1000).toISOString(),
          actor: 'vigil',
          reason: 'High-risk transaction',
          alertId: 'alrt_1',
        },
      },
      expect.objectContaining({
        type: 'account.unlocked',
        data: expect.objectContaining({ actor: 'user:alice', reason: 'one-time code' }),
      }),
    ]);
  });
});

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
