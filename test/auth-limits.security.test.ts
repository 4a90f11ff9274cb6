import { Secret, TOTP } from 'otpauth';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { ADMIN_KEY, INGEST_KEY, PERSON_PASSWORD, type SignedInPerson, signIn, startTestApp, type TestApp } from './support/app.js';

/**
 * Issue 15, rows 1 and 4: an outsider's attacks on the authentication limits. A flood of bad keys
 * from a shared address (a reverse proxy) must not lock out valid keys, and a signed-in session must
 * neither swap nor guess its way past two-factor sign-in.
 */
let now = Date.parse('2026-11-24T12:00:00Z');
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(env: Record<string, string> = {}): Promise<TestApp> {
  now = Date.parse('2026-11-24T12:00:00Z');
  t = await startTestApp({ clock: { now: () => now }, env });
  return t;
}

const event = { type: 'logout', user: 'alice' };
const badKey = (i: number) => `vgl_ingest_guess-${i}-xxxxxxxxxxxxxxxxxxxxxxxx`;

/** POST /v1/events with a key, from a peer address, optionally naming a forwarded client. */
function sendFrom(app: TestApp, key: string, remoteAddress: string, forwardedFor?: string) {
  return app.app.inject({
    method: 'POST',
    url: '/v1/events',
    remoteAddress,
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      ...(forwardedFor !== undefined && { 'x-forwarded-for': forwardedFor }),
    },
    payload: JSON.stringify(event),
  });
}

describe('row 1: bad keys from a shared address', () => {
  it('keeps letting the real ingest key, admin key and sessions in after 25 bad keys from the same address', async () => {
    const app = await start();
    const person = await app.person('admin');
    for (let i = 0; i < 20; i++) expect((await app.send(event, { key: badKey(i) })).statusCode).toBe(401);
    for (let i = 20; i < 25; i++) {
      const limited = await app.send(event, { key: badKey(i) });
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
    // The attack: before the fix every one of these answered 429 for the rest of the minute.
    expect((await app.send(event, { key: INGEST_KEY })).statusCode).toBe(200);
    expect((await app.get('/v1/users/alice/events', ADMIN_KEY)).statusCode).toBe(200);
    expect((await person.request('GET', '/v1/session')).statusCode).toBe(200);
    // A bad session cookie is a failing attempt like a bad key.
    const badCookie = await app.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie: `vigil_session=${'x'.repeat(43)}` } });
    expect(badCookie.statusCode).toBe(429);
    // The bad key stays refused until the window passes, then is only unauthorised.
    expect((await app.send(event, { key: badKey(99) })).statusCode).toBe(429);
    now += 61_000;
    expect((await app.send(event, { key: badKey(100) })).statusCode).toBe(401);
  });

  it('with VIGIL_TRUST_PROXY, limits each forwarded client of a trusted proxy on its own', async () => {
    const app = await start({ VIGIL_TRUST_PROXY: '10.0.0.0/8, 192.168.1.10' });
    for (let i = 0; i < 20; i++) expect((await sendFrom(app, badKey(i), '10.1.2.3', '203.0.113.7')).statusCode).toBe(401);
    expect((await sendFrom(app, badKey(20), '10.1.2.3', '203.0.113.7')).statusCode).toBe(429);
    // Another client behind the same proxy has failed nothing: its bad key is only unauthorised.
    expect((await sendFrom(app, badKey(21), '10.1.2.3', '198.51.100.9')).statusCode).toBe(401);
    expect((await sendFrom(app, badKey(22), '192.168.1.10', '198.51.100.9')).statusCode).toBe(401);
    expect((await sendFrom(app, INGEST_KEY, '10.1.2.3', '203.0.113.7')).statusCode).toBe(200);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const app = await start({ VIGIL_TRUST_PROXY: '10.0.0.0/8' });
    // An attacker rotating the header to escape the limit: it is not read, the peer is what counts.
    for (let i = 0; i < 20; i++) expect((await sendFrom(app, badKey(i), '192.0.2.50', `203.0.113.${i}`)).statusCode).toBe(401);
    expect((await sendFrom(app, badKey(20), '192.0.2.50', '203.0.113.200')).statusCode).toBe(429);
    // Nor can a forged header pin the failures on someone else: 203.0.113.5 was never limited.
    expect((await sendFrom(app, badKey(21), '10.1.2.3', '203.0.113.5')).statusCode).toBe(401);
  });

  it('ignores X-Forwarded-For by default', async () => {
    const app = await start();
    for (let i = 0; i < 20; i++) expect((await sendFrom(app, badKey(i), '10.1.2.3', `203.0.113.${i}`)).statusCode).toBe(401);
    expect((await sendFrom(app, badKey(20), '10.1.2.3', '203.0.113.200')).statusCode).toBe(429);
  });

  it('reads VIGIL_TRUST_PROXY as addresses and CIDR ranges, none by default', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ VIGIL_TRUST_PROXY: '10.0.0.0/8, 192.168.1.10,::1, fd00::/8' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.10',
      '::1',
      'fd00::/8',
    ]);
    for (const bad of ['proxy.internal', '10.0.0.0/33', '10.0.0/8', '10.0.0.0/8/1', 'fd00::/129', '10.0.0.0/', '10.0.0.0/8,']) {
      expect(() => loadConfig({ VIGIL_TRUST_PROXY: bad }), bad).toThrow(/^VIGIL_TRUST_PROXY: /);
    }
  });
});

describe('row 4: changing two-factor sign-in from a signed-in session', () => {
  /** An admin with two-factor sign-in on: the owner's session, a second session and their codes. */
  async function enrolled(app: TestApp) {
    const owner = await app.person('admin');
    const { secret } = (await owner.request('POST', '/v1/session/totp')).json();
    const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
    const codeAt = (ms: number) => totp.generate({ timestamp: ms });
    expect((await owner.request('POST', '/v1/session/totp/confirm', { code: codeAt(now) })).statusCode).toBe(200);
    now += 30_000;
    // A second session, as a stolen cookie or an unlocked screen would give an attacker.
    const other: SignedInPerson = await signIn(app.app, owner.email, PERSON_PASSWORD, codeAt(now));
    now += 30_000;
    /** A six-digit code that none of the accepted steps around now produces. */
    const wrongCode = (i: number) => {
      const valid = new Set([-60_000, -30_000, 0, 30_000, 60_000].map((d) => codeAt(now + d)));
      for (let n = i; ; n += 7919) {
        const code = String(n % 1_000_000).padStart(6, '0');
        if (!valid.has(code)) return code;
      }
    };
    return { owner, other, codeAt, wrongCode };
  }

  const secretOf = async (app: TestApp, email: string) =>
    (
      await app.system.database.db
        .selectFrom('people')
        .select(['totp_secret_sealed', 'totp_pending_sealed'])
        .where('email', '=', email)
        .executeTakeFirstOrThrow()
    ).totp_secret_sealed;

  it('refuses to replace an active secret without a current code, so the owner keeps their factor and sessions', async () => {
    const app = await start();
    const { owner, other, codeAt, wrongCode } = await enrolled(app);
    const before = await secretOf(app, owner.email);

    // The attack: a new secret from the other session, confirmed with the attacker's own app.
    const bare = await other.request('POST', '/v1/session/totp');
    expect(bare.statusCode).toBe(422);
    expect(bare.json().error).toMatchObject({ code: 'invalid_code', path: '/code' });
    const wrong = await other.request('POST', '/v1/session/totp', { code: wrongCode(1) });
    expect(wrong.statusCode).toBe(422);
    expect((await other.request('POST', '/v1/session/totp/confirm', { code: '123456' })).json().error.code).toBe('invalid_transition');
    expect(await secretOf(app, owner.email)).toBe(before);
    expect((await owner.request('GET', '/v1/session')).statusCode).toBe(200);

    // With a current code of the enrolled authenticator the owner may replace it.
    const replaced = await owner.request('POST', '/v1/session/totp', { code: codeAt(now) });
    expect(replaced.statusCode).toBe(200);
    const next = new TOTP({ secret: Secret.fromBase32(replaced.json().secret), algorithm: 'SHA1', digits: 6, period: 30 });
    expect((await owner.request('POST', '/v1/session/totp/confirm', { code: next.generate({ timestamp: now }) })).statusCode).toBe(200);
    expect(await secretOf(app, owner.email)).not.toBe(before);
  });

  it('answers 429 after five wrong codes on the two-factor routes, even to the right code, and audits it', async () => {
    const app = await start();
    const { owner, other, codeAt, wrongCode } = await enrolled(app);

    // The attack: before the fix DELETE /v1/session/totp took any number of wrong codes.
    for (let i = 0; i < 4; i++) {
      const res = await other.request('DELETE', '/v1/session/totp', { code: wrongCode(i) });
      expect(res.statusCode).toBe(422);
      expect(res.json().error.code).toBe('invalid_code');
    }
    expect((await other.request('POST', '/v1/session/totp', { code: wrongCode(4) })).statusCode).toBe(422);
    for (const [method, url] of [
      ['DELETE', '/v1/session/totp'],
      ['POST', '/v1/session/totp'],
    ] as const) {
      const blocked = await other.request(method, url, { code: codeAt(now) });
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().error.code).toBe('rate_limited');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(800);
    }
    expect((await owner.request('GET', '/v1/me')).statusCode).not.toBe(401);
    expect(await secretOf(app, owner.email)).not.toBeNull();

    const actions = (await app.get('/v1/audit')).json().entries.map((e: { action: string }) => e.action) as string[];
    expect(actions.filter((a) => a === 'person.totp_code_rejected')).toHaveLength(5);
    expect(actions.filter((a) => a === 'person.totp_change_blocked')).toHaveLength(1);

    now += 15 * 60_000;
    const off = await owner.request('DELETE', '/v1/session/totp', { code: codeAt(now) });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toEqual({ totpEnabled: false });
  });
});
