import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, INGEST_KEY, startTestApp, type TestApp } from './support/app.js';
import { codeIn, type Mailbox, startMailbox } from './support/mailbox.js';

/**
 * The response story of issue 4 through the HTTP API, with a real SMTP server in the test process:
 * detection locks the account, the owner gets a code by email and unlocks, and nothing secret leaks.
 */
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const START = Date.parse('2026-11-02T10:00:00Z');
const HOME_IP = '81.2.69.160'; // London
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

let t: TestApp;
let mailbox: Mailbox;
let now = START;
const logLines: string[] = [];
const iso = (ms: number) => new Date(ms).toISOString();

beforeEach(async () => {
  now = START;
  logLines.length = 0;
  mailbox = await startMailbox();
  const capture = (m: string, e?: unknown) => logLines.push(`${m} ${e instanceof Error ? e.message : String(e ?? '')}`);
  t = await startTestApp({
    clock: { now: () => now },
    env: { VIGIL_SMTP_URL: mailbox.url, VIGIL_ADMIN_ALERT_EMAILS: 'secops@shop.example' },
    logger: { info: capture, warn: capture, error: capture },
  });
});
afterEach(async () => {
  await t.close();
  await mailbox.close();
});

type Result = { decision: string; severity: string; risk: number; reasons: Array<{ rule: string; message: string }>; alertId?: string };

async function send(events: Array<Record<string, unknown>>): Promise<Result[]> {
  const r = await t.send({ events });
  expect(r.statusCode).toBe(200);
  return r.json().results;
}

const call = (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, key = INGEST_KEY) =>
  t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}` },
    ...(body !== undefined && { payload: body as object }),
  });

/** Three weeks of ordinary shopping from the owner's laptop in London. */
async function ordinaryShopper(user: string) {
  const events: Array<Record<string, unknown>> = [];
  for (let d = 21; d >= 1; d -= 3) {
    const base = { user, ip: HOME_IP, device: `${user}-laptop`, userAgent: CHROME };
    events.push({ ...base, type: 'login.succeeded', timestamp: iso(now - d * DAY) });
    events.push({ ...base, type: 'transaction', amount: 40 + d, currency: 'GBP', merchant: 'grocer', timestamp: iso(now - d * DAY + MIN) });
  }
  events.push({ user, type: 'mfa.enabled', ip: HOME_IP, device: `${user}-laptop`, timestamp: iso(now - 20 * DAY) });
  events.push({ user, type: 'password.changed', ip: HOME_IP, device: `${user}-laptop`, timestamp: iso(now - 19 * DAY) });
  await send(events);
}

/** A large purchase from a device the account never used: high, so the account's sensitive actions lock. */
const bigPurchaseFromNewPhone = (user: string) => ({
  type: 'transaction',
  user,
  amount: 1900,
  currency: 'GBP',
  merchant: 'electronics',
  ip: HOME_IP,
  device: 'unknown-phone',
  timestamp: iso(now),
});

async function account(user: string) {
  const r = await call('GET', `/v1/accounts/${user}`);
  expect(r.statusCode).toBe(200);
  return r.json();
}

describe('lock and unlock by one-time code', () => {
  it('locks on a large purchase from a new device, emails a code, survives five wrong codes, and unlocks with a new one', async () => {
    await ordinaryShopper('alice');
    expect((await call('PUT', '/v1/accounts/alice/contact', { email: 'alice@example.com' })).statusCode).toBe(200);
    const healthy = await account('alice');
    expect(healthy.locked).toBe(false);

    const [purchase] = await send([bigPurchaseFromNewPhone('alice')]);
    expect(purchase).toMatchObject({ severity: 'high', decision: 'block' });
    expect(purchase?.reasons.map((r) => r.rule)).toEqual(expect.arrayContaining(['large-transaction', 'account-locked']));

    const locked = await account('alice');
    expect(locked).toMatchObject({ user: 'alice', locked: true, lockScope: 'sensitive', alertId: purchase?.alertId, unlockBy: 'code' });
    expect(locked.reason).toMatch(/transaction/i);
    expect(locked.health.score).toBeLessThan(healthy.health.score);

    // While locked: purchases are refused, logins are not (the scope is the sensitive actions).
    now += 10_000;
    const [again, login] = await send([
      { type: 'transaction', user: 'alice', amount: 20, currency: 'GBP', ip: HOME_IP, device: 'alice-laptop', timestamp: iso(now) },
      { type: 'login.succeeded', user: 'alice', ip: HOME_IP, device: 'alice-laptop', userAgent: CHROME, timestamp: iso(now) },
    ]);
    expect(again?.decision).toBe('block');
    expect(again?.reasons.find((r) => r.rule === 'account-locked')?.message).toMatch(/locked since/);
    expect(login?.decision).toBe('allow');

    // The code went out by email, from the response to the purchase.
    const first = codeIn(await mailbox.next('alice@example.com'));
    const wrong = first === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 4; i++) {
      const r = await call('POST', '/v1/accounts/alice/otp/verify', { code: wrong });
      expect(r.statusCode).toBe(422);
      expect(r.json().error).toMatchObject({ code: 'invalid_code', path: '/code' });
      expect(r.json().error.message).toContain(`${5 - i} ${5 - i === 1 ? 'try' : 'tries'} left`);
    }
    const fifth = await call('POST', '/v1/accounts/alice/otp/verify', { code: wrong });
    expect(fifth.json().error.code).toBe('too_many_attempts');
    // Even the right code no longer works: a new one is needed.
    const late = await call('POST', '/v1/accounts/alice/otp/verify', { code: first });
    expect(late.json().error.code).toBe('too_many_attempts');
    expect((await account('alice')).locked).toBe(true);

    // One code a minute.
    const tooSoon = await call('POST', '/v1/accounts/alice/otp', {});
    expect(tooSoon.statusCode).toBe(429);
    expect(tooSoon.headers['retry-after']).toBeDefined();
    now += 61_000;
    const mailsBefore = mailbox.mails.length;
    const requested = await call('POST', '/v1/accounts/alice/otp', { channel: 'email' });
    expect(requested.statusCode).toBe(202);
    expect(requested.json()).toMatchObject({ sent: true, channel: 'email', to: 'a***@example.com' });
    const second = codeIn(await mailbox.next('alice@example.com', { after: mailsBefore }));
    expect(JSON.stringify(requested.json())).not.toContain(second);

    const unlocked = await call('POST', '/v1/accounts/alice/otp/verify', { code: second });
    expect(unlocked.statusCode).toBe(200);
    expect(unlocked.json()).toMatchObject({ unlocked: true, account: { locked: false, lockScope: null } });
    expect(unlocked.json().account.health.score).toBeGreaterThan(locked.health.score);

    // Unlocked: the owner's purchase goes through again.
    now += MIN;
    const [after] = await send([
      { type: 'transaction', user: 'alice', amount: 25, currency: 'GBP', ip: HOME_IP, device: 'alice-laptop', timestamp: iso(now) },
    ]);
    expect(after?.decision).toBe('allow');

    // The code proved the owner: the phone, network and country of the alert behind the lock are proven
    // in familiarity (the phone first came with the purchase, an event), and stored events carry it.
    const proven = await t.system.database.db
      .selectFrom('user_seen')
      .select(['kind', 'value', 'via', 'proven_at'])
      .where('user_id', '=', 'alice')
      .where('proven_at', 'is not', null)
      .orderBy('kind')
      .execute();
    expect(proven.map((r) => [r.kind, r.value, r.via])).toEqual([
      ['country', 'GB', 'login'],
      ['device', 'unknown-phone', 'event'],
      ['network', '81.2.69.0/24', 'login'],
    ]);
    const stored = (await call('GET', '/v1/users/alice/events?type=transaction&limit=1', undefined, ADMIN_KEY)).json().events[0];
    expect(stored.enrichment.familiarity).toMatchObject({
      device: { proven: false, trusted: true, via: 'login' },
      network: { proven: true, trusted: true },
      country: { proven: true, trusted: true },
      paymentMethod: null,
    });

    // Every step is in the audit trail, oldest first, and the chain verifies.
    const audit = await call('GET', '/v1/audit?subject=account:alice&limit=100', undefined, ADMIN_KEY);
    const trail = audit.json().entries as Array<{ action: string; actor: string; details: Record<string, unknown> }>;
    expect(trail.map((e) => e.action).reverse()).toEqual([
      'account.contact_changed',
      'account.locked',
      'code.sent',
      ...Array(6).fill('code.failed'),
      'code.sent',
      'code.verified',
      'account.unlocked',
    ]);
    expect(trail.find((e) => e.action === 'account.locked')?.actor).toBe('vigil');
    expect((await call('GET', '/v1/audit/verify', undefined, ADMIN_KEY)).json()).toMatchObject({ ok: true });

    // A code is never in a log line, an audit entry or an API answer.
    for (const code of [first, second]) {
      expect(logLines.join('\n')).not.toContain(code);
      expect(JSON.stringify(trail)).not.toContain(code);
    }
  });

  it('expires a code after 10 minutes', async () => {
    await ordinaryShopper('bob');
    await call('PUT', '/v1/accounts/bob/contact', { email: 'bob@example.com' });
    await send([bigPurchaseFromNewPhone('bob')]);
    const code = codeIn(await mailbox.next('bob@example.com'));
    now += 10 * MIN + 1;
    const r = await call('POST', '/v1/accounts/bob/otp/verify', { code });
    expect(r.statusCode).toBe(422);
    expect(r.json().error.code).toBe('code_expired');
    expect((await account('bob')).locked).toBe(true);
  });

  it('says which code is in force: a lock within a minute of the last code sends none, and the account says when another may be asked for', async () => {
    await ordinaryShopper('rita');
    await call('PUT', '/v1/accounts/rita/contact', { email: 'rita@example.com' });
    await send([bigPurchaseFromNewPhone('rita')]);
    const sentAt = now;
    const code = codeIn(await mailbox.next('rita@example.com'));
    expect((await account('rita')).unlockCode).toEqual({
      channel: 'email',
      sentAt: iso(sentAt),
      expiresAt: iso(sentAt + 10 * MIN),
      valid: true,
      nextCodeAt: iso(sentAt + MIN),
    });
    now += 20_000;
    expect((await call('POST', '/v1/accounts/rita/otp/verify', { code })).statusCode).toBe(200);
    expect((await account('rita')).unlockCode).toBeUndefined(); // not locked: nothing to say

    // Locked again 30 s after the code went out: no new code (one a minute), and the account says so.
    now += 10_000;
    const [relock] = await send([{ ...bigPurchaseFromNewPhone('rita'), device: 'another-phone', timestamp: iso(now) }]);
    expect(relock?.decision).toBe('block');
    const relocked = await account('rita');
    expect(relocked).toMatchObject({ locked: true, unlockBy: 'code' });
    expect(relocked.unlockCode).toEqual({
      channel: 'email',
      sentAt: iso(sentAt),
      expiresAt: iso(sentAt + 10 * MIN),
      valid: false,
      nextCodeAt: iso(sentAt + MIN),
    });
    // The same for the member (GET /v1/me).
    const member = await t.person('member', 'rita');
    expect((await member.request('GET', '/v1/me')).json().unlockCode).toMatchObject({ valid: false, nextCodeAt: iso(sentAt + MIN) });
  });

  it('limits codes to ten a day per account', async () => {
    await ordinaryShopper('erin');
    await call('PUT', '/v1/accounts/erin/contact', { email: 'erin@example.com' });
    await send([bigPurchaseFromNewPhone('erin')]);
    await mailbox.next('erin@example.com');
    await t.system.accountService.settled();
    for (let i = 0; i < 9; i++) {
      now += 61_000;
      expect((await call('POST', '/v1/accounts/erin/otp', {})).statusCode).toBe(202);
    }
    now += 61_000;
    const eleventh = await call('POST', '/v1/accounts/erin/otp', {});
    expect(eleventh.statusCode).toBe(429);
    expect(eleventh.json().error.message).toMatch(/10 codes/);
  });

  it('refuses a code when Vigil has no way to reach the owner, and says how to fix it', async () => {
    await ordinaryShopper('nocontact');
    await send([bigPurchaseFromNewPhone('nocontact')]);
    const r = await call('POST', '/v1/accounts/nocontact/otp', {});
    expect(r.statusCode).toBe(409);
    expect(r.json().error.code).toBe('no_contact');
    expect(r.json().error.message).toContain('PUT /v1/accounts/nocontact/contact');
    expect((await account('nocontact')).suggestions.map((s: { action: string }) => s.action)).toContain('add_contact');
  });

  it('answers not_locked for a code when nothing is locked', async () => {
    const r = await call('POST', '/v1/accounts/nobody/otp', {});
    expect(r.statusCode).toBe(409);
    expect(r.json().error.code).toBe('not_locked');
  });
});

describe('critical findings and admins', () => {
  it('locks entirely on a takeover chain, tells the admins, and only an admin unlocks', async () => {
    await ordinaryShopper('carol');
    await call('PUT', '/v1/accounts/carol/contact', { email: 'carol@example.com' });
    await send([{ type: 'password.changed', user: 'carol', ip: HOME_IP, device: 'carol-laptop', timestamp: iso(now - 30 * MIN) }]);
    const [purchase] = await send([
      // From a network the account never used: a new phone on the home Wi-Fi is the owner's own.
      {
        type: 'transaction',
        user: 'carol',
        amount: 300,
        currency: 'GBP',
        ip: '212.58.244.1',
        device: 'brand-new-phone',
        timestamp: iso(now),
      },
    ]);
    expect(purchase).toMatchObject({ severity: 'critical', decision: 'block' });
    expect(await account('carol')).toMatchObject({ locked: true, lockScope: 'full', unlockBy: 'admin' });

    const admins = await mailbox.next('secops@shop.example');
    expect(admins.text).toContain('carol');

    now += MIN;
    const [login] = await send([{ type: 'login.succeeded', user: 'carol', ip: HOME_IP, device: 'carol-laptop', timestamp: iso(now) }]);
    expect(login?.decision).toBe('block');
    const [logout] = await send([{ type: 'logout', user: 'carol', ip: HOME_IP, device: 'carol-laptop', timestamp: iso(now) }]);
    expect(logout?.decision).toBe('allow');

    const selfService = await call('POST', '/v1/accounts/carol/otp', {});
    expect(selfService.statusCode).toBe(409);
    expect(selfService.json().error.code).toBe('unlock_requires_admin');

    // Admin routes need an admin key.
    expect((await call('POST', '/v1/accounts/carol/unlock', { reason: 'verified by phone' })).statusCode).toBe(403);
    const unlocked = await call('POST', '/v1/accounts/carol/unlock', { reason: 'verified by phone' }, ADMIN_KEY);
    expect(unlocked.statusCode).toBe(200);
    expect(unlocked.json().locked).toBe(false);
  });

  it('lets an admin lock by hand, lists locked accounts first, and refuses unlocking what is not locked', async () => {
    await ordinaryShopper('dan');
    await ordinaryShopper('fay');
    const locked = await call('POST', '/v1/accounts/fay/lock', { scope: 'full', reason: 'chargeback fraud ring' }, ADMIN_KEY);
    expect(locked.statusCode).toBe(200);
    expect(locked.json()).toMatchObject({ locked: true, lockScope: 'full', reason: 'chargeback fraud ring', unlockBy: 'admin' });
    await call('PUT', '/v1/accounts/dan/contact', { phone: '+447700900123' });

    const list = await call('GET', '/v1/accounts', undefined, ADMIN_KEY);
    expect(list.statusCode).toBe(200);
    expect(list.json().accounts[0]).toMatchObject({ user: 'fay', locked: true });
    expect(list.json().accounts.find((a: { user: string }) => a.user === 'dan').contact.phone).toBe('+44********23');
    expect((await call('GET', '/v1/accounts')).statusCode).toBe(403);

    const notLocked = await call('POST', '/v1/accounts/dan/unlock', { reason: 'x' }, ADMIN_KEY);
    expect(notLocked.statusCode).toBe(409);
    expect(notLocked.json().error.code).toBe('not_locked');
  });

  it('survives a restart: a lock in force is enforced by the next process', async () => {
    await ordinaryShopper('gus');
    await send([bigPurchaseFromNewPhone('gus')]);
    expect(t.system.locks.get('gus')?.scope).toBe('sensitive');
    const { createSystem } = await import('../src/system.js');
    const quiet = { info() {}, warn() {}, error() {} };
    const again = await createSystem(t.config, { clock: { now: () => now }, logger: quiet });
    try {
      expect(again.locks.get('gus')).toMatchObject({ scope: 'sensitive', unlockBy: 'code' });
    } finally {
      await again.close();
    }
  });
});

describe('bad input', () => {
  it('refuses a bad contact, a bad code body and unknown keys with the field named', async () => {
    const badEmail = await call('PUT', '/v1/accounts/x/contact', { email: 'not-an-email' });
    expect(badEmail.statusCode).toBe(400);
    expect(badEmail.json().error).toMatchObject({ code: 'invalid_body', path: '/email' });
    const empty = await call('PUT', '/v1/accounts/x/contact', {});
    expect(empty.statusCode).toBe(400);
    const noCode = await call('POST', '/v1/accounts/x/otp/verify', {});
    expect(noCode.statusCode).toBe(400);
    expect(noCode.json().error).toMatchObject({ code: 'invalid_body', path: '/code' });
    const extra = await call('POST', '/v1/accounts/x/otp/verify', { code: '123456', pin: '1' });
    expect(extra.json().error).toMatchObject({ code: 'invalid_body', path: '/pin' });
    const noKey = await t.app.inject({ method: 'GET', url: '/v1/accounts/x' });
    expect(noKey.statusCode).toBe(401);
  });
});

const NYC_IP = '3.80.0.10'; // New York area

describe('"this wasn\'t me" and "this was me"', () => {
  it('a dispute escalates, locks until a password change, and distrusts the device and IP', async () => {
    await ordinaryShopper('hana');
    await call('PUT', '/v1/accounts/hana/contact', { email: 'hana@example.com' });
    const [login] = await send([
      { type: 'login.succeeded', user: 'hana', ip: NYC_IP, device: 'strange-tablet', userAgent: CHROME, timestamp: iso(now) },
    ]);
    expect(login?.alertId).toBeDefined();
    // Medium: the owner is told.
    expect((await mailbox.next('hana@example.com')).text).toMatch(/unusual activity/i);

    const disputed = await call('POST', `/v1/alerts/${login?.alertId}/dispute`, { note: 'I was asleep' });
    expect(disputed.statusCode).toBe(200);
    expect(disputed.json().alert.status).toBe('escalated');
    expect(disputed.json().account).toMatchObject({ locked: true, lockScope: 'full', unlockBy: 'password_change' });
    expect(disputed.json().account.health.reasons.map((r: { factor: string }) => r.factor)).toContain('recent_disputes');

    const otp = await call('POST', '/v1/accounts/hana/otp', {});
    expect(otp.json().error.code).toBe('unlock_requires_password_change');

    // The disowned device is blocked from now on, whatever it does.
    now += MIN;
    const [fromTablet] = await send([
      { type: 'page.viewed', user: 'hana', path: '/', ip: '8.8.8.8', device: 'strange-tablet', timestamp: iso(now) },
    ]);
    expect(fromTablet?.decision).toBe('block');
    expect(fromTablet?.reasons.map((r) => r.rule)).toContain('disowned-source');

    // The client app reports the owner's password reset: that change goes through and lifts the lock.
    const [reset] = await send([{ type: 'password.changed', user: 'hana', ip: HOME_IP, device: 'hana-laptop', timestamp: iso(now) }]);
    expect(reset?.decision).not.toBe('block');
    expect((await account('hana')).locked).toBe(false);
    // A second dispute of the same (now escalated, still open) alert is accepted; a closed one is not.
    const resolved = await call('POST', `/v1/alerts/${login?.alertId}/resolve`, {}, ADMIN_KEY);
    expect(resolved.statusCode).toBe(200);
    const late = await call('POST', `/v1/alerts/${login?.alertId}/dispute`, {});
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('invalid_transition');
  });

  it('a confirmation proves control with a code, closes the alert as a false positive, and trusts the device and country', async () => {
    await ordinaryShopper('ivan');
    await call('PUT', '/v1/accounts/ivan/contact', { email: 'ivan@example.com' });
    const [login] = await send([
      { type: 'login.succeeded', user: 'ivan', ip: NYC_IP, device: 'travel-phone', userAgent: CHROME, timestamp: iso(now) },
    ]);
    const alertId = login?.alertId as string;
    await mailbox.next('ivan@example.com');
    const notified = mailbox.mails.length;

    const asked = await call('POST', `/v1/alerts/${alertId}/confirm`, {});
    expect(asked.statusCode).toBe(202);
    const code = codeIn(await mailbox.next('ivan@example.com', { after: notified }));
    const wrong = await call('POST', `/v1/alerts/${alertId}/confirm`, { code: code === '123456' ? '654321' : '123456' });
    expect(wrong.json().error.code).toBe('invalid_code');
    const confirmed = await call('POST', `/v1/alerts/${alertId}/confirm`, { code });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ confirmed: true, alert: { status: 'false_positive' } });

    // Home in London, then the trusted phone in New York half an hour later: no impossible travel.
    now += 30 * MIN;
    await send([{ type: 'login.succeeded', user: 'ivan', ip: HOME_IP, device: 'ivan-laptop', userAgent: CHROME, timestamp: iso(now) }]);
    now += 30 * MIN;
    const [back] = await send([
      { type: 'login.succeeded', user: 'ivan', ip: NYC_IP, device: 'travel-phone', userAgent: CHROME, timestamp: iso(now) },
    ]);
    expect(back?.reasons.map((r) => r.rule)).not.toContain('impossible-travel');
    // "This was me" proved the phone and its country: the stored event says so.
    const stored = (await call('GET', '/v1/users/ivan/events?type=login.succeeded&limit=1', undefined, ADMIN_KEY)).json().events[0];
    expect(stored.enrichment.familiarity).toMatchObject({
      device: { via: 'login', proven: true, trusted: true, days: 1 },
      country: { via: 'login', proven: true, trusted: true },
    });
    // An untrusted phone making the same jump is still flagged.
    now += 30 * MIN;
    await send([{ type: 'login.succeeded', user: 'ivan', ip: HOME_IP, device: 'ivan-laptop', userAgent: CHROME, timestamp: iso(now) }]);
    now += 30 * MIN;
    const [other] = await send([
      { type: 'login.succeeded', user: 'ivan', ip: NYC_IP, device: 'other-phone', userAgent: CHROME, timestamp: iso(now) },
    ]);
    expect(other?.reasons.map((r) => r.rule)).toContain('impossible-travel');
  });
});
