import { Secret, TOTP } from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { ensureFirstPeople } from '../src/demo/first-people.js';
import { ADMIN_KEY, INGEST_KEY, PERSON_PASSWORD, signIn, startTestApp, type TestApp } from './support/app.js';

/**
 * The dashboard's sign-in and what each role may reach: sessions in HttpOnly cookies, CSRF tokens on
 * every state-changing request, rate-limited guessing, TOTP, and members confined to their own account.
 */
let now = Date.parse('2026-11-24T10:00:00Z');
let t: TestApp;

beforeEach(async () => {
  now = Date.parse('2026-11-24T10:00:00Z');
  // Demo mode: the member's simulator (POST /v1/me/simulate), used below, exists only there.
  t = await startTestApp({ clock: { now: () => now }, env: { VIGIL_DEMO: 'true' } });
});
afterEach(async () => t.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers });

async function latestCode(user: string): Promise<string> {
  await t.system.accountService.settled();
  // The newest message with a code: a notification sent in the same millisecond may sort first.
  const messages = await t.system.outbox.list({ user, limit: 10 });
  const code = messages.map((m) => /\b(\d{6})\b/.exec(m.body)?.[1]).find(Boolean);
  if (!code) throw new Error(`no code in the outbox for ${user}`);
  return code;
}

describe('sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and answers who is signed in, never a hash', async () => {
    await t.system.people.create({ email: 'Ops@Example.test', password: PERSON_PASSWORD, role: 'admin' }, 'test');
    const res = await post('/v1/session', { email: 'ops@example.test', password: PERSON_PASSWORD });
    expect(res.statusCode).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^vigil_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    const body = res.json();
    expect(body.person).toEqual({
      id: expect.stringMatching(/^per_/),
      email: 'ops@example.test',
      role: 'admin',
      user: null,
      totpEnabled: false,
    });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body).not.toContain('argon2');

    const me = await t.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie: cookie.split(';')[0] as string } });
    expect(me.json()).toEqual(body);
  });

  it('stores passwords as argon2id hashes and refuses short ones', async () => {
    await t.system.people.create({ email: 'a@example.test', password: PERSON_PASSWORD, role: 'admin' }, 'test');
    const row = await t.system.database.db.selectFrom('people').select('password_hash').executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain(PERSON_PASSWORD);
    const short = await t.system.people.create({ email: 'b@example.test', password: 'short', role: 'admin' }, 'test');
    expect(short.ok).toBe(false);
    expect(!short.ok && short.error).toMatchObject({ code: 'weak_password', path: '/password' });
  });

  it('gives a wrong password and an unknown email the same answer', async () => {
    await t.system.people.create({ email: 'a@example.test', password: PERSON_PASSWORD, role: 'admin' }, 'test');
    const wrong = await post('/v1/session', { email: 'a@example.test', password: 'not the password' });
    const unknown = await post('/v1/session', { email: 'nobody@example.test', password: 'not the password' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('invalid_credentials');
    expect(unknown.json().error.message).toBe(wrong.json().error.message);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('locks an email out for 15 minutes after five wrong passwords, even for the right one, and audits it once', async () => {
    await t.system.people.create({ email: 'a@example.test', password: PERSON_PASSWORD, role: 'admin' }, 'test');
    for (let i = 0; i < 5; i++)
      expect((await post('/v1/session', { email: 'a@example.test', password: `guess ${i}` })).statusCode).toBe(401);
    const blocked = await post('/v1/session', { email: 'a@example.test', password: PERSON_PASSWORD });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(800);
    const audit = await t.get('/v1/audit?subject=email:a@example.test');
    expect(audit.json().entries.map((e: { action: string }) => e.action)).toEqual(['person.sign_in_blocked']);

    now += 15 * 60_000;
    expect((await post('/v1/session', { email: 'a@example.test', password: PERSON_PASSWORD })).statusCode).toBe(200);
  });

  it('refuses a sign-in posted from another site (login CSRF)', async () => {
    await t.system.people.create({ email: 'a@example.test', password: PERSON_PASSWORD, role: 'admin' }, 'test');
    const res = await post('/v1/session', { email: 'a@example.test', password: PERSON_PASSWORD }, { origin: 'https://evil.example' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('csrf_failed');
  });

  it('ends the session on sign-out, after two idle hours, and twelve hours after sign-in', async () => {
    const admin = await t.person('admin');
    const out = await admin.request('DELETE', '/v1/session');
    expect(out.statusCode).toBe(204);
    expect((await admin.request('GET', '/v1/alerts')).statusCode).toBe(401);

    const idle = await t.person('admin');
    now += 2 * 3_600_000;
    const res = await idle.request('GET', '/v1/alerts');
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toMatch(/session has ended/);

    const busy = await t.person('admin');
    for (let h = 0; h < 12; h++) {
      expect((await busy.request('GET', '/v1/alerts')).statusCode).toBe(200);
      now += 3_600_000;
    }
    expect((await busy.request('GET', '/v1/alerts')).statusCode).toBe(401);
  });
});

/** The token with its first character changed (always to a different one). */
const oneCharOff = (token: string) => `${token.startsWith('A') ? 'B' : 'A'}${token.slice(1)}`;

describe('CSRF', () => {
  it('refuses a state-changing request whose CSRF header is missing or wrong', async () => {
    const member = await t.person('member', 'alice');
    const bare = await t.app.inject({
      method: 'POST',
      url: '/v1/me/simulate',
      headers: { cookie: member.cookie },
      payload: { scenario: 'password-change' },
    });
    expect(bare.statusCode).toBe(403);
    expect(bare.json().error.code).toBe('csrf_failed');
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/v1/me/simulate',
      headers: { cookie: member.cookie, 'x-csrf-token': oneCharOff(member.csrfToken) },
      payload: { scenario: 'password-change' },
    });
    expect(wrong.statusCode).toBe(403);
    // Nothing happened: no event was stored.
    expect((await t.get('/v1/users/alice/events')).json().events).toHaveLength(0);
    expect((await member.request('POST', '/v1/me/simulate', { scenario: 'password-change' })).statusCode).toBe(200);
  });

  it('binds the token to the session: another session’s token does not pass', async () => {
    const one = await t.person('admin');
    const two = await t.person('admin');
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/accounts/alice/lock',
      headers: { cookie: one.cookie, 'x-csrf-token': two.csrfToken },
      payload: { reason: 'test' },
    });
    expect(res.statusCode).toBe(403);
  });
});

describe('roles', () => {
  it('keeps a member out of admin routes and client-app routes', async () => {
    const member = await t.person('member', 'alice');
    for (const url of [
      '/v1/alerts',
      '/v1/accounts',
      '/v1/accounts/bob',
      '/v1/users/bob/events',
      '/v1/audit',
      '/v1/outbox',
      '/v1/feed',
      '/v1/rules',
      '/v1/lists',
      '/v1/snoozes',
    ]) {
      const res = await member.request('GET', url);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
    expect((await member.request('POST', '/v1/accounts/alice/unlock', { reason: 'me' })).statusCode).toBe(403);
    expect((await member.request('POST', '/v1/events', { type: 'logout', user: 'bob' })).statusCode).toBe(403);
    expect((await member.request('POST', '/v1/lists', { list: 'allow', kind: 'user', value: 'alice', reason: 'me' })).statusCode).toBe(403);
    expect((await member.request('DELETE', '/v1/lists/lst_1')).statusCode).toBe(403);
    for (const action of ['shadow', 'promote'])
      expect((await member.request('POST', `/v1/rules/large-transaction/${action}`, {})).statusCode, action).toBe(403);
    expect(t.system.rules.ruleSet.get('large-transaction')?.mode).toBe('live');
    const body = { rule: 'card-testing', user: 'alice', until: '2099-01-01T00:00:00Z', reason: 'x' };
    const snoozed = await member.request('POST', '/v1/snoozes', body);
    expect(snoozed.statusCode).toBe(403);
    expect((await member.request('DELETE', '/v1/snoozes/snz_1')).statusCode).toBe(403);
  });

  it('lets an admin session do what an admin key does, recording the person as the actor', async () => {
    const admin = await t.person('admin');
    const locked = await admin.request('POST', '/v1/accounts/bob/lock', { reason: 'looks odd' });
    expect(locked.statusCode).toBe(200);
    expect(locked.json()).toMatchObject({ user: 'bob', locked: true, lockedBy: expect.stringContaining(admin.email) });
    const audit = await t.get('/v1/audit?subject=account:bob');
    expect(audit.json().entries.at(-1)).toMatchObject({ action: 'account.locked', actor: expect.stringContaining(admin.email) });
    // The member routes are for members.
    expect((await admin.request('GET', '/v1/me')).statusCode).toBe(403);
    expect((await admin.request('GET', '/v1/me/snoozes')).statusCode).toBe(403);
  });

  it('keeps API keys off the dashboard-only routes', async () => {
    const res = await t.get('/v1/me', INGEST_KEY);
    expect(res.statusCode).toBe(403);
    expect((await t.get('/v1/me/snoozes')).statusCode).toBe(403);
    expect((await t.get('/v1/session')).statusCode).toBe(403);
  });

  it('shows a member their own alerts and events only, and answers others’ alerts as not found', async () => {
    const alice = await t.person('member', 'alice');
    const bob = await t.person('member', 'bob');
    await bob.request('POST', '/v1/me/simulate', { scenario: 'failed-logins' });
    await alice.request('POST', '/v1/me/simulate', { scenario: 'password-change' });

    const bobs = (await bob.request('GET', '/v1/me/alerts')).json().alerts;
    expect(bobs.length).toBeGreaterThan(0);
    expect(bobs.every((a: { user: string }) => a.user === 'bob')).toBe(true);
    expect((await alice.request('GET', '/v1/me/alerts')).json().alerts).toEqual([]);
    const aliceEvents = (await alice.request('GET', '/v1/me/events')).json();
    expect(aliceEvents.user).toBe('alice');
    expect(aliceEvents.events.map((e: { user: string }) => e.user)).toEqual(['alice']);

    for (const action of ['dispute', 'confirm']) {
      const res = await alice.request('POST', `/v1/me/alerts/${bobs[0].id}/${action}`, {});
      expect(res.statusCode, action).toBe(404);
    }
    // Bob's alert was not touched.
    expect((await t.get(`/v1/alerts/${bobs[0].id}`)).json().status).toBe('new');
  });
});

describe('the member’s own account', () => {
  it('locks on a simulated large purchase from a new device and unlocks with the code sent by email', async () => {
    await t.system.accountService.setContact('alice', { email: 'alice@example.com' }, 'test');
    const alice = await t.person('member', 'alice');
    const sim = await alice.request('POST', '/v1/me/simulate', { scenario: 'large-purchase-new-device' });
    expect(sim.statusCode).toBe(200);
    const purchase = sim.json().results.at(-1);
    expect(purchase).toMatchObject({ decision: 'block', severity: 'high', alertId: expect.stringMatching(/^alrt_/) });

    await t.system.accountService.settled();
    const me = (await alice.request('GET', '/v1/me')).json();
    expect(me).toMatchObject({
      user: 'alice',
      locked: true,
      lockScope: 'sensitive',
      unlockBy: 'code',
      contact: { email: 'a***@example.com' },
    });
    expect(me.health.score).toBeLessThan(100);

    const wrong = await alice.request('POST', '/v1/me/unlock', { code: '000000' });
    expect(wrong.statusCode).toBe(422);
    const unlocked = await alice.request('POST', '/v1/me/unlock', { code: await latestCode('alice') });
    expect(unlocked.statusCode).toBe(200);
    expect(unlocked.json()).toMatchObject({ unlocked: true, account: { locked: false } });

    // The same suspicious purchase again, after the unlock: the open alert repeats, and the account locks again.
    now += 120_000;
    const again = await alice.request('POST', '/v1/me/simulate', { scenario: 'large-purchase-new-device' });
    expect(again.json().results.at(-1)).toMatchObject({ decision: 'block', alertId: purchase.alertId });
    expect((await alice.request('GET', '/v1/me')).json()).toMatchObject({ locked: true, unlockBy: 'code' });
    const second = await alice.request('POST', '/v1/me/unlock', { code: await latestCode('alice') });
    expect(second.json()).toMatchObject({ unlocked: true });
  });

  it('"This wasn’t me" escalates the alert and locks the account fully', async () => {
    const alice = await t.person('member', 'alice');
    await alice.request('POST', '/v1/me/simulate', { scenario: 'failed-logins' });
    const [alert] = (await alice.request('GET', '/v1/me/alerts')).json().alerts;
    const res = await alice.request('POST', `/v1/me/alerts/${alert.id}/dispute`, { note: 'not me' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      alert: { status: 'escalated' },
      account: { locked: true, lockScope: 'full', unlockBy: 'password_change' },
    });
    const { person } = (await alice.request('GET', '/v1/session')).json();
    const audit = await t.get(`/v1/audit?subject=alert:${alert.id}`);
    expect(audit.json().entries.map((e: { actor: string }) => e.actor)).toContain(`${alice.email} (${person.id})`);
  });
});

describe('two-factor sign-in', () => {
  it('enrols by QR code, then asks for a code at sign-in, refuses a replayed code, and turns off with a code', async () => {
    const admin = await t.person('admin');
    const enrol = await admin.request('POST', '/v1/session/totp');
    expect(enrol.statusCode).toBe(200);
    const { secret, otpauthUrl, qrDataUrl } = enrol.json();
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/Vigil:.*secret=/);
    expect(qrDataUrl).toMatch(/^data:image\/png;base64,/);
    const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
    const codeAt = (ms: number) => totp.generate({ timestamp: ms });

    // A code from ten minutes ago is not one of now's.
    const stale = await admin.request('POST', '/v1/session/totp/confirm', { code: codeAt(now - 600_000) });
    expect(stale.statusCode).toBe(422);
    expect(stale.json().error.code).toBe('invalid_code');
    const on = await admin.request('POST', '/v1/session/totp/confirm', { code: codeAt(now) });
    expect(on.json()).toEqual({ totpEnabled: true });
    // The secret is kept encrypted, never in clear.
    const row = await t.system.database.db
      .selectFrom('people')
      .select('totp_secret_sealed')
      .where('email', '=', admin.email)
      .executeTakeFirstOrThrow();
    expect(row.totp_secret_sealed).not.toContain(secret);

    now += 60_000;
    const withoutCode = await post('/v1/session', { email: admin.email, password: PERSON_PASSWORD });
    expect(withoutCode.statusCode).toBe(401);
    expect(withoutCode.json().error).toMatchObject({ code: 'totp_required', path: '/totp' });
    const again = await signIn(t.app, admin.email, PERSON_PASSWORD, codeAt(now));
    // The same code a second time is refused: a code seen over a shoulder is worth nothing.
    const replay = await post('/v1/session', { email: admin.email, password: PERSON_PASSWORD, totp: codeAt(now) });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('invalid_credentials');

    now += 60_000;
    const off = await again.request('DELETE', '/v1/session/totp', { code: codeAt(now) });
    expect(off.json()).toEqual({ totpEnabled: false });
    const audit = (await t.get('/v1/audit')).json().entries.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['person.totp_enabled', 'person.totp_disabled']));
  });
});

describe('people', () => {
  it('lets an admin give a member a sign-in, with a generated password shown once', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/people',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      payload: { email: 'Dana@Example.test', role: 'member', user: 'dana' },
    });
    expect(res.statusCode).toBe(201);
    const { person, password } = res.json();
    expect(person).toMatchObject({ email: 'dana@example.test', role: 'member', user: 'dana', totpEnabled: false });
    expect(password).toHaveLength(16);
    const dana = await signIn(t.app, 'dana@example.test', password);
    expect((await dana.request('GET', '/v1/me')).json().user).toBe('dana');

    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/people',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      payload: { email: 'dana@example.test', role: 'admin', password: 'another long password' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'email_taken', path: '/email' });
    const noUser = await t.app.inject({
      method: 'POST',
      url: '/v1/people',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      payload: { email: 'eve@example.test', role: 'member' },
    });
    expect(noUser.json().error).toMatchObject({ code: 'invalid_body', path: '/user' });

    const list = (await t.get('/v1/people')).json().people;
    expect(list.map((p: { email: string }) => p.email)).toEqual(['dana@example.test']);
    expect(JSON.stringify(list)).not.toMatch(/argon2|hash/i);
    expect((await t.get('/v1/people', INGEST_KEY)).statusCode).toBe(403);
  });
});

describe('the first admin', () => {
  it('is created from VIGIL_ADMIN_EMAIL / VIGIL_ADMIN_PASSWORD when there is no admin, and only then', async () => {
    const env = { VIGIL_ADMIN_EMAIL: 'boss@example.test', VIGIL_ADMIN_PASSWORD: 'a long enough password' };
    const first = await startTestApp({ env });
    try {
      await ensureFirstPeople(first.system);
      await ensureFirstPeople(first.system);
      expect((await first.system.people.list()).map((p) => [p.email, p.role])).toEqual([['boss@example.test', 'admin']]);
      await signIn(first.app, 'boss@example.test', 'a long enough password');
    } finally {
      await first.close();
    }
    expect(() => loadConfig({ VIGIL_ADMIN_EMAIL: 'boss@example.test', VIGIL_ADMIN_PASSWORD: 'short' })).toThrow(
      /VIGIL_ADMIN_PASSWORD: needs at least 12/,
    );
    expect(() => loadConfig({ VIGIL_ADMIN_PASSWORD: 'a long enough password' })).toThrow(/VIGIL_ADMIN_EMAIL/);
  });

  it('is a demo admin and a demo member on a demo start, their passwords printed once', async () => {
    const demo = await startTestApp({ env: { VIGIL_DEMO: 'true' } });
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => printed.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      await ensureFirstPeople(demo.system);
    } finally {
      process.stdout.write = write;
    }
    try {
      const text = printed.join('');
      const admin = /admin: +(\S+) +(\S+)/.exec(text);
      const member = /member: +(\S+) +(\S+)/.exec(text);
      expect(admin?.[1]).toBe('admin@vigil.local');
      expect(member?.[1]).toBe('carol@example.com');
      await signIn(demo.app, admin?.[1] as string, admin?.[2] as string);
      const carol = await signIn(demo.app, member?.[1] as string, member?.[2] as string);
      expect((await carol.request('GET', '/v1/me')).json().user).toBe('carol');
    } finally {
      await demo.close();
    }
  });
});
