import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from './support/app.js';
import { runningClock, TEST_NOW } from './support/clock.js';

/** The admins' live feed (SSE) and the activity chart's numbers, over a real socket. */
let t: TestApp;
let base: string;
// Vigil's time starts at a fixed instant: which minute an event counts in never depends on the hour of the run.
const clock = runningClock(TEST_NOW);

beforeEach(async () => {
  t = await startTestApp({ clock });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterEach(async () => t.close());

/** Reads server-sent events as they arrive: `next(kind)` waits for the next one of that kind. */
async function openFeed(headers: Record<string, string>) {
  const controller = new AbortController();
  const res = await fetch(`${base}/v1/feed`, { headers, signal: controller.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const frames: Array<{ event: string; data: any }> = [];
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event && data) frames.push({ event, data: JSON.parse(data) });
        end = buffer.indexOf('\n\n');
      }
    }
  })();
  return {
    res,
    async next(event: string, where: (data: any) => boolean = () => true, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const i = frames.findIndex((f) => f.event === event && where(f.data));
        if (i >= 0) return frames.splice(i, 1)[0] as { event: string; data: any };
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no ${event} event within ${timeoutMs} ms`);
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}

describe('live feed', () => {
  // Pushed, not polled: the frames arrive on the open stream, in order. How soon is not asserted here (a
  // busy machine stretches any wall-clock bound); the next() timeout is only there to end a hung test.
  it('streams a raised alert, then its acknowledgement, to a signed-in admin', async () => {
    const admin = await t.person('admin');
    const feed = await openFeed({ cookie: admin.cookie });
    expect(feed.res.status).toBe(200);
    expect(feed.res.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const burst = Array.from({ length: 5 }, (_, i) => ({
      type: 'login.failed',
      user: 'dora',
      ip: '185.220.101.4',
      timestamp: new Date(clock.now() - (5 - i) * 1000).toISOString(),
    }));
    const answer = (await t.send({ events: burst })).json();
    const alertId = answer.results.at(-1).alertId;
    expect(alertId).toMatch(/^alrt_/);
    const raised = await feed.next('alert', (a) => a.id === alertId);
    expect(raised.data).toMatchObject({
      user: 'dora',
      severity: 'medium',
      status: 'new',
      reasons: [expect.objectContaining({ rule: 'failed-login-burst' })],
    });

    await admin.request('POST', `/v1/alerts/${alertId}/acknowledge`, { note: 'looking' });
    const updated = await feed.next('alert', (a) => a.id === alertId && a.status === 'acknowledged');
    expect(updated.data.timeToAcknowledgeMs).toBeGreaterThanOrEqual(0);

    await admin.request('POST', '/v1/accounts/dora/lock', { reason: 'checking' });
    const lock = await feed.next('account');
    expect(lock.data).toMatchObject({ user: 'dora', locked: true, scope: 'sensitive', reason: 'checking' });
    await feed.close();
  });

  it('is for admins only', async () => {
    const member = await t.person('member', 'dora');
    expect((await fetch(`${base}/v1/feed`, { headers: { cookie: member.cookie } })).status).toBe(403);
    expect((await fetch(`${base}/v1/feed`)).status).toBe(401);
    // An admin key works too, for scripts that watch the feed.
    const feed = await openFeed({ authorization: `Bearer ${ADMIN_KEY}` });
    expect(feed.res.status).toBe(200);
    await feed.close();
  });
});

describe('activity per minute', () => {
  it('counts events by type and alerts by severity for every minute, quiet ones included', async () => {
    const now = clock.now();
    await t.send({
      events: [
        ...Array.from({ length: 5 }, (_, i) => ({
          type: 'login.failed',
          user: 'erin',
          ip: '185.220.101.4',
          timestamp: new Date(now - 1000 * (5 - i)).toISOString(),
        })),
        { type: 'page.viewed', user: 'erin', path: '/', timestamp: new Date(now - 3 * 60_000).toISOString() },
      ],
    });
    const res = await t.get('/v1/stats/activity?minutes=10');
    expect(res.statusCode).toBe(200);
    const { minutes } = res.json();
    expect(minutes).toHaveLength(10);
    const total = (key: 'events' | 'alerts', name: string) => minutes.reduce((n: number, m: any) => n + (m[key][name] ?? 0), 0);
    expect(total('events', 'login.failed')).toBe(5);
    expect(total('events', 'page.viewed')).toBe(1);
    expect(total('alerts', 'medium')).toBe(1);
    expect(minutes.filter((m: any) => Object.keys(m.events).length === 0).length).toBeGreaterThanOrEqual(7);
    expect((await t.get('/v1/stats/activity?minutes=0')).statusCode).toBe(400);
  });
});
