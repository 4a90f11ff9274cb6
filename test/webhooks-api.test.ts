import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/core/clock.js';
import { verifySignature } from '../src/webhooks/signature.js';
import type { HostLookup } from '../src/webhooks/target-guard.js';
import { ADMIN_KEY, INGEST_KEY, startTestApp, type TestApp } from './support/app.js';
import { runningClock, TEST_NOW } from './support/clock.js';

let t: TestApp;
let clock: Clock;
const cleanups: Array<() => Promise<void>> = [];

/**
 * Host names answered without DNS (no test sends a query off this machine). `flip.example` answers a
 * public address first and 127.0.0.1 after: a name rebound after its registration.
 */
const flips = new Map<string, number>();
const webhookLookup: HostLookup = async (name) => {
  if (name === 'shop.example' || name === 'evil.example') return ['93.184.215.14'];
  if (name === 'intranet.example') return ['10.0.0.7'];
  if (name.endsWith('.flip.example')) {
    const n = (flips.get(name) ?? 0) + 1;
    flips.set(name, n);
    return n === 1 ? ['93.184.215.14'] : ['127.0.0.1'];
  }
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
};

beforeEach(async () => {
  // The receivers below listen on 127.0.0.1: allowed as an admin would allow an internal range.
  // Vigil's time starts at a fixed instant and runs on (deliveries are retried after real delays).
  clock = runningClock(TEST_NOW);
  t = await startTestApp({ clock, env: { VIGIL_WEBHOOK_ALLOW_CIDRS: '127.0.0.0/8' }, webhookLookup });
});
afterEach(async () => {
  await t.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const call = (method: 'POST' | 'GET' | 'DELETE', url: string, body?: unknown, key = ADMIN_KEY) =>
  t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}` },
    ...(body !== undefined && { payload: body as object }),
  });

interface Hit {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A client app's webhook endpoint on 127.0.0.1. */
async function receiver() {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/vigil`, hits };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('webhooks API', () => {
  it('returns the secret once, on creation; never in a list or a read', async () => {
    const created = await call('POST', '/v1/webhooks', {
      url: 'https://shop.example/hooks/vigil',
      events: ['account.locked', 'alert.raised'],
      description: 'Shop backend',
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^whk_/),
      url: 'https://shop.example/hooks/vigil',
      events: ['account.locked', 'alert.raised'],
      description: 'Shop backend',
      active: true,
      createdAt: expect.any(String),
      createdBy: expect.stringContaining('admin key from environment'),
      disabledAt: null,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    const secret: string = body.secret;

    const list = await t.get('/v1/webhooks');
    expect(list.statusCode).toBe(200);
    const { secret: _shownOnce, ...shown } = body;
    expect(list.json().webhooks).toEqual([shown]);
    expect(list.body).not.toContain(secret);
    expect(list.body).not.toContain('secret');
    const one = await t.get(`/v1/webhooks/${body.id}`);
    expect(one.json()).not.toHaveProperty('secret');
    expect(one.body).not.toContain(secret.slice(6));
  });

  it('refuses bad bodies with invalid_body and the path', async () => {
    const cases: Array<[unknown, string]> = [
      [{ url: 'ftp://shop.example/in', events: ['alert.raised'] }, '/url'],
      [{ url: 'https://shop.example', events: ['user.deleted'] }, '/events/0'],
      [{ url: 'https://shop.example', events: [] }, '/events'],
      [{ url: 'https://shop.example', events: 'user.deleted' }, '/events/0'],
      [{ url: 'https://shop.example', events: [{ type: 'alert.raised' }] }, '/events/0'],
      [{ events: ['alert.raised'] }, ''],
      [{ url: 'https://shop.example', events: ['alert.raised'], description: 'x'.repeat(501) }, '/description'],
      [{ url: 'https://shop.example', events: ['alert.raised'], secret: 'mine' }, ''],
    ];
    for (const [body, path] of cases) {
      const r = await call('POST', '/v1/webhooks', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.json().error.code).toBe('invalid_body');
      if (path !== '') expect(r.json().error.path, JSON.stringify(body)).toBe(path);
    }
    expect((await t.get('/v1/webhooks')).json().webhooks).toEqual([]);
  });

  it('is for admin keys only', async () => {
    const created = await call('POST', '/v1/webhooks', { url: 'https://shop.example/h', events: ['alert.raised'] });
    const id = created.json().id;
    const attempts = [
      call('POST', '/v1/webhooks', { url: 'https://evil.example/h', events: ['alert.raised'] }, INGEST_KEY),
      call('GET', '/v1/webhooks', undefined, INGEST_KEY),
      call('GET', `/v1/webhooks/${id}/deliveries`, undefined, INGEST_KEY),
      call('DELETE', `/v1/webhooks/${id}`, undefined, INGEST_KEY),
      call('POST', `/v1/webhooks/${id}/test`, undefined, INGEST_KEY),
      call('GET', '/v1/outbox', undefined, INGEST_KEY),
    ];
    for (const r of await Promise.all(attempts)) {
      expect(r.statusCode).toBe(403);
      expect(r.json().error.code).toBe('forbidden');
    }
    const anonymous = await t.app.inject({ method: 'GET', url: '/v1/webhooks' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('delivers a signed alert.raised when events raise an alert, and logs the delivery', async () => {
    const r = await receiver();
    const created = (await call('POST', '/v1/webhooks', { url: r.url, events: ['alert.raised'] })).json();
    const locksOnly = await receiver();
    await call('POST', '/v1/webhooks', { url: locksOnly.url, events: ['account.locked'] });

    // Six failed logins on one account from one IP within a few minutes: the failed-login burst rule.
    const start = clock.now() - 10 * 60_000;
    let alertId: string | undefined;
    for (let i = 0; i < 6; i++) {
      const answer = await t.send({
        type: 'login.failed',
        user: 'erin',
        ip: '81.2.69.160',
        timestamp: new Date(start + i * 30_000).toISOString(),
      });
      expect(answer.statusCode).toBe(200);
      alertId ??= answer.json().alertId;
    }
    expect(alertId).toMatch(/^alrt_/);
    await until(() => r.hits.length >= 1);
    // Later failures update the alert; only its raising is delivered.
    expect(r.hits).toHaveLength(1);
    expect(locksOnly.hits).toEqual([]);

    const hit = r.hits[0] as Hit;
    expect(
      verifySignature({
        nowSec: Math.floor(clock.now() / 1000),
        header: hit.headers['vigil-signature'] as string,
        body: hit.body,
        secret: created.secret,
      }),
    ).toEqual({
      ok: true,
      value: { timestampSec: expect.any(Number) },
    });
    expect(
      verifySignature({
        nowSec: Math.floor(clock.now() / 1000),
        header: hit.headers['vigil-signature'] as string,
        body: hit.body,
        secret: 'whsec_guess',
      }),
    ).toEqual({
      ok: false,
      error: 'signature mismatch',
    });
    const payload = JSON.parse(hit.body);
    expect(payload).toMatchObject({
      id: hit.headers['vigil-delivery'],
      type: 'alert.raised',
      createdAt: expect.any(String),
      data: {
        id: alertId,
        user: 'erin',
        ip: '81.2.69.160',
        ruleId: 'failed-login-burst',
        severity: 'medium',
        status: 'new',
        summary: expect.any(String),
        reasons: [expect.objectContaining({ rule: 'failed-login-burst' })],
      },
    });
    expect(payload.data).not.toHaveProperty('dedupKey');

    // The receiver answered; the attempt's outcome is written just after.
    const deliveries = () => t.get(`/v1/webhooks/${created.id}/deliveries`);
    await until(async () => (await deliveries()).json().deliveries[0].status !== 'pending');
    const log = await deliveries();
    expect(log.statusCode).toBe(200);
    expect(log.json()).toEqual({
      deliveries: [
        {
          id: payload.id,
          webhookId: created.id,
          eventType: 'alert.raised',
          status: 'delivered',
          attempts: 1,
          nextAttemptAt: null,
          lastStatusCode: 204,
          lastError: null,
          createdAt: expect.any(String),
          deliveredAt: expect.any(String),
          payload,
        },
      ],
      nextCursor: null,
    });
  });

  it('sends a test event, pages the delivery log, and stops delivering once disabled', async () => {
    const r = await receiver();
    const created = (await call('POST', '/v1/webhooks', { url: r.url, events: ['account.locked'] })).json();
    for (let i = 0; i < 3; i++) {
      const sent = await call('POST', `/v1/webhooks/${created.id}/test`);
      expect(sent.statusCode).toBe(200);
      expect(sent.json()).toMatchObject({ eventType: 'webhook.test', status: 'delivered', attempts: 1, lastStatusCode: 204 });
    }
    expect(r.hits).toHaveLength(3);

    const first = (await t.get(`/v1/webhooks/${created.id}/deliveries?limit=2`)).json();
    expect(first.deliveries).toHaveLength(2);
    const second = (await t.get(`/v1/webhooks/${created.id}/deliveries?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second).toMatchObject({ nextCursor: null });
    expect(new Set([...first.deliveries, ...second.deliveries].map((d: { id: string }) => d.id)).size).toBe(3);
    expect((await t.get(`/v1/webhooks/${created.id}/deliveries?cursor=nonsense`)).json().error.code).toBe('invalid_cursor');

    const disabled = await call('DELETE', `/v1/webhooks/${created.id}`);
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toMatchObject({ id: created.id, active: false, disabledAt: expect.any(String) });
    expect((await t.get('/v1/webhooks')).json().webhooks[0]).toMatchObject({ active: false });
    expect((await call('POST', `/v1/webhooks/${created.id}/test`)).statusCode).toBe(404);
    await t.system.webhooks.emit('account.locked', { user: 'erin' }, clock.now());
    expect(r.hits).toHaveLength(3);

    expect((await call('DELETE', '/v1/webhooks/whk_nope')).statusCode).toBe(404);
    expect((await t.get('/v1/webhooks/whk_nope/deliveries')).statusCode).toBe(404);
  });
});

describe('outbox API', () => {
  it('shows messages kept while no transport is configured, newest first, per user', async () => {
    for (const [user, to] of [
      ['erin', 'erin@example.com'],
      ['frank', 'frank@example.com'],
      ['erin', 'erin@example.com'],
    ] as const) {
      const sent = await t.system.notifier.send({ channel: 'email', to, subject: 'Your code', text: 'Your code is 123456.', user });
      expect(sent).toEqual({ ok: true, value: { via: 'outbox' } });
    }
    const all = await t.get('/v1/outbox');
    expect(all.statusCode).toBe(200);
    expect(all.json().messages).toHaveLength(3);
    expect(all.json().messages).toContainEqual({
      id: expect.stringMatching(/^msg_/),
      channel: 'email',
      to: 'erin@example.com',
      subject: 'Your code',
      text: 'Your code is 123456.',
      user: 'erin',
      createdAt: expect.any(String),
    });
    const erin = (await t.get('/v1/outbox?user=erin&limit=1')).json();
    expect(erin.messages).toHaveLength(1);
    const rest = (await t.get(`/v1/outbox?user=erin&limit=1&cursor=${erin.nextCursor}`)).json();
    expect(rest.messages).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    expect(rest.messages[0].id).not.toBe(erin.messages[0].id);
  });
});

describe('webhook targets inside the network (SSRF), with no range allowed', () => {
  let strict: TestApp;
  beforeEach(async () => {
    strict = await startTestApp({ webhookLookup });
  });
  afterEach(async () => {
    await strict.close();
  });
  const post = (url: string) =>
    strict.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      payload: { url, events: ['alert.raised'] },
    });

  it('answers 400 webhook_target_not_allowed, naming the url, for every form of an internal address', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    for (const url of [
      r.url,
      `http://localhost:${port}/vigil`,
      `http://2130706433:${port}/vigil`,
      `http://0x7f000001:${port}/vigil`,
      `http://[::ffff:127.0.0.1]:${port}/vigil`,
      `http://127.1:${port}/vigil`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
      'http://[fd00::1]/',
      'http://intranet.example/',
    ]) {
      const res = await post(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error, url).toMatchObject({ code: 'webhook_target_not_allowed', path: '/url' });
    }
    expect((await strict.get('/v1/webhooks')).json().webhooks).toEqual([]);
    expect(r.hits).toEqual([]);
  });

  it('refuses a name rebound to an internal address at delivery; the test call tells nothing of the connection', async () => {
    const r = await receiver();
    const open = new URL(r.url).port;
    const closed = await receiver();
    const closedPort = new URL(closed.url).port;
    await cleanups.pop()?.(); // nothing listens there any more
    const answers = [];
    for (const url of [`http://open.flip.example:${open}/vigil`, `http://closed.flip.example:${closedPort}/vigil`]) {
      const created = await post(url);
      expect(created.statusCode).toBe(201);
      const sent = await strict.app.inject({
        method: 'POST',
        url: `/v1/webhooks/${created.json().id}/test`,
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(sent.statusCode).toBe(200);
      const { status, attempts, lastStatusCode, lastError } = sent.json();
      answers.push({ status, attempts, lastStatusCode, lastError });
    }
    expect(r.hits).toEqual([]);
    // An open port and a closed one look the same: the address was refused before any connection.
    expect(answers[0]).toEqual({
      status: 'pending',
      attempts: 1,
      lastStatusCode: null,
      lastError: 'target not allowed: not a public address (see VIGIL_WEBHOOK_ALLOW_CIDRS); nothing was sent',
    });
    expect(answers[1]).toEqual(answers[0]);
  });
});
