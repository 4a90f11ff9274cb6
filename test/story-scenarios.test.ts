import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, INGEST_KEY, startTestApp, type TestApp } from './support/app.js';
import { codeIn, type Mailbox, startMailbox } from './support/mailbox.js';

/**
 * Attacks told as stories across events (issue 14), through the HTTP API with every built-in rule at
 * its defaults and a fixed clock: the takeover after a new-device login, its variants, and a large
 * purchase on a device first seen minutes before. Each ends where a security team expects it to:
 * blocked, one alert that grew with the story, the account locked, a code sent where the policy says.
 */
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const START = Date.parse('2026-11-20T09:00:00Z');
const HOME_IP = '81.2.69.160'; // London
const OTHER_LONDON_IP = '212.58.244.1'; // London, another network
const TOKYO_IP = '126.0.0.1';
const OSAKA_IP = '153.120.0.1';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';

let t: TestApp;
let mailbox: Mailbox;
let now = START;
const iso = (ms: number) => new Date(ms).toISOString();

beforeEach(async () => {
  now = START;
  mailbox = await startMailbox();
  t = await startTestApp({
    clock: { now: () => now },
    env: { VIGIL_SMTP_URL: mailbox.url, VIGIL_ADMIN_ALERT_EMAILS: 'secops@shop.example' },
  });
});
afterEach(async () => {
  await t.close();
  await mailbox.close();
});

type Result = {
  decision: string;
  severity: string;
  risk: number;
  reasons: Array<{ rule: string; message: string; severity: string }>;
  alertId?: string;
};

async function send(events: Array<Record<string, unknown>>): Promise<Result[]> {
  const r = await t.send({ events });
  expect(r.statusCode).toBe(200);
  return r.json().results;
}

/** One event at `minutes` after now, the clock moved there first (events are never in the future). */
async function at(minutes: number, event: Record<string, unknown>): Promise<Result> {
  now = START + minutes * MIN;
  return (await send([{ ...event, timestamp: iso(now) }]))[0] as Result;
}

const get = async (url: string, key = ADMIN_KEY) => {
  const r = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  expect(r.statusCode).toBe(200);
  return r.json();
};

/** Twelve days of an ordinary shopper: a login and a purchase of about 40 EUR a day from the laptop in London. */
async function ordinaryShopper(user: string, purchases = 12) {
  const events: Array<Record<string, unknown>> = [];
  for (let d = 12; d >= 1; d--) {
    const base = { user, ip: HOME_IP, device: `${user}-laptop`, userAgent: CHROME, session: `${user}-s${d}`, email: `${user}@example.com` };
    events.push({ ...base, type: 'login.succeeded', timestamp: iso(START - d * DAY) });
    if (d <= purchases) {
      events.push({
        ...base,
        type: 'transaction',
        amount: 38 + (d % 5),
        currency: 'EUR',
        merchant: 'grocer',
        timestamp: iso(START - d * DAY + 5 * MIN),
      });
    }
  }
  await send(events);
}

/** The population's typical basket: 60 purchases of about 40 EUR by other accounts. */
async function everyonesBaskets() {
  await send(
    Array.from({ length: 60 }, (_, i) => ({
      type: 'transaction',
      user: `shopper${i}`,
      amount: 35 + (i % 10),
      currency: 'EUR',
      device: `shopper${i}-phone`,
      timestamp: iso(START - 2 * DAY + i * MIN),
    })),
  );
}

const thief = (user: string, extra: Record<string, unknown> = {}) => ({
  user,
  ip: TOKYO_IP,
  device: 'thief-phone',
  session: 'thief-session',
  userAgent: ANDROID,
  ...extra,
});

describe('the takeover after a new-device login', () => {
  it('login from a never-seen device in another country, password, email, then a purchase: blocked, one alert grown to critical, fully locked', async () => {
    await ordinaryShopper('tess');
    const login = await at(0, { ...thief('tess'), type: 'login.succeeded' });
    expect(login).toMatchObject({ severity: 'medium', decision: 'challenge' });
    const password = await at(2, { ...thief('tess'), type: 'password.changed' });
    expect(password.reasons.map((r) => r.rule)).toContain('carried-risk');
    expect(password.reasons.find((r) => r.rule === 'carried-risk')?.message).toMatch(
      /^Password change 2 min after a suspicious login in this session/,
    );
    const email = await at(3, { ...thief('tess'), type: 'email.changed', email: 'thief@mail.example' });
    const purchase = await at(9, { ...thief('tess'), type: 'transaction', amount: 1450, currency: 'EUR', merchant: 'giftcards' });

    expect(purchase).toMatchObject({ decision: 'block', severity: 'critical' });
    const chain = purchase.reasons.find((r) => r.rule === 'account-takeover-chain');
    expect(chain?.message).toMatch(
      /^Transaction of 1,450\.00 EUR from an unfamiliar device 6 min after the email address was changed from a device first seen 3 min before/,
    );

    // One alert for the story: the login's, grown with each step, severity only upwards.
    expect(new Set([login.alertId, password.alertId, email.alertId, purchase.alertId])).toEqual(new Set([login.alertId]));
    const alert = (await get(`/v1/alerts/${login.alertId}`)).alert ?? (await get(`/v1/alerts/${login.alertId}`));
    expect(alert).toMatchObject({ severity: 'critical', occurrences: 4 });
    expect(alert.ruleIds).toEqual(expect.arrayContaining(['new-login-context', 'carried-risk', 'account-takeover-chain']));

    const account = await get('/v1/accounts/tess', INGEST_KEY);
    expect(account).toMatchObject({ locked: true, lockScope: 'full', unlockBy: 'admin' });
  });

  it.each<[string, Array<[number, Record<string, unknown>]>]>([
    [
      'two-factor turned off, then a purchase',
      [
        [0, { type: 'login.succeeded' }],
        [3, { type: 'mfa.disabled' }],
        [7, { type: 'transaction', amount: 60, currency: 'EUR' }],
      ],
    ],
    [
      'email, then password, then a purchase in the same session',
      [
        [0, { type: 'login.succeeded' }],
        [1, { type: 'email.changed', email: 'x@mail.example' }],
        [2, { type: 'password.changed' }],
        [20, { type: 'transaction', amount: 35, currency: 'EUR' }],
      ],
    ],
    [
      'the change, then a login from elsewhere',
      [
        [0, { type: 'login.succeeded' }],
        [2, { type: 'password.changed' }],
        [5, { type: 'login.succeeded', device: 'second-box', ip: OSAKA_IP, session: 'other', userAgent: CHROME }],
      ],
    ],
    [
      'a slow attacker: the purchase two and a half hours after the change',
      [
        [0, { type: 'login.succeeded' }],
        [4, { type: 'password.changed' }],
        [154, { type: 'transaction', amount: 70, currency: 'EUR' }],
      ],
    ],
    [
      'from the same country on a new network: the device is what is untrusted',
      [
        [0, { type: 'login.succeeded', ip: OTHER_LONDON_IP }],
        [2, { type: 'password.changed', ip: OTHER_LONDON_IP }],
        [8, { type: 'transaction', amount: 45, currency: 'EUR', ip: OTHER_LONDON_IP }],
      ],
    ],
  ])('%s: critical and blocked at the last step', async (_name, steps) => {
    await ordinaryShopper('vic');
    let last: Result | undefined;
    for (const [minutes, event] of steps) last = await at(minutes, { ...thief('vic'), ...event });
    expect(last).toMatchObject({ severity: 'critical', decision: 'block' });
    expect(last?.reasons.map((r) => r.rule)).toContain('account-takeover-chain');
    expect((await get('/v1/accounts/vic', INGEST_KEY)).lockScope).toBe('full');
  });

  it('the owner changing the password on the laptop and then buying is not a story', async () => {
    await ordinaryShopper('olga');
    const own = { user: 'olga', ip: HOME_IP, device: 'olga-laptop', userAgent: CHROME, session: 'olga-now' };
    await at(0, { ...own, type: 'login.succeeded' });
    const change = await at(2, { ...own, type: 'password.changed' });
    const purchase = await at(9, { ...own, type: 'transaction', amount: 41, currency: 'EUR', merchant: 'grocer' });
    expect(change).toMatchObject({ decision: 'allow', severity: 'none' });
    expect(purchase).toMatchObject({ decision: 'allow', severity: 'none' });
  });
});

describe('a large purchase on a brand-new device', () => {
  it('€2,500 from an unknown phone right after its first login, on an account of €40 purchases: high, locked, and a code to the owner', async () => {
    await ordinaryShopper('lena');
    const phone = { user: 'lena', ip: OTHER_LONDON_IP, device: 'lena-unknown-phone', userAgent: IPHONE, session: 'p1' };
    const login = await at(0, { ...phone, type: 'login.succeeded' });
    expect(login.decision).toBe('allow');
    const purchase = await at(4, { ...phone, type: 'transaction', amount: 2500, currency: 'EUR', merchant: 'giftcards' });
    expect(purchase).toMatchObject({ severity: 'high', decision: 'block' });
    expect(purchase.reasons.find((r) => r.rule === 'large-transaction')?.message).toMatch(
      /× this account's median .*, from a device first seen 4 min before$/,
    );
    expect(await get('/v1/accounts/lena', INGEST_KEY)).toMatchObject({ locked: true, lockScope: 'sensitive', unlockBy: 'code' });
    expect(codeIn(await mailbox.next('lena@example.com'))).toMatch(/^\d{6}$/);
  });

  it("with fewer than five purchases of its own, against everyone's typical basket: high too", async () => {
    await everyonesBaskets();
    await ordinaryShopper('nora', 2);
    const phone = { user: 'nora', ip: OTHER_LONDON_IP, device: 'nora-unknown-phone', userAgent: IPHONE, session: 'p1' };
    await at(0, { ...phone, type: 'login.succeeded' });
    const purchase = await at(4, { ...phone, type: 'transaction', amount: 1400, currency: 'EUR', merchant: 'giftcards' });
    expect(purchase).toMatchObject({ severity: 'high', decision: 'block' });
    expect(purchase.reasons.find((r) => r.rule === 'large-transaction')?.message).toMatch(/× the typical transaction of all accounts/);
  });
});
