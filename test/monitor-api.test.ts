import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import type { Alert } from '../src/domain/alert.js';
import { buildApp } from '../src/http/app.js';
import { MINUTE_MS, type MinuteCount, minuteOf } from '../src/monitor/minute-counts.js';
import { syntheticMinutes } from '../src/monitor/synthetic.js';
import { createSystem, type System } from '../src/system.js';
import { ADMIN_KEY, INGEST_KEY, sharedGeoIp, startTestApp, type TestApp } from './support/app.js';
import { freshDatabase, type TestDatabase } from './support/database.js';

type Inject = TestApp['app']['inject'];

const HISTORY_FROM = Date.UTC(2025, 6, 15, 10, 0);
const NOON = Date.UTC(2025, 6, 15, 12, 0);

/** "2025-07-15 12:00:00": the seed's format. */
const seedTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const seedRows = (rows: readonly MinuteCount[]) => rows.map((r) => ({ timestamp: seedTime(r.minute), status: r.status, count: r.count }));
/** Two hours of a payment app's six statuses before noon. */
const history = () => seedRows(syntheticMinutes({ from: HISTORY_FROM, minutes: 120, seed: 7 }));
/** One ordinary minute, with some counts replaced. */
const minute = (at: number, counts: Record<string, number> = {}) =>
  seedRows(syntheticMinutes({ from: at, minutes: 1, seed: at / MINUTE_MS })).map((r) =>
    r.status in counts ? { ...r, count: counts[r.status] as number } : r,
  );

/** `key: null` sends no Authorization header. */
const post = (inject: Inject, body: unknown, key: string | null = INGEST_KEY) =>
  inject({
    method: 'POST',
    url: '/v1/monitor',
    headers: { ...(key !== null && { authorization: `Bearer ${key}` }), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
const get = (inject: Inject, url: string, key = ADMIN_KEY) => inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('POST /v1/monitor', () => {
  it('answers the seed format with the abnormal minute and status, and raises a transaction alert that repeats update', async () => {
    t = await startTestApp();
    const raised: Alert[] = [];
    t.system.bus.subscribe('alert.raised', (alerts) => {
      raised.push(...alerts);
    });
    const learnt = await post(t.app.inject.bind(t.app), history());
    expect(learnt.statusCode).toBe(200);
    // The first half hour of every status is learned, not judged.
    expect(learnt.json().learning).toEqual(['approved', 'backend_reversed', 'denied', 'failed', 'refunded', 'reversed', 'total']);

    const ordinary = await post(t.app.inject.bind(t.app), minute(NOON));
    // Six statuses and their total.
    expect(ordinary.json()).toEqual({ alert: 'ok', anomalies: [], incidents: [], evaluated: 7, learning: [] });

    const spike = await post(t.app.inject.bind(t.app), minute(NOON + MINUTE_MS, { failed: 140 }));
    expect(spike.statusCode).toBe(200);
    const answer = spike.json();
    expect(answer.alert).toBe('alert');
    expect(answer.anomalies).toHaveLength(1);
    const [anomaly] = answer.anomalies;
    expect(anomaly).toMatchObject({ timestamp: '2025-07-15T12:01:00.000Z', status: 'failed', count: 140, direction: 'rise' });
    expect(anomaly.expected).toBeGreaterThan(0.5);
    expect(anomaly.expected).toBeLessThan(6);
    expect(anomaly.score).toBeGreaterThan(4.75);
    expect(anomaly.reason).toMatch(
      /^140 failed in the minute 2025-07-15 12:01 UTC where about [\d.]+ are usual lately.*: chance below 1 in a million\.$/,
    );
    // The minute names its incident, and the answer lists the incident.
    expect(answer.incidents).toMatchObject([
      { id: anomaly.incidentId, status: 'failed', direction: 'rise', state: 'open', peak: { count: 140 } },
    ]);
    // It began where the evidence began to pile up: this minute, or the one before if it was already high.
    expect(Date.parse(answer.incidents[0].start)).toBeGreaterThanOrEqual(NOON);
    expect(answer.incidents[0].count).toBeGreaterThanOrEqual(140);
    expect(answer.incidents[0].alertId).toBe(anomaly.alertId);

    const alerts = (await t.get('/v1/alerts?type=transaction')).json().alerts;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      id: anomaly.alertId,
      type: 'transaction',
      ruleId: 'transaction-volume',
      subject: { kind: 'status', value: 'failed' },
      user: 'status:failed',
      occurrences: 1,
      firstSeenAt: answer.incidents[0].start,
      suggestedActions: ['check_payment_provider', 'look_for_card_testing'],
    });
    expect(alerts[0].summary).toMatch(
      /^Failed payments above normal since 2025-07-15 12:0[01] UTC: 1\d\d in [12] minutes? where about [\d.]+ are usual/,
    );
    expect(alerts[0].reasons[0].evidence).toMatchObject({
      source: 'reported',
      status: 'failed',
      incidentId: anomaly.incidentId,
      peakCount: 140,
    });

    // The next minute is still high: the same alert, updated; the bus carried the raise once.
    const again = (await post(t.app.inject.bind(t.app), minute(NOON + 2 * MINUTE_MS, { failed: 150 }))).json();
    expect(again.anomalies[0].alertId).toBe(anomaly.alertId);
    const updated = (await t.get(`/v1/alerts/${anomaly.alertId}`)).json();
    expect(updated.occurrences).toBe(2);
    expect(updated.summary).toMatch(/^Failed payments above normal since 2025-07-15 12:0[01] UTC: 2\d\d in [23] minutes/);
    expect(again.incidents[0]).toMatchObject({ id: anomaly.incidentId, anomalousMinutes: 2, peak: { count: 150 } });
    await vi.waitFor(() => expect(raised.map((a) => a.id)).toEqual([anomaly.alertId]), { timeout: 15_000 });
    expect((await t.get('/v1/alerts?user=status:failed')).json().alerts).toHaveLength(1);
  });

  it('flags a drop of approved transactions, and counts a status missing from a new minute as 0', async () => {
    t = await startTestApp();
    await post(t.app.inject.bind(t.app), history());
    const rows = minute(NOON).filter((r) => r.status !== 'approved');
    const answer = (await post(t.app.inject.bind(t.app), rows)).json();
    expect(answer.evaluated).toBe(7);
    // Approvals fell, not the traffic: the other statuses came as usual, so no incident of the total.
    expect(answer.anomalies).toMatchObject([{ status: 'approved', count: 0, direction: 'drop', severity: 'high' }]);
    const alert = (await t.get(`/v1/alerts/${answer.anomalies[0].alertId}`)).json();
    expect(alert.summary).toMatch(/^Approved transactions below normal since 2025-07-15 12:00 UTC: 0 in 1 minute/);
    expect(alert.suggestedActions).toEqual(['check_payment_provider', 'check_checkout']);
  });

  it('refuses bad input with a stable code naming the row and field, and learns nothing from a refused batch', async () => {
    t = await startTestApp();
    const inject = t.app.inject.bind(t.app);
    await post(inject, history());
    const before = (await get(inject, '/v1/monitor/baselines')).json();

    const good = minute(NOON);
    const cases: Array<[unknown, number, string, string | undefined]> = [
      [[...good.slice(0, 3), { timestamp: seedTime(NOON), status: 'failed' }], 400, 'missing_field', '/3/count'],
      [[...good.slice(0, 1), { ...good[1], count: '12' }], 400, 'invalid_body', '/1/count'],
      [[{ ...good[0], count: -3 }], 400, 'invalid_body', '/0/count'],
      [[{ ...good[0], timestamp: '15/07/2025 12:00' }], 400, 'invalid_timestamp', '/0/timestamp'],
      [[{ ...good[0], timestamp: '2099-01-01 00:00:00' }], 400, 'timestamp_in_future', '/0/timestamp'],
      [[{ ...good[0], merchant: 'x' }], 400, 'unknown_field', '/0/merchant'],
      [[good[0], good[0]], 400, 'invalid_body', '/1'],
      [{ timestamp: seedTime(NOON), status: 'failed', count: 1 }, 400, 'invalid_body', undefined],
      [Array.from({ length: 10_001 }, () => good[0]), 413, 'batch_too_large', undefined],
    ];
    for (const [body, status, code, path] of cases) {
      const res = await post(inject, body);
      expect(res.statusCode, `${code} ${path}`).toBe(status);
      const { error } = res.json();
      expect(error).toMatchObject({ code, requestId: res.headers['x-request-id'] });
      expect(error.path).toBe(path);
    }
    const malformed = await inject({
      method: 'POST',
      url: '/v1/monitor',
      headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
      payload: '[{"timestamp": ',
    });
    expect(malformed.json().error.code).toBe('invalid_json');

    // Good rows beside the bad one were not learned, nor stored.
    expect((await get(inject, '/v1/monitor/baselines')).json()).toEqual(before);
    const noon = (await get(inject, `/v1/monitor/series?from=2025-07-15T12:00:00Z&to=2025-07-15T12:01:00Z`)).json();
    expect(noon.series).toEqual([]);
  });
});

describe('incidents over HTTP, fed in ten-minute batches', () => {
  /** The payments dataset's mix (per minute on average 117 approved, 7 denied, 1 reversed, 1 refunded, 0.19 backend_reversed, 0.06 failed). */
  const MIX = [
    { status: 'approved', peak: 204 },
    { status: 'denied', peak: 12 },
    { status: 'reversed', peak: 1.7 },
    { status: 'refunded', peak: 1.7 },
    { status: 'backend_reversed', peak: 0.33 },
    { status: 'failed', peak: 0.1 },
  ];
  const DAY = Date.UTC(2025, 6, 10);
  const LIVE = DAY + 24 * 60 * MINUTE_MS;
  const RISE_START = LIVE + 20 * MINUTE_MS;
  // backend_reversed from about 0.2 to 2–5 a minute for 30 minutes: no minute alone is one in a million.
  const RISE = [3, 2, 4, 2, 3, 5, 2, 3, 3, 2, 4, 3, 2, 3, 4, 2, 3, 3, 2, 5, 3, 2, 4, 3, 2, 3, 4, 2, 3, 3];

  it('reads a planted rise of a rare status as one incident: found within 10 minutes, one alert, closed with a note', {
    timeout: 120_000,
  }, async () => {
    t = await startTestApp();
    const inject = t.app.inject.bind(t.app);
    // Day 1 as history (one batch of 8,640 rows), then 90 live minutes in batches of ten, as a client sends them.
    const day = syntheticMinutes({ from: DAY, minutes: 1440, seed: 31, statuses: MIX });
    expect((await post(inject, seedRows(day))).statusCode).toBe(200);
    const live = syntheticMinutes({ from: LIVE, minutes: 90, seed: 32, statuses: MIX }).map((r) => {
      const i = (r.minute - RISE_START) / MINUTE_MS;
      return r.status === 'backend_reversed' && i >= 0 && i < RISE.length ? { ...r, count: RISE[i] as number } : r;
    });
    const answers = [];
    for (let b = 0; b < 9; b++) {
      const batch = live.filter((r) => r.minute >= LIVE + b * 10 * MINUTE_MS && r.minute < LIVE + (b + 1) * 10 * MINUTE_MS);
      const res = await post(inject, seedRows(batch));
      expect(res.statusCode).toBe(200);
      answers.push(res.json());
    }
    const named = answers.flatMap((a) => a.anomalies);
    // Only backend_reversed is named, every minute with its incident and its alert.
    expect(new Set(named.map((a: { status: string }) => a.status))).toEqual(new Set(['backend_reversed']));
    const first = named[0];
    expect(Date.parse(first.timestamp) - RISE_START).toBeLessThanOrEqual(10 * MINUTE_MS);
    expect(
      named.every((a: { incidentId: string; alertId: string }) => a.incidentId === first.incidentId && a.alertId === first.alertId),
    ).toBe(true);
    expect(first.reason).toMatch(/^\d+ backend_reversed in the \d+ minutes since \d\d:\d\d UTC where about [\d.]+ are usual: chance/);

    // The batch that found it answers with the incident, open; later batches with it grown, then closed.
    const opened = answers.find((a) => a.incidents.length > 0)?.incidents[0];
    expect(opened).toMatchObject({
      id: first.incidentId,
      status: 'backend_reversed',
      direction: 'rise',
      state: 'open',
      alertId: first.alertId,
    });
    const closed = answers.flatMap((a) => a.incidents).find((i: { state: string }) => i.state === 'closed');
    expect(closed).toMatchObject({ id: first.incidentId, state: 'closed', end: new Date(RISE_START + 29 * MINUTE_MS).toISOString() });
    expect(closed.note).toMatch(/^Back to normal since \d\d:\d\d UTC \(15 minutes in a row\): closed automatically\.$/);

    const listed = (await get(inject, '/v1/monitor/incidents?status=backend_reversed')).json().incidents;
    expect(listed).toHaveLength(1);
    const incident = listed[0];
    expect(Date.parse(incident.start)).toBeGreaterThanOrEqual(RISE_START - 3 * MINUTE_MS);
    expect(Date.parse(incident.start)).toBeLessThanOrEqual(RISE_START + MINUTE_MS);
    expect(incident.count).toBeGreaterThanOrEqual(85);
    expect(incident.expected).toBeLessThan(12);
    expect(incident.peak.count).toBe(5);
    expect(incident.minutes).toBeGreaterThanOrEqual(30);

    // One alert for the whole incident, resolved with the note when it closed.
    const alerts = (await t.get('/v1/alerts?type=transaction')).json().alerts;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      id: first.alertId,
      user: 'status:backend_reversed',
      status: 'resolved',
      occurrences: incident.anomalousMinutes,
    });
    expect(alerts[0].summary).toContain(closed.note);

    // A closed incident cannot be accepted as the new normal; an unknown one is 404.
    const accept = (id: string) =>
      inject({ method: 'POST', url: `/v1/monitor/incidents/${id}/accept`, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect((await accept(incident.id)).json().error.code).toBe('invalid_transition');
    expect((await accept('minc_nope')).statusCode).toBe(404);
  });

  it('lets an admin accept an open incident as the new normal: closed with a note, audited, and the level learned', {
    timeout: 120_000,
  }, async () => {
    t = await startTestApp();
    const inject = t.app.inject.bind(t.app);
    await post(inject, seedRows(syntheticMinutes({ from: DAY, minutes: 1440, seed: 31, statuses: MIX })));
    const steps = syntheticMinutes({ from: LIVE, minutes: 30, seed: 33, statuses: MIX }).map((r) =>
      r.status === 'backend_reversed' && r.minute >= RISE_START ? { ...r, count: RISE[(r.minute - RISE_START) / MINUTE_MS] as number } : r,
    );
    const answer = (await post(inject, seedRows(steps))).json();
    const open = answer.incidents.find((i: { status: string }) => i.status === 'backend_reversed');
    expect(open).toMatchObject({ state: 'open' });
    // Two admins accept it at once: one is accepted (200), the other is told it is already closed
    // (409, as for any closed incident), and only the accept that happened is audited.
    const accept = () =>
      inject({ method: 'POST', url: `/v1/monitor/incidents/${open.id}/accept`, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const answers = await Promise.all([accept(), accept()]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const res = answers.find((r) => r.statusCode === 200) as (typeof answers)[number];
    expect(answers.find((r) => r.statusCode === 409)?.json().error.code).toBe('invalid_transition');
    expect(res.json()).toMatchObject({ id: open.id, state: 'closed' });
    expect(res.json().note).toMatch(/^Marked as the new normal level by /);
    expect((await t.get(`/v1/alerts/${open.alertId}`)).json()).toMatchObject({ status: 'resolved' });
    const audit = (await get(inject, '/v1/audit?action=monitor.level_accepted')).json();
    expect(JSON.stringify(audit).split(`incident:${open.id}`)).toHaveLength(2);
    // The service itself, called twice at once (two requests past the route's check): the second
    // finds the incident closed, changes nothing and audits nothing.
    expect(await t.system.monitor.acceptAsNormal(open.id, 'ops')).toMatchObject({ outcome: 'already_closed' });
    // The next minutes at the new level are normal now.
    const next = syntheticMinutes({ from: LIVE + 30 * MINUTE_MS, minutes: 10, seed: 34, statuses: MIX }).map((r, i) =>
      r.status === 'backend_reversed' ? { ...r, count: RISE[i % RISE.length] as number } : r,
    );
    expect((await post(inject, seedRows(next))).json().anomalies).toEqual([]);
  });
});

describe('retraining (vigil monitor train) with an incident open', () => {
  it('closes the open incident with a note, resolves its alert and audits the close: the new baselines do not carry it', async () => {
    t = await startTestApp();
    const inject = t.app.inject.bind(t.app);
    await post(inject, history());
    const spike = (await post(inject, minute(NOON, { failed: 140 }))).json();
    const [open] = spike.incidents;
    expect(open).toMatchObject({ status: 'failed', state: 'open' });

    await t.system.monitor.train(syntheticMinutes({ from: HISTORY_FROM - 120 * MINUTE_MS, minutes: 120, seed: 8 }), 'cli');
    const after = (await get(inject, `/v1/monitor/incidents?state=closed&status=failed`)).json();
    const closed = after.incidents.find((i: { id: string }) => i.id === open.id);
    expect(closed).toMatchObject({ state: 'closed', note: expect.stringMatching(/^Closed when the baselines were learned afresh by cli/) });
    expect((await get(inject, '/v1/monitor/incidents?state=open')).json().incidents).toEqual([]);
    expect((await t.get(`/v1/alerts/${open.alertId}`)).json()).toMatchObject({ status: 'resolved' });
    const audit = JSON.stringify((await get(inject, '/v1/audit?action=monitor.incident_closed')).json());
    expect(audit).toContain(`incident:${open.id}`);
    expect(audit).toContain('"actor":"cli"');
    // A status still abnormal after the retraining opens a new incident, judged by the new baselines.
    const again = (await post(inject, minute(NOON + 2 * MINUTE_MS, { failed: 140 }))).json();
    expect(again.incidents).toMatchObject([{ status: 'failed', state: 'open' }]);
    expect(again.incidents[0].id).not.toBe(open.id);
  });
});

describe('GET /v1/monitor/series, /anomalies and /baselines', () => {
  it('gives each status per minute with its expected level, band and anomaly marks', async () => {
    t = await startTestApp();
    const inject = t.app.inject.bind(t.app);
    await post(inject, history());
    await post(inject, minute(NOON, { denied: 90 }));

    const res = await get(inject, '/v1/monitor/series?status=denied,Approved&from=2025-07-15T10:00:00Z&to=2025-07-15T12:01:00Z');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ from: '2025-07-15T10:00:00.000Z', to: '2025-07-15T12:01:00.000Z' });
    expect(body.series.map((s: { status: string }) => s.status)).toEqual(['approved', 'denied']);
    const denied = body.series[1];
    expect(denied).toMatchObject({ source: 'reported', anomalies: 1 });
    expect(denied.points).toHaveLength(121);
    expect(denied.points[0]).toMatchObject({ timestamp: '2025-07-15T10:00:00.000Z', expected: null, anomaly: false });
    const learned = denied.points[60];
    expect(learned.expected).toBeGreaterThan(0);
    expect(learned.lower).toBeLessThanOrEqual(learned.expected);
    expect(learned.upper).toBeGreaterThan(learned.expected);
    const last = denied.points[120];
    expect(last).toMatchObject({ timestamp: '2025-07-15T12:00:00.000Z', count: 90, anomaly: true, direction: 'rise' });
    expect(last.count).toBeGreaterThan(last.upper);
    expect(last.reason).toContain('90 denied in the minute');
    expect(last.alertId).toMatch(/^alrt_/);

    // Without bounds: the six hours up to the latest minute stored.
    const latest = (await get(inject, '/v1/monitor/series?status=denied')).json();
    expect(latest.to).toBe('2025-07-15T12:01:00.000Z');
    expect(latest.series[0].points).toHaveLength(121);

    const anomalies = (await get(inject, '/v1/monitor/anomalies?status=denied')).json().anomalies;
    expect(anomalies).toMatchObject([{ source: 'reported', timestamp: '2025-07-15T12:00:00.000Z', status: 'denied', count: 90 }]);

    const baselines = (await get(inject, '/v1/monitor/baselines')).json();
    expect(baselines.settings).toMatchObject({ cusumK: 0.5, cusumH: 8, minuteZ: 4.75, closeAfterMinutes: 15, timeOfDayAfterDays: 7 });
    const approved = baselines.baselines.find((b: { status: string }) => b.status === 'approved');
    expect(approved).toMatchObject({
      source: 'reported',
      basis: 'recent',
      learned: 121,
      anomalous: 0,
      watch: { direction: 'drop', k: 0.5, h: 8, minuteZ: 4.75 },
      timeOfDay: false,
    });
    expect(approved.recent.expected).toBeGreaterThan(50);
    expect(approved.recent.share).toBeGreaterThan(0.8);
    expect(approved.hours).toHaveLength(24);
    expect(approved.hours[11]).toMatchObject({ hour: 11, samples: 60, known: false });

    for (const [url, path] of [
      ['/v1/monitor/series?status=%3Cscript%3E', '/status'],
      ['/v1/monitor/series?from=yesterday', '/from'],
      ['/v1/monitor/series?from=2025-07-15T12:00:00Z&to=2025-07-15T11:00:00Z', '/from'],
      ['/v1/monitor/series?from=2025-07-01T00:00:00Z&to=2025-07-15T00:00:00Z', '/to'],
    ] as const) {
      const bad = await get(inject, url);
      expect(bad.statusCode, url).toBe(400);
      expect(bad.json().error).toMatchObject({ code: 'invalid_query', path });
    }
  });

  it('is for admins: an ingest key may send counts but not read them (403); no key is 401', async () => {
    t = await startTestApp();
    const inject = t.app.inject.bind(t.app);
    for (const url of ['/v1/monitor/series', '/v1/monitor/anomalies', '/v1/monitor/baselines']) {
      const res = await get(inject, url, INGEST_KEY);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
    expect((await post(inject, minute(NOON), null)).statusCode).toBe(401);
    expect((await post(inject, minute(NOON), ADMIN_KEY)).statusCode).toBe(200);
  });
});

describe('the OpenAPI document', () => {
  it('describes the monitor routes from their schemas', async () => {
    t = await startTestApp();
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/monitor', '/v1/monitor/series', '/v1/monitor/anomalies', '/v1/monitor/baselines']),
    );
    const post = doc.paths['/v1/monitor'].post;
    expect(post.requestBody.content['application/json'].schema).toMatchObject({ type: 'array', maxItems: 10_000 });
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '413']));
  });
});

describe('the baselines across a restart', () => {
  let db: TestDatabase | undefined;
  let system: System | undefined;
  afterEach(async () => {
    await system?.close();
    system = undefined;
    await db?.drop();
    db = undefined;
  });

  async function start(database: TestDatabase) {
    system = await createSystem(
      loadConfig({
        VIGIL_DATABASE_URL: database.url,
        VIGIL_INGEST_KEY: INGEST_KEY,
        VIGIL_ADMIN_KEY: ADMIN_KEY,
        VIGIL_DEMO: 'false',
        VIGIL_WEBHOOK_ALLOW_CIDRS: '127.0.0.0/8',
      }),
      { geoIp: await sharedGeoIp(), logger: { info() {}, warn() {}, error: (m, e) => console.error(m, e) } },
    );
    const app = await buildApp(system);
    return {
      inject: app.inject.bind(app) as Inject,
      system,
      stop: async () => {
        await app.close();
        await system?.close();
        system = undefined;
      },
    };
  }

  it('keeps what was learned: after a restart the next minute is judged at once, by the same baseline', async () => {
    db = await freshDatabase();
    const first = await start(db);
    await post(first.inject, history());
    const before = (await get(first.inject, '/v1/monitor/baselines')).json();
    await first.stop();

    const second = await start(db);
    expect((await get(second.inject, '/v1/monitor/baselines')).json()).toEqual(before);
    const answer = (await post(second.inject, minute(NOON, { reversed: 30 }))).json();
    expect(answer.learning).toEqual([]);
    expect(answer.anomalies).toMatchObject([{ status: 'reversed', count: 30, direction: 'rise' }]);
    await second.stop();
  });

  it('announces a volume alert whose announcement failed before the stop at the next start (what the minutes owe is stored with them)', async () => {
    db = await freshDatabase();
    const first = await start(db);
    await post(first.inject, history());
    // The announcement fails (as when the process dies right after the commit): the row stays owed.
    first.system.bus.subscribe('alert.raised', () => {
      throw new Error('announcing is down');
    });
    const spike = (await post(first.inject, minute(NOON + MINUTE_MS, { failed: 140 }))).json();
    const alertId = spike.incidents[0]?.alertId as string;
    expect(alertId).toMatch(/^alrt_/);
    // A webhook added after the alert: it hears of the alert only if the alert is announced again.
    const hook = await first.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      payload: { url: 'http://127.0.0.1:9/vigil', events: ['alert.raised'] },
    });
    expect(hook.statusCode).toBe(201);
    await first.stop();

    const second = await start(db);
    await second.system.effects.resume();
    await second.system.effects.settled();
    const deliveries = (await get(second.inject, `/v1/webhooks/${hook.json().id}/deliveries`)).json().deliveries as Array<{
      eventType: string;
      payload: { data: { id: string } };
    }>;
    expect(deliveries.map((d) => [d.eventType, d.payload.data.id])).toEqual([['alert.raised', alertId]]);
    await second.stop();
  });
});

describe("counting Vigil's own events", () => {
  it('counts transactions and failed payments per minute by event time, judges each minute once it is complete, and alerts', async () => {
    t = await startTestApp({ builtinRules: [] });
    const base = minuteOf(Date.now()) - 60 * MINUTE_MS;
    const ts = (m: number, s = 0) => new Date(base + m * MINUTE_MS + s * 1000).toISOString();
    const events: object[] = [];
    const tx = (m: number, k: number, extra: object = {}) =>
      events.push({ type: 'transaction', user: `u${m}-${k}`, amount: 10, currency: 'EUR', timestamp: ts(m, k), ...extra });
    const failure = (m: number, k: number) => events.push({ type: 'payment.failed', user: `f${m}-${k}`, timestamp: ts(m, 30 + k) });
    for (let m = 0; m < 40; m++) for (let k = 0; k < 3; k++) tx(m, k);
    failure(0, 0);
    for (let k = 0; k < 3; k++) tx(40, k);
    for (let k = 0; k < 15; k++) failure(40, k);
    tx(41, 0);
    tx(41, 1, { attributes: { status: 'Reversed' } });
    // A minute is judged once an event a minute past its end is seen: this one completes 40 and 41.
    tx(43, 0);
    const sent = await t.send({ events });
    expect(sent.json()).toMatchObject({ accepted: events.length, rejected: 0 });

    const anomalies = await vi.waitFor(
      async () => {
        const list = (await t?.get('/v1/monitor/anomalies?source=events'))?.json().anomalies;
        expect(list).toHaveLength(1);
        return list;
      },
      // The suite's bound for a wait (vitest.config.ts): the minutes are judged off the request's path.
      { timeout: 15_000 },
    );
    expect(anomalies[0]).toMatchObject({ source: 'events', timestamp: ts(40), status: 'failed', count: 15, direction: 'rise' });
    const alert = (await t.get(`/v1/alerts/${anomalies[0].alertId}`)).json();
    expect(alert).toMatchObject({ type: 'transaction', user: 'status:failed', reasons: [{ evidence: { source: 'events' } }] });

    const series = (await t.get(`/v1/monitor/series?source=events&from=${ts(38)}&to=${ts(43)}`)).json().series;
    const counts = Object.fromEntries(
      series.map((s: { status: string; points: Array<{ count: number }> }) => [s.status, s.points.map((p) => p.count)]),
    );
    // Minutes 38–41 are judged; 42 and 43 are still open. Every status watched is counted in every
    // minute judged with it, 0 when absent (the reversal was a transaction whose app said "reversed").
    expect(counts).toEqual({ approved: [3, 3, 3, 1], failed: [0, 0, 15, 0], reversed: [0, 0, 0, 1], total: [3, 3, 18, 2] });
  });
});
