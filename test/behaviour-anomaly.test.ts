import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import { createSystem } from '../src/system.js';
import { ADMIN_KEY, INGEST_KEY, sharedGeoIp, startTestApp, type TestApp } from './support/app.js';
import { fixedClock, RUN_DAY } from './support/clock.js';
import { PROCESS_TEST_TIMEOUT_MS, runCli } from './support/process.js';

/**
 * Anomaly models end to end, through the HTTP API: a month of ordinary shoppers, a model trained and
 * activated by an admin, then what the live path says of an unusual login and of an ordinary one,
 * across a restart and a swap back to an older version.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/**
 * Midnight UTC of the run's day, and Vigil's clock fixed at noon: the month ends the day before
 * yesterday; yesterday is for the stories, 33 h and more before "now" whatever the hour (outside the
 * 25 h replayed at a restart). Anchored on the real day, not a fixed date, because `vigil train` runs
 * as a child process on the real clock: its 90 days back from the real now hold the whole month.
 */
const TODAY = RUN_DAY;
const clock = fixedClock(TODAY + 12 * HOUR);
const YESTERDAY = TODAY - DAY;
const iso = (t: number) => new Date(t).toISOString();

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
// London, Bamberg, Paris, Linköping, Madrid, Milan.
const HOMES = ['81.2.69.160', '91.64.10.20', '62.210.16.6', '77.111.247.1', '88.1.2.3', '79.1.2.3'];
const RIO = '200.147.35.149';
const ACCOUNTS = 40;
/** Shopper i logs in around this hour (UTC), give or take 90 minutes. */
const usualHour = (i: number) => 7 + (i % 12);

type Answer = {
  decision: string;
  risk: number;
  severity: string;
  alertId?: string;
  reasons: Array<{ rule: string; severity: string; message: string; evidence: Record<string, any> }>;
};

let t: TestApp;
const json = (method: 'GET' | 'POST', url: string, key = ADMIN_KEY, body?: unknown) =>
  t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });

async function sendAll(events: Array<Record<string, unknown>>): Promise<Answer[]> {
  const results: Answer[] = [];
  for (let i = 0; i < events.length; i += 1000) {
    const r = await t.send({ events: events.slice(i, i + 1000) });
    expect(r.statusCode).toBe(200);
    results.push(...r.json().results);
  }
  return results;
}

/** A month of ordinary behaviour: logins near each shopper's hour from home, now and then the phone, a typo or a trip; purchases. */
function ordinaryMonth(): Array<Record<string, unknown>> {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const events: Array<Record<string, unknown>> = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const user = `shopper${i}`;
    const home = HOMES[i % HOMES.length] as string;
    for (let d = 32; d >= 2; d--) {
      if (random() < 0.2) continue;
      // One shopper in ten spends two days in another country.
      const ip = i % 10 === 3 && (d === 20 || d === 19) ? (HOMES[(i + 2) % HOMES.length] as string) : home;
      const at = TODAY - d * DAY + (usualHour(i) + (random() - 0.5) * 3) * HOUR;
      const phone = random() < 0.08;
      const device = phone ? `${user}-phone` : `${user}-laptop`;
      if (random() < 0.04) events.push({ type: 'login.failed', user, ip, device, timestamp: iso(at - 2 * MIN) });
      events.push({ type: 'login.succeeded', user, ip, device, userAgent: phone ? IPHONE : CHROME, timestamp: iso(at) });
      if (random() < 0.35) {
        events.push({
          type: 'transaction',
          user,
          ip,
          device,
          amount: Math.round((20 + ((i * 37) % 180)) * (0.5 + random()) * 100) / 100,
          currency: 'EUR',
          merchant: `shop-${Math.floor(random() * 3)}`,
          timestamp: iso(at + 10 * MIN),
        });
      }
    }
  }
  return events.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
}

/** The unusual story: 03:12 UTC, from Brazil, on a tablet never seen, for a shopper who logs in around 14:00. */
const unusualLogin = (user: string, minute = 0) => ({
  type: 'login.succeeded',
  user,
  ip: RIO,
  device: `${user}-unknown-tablet`,
  userAgent: IPHONE,
  timestamp: iso(YESTERDAY + 3 * HOUR + (12 + minute) * MIN),
});

const anomalyOf = (a: Answer | undefined) => a?.reasons.find((r) => r.rule === 'behaviour-anomaly');

beforeAll(async () => {
  t = await startTestApp({ clock });
});
afterAll(async () => t.close());

describe('anomaly models through the API', () => {
  let v1: string;

  it('refuses to train before there is history to learn from', async () => {
    const r = await json('POST', '/v1/models/train', ADMIN_KEY, { kind: 'login' });
    expect(r.statusCode).toBe(409);
    expect(r.json().error).toMatchObject({
      code: 'not_enough_history',
      message: expect.stringContaining('at least 200 successful logins'),
    });
  });

  it('trains on a month of ordinary behaviour and activates the models, recorded in the audit trail', async () => {
    const month = ordinaryMonth();
    const answers = await sendAll(month);
    // Without a model the rule stays silent: the month is as ordinary to Vigil as before.
    expect(answers.filter((a) => anomalyOf(a))).toEqual([]);

    const r = await json('POST', '/v1/models/train', ADMIN_KEY, { kind: 'all', activate: true });
    expect(r.statusCode).toBe(201);
    const { models, skipped } = r.json();
    expect(skipped).toEqual([]);
    expect(models.map((m: any) => [m.kind, m.version, m.active, m.type])).toEqual([
      ['login', 1, true, 'isolation_forest'],
      ['transaction', 1, true, 'isolation_forest'],
    ]);
    const login = models[0];
    v1 = login.id;
    expect(login.id).toMatch(/^mdl_/);
    expect(login.features).toEqual([
      'hoursFromUsual',
      'newDevice',
      'newCountry',
      'newNetwork',
      'kmFromLastLogin',
      'kmhFromLastLogin',
      'failuresInHourBefore',
      'userAgentChanged',
    ]);
    expect(login.metrics.rows).toBe(month.filter((e) => e.type === 'login.succeeded').length);
    expect(login.metrics.accounts).toBe(ACCOUNTS);
    expect(login.metrics.threshold).toBeGreaterThanOrEqual(0.6);
    expect(login.metrics.flaggedShare).toBeLessThanOrEqual(0.006);
    expect(login.activatedBy).toMatch(/admin key from environment/);

    const audit = (await t.get('/v1/audit?action=model.activated')).json().entries;
    expect(audit.map((e: any) => [e.subject, e.details.kind, e.details.version, e.details.previousId])).toEqual([
      [`model:${models[1].id}`, 'transaction', 1, null],
      [`model:${login.id}`, 'login', 1, null],
    ]);
    expect((await t.get('/v1/audit?action=model.trained')).json().entries).toHaveLength(2);
  });

  it('challenges, rather than blocks, a login at 03:12 from a new country on a new device, naming why', async () => {
    // shopper7 logs in around 14:00 UTC from Paris on a laptop.
    const [answer] = await sendAll([unusualLogin('shopper7')]);
    const reason = anomalyOf(answer);
    expect(answer?.decision).toBe('challenge');
    expect(reason).toBeDefined();
    expect(['medium', 'high']).toContain(reason?.severity);
    expect(reason?.message).toMatch(/^Unusual login: /);
    // The features that weighed most, in words with their values.
    expect(reason?.message).toMatch(/03:12 UTC is [\d.]+ h outside this account's usual \d\d:00–\d\d:00 UTC/);
    expect(reason?.message).toMatch(/new country \(BR\)|new device \(shopper7-unknown-tablet\)/);
    const evidence = reason?.evidence as {
      score: number;
      threshold: number;
      contributions: Array<{ feature: string; value: number; share: number }>;
    };
    expect(evidence.score).toBeGreaterThanOrEqual(evidence.threshold);
    const values = Object.fromEntries(evidence.contributions.map((c) => [c.feature, c.value]));
    expect(values).toMatchObject({ newDevice: 1, newCountry: 1, newNetwork: 1 });
    expect(values.hoursFromUsual).toBeGreaterThan(7);
    expect(values.kmFromLastLogin).toBeGreaterThan(9000);
    expect(evidence.contributions.reduce((sum, c) => sum + c.share, 0)).toBeCloseTo(1, 2);

    // The alert carries the same reason, for whoever investigates it.
    const alert = (await t.get(`/v1/alerts/${answer?.alertId}`)).json();
    expect(alert.reasons.map((r: { rule: string }) => r.rule)).toContain('behaviour-anomaly');
  });

  it('lets an ordinary login through without a word', async () => {
    // shopper3 logs in around 10:00 UTC from Linköping on a laptop.
    const [answer] = await sendAll([
      {
        type: 'login.succeeded',
        user: 'shopper3',
        ip: HOMES[3],
        device: 'shopper3-laptop',
        userAgent: CHROME,
        timestamp: iso(YESTERDAY + 10 * HOUR),
      },
    ]);
    expect(answer).toMatchObject({ decision: 'allow', risk: 0, reasons: [] });
  });

  it('scores with the active model after a restart', async () => {
    const second = await createSystem(t.config, {
      clock,
      geoIp: await sharedGeoIp(),
      logger: { info() {}, warn() {}, error: console.error },
    });
    try {
      expect(second.models.active('login')?.record.id).toBe(v1);
      const app = await buildApp(second);
      const r = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
        payload: JSON.stringify(unusualLogin('shopper19')),
      });
      const reason = anomalyOf(r.json());
      expect(reason?.evidence.model).toEqual({ id: v1, version: 1 });
      expect(r.json().decision).toBe('challenge');
      await app.close();
    } finally {
      await second.close();
    }
  });

  it('swaps to another version, and back to the older one, without a restart', async () => {
    const trained = await json('POST', '/v1/models/train', ADMIN_KEY, { kind: 'login', days: 20 });
    expect(trained.statusCode).toBe(201);
    const v2 = trained.json().models[0];
    expect([v2.version, v2.active]).toEqual([2, false]);
    // Training alone changes nothing live.
    expect(anomalyOf((await sendAll([unusualLogin('shopper31', 1)]))[0])?.evidence.model.version).toBe(1);

    const on = await json('POST', `/v1/models/${v2.id}/activate`);
    expect(on.statusCode).toBe(200);
    expect(on.json()).toMatchObject({ id: v2.id, active: true, previousId: v1 });
    expect(anomalyOf((await sendAll([unusualLogin('shopper18', 2)]))[0])?.evidence.model.version).toBe(2);

    const back = await json('POST', `/v1/models/${v1}/activate`);
    expect(back.json()).toMatchObject({ id: v1, version: 1, active: true, previousId: v2.id });
    expect(anomalyOf((await sendAll([unusualLogin('shopper30', 3)]))[0])?.evidence.model.version).toBe(1);

    const listed = (await t.get('/v1/models')).json().models.filter((m: any) => m.kind === 'login');
    expect(listed.map((m: any) => [m.version, m.active])).toEqual([
      [2, false],
      [1, true],
    ]);
    const audit = (await t.get('/v1/audit?action=model.activated&limit=2')).json().entries;
    expect(audit.map((e: any) => [e.details.version, e.details.previousVersion])).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });

  it('answers 404 for an unknown model and 400 for an unknown kind', async () => {
    const missing = await json('POST', '/v1/models/mdl_nope/activate');
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'not_found']);
    const bad = await json('POST', '/v1/models/train', ADMIN_KEY, { kind: 'page' });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'invalid_body']);
  });

  it('trains from the command line; the running server picks up its activation without a restart', {
    timeout: PROCESS_TEST_TIMEOUT_MS,
  }, async () => {
    const target = t.config.database;
    const env = { VIGIL_DATABASE_URL: target.dialect === 'sqlite' ? `sqlite:${target.file}` : target.url, VIGIL_DEMO: 'false' };
    const r = runCli(['train', '--kind', 'login', '--activate'], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^login model mdl_\w+ version 3: \d+ rows from 4\d accounts, threshold 0\.\d+ \([\d.]+% of training rows above it\), \d+ ms; active\n$/,
    );
    expect(t.system.models.active('login')?.record.version).toBe(1);
    // What the server's 30-second watch does.
    await t.system.models.refresh(() => {});
    expect(t.system.models.active('login')?.record).toMatchObject({ version: 3, activatedBy: 'cli' });
    const audit = (await t.get('/v1/audit?action=model.activated&actor=cli')).json().entries;
    expect(audit.map((e: any) => [e.details.version, e.details.previousVersion])).toEqual([[3, 1]]);

    const bad = runCli(['train', '--kind', 'page'], env);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('must be one of: login, transaction, all');
  });

  it('keeps the model routes to admins: an ingest key gets 403', async () => {
    for (const [method, url, body] of [
      ['GET', '/v1/models', undefined],
      ['POST', '/v1/models/train', { kind: 'login' }],
      ['POST', `/v1/models/${v1}/activate`, undefined],
    ] as const) {
      const r = await json(method, url, INGEST_KEY, body);
      expect([url, r.statusCode, r.json().error.code]).toEqual([url, 403, 'forbidden']);
    }
  });
});
