import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOidcSettings } from '../src/sso/oidc-settings.js';
import { startTestApp, type TestApp } from './support/app.js';
import { runningClock, TEST_NOW } from './support/clock.js';
import { OIDC_CLIENT_SECRET, startOidcProvider, type TestProvider } from './support/oidc-provider.js';

/**
 * Issue 20: single sign-on for staff with OpenID Connect, end to end against a real provider
 * (oidc-provider) on 127.0.0.1: Vigil's start redirects to it, its sign-in and consent pages are
 * filled in as a browser would, and its redirect back is handed to Vigil's callback with the flow
 * cookie. Vigil runs behind app.inject(); the provider is a real HTTP server it talks to.
 */

const REDIRECT = 'http://localhost:8080/v1/session/oidc/callback';
const ACCOUNTS = {
  ana: { email: 'ana@shop.example', groups: ['staff', 'vigil-analysts'] },
  bea: { email: 'bea@shop.example', groups: ['vigil-viewers', 'vigil-admins'] },
  carl: { email: 'carl@shop.example', groups: ['marketing'] },
  dora: { email: 'dora@shop.example', emailVerified: false, groups: ['vigil-admins'] },
  carol: { email: 'carol@example.com', groups: ['vigil-admins'] },
};

let provider: TestProvider;
let t: TestApp;
const logged: string[] = [];
const clock = runningClock(TEST_NOW);

beforeAll(async () => {
  provider = await startOidcProvider(ACCOUNTS, [REDIRECT]);
  const log = (m: string, e?: unknown) => logged.push(`${m} ${e instanceof Error ? e.message : ''}`);
  t = await startTestApp({ clock, env: provider.env(REDIRECT), logger: { info: log, warn: log, error: log } });
});
afterAll(async () => {
  await t?.close();
  await provider?.close();
});

/** A cookie jar for the provider's origin: name → value (its cookies have distinct names). */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = (pair as string).indexOf('=');
      const name = (pair as string).slice(0, eq);
      const value = (pair as string).slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

const setCookieOf = (res: LightMyRequestResponse, name: string): string | undefined =>
  [res.headers['set-cookie']].flat().find((c) => c?.startsWith(`${name}=`));

/**
 * Signs in at the provider as `login` (its development pages: login form, then consent) and returns
 * Vigil's callback answer.
 */
async function signInAs(login: string, tamper?: (callback: URL) => void): Promise<LightMyRequestResponse> {
  const start = await t.app.inject({ method: 'GET', url: '/v1/session/oidc' });
  expect(start.statusCode).toBe(302);
  const flowCookie = (setCookieOf(start, 'vigil_oidc') as string).split(';')[0] as string;
  let next = new URL(start.headers.location as string);
  expect(next.origin).toBe(provider.issuer);
  expect(next.searchParams.get('code_challenge_method')).toBe('S256');
  expect(next.searchParams.get('state')).toBeTruthy();
  expect(next.searchParams.get('nonce')).toBeTruthy();

  const jar = new Jar();
  let body: URLSearchParams | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (next.origin !== provider.issuer) break;
    const res = await fetch(next, {
      method: body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(body && { 'content-type': 'application/x-www-form-urlencoded' }) },
      ...(body && { body }),
    });
    jar.take(res);
    body = undefined;
    if (res.status >= 300 && res.status < 400) {
      next = new URL(res.headers.get('location') as string, next);
      continue;
    }
    // A page of the provider: the login form, then the consent form.
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`unexpected provider page ${res.status}: ${html.slice(0, 300)}`);
    next = new URL(action, next);
    body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
  }
  expect(next.href.startsWith(REDIRECT)).toBe(true);
  tamper?.(next);
  return t.app.inject({ method: 'GET', url: `${next.pathname}${next.search}`, headers: { cookie: flowCookie } });
}

async function sessionOf(callback: LightMyRequestResponse) {
  const cookie = (setCookieOf(callback, 'vigil_session') as string).split(';')[0] as string;
  const res = await t.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } });
  return { cookie, status: res.statusCode, body: res.json() };
}

describe('single sign-on with OpenID Connect', () => {
  it('tells the sign-in page that single sign-on is on', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/session/options' });
    expect(res.json()).toEqual({ password: true, sso: { label: 'Single sign-on', url: '/v1/session/oidc' } });
  });

  it('signs an analyst in with the role their groups map to, in the same session a password sign-in opens', async () => {
    const callback = await signInAs('ana');
    expect(callback.statusCode, callback.body).toBe(302);
    expect(callback.headers.location).toBe('/');
    const set = setCookieOf(callback, 'vigil_session') as string;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    const session = await sessionOf(callback);
    expect(session.status).toBe(200);
    expect(session.body.person).toMatchObject({ email: 'ana@shop.example', role: 'analyst', user: null });

    // The session works as any: an analyst may triage, not change rules; CSRF still applies.
    const headers = { cookie: session.cookie, 'x-csrf-token': session.body.csrfToken };
    const rule = await t.app.inject({ method: 'POST', url: '/v1/rules', headers, payload: {} });
    expect({ status: rule.statusCode, code: rule.json().error.code }).toEqual({ status: 403, code: 'forbidden' });
    const lock = await t.app.inject({
      method: 'POST',
      url: '/v1/accounts/mallory/lock',
      headers,
      payload: { scope: 'full', reason: 'SSO analyst test' },
    });
    expect(lock.statusCode).toBe(200);
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/v1/accounts/mallory/unlock',
      headers: { cookie: session.cookie },
      payload: {},
    });
    expect(noCsrf.json().error.code).toBe('csrf_failed');

    const audit = (await t.get('/v1/audit?action=person.signed_in&limit=50')).json();
    expect(
      audit.entries.some(
        (e: { actor: string; details: { via?: string } }) => e.actor.startsWith('ana@shop.example') && e.details.via === 'sso',
      ),
    ).toBe(true);
  });

  it('gives someone in several mapped groups the strongest role', async () => {
    const session = await sessionOf(await signInAs('bea'));
    expect(session.body.person.role).toBe('admin');
  });

  it('refuses someone whose groups map to no role: 403 sso_no_role, no session, audited', async () => {
    const callback = await signInAs('carl');
    expect({ status: callback.statusCode, code: callback.json().error.code }).toEqual({ status: 403, code: 'sso_no_role' });
    expect(setCookieOf(callback, 'vigil_session')).toBeUndefined();
    const people = (await t.get('/v1/people')).json().people as Array<{ email: string }>;
    expect(people.map((p) => p.email)).not.toContain('carl@shop.example');
    const audit = (await t.get('/v1/audit?action=person.sso_refused')).json();
    expect(audit.entries.map((e: { subject: string }) => e.subject)).toContain('email:carl@shop.example');
  });

  it('refuses an unverified email, and a member’s email (shoppers never become staff through a claim)', async () => {
    const unverified = await signInAs('dora');
    expect({ status: unverified.statusCode, code: unverified.json().error.code }).toEqual({ status: 401, code: 'sso_failed' });
    await t.system.people.create({ email: 'carol@example.com', password: 'a member password 123', role: 'member', user: 'carol' }, 'test');
    const member = await signInAs('carol');
    expect({ status: member.statusCode, code: member.json().error.code }).toEqual({ status: 403, code: 'sso_no_role' });
    const carol = (await t.get('/v1/people')).json().people.find((p: { email: string }) => p.email === 'carol@example.com');
    expect(carol.role).toBe('member');
  });

  it('refuses a callback whose state is not the one this browser started with (login CSRF), or without the flow cookie', async () => {
    const swapped = await signInAs('ana', (callback) => callback.searchParams.set('state', 'attacker-state'));
    expect({ status: swapped.statusCode, code: swapped.json().error.code }).toEqual({ status: 401, code: 'sso_failed' });
    const bare = await t.app.inject({ method: 'GET', url: '/v1/session/oidc/callback?code=x&state=y' });
    expect({ status: bare.statusCode, code: bare.json().error.code }).toEqual({ status: 401, code: 'sso_failed' });
    const forged = await t.app.inject({
      method: 'GET',
      url: '/v1/session/oidc/callback?code=x&state=y',
      headers: {
        cookie: `vigil_oidc=${Buffer.from('{"state":"y","nonce":"n","verifier":"v","expiresAt":9e15}').toString('base64url')}.AAAA`,
      },
    });
    expect(forged.json().error.code).toBe('sso_failed');
  });

  it('never logs or answers the client secret', async () => {
    const seen = [...logged, JSON.stringify((await t.get('/v1/audit?limit=200')).json())].join('\n');
    expect(seen).not.toContain(OIDC_CLIENT_SECRET);
    const options = await t.app.inject({ method: 'GET', url: '/v1/session/options' });
    expect(options.body).not.toContain(OIDC_CLIENT_SECRET);
  });

  it('keeps password sign-in', async () => {
    const admin = await t.person('admin');
    expect((await admin.request('GET', '/v1/session')).statusCode).toBe(200);
  });
});

describe('the issuer is the only host sign-in talks to', () => {
  it('refuses an issuer on an internal address unless allowed explicitly: 503 sso_unavailable, nothing sent', async () => {
    const env = provider.env(REDIRECT);
    // https (needed without the allowance) to the provider's loopback address: the guard refuses it before connecting.
    const strict = await startTestApp({
      clock,
      env: { ...env, VIGIL_OIDC_ISSUER: provider.issuer.replace('http:', 'https:'), VIGIL_OIDC_ALLOW_INTERNAL_ISSUER: 'false' },
    });
    try {
      const res = await strict.app.inject({ method: 'GET', url: '/v1/session/oidc' });
      expect({ status: res.statusCode, code: res.json().error.code }).toEqual({ status: 503, code: 'sso_unavailable' });
    } finally {
      await strict.close();
    }
  });
});

describe('VIGIL_OIDC_* checked at boot', () => {
  const base = {
    VIGIL_OIDC_ISSUER: 'https://login.example.com',
    VIGIL_OIDC_CLIENT_ID: 'vigil',
    VIGIL_OIDC_CLIENT_SECRET: 's3cret',
    VIGIL_OIDC_REDIRECT_URL: 'https://vigil.example.com/v1/session/oidc/callback',
    VIGIL_OIDC_ROLES: 'vigil-admins:admin,urn:corp:analysts:analyst',
  };
  const problem = (env: Record<string, string | undefined>) => {
    const parsed = parseOidcSettings(env);
    return parsed.ok ? undefined : parsed.error.variable;
  };

  it('is off without an issuer, and refuses half a configuration naming the variable', () => {
    expect(parseOidcSettings({})).toEqual({ ok: true, value: undefined });
    expect(problem({ VIGIL_OIDC_CLIENT_ID: 'vigil' })).toBe('VIGIL_OIDC_ISSUER');
    expect(problem({ ...base, VIGIL_OIDC_CLIENT_SECRET: '' })).toBe('VIGIL_OIDC_CLIENT_SECRET');
  });

  it('refuses plain http without the internal allowance, a wrong callback path, and roles that are not staff roles', () => {
    expect(problem({ ...base, VIGIL_OIDC_ISSUER: 'http://login.example.com' })).toBe('VIGIL_OIDC_ISSUER');
    expect(problem({ ...base, VIGIL_OIDC_REDIRECT_URL: 'https://vigil.example.com/callback' })).toBe('VIGIL_OIDC_REDIRECT_URL');
    expect(problem({ ...base, VIGIL_OIDC_ROLES: 'shoppers:member' })).toBe('VIGIL_OIDC_ROLES');
    expect(problem({ ...base, VIGIL_OIDC_ROLES: 'nothing' })).toBe('VIGIL_OIDC_ROLES');
  });

  it('maps claim values that hold colons', () => {
    const parsed = parseOidcSettings(base);
    expect(parsed.ok && [...(parsed.value?.roles ?? [])]).toEqual([
      ['vigil-admins', 'admin'],
      ['urn:corp:analysts', 'analyst'],
    ]);
  });

  it('stops the boot on a wrong value', async () => {
    await expect(startTestApp({ env: { ...base, VIGIL_OIDC_ROLES: 'x:superuser' } })).rejects.toThrow(/VIGIL_OIDC_ROLES/);
  });
});
