import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import type { Clock } from '../src/core/clock.js';
import { buildApp } from '../src/http/app.js';
import { createSystem, type System } from '../src/system.js';
import { ADMIN_KEY, INGEST_KEY, sharedGeoIp, startTestApp, type TestApp } from './support/app.js';
import { runningClock, TEST_NOW } from './support/clock.js';
import { freshDatabase, type TestDatabase } from './support/database.js';

const DAY = 86_400_000;
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

const bigSpender = {
  name: 'Big spender',
  type: 'transaction',
  eventTypes: ['transaction'],
  conditions: [{ field: 'amount', op: 'gt', value: 1000 }],
  severity: 'high',
};

describe('rule modes through the API', () => {
  let t: TestApp;
  afterEach(async () => t.close());
  const post = (url: string, body?: unknown, key = ADMIN_KEY) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(body !== undefined && { payload: body as object }),
    });
  const put = (url: string, body: unknown) => t.app.inject({ method: 'PUT', url, headers: admin, payload: body as object });

  it('shadows and promotes a rule, audited with the actor, as new versions; 409 when already in that mode', async () => {
    t = await startTestApp();
    const listed = (await t.get('/v1/rules')).json().rules;
    expect(listed.every((r: { mode: string }) => r.mode === 'live')).toBe(true);

    const shadowed = await post('/v1/rules/large-transaction/shadow?note=too%20noisy');
    expect(shadowed.statusCode).toBe(200);
    expect(shadowed.json()).toMatchObject({ id: 'large-transaction', mode: 'shadow', enabled: true, version: 1 });

    const twice = await post('/v1/rules/large-transaction/shadow');
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('invalid_transition');

    const promoted = await post('/v1/rules/large-transaction/promote');
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json()).toMatchObject({ mode: 'live', version: 2 });
    const again = await post('/v1/rules/large-transaction/promote');
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'invalid_transition', message: expect.stringContaining('already live') });

    // A JSON body (as the dashboard sends) is fine too.
    expect((await post('/v1/rules/large-transaction/shadow', {})).statusCode).toBe(200);
    expect((await post('/v1/rules/large-transaction/promote', {})).statusCode).toBe(200);

    expect((await post('/v1/rules/nope/promote')).statusCode).toBe(404);
    expect((await post('/v1/rules/large-transaction/shadow', undefined, INGEST_KEY)).statusCode).toBe(403);

    const audit = (await t.get(`/v1/audit?subject=${encodeURIComponent('rule:large-transaction')}`)).json().entries;
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['rule.promoted', 'rule.shadowed', 'rule.promoted', 'rule.shadowed']);
    expect(audit[3]).toMatchObject({ details: { version: 1, kind: 'builtin', note: 'too noisy' }, actor: expect.stringMatching(/key_/) });

    const detail = (await t.get('/v1/rules/large-transaction')).json();
    expect(detail.versions.map((v: { version: number; mode: string }) => [v.version, v.mode])).toEqual([
      [4, 'live'],
      [3, 'shadow'],
      [2, 'live'],
      [1, 'shadow'],
    ]);
  });

  it('keeps a disabled rule disabled when it is promoted or shadowed', async () => {
    t = await startTestApp();
    expect((await put('/v1/rules/card-testing', { enabled: false })).statusCode).toBe(200);
    expect((await post('/v1/rules/card-testing/shadow')).json()).toMatchObject({ enabled: false, mode: 'shadow' });
    expect((await post('/v1/rules/card-testing/promote')).json()).toMatchObject({ enabled: false, mode: 'live' });
  });

  it('takes mode in the rule update and in custom rule creation', async () => {
    t = await startTestApp({ builtinRules: [] });
    const created = await post('/v1/rules', { ...bigSpender, mode: 'shadow' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ kind: 'custom', mode: 'shadow', config: { definition: { name: 'Big spender' } } });
    expect(created.json().config.definition.mode).toBeUndefined();
    const id = created.json().id as string;

    const plain = await post('/v1/rules', bigSpender);
    expect(plain.json().mode).toBe('live');
    const bad = await post('/v1/rules', { ...bigSpender, mode: 'loud' });
    expect(bad.statusCode).toBe(400);

    const updated = await put(`/v1/rules/${id}`, { mode: 'live', severity: 'medium' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ mode: 'live', version: 2, config: { definition: { severity: 'medium' } } });
    const wrong = await put(`/v1/rules/${id}`, { mode: 'loud' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error).toMatchObject({ code: 'invalid_rule', path: '/mode' });

    const audit = (await t.get(`/v1/audit?subject=${encodeURIComponent(`rule:${id}`)}`)).json().entries;
    expect(audit.map((e: { action: string; details: { mode?: string } }) => [e.action, e.details.mode])).toEqual([
      ['rule.updated', 'live'],
      ['rule.created', 'shadow'],
    ]);
  });

  it('shows hits and alerts per mode for the last 7 and 30 days and per day, counting what is not flushed yet', async () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    const clock: Clock = { now: () => now };
    t = await startTestApp({ clock });
    await post('/v1/rules/large-transaction/shadow');
    const stats = t.system.ruleStats;
    stats.record('large-transaction', now - 2 * DAY, 'live', true);
    stats.record('large-transaction', now - 20 * DAY, 'live', true);
    await stats.flush();
    stats.record('large-transaction', now, 'shadow', true);
    stats.record('large-transaction', now - 1000, 'shadow', false);
    stats.record('large-transaction', now - DAY, 'shadow', true);

    const rule = (await t.get('/v1/rules')).json().rules.find((r: { id: string }) => r.id === 'large-transaction');
    expect(rule.mode).toBe('shadow');
    expect(rule.stats.shadow.last7Days).toEqual({ hits: 3, wouldHaveAlerted: 2 });
    expect(rule.stats.shadow.last30Days).toEqual({ hits: 3, wouldHaveAlerted: 2 });
    expect(rule.stats.live.last7Days).toEqual({ hits: 1, alerts: 1 });
    expect(rule.stats.live.last30Days).toEqual({ hits: 2, alerts: 2 });
    expect(rule.stats.shadow.daily).toHaveLength(14);
    expect(rule.stats.shadow.daily.slice(-2)).toEqual([
      { day: '2026-11-23', hits: 1, alerts: 1 },
      { day: '2026-11-24', hits: 2, alerts: 1 },
    ]);
    const detail = (await t.get('/v1/rules/large-transaction')).json();
    expect(detail.stats).toEqual(rule.stats);

    const quiet = (await t.get('/v1/rules/card-testing')).json();
    expect(quiet.stats.live.last30Days).toEqual({ hits: 0, alerts: 0 });
    expect(quiet.stats.shadow.daily.every((d: { hits: number }) => d.hits === 0)).toBe(true);
  });

  // Needs the engine to honour RuleEntry.mode and call the counter (the lead's integration).
  it('scores a shadow rule’s finding as nothing, lists it as suppressed, and counts it as would have alerted', async () => {
    t = await startTestApp({ builtinRules: [] });
    const id = (await post('/v1/rules', { ...bigSpender, mode: 'shadow' })).json().id as string;
    const answer = (await t.send({ type: 'transaction', user: 'alice', amount: 1500, currency: 'EUR' })).json();
    expect(answer).toMatchObject({ decision: 'allow', risk: 0, reasons: [] });
    expect(answer.alertId).toBeUndefined();
    expect(answer.suppressed).toEqual([expect.objectContaining({ rule: id, suppressedBy: 'shadow', severity: 'high' })]);
    expect((await t.get('/v1/alerts')).json().alerts).toEqual([]);

    let rule = (await t.get(`/v1/rules/${id}`)).json();
    expect(rule.stats.shadow.last7Days).toEqual({ hits: 1, wouldHaveAlerted: 1 });

    expect((await post(`/v1/rules/${id}/promote`)).statusCode).toBe(200);
    const live = (await t.send({ type: 'transaction', user: 'bob', amount: 1500, currency: 'EUR' })).json();
    expect(live.reasons.map((r: { rule: string }) => r.rule)).toContain(id);
    expect(live.alertId).toMatch(/^alrt_/);
    rule = (await t.get(`/v1/rules/${id}`)).json();
    expect(rule.stats.live.last7Days).toEqual({ hits: 1, alerts: 1 });
    expect(rule.stats.shadow.last7Days).toEqual({ hits: 1, wouldHaveAlerted: 1 });
  });
});

describe('rule modes across a restart', () => {
  let db: TestDatabase | undefined;
  let system: System | undefined;
  afterEach(async () => {
    await system?.close();
    system = undefined;
    await db?.drop();
  });

  // Every start on the same clock from a fixed instant: the counts' days never depend on the hour of the run.
  const restartClock = runningClock(TEST_NOW);
  async function start(database: TestDatabase) {
    system = await createSystem(
      loadConfig({ VIGIL_DATABASE_URL: database.url, VIGIL_INGEST_KEY: INGEST_KEY, VIGIL_ADMIN_KEY: ADMIN_KEY, VIGIL_DEMO: 'false' }),
      { clock: restartClock, geoIp: await sharedGeoIp(), logger: { info() {}, warn() {}, error() {} } },
    );
    const app = await buildApp(system);
    const running = system;
    return {
      system: running,
      post: (url: string, body?: unknown) =>
        app.inject({ method: 'POST', url, headers: admin, ...(body !== undefined && { payload: body as object }) }),
      get: async (url: string) => (await app.inject({ method: 'GET', url, headers: admin })).json(),
      stop: async () => {
        await app.close();
        await running.close();
        system = undefined;
      },
    };
  }

  it('keeps modes, versions and counts (flushed at close) on the same database', async () => {
    db = await freshDatabase();
    const first = await start(db);
    expect((await first.post('/v1/rules/impossible-travel/shadow')).statusCode).toBe(200);
    const custom = (await first.post('/v1/rules', { ...bigSpender, mode: 'shadow' })).json();
    // Not flushed before the stop: close() writes it.
    first.system.ruleStats.record('impossible-travel', restartClock.now(), 'shadow', true);
    first.system.ruleStats.record(custom.id, restartClock.now(), 'shadow', false);
    await first.stop();

    const second = await start(db);
    expect(second.system.rules.ruleSet.get('impossible-travel')?.mode).toBe('shadow');
    expect(second.system.rules.ruleSet.get(custom.id)?.mode).toBe('shadow');
    expect(second.system.rules.ruleSet.get('large-transaction')?.mode).toBe('live');
    const travel = await second.get('/v1/rules/impossible-travel');
    expect(travel).toMatchObject({ mode: 'shadow', version: 1, stats: { shadow: { last7Days: { hits: 1, wouldHaveAlerted: 1 } } } });
    expect((await second.get(`/v1/rules/${custom.id}`)).stats.shadow.last7Days).toEqual({ hits: 1, wouldHaveAlerted: 0 });

    expect((await second.post('/v1/rules/impossible-travel/promote')).statusCode).toBe(200);
    await second.stop();
    const third = await start(db);
    expect(third.system.rules.ruleSet.get('impossible-travel')?.mode).toBe('live');
    await third.stop();
  });
});
