import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, INGEST_KEY, startTestApp, type TestApp } from './support/app.js';
import { fixedClock, TEST_NOW } from './support/clock.js';

const METRICS_TOKEN = 'test-metrics-token-0123456789abcdef';
const clock = fixedClock(TEST_NOW);
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ clock, env: { VIGIL_METRICS_TOKEN: METRICS_TOKEN } });
  // A custom rule that scores a large transaction critical: a `block` decision to count.
  const rule = await t.app.inject({
    method: 'POST',
    url: '/v1/rules',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    payload: {
      name: 'Metrics: huge transaction',
      type: 'transaction',
      eventTypes: ['transaction'],
      conditions: [{ field: 'amount', op: 'gt', value: 100_000 }],
      severity: 'critical',
    },
  });
  expect(rule.statusCode).toBe(201);
});
afterAll(async () => t?.close());

const at = (minutes: number) => new Date(TEST_NOW - 3_600_000 + minutes * 60_000).toISOString();
const metrics = (authorization?: string) =>
  t.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });

/** The value of one sample line, e.g. `vigil_events_in_total{outcome="stored",role="all"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('counts events in, decisions by kind, commits and latencies, in Prometheus format', async () => {
    const before = (await metrics(`Bearer ${ADMIN_KEY}`)).body;
    const stored = (o: string) => sample(before, 'vigil_events_in_total', { outcome: o }) ?? 0;
    const login = { type: 'login.succeeded', user: 'metrics-alice', ip: '81.2.69.160', device: 'laptop' };
    expect((await t.send({ ...login, id: 'evt_metrics_1', timestamp: at(1) })).statusCode).toBe(200);
    // The same id again: a duplicate, neither stored nor decided twice.
    expect((await t.send({ ...login, id: 'evt_metrics_1', timestamp: at(1) })).statusCode).toBe(200);
    const huge = { type: 'transaction', user: 'metrics-bob', amount: 500_000, currency: 'EUR', ip: '81.2.69.160', timestamp: at(2) };
    const blocked = await t.send(huge);
    expect(blocked.json().decision).toBe('block');
    expect((await t.send({ type: 'login.succeeded', user: '' })).statusCode).toBe(400);

    const res = await metrics(`Bearer ${ADMIN_KEY}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(sample(text, 'vigil_events_in_total', { outcome: 'stored', role: 'all' })).toBe(stored('stored') + 2);
    expect(sample(text, 'vigil_events_in_total', { outcome: 'duplicate' })).toBe(stored('duplicate') + 1);
    expect(sample(text, 'vigil_events_in_total', { outcome: 'rejected' })).toBe(stored('rejected') + 1);
    expect(sample(text, 'vigil_decisions_total', { decision: 'block' })).toBe(1);
    expect(sample(text, 'vigil_decisions_total', { decision: 'allow' })).toBeGreaterThanOrEqual(1);
    // Two events were scored, each in its own group commit; each request was timed to its answer.
    expect(sample(text, 'vigil_scoring_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'vigil_group_commit_events_count')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'vigil_database_seconds_count', { operation: 'group_commit' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'vigil_ingest_request_seconds_count', { route: '/v1/events' })).toBe(
      (sample(before, 'vigil_ingest_request_seconds_count', { route: '/v1/events' }) ?? 0) + 4,
    );
    // The process itself: CPU and memory under prom-client's conventional names.
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('is read with an admin key or the metrics token; the token opens nothing else', async () => {
    expect((await metrics(`Bearer ${METRICS_TOKEN}`)).statusCode).toBe(200);
    expect((await metrics()).statusCode).toBe(401);
    expect((await metrics(`Bearer ${INGEST_KEY}`)).statusCode).toBe(403);
    expect((await metrics(`Bearer ${METRICS_TOKEN.slice(0, -1)}x`)).statusCode).toBe(401);
    const elsewhere = await t.app.inject({ method: 'GET', url: '/v1/alerts', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(elsewhere.statusCode).toBe(401);
    // Nothing secret in what it shows.
    const text = (await metrics(`Bearer ${METRICS_TOKEN}`)).body;
    for (const secret of [METRICS_TOKEN, ADMIN_KEY, INGEST_KEY]) expect(text).not.toContain(secret);
  });

  it('/healthz names the role', async () => {
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toMatchObject({ status: 'ok', role: 'all' });
  });
});
