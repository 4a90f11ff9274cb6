import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import type { System } from '../src/system.js';
import { fixedClock } from './support/clock.js';
import { dropNatsPrefix, freshNatsPrefix, freshPgSchema, startRole } from './support/cluster.js';
import { ADMIN_KEY, INGEST_KEY } from './support/credentials.js';

/**
 * The distributed mode keeps every process in step (cluster/bus-relay.ts), on the machine's real NATS
 * JetStream and PostgreSQL: one worker and two api processes in this process, each api serving HTTP.
 * What a worker raises reaches both apis' live feeds once; what a person changes through an api is in
 * force for the next event the worker scores.
 */
const clock = fixedClock('2026-03-10T12:00:00Z');
const prefix = freshNatsPrefix();
const running: System[] = [];
const apps: FastifyInstance[] = [];
let apiA: FastifyInstance;
let apiSystemA: System;
let urlA = '';
let urlB = '';

beforeAll(async () => {
  const databaseUrl = await freshPgSchema();
  // No automatic responses: the locks seen here are the ones people make.
  const env = { VIGIL_INGEST_KEY: INGEST_KEY, VIGIL_ADMIN_KEY: ADMIN_KEY, VIGIL_RESPONSE_POLICY: '[]' };
  const start = async (role: 'api' | 'worker') => {
    const system = await startRole(role, { databaseUrl, prefix, clock, env });
    running.push(system);
    return system;
  };
  const worker = await start('worker');
  for (let i = 0; i < 100 && worker.cluster?.partitions().length !== 16; i++) await new Promise((r) => setTimeout(r, 100));
  const listen = async (system: System) => {
    const app = await buildApp(system, { checkResponses: true });
    apps.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    return { app, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
  };
  apiSystemA = await start('api');
  const a = await listen(apiSystemA);
  const b = await listen(await start('api'));
  apiA = a.app;
  urlA = a.url;
  urlB = b.url;
}, 60_000);

afterAll(async () => {
  for (const app of apps.splice(0)) await app.close().catch(() => {});
  for (const s of running.splice(0).reverse()) await s.close().catch(() => {});
  await dropNatsPrefix(prefix).catch(() => {});
});

const admin = (method: 'POST' | 'DELETE', url: string, body?: unknown) =>
  apiA.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_KEY}` }, ...(body !== undefined && { payload: body as object }) });

let sent = 0;
/** One event through api A; its answer, as a client sees it. */
async function send(event: Record<string, unknown>) {
  const timestamp = new Date(clock.now() - 60_000 + sent++ * 1000).toISOString();
  const res = await apiA.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { authorization: `Bearer ${INGEST_KEY}` },
    payload: { ip: '81.2.69.160', device: 'laptop', timestamp, ...event },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as { decision: string; reasons: Array<{ rule: string }>; alertId?: string };
}
const rulesOf = (answer: { reasons: Array<{ rule: string }> }) => answer.reasons.map((r) => r.rule);
/** Five failed logins: the burst rule's threshold. The last answer. */
async function burst(user: string) {
  let last = await send({ type: 'login.failed', user });
  for (let i = 1; i < 5; i++) last = await send({ type: 'login.failed', user });
  return last;
}

/** Reads a server-sent event stream as it arrives. */
async function openFeed(base: string) {
  const controller = new AbortController();
  const res = await fetch(`${base}/v1/feed`, { headers: { authorization: `Bearer ${ADMIN_KEY}` }, signal: controller.signal });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const frames: Array<{ event: string; data: any }> = [];
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event && data) frames.push({ event, data: JSON.parse(data) });
      }
    }
  })();
  return {
    frames,
    async waitFor(where: (f: { event: string; data: any }) => boolean, timeoutMs = 15_000) {
      for (const until = Date.now() + timeoutMs; Date.now() < until; await new Promise((r) => setTimeout(r, 10)))
        if (frames.some(where)) return;
      throw new Error(`no such feed event within ${timeoutMs} ms`);
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}

describe('distributed mode: every process in step', () => {
  it('shows an alert a worker raised on the live feed of each api process, once', async () => {
    const feeds = [await openFeed(urlA), await openFeed(urlB)];
    try {
      const raised = await burst('feed-alice');
      expect(rulesOf(raised)).toContain('failed-login-burst');
      // A second alert after it: the feed keeps the stream's order, so a repeat of the first would be seen by then.
      const marker = await burst('feed-bob');
      for (const feed of feeds) {
        await feed.waitFor((f) => f.event === 'alert' && f.data.id === marker.alertId);
        expect(feed.frames.filter((f) => f.event === 'alert' && f.data.id === raised.alertId)).toHaveLength(1);
        expect(feed.frames.find((f) => f.data.id === raised.alertId)?.data).toMatchObject({ user: 'feed-alice', status: 'new' });
      }
    } finally {
      for (const feed of feeds) await feed.close();
    }
  });

  it('a list entry added or removed through an api is in force for the next event the worker scores', async () => {
    const added = await admin('POST', '/v1/lists', { list: 'block', kind: 'ip', value: '198.51.100.7', reason: 'fraud ring' });
    expect(added.statusCode).toBe(201);
    const blocked = await send({ type: 'login.succeeded', user: 'list-alice', ip: '198.51.100.7' });
    expect(blocked.decision).toBe('block');
    expect(rulesOf(blocked)).toContain('block-list');

    expect((await admin('DELETE', `/v1/lists/${added.json().id}`)).statusCode).toBe(200);
    const allowed = await send({ type: 'login.succeeded', user: 'list-alice', ip: '198.51.100.7' });
    expect(rulesOf(allowed)).not.toContain('block-list');
  });

  it('a snooze made or cancelled through an api is in force for the next event the worker scores', async () => {
    const snoozed = await admin('POST', '/v1/snoozes', {
      rule: 'failed-login-burst',
      user: 'snooze-alice',
      until: new Date(clock.now() + 86_400_000).toISOString(),
      reason: 'load test',
    });
    expect(snoozed.statusCode).toBe(201);
    expect(rulesOf(await burst('snooze-alice'))).not.toContain('failed-login-burst');

    expect((await admin('DELETE', `/v1/snoozes/${snoozed.json().id}`)).statusCode).toBe(200);
    expect(rulesOf(await send({ type: 'login.failed', user: 'snooze-alice' }))).toContain('failed-login-burst');
  });

  it('a custom rule created, then shadowed, through an api is in force for the next event the worker scores', async () => {
    const tx = (amount: number) => ({ type: 'transaction', user: 'rule-alice', amount, currency: 'EUR' });
    const created = await admin('POST', '/v1/rules', {
      name: 'Big transaction',
      type: 'transaction',
      eventTypes: ['transaction'],
      conditions: [{ field: 'amount', op: 'gt', value: 100_000 }],
      severity: 'high',
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect(rulesOf(await send(tx(150_000)))).toContain(id);

    expect((await admin('POST', `/v1/rules/${id}/shadow`)).statusCode).toBe(200);
    expect(rulesOf(await send(tx(160_000)))).not.toContain(id);
  });

  it('a lock and an unlock made through an api are in force for the next event the worker scores', async () => {
    expect((await send({ type: 'login.succeeded', user: 'lock-alice' })).decision).toBe('allow');
    const locked = await admin('POST', '/v1/accounts/lock-alice/lock', { scope: 'full', reason: 'phoned in: stolen phone' });
    expect(locked.statusCode).toBe(200);
    expect((await send({ type: 'login.succeeded', user: 'lock-alice' })).decision).toBe('block');

    expect((await admin('POST', '/v1/accounts/lock-alice/unlock', { reason: 'found it' })).statusCode).toBe(200);
    expect((await send({ type: 'login.succeeded', user: 'lock-alice' })).decision).toBe('allow');
  });

  it('an alert resolved through an api is closed for the worker: the next finding raises a new alert', async () => {
    const first = await burst('alert-alice');
    expect(first.alertId).toBeDefined();
    // Open: a repeat joins it.
    expect((await send({ type: 'login.failed', user: 'alert-alice' })).alertId).toBe(first.alertId);

    expect((await admin('POST', `/v1/alerts/${first.alertId}/resolve`, { note: 'customer confirmed' })).statusCode).toBe(200);
    const next = await send({ type: 'login.failed', user: 'alert-alice' });
    expect(rulesOf(next)).toContain('failed-login-burst');
    expect(next.alertId).toBeDefined();
    expect(next.alertId).not.toBe(first.alertId);
  });
});

describe('distributed mode: the owner’s word', () => {
  it('“this was me” through an api trusts the phone for the worker: its next jump is no impossible travel', async () => {
    const user = 'trust-ivan';
    const ingest = (method: 'POST' | 'PUT', url: string, body: unknown) =>
      apiA.inject({ method, url, headers: { authorization: `Bearer ${INGEST_KEY}` }, payload: body as object });
    expect((await ingest('PUT', `/v1/accounts/${user}/contact`, { email: 'ivan@example.com' })).statusCode).toBe(200);
    const london = { type: 'login.succeeded', user, ip: '81.2.69.160', device: 'ivan-laptop' };
    const newYork = { type: 'login.succeeded', user, ip: '3.80.0.10', device: 'travel-phone' };
    await send(london);
    const jump = await send(newYork);
    expect(rulesOf(jump)).toContain('impossible-travel');

    expect((await ingest('POST', `/v1/alerts/${jump.alertId}/confirm`, {})).statusCode).toBe(202);
    const [mail] = await apiSystemA.outbox.list({ user, limit: 1 });
    const code = /is (\d{6})\./.exec(mail?.body ?? '')?.[1];
    expect(code).toBeDefined();
    const confirmed = await ingest('POST', `/v1/alerts/${jump.alertId}/confirm`, { code });
    expect(confirmed.statusCode).toBe(200);

    await send(london);
    expect(rulesOf(await send(newYork))).not.toContain('impossible-travel');
  });
});
