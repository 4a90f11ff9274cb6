import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKey } from '../src/auth/api-keys.js';
import type { Clock } from '../src/core/clock.js';
import { ADMIN_KEY, INGEST_KEY, startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
let now = Date.parse('2026-11-24T12:00:00Z');
const clock: Clock = { now: () => now };
beforeEach(async () => {
  now = Date.parse('2026-11-24T12:00:00Z');
  t = await startTestApp({ clock });
});
afterEach(async () => t.close());

const event = { type: 'logout', user: 'alice' };

describe('API keys', () => {
  it('answers 401 without a key, with an unknown key, and with a malformed header', async () => {
    const none = await t.app.inject({ method: 'POST', url: '/v1/events', payload: event });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('unauthorized');
    expect((await t.send(event, { key: 'vgl_ingest_not-a-real-key-at-all-000000000' })).statusCode).toBe(401);
    const basic = await t.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: event,
      headers: { authorization: `Basic ${INGEST_KEY}` },
    });
    expect(basic.statusCode).toBe(401);
    expect(await t.system.events.countEvents()).toBe(0);
  });

  it('answers 403 to an ingest key on an admin route, and lets the admin key in', async () => {
    const r = await t.get('/v1/users/alice/events', INGEST_KEY);
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('forbidden');
    expect((await t.get('/v1/users/alice/events', ADMIN_KEY)).statusCode).toBe(200);
    for (const url of ['/v1/snoozes', '/v1/me/snoozes']) {
      const res = await t.get(url, INGEST_KEY);
      expect({ url, status: res.statusCode, code: res.json().error.code }).toEqual({ url, status: 403, code: 'forbidden' });
    }
    expect((await t.get('/v1/snoozes', ADMIN_KEY)).statusCode).toBe(200);
    for (const [method, url] of [
      ['GET', '/v1/snoozes'],
      ['POST', '/v1/snoozes'],
      ['DELETE', '/v1/snoozes/snz_1'],
      ['GET', '/v1/me/snoozes'],
      ['POST', '/v1/me/snoozes'],
      ['DELETE', '/v1/me/snoozes/snz_1'],
    ] as const) {
      const res = await t.app.inject({ method, url, ...(method === 'POST' && { payload: {} }) });
      expect({ method, url, status: res.statusCode }).toEqual({ method, url, status: 401 });
    }
  });

  it('keeps rule modes to admin keys: shadowing and promoting a rule', async () => {
    for (const url of ['/v1/rules/large-transaction/shadow', '/v1/rules/large-transaction/promote']) {
      const none = await t.app.inject({ method: 'POST', url });
      const ingest = await t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${INGEST_KEY}` } });
      expect({ url, none: none.statusCode, ingest: ingest.statusCode }).toEqual({ url, none: 401, ingest: 403 });
    }
    expect(t.system.rules.ruleSet.get('large-transaction')?.mode).toBe('live');
    const shadowed = await t.app.inject({
      method: 'POST',
      url: '/v1/rules/large-transaction/shadow',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(shadowed.statusCode).toBe(200);
  });

  it('refuses the allow and block list routes to ingest keys and anonymous callers', async () => {
    const body = { list: 'block', kind: 'user', value: 'bob', reason: 'x' };
    for (const [method, url] of [
      ['GET', '/v1/lists'],
      ['POST', '/v1/lists'],
      ['DELETE', '/v1/lists/lst_1'],
    ] as const) {
      const payload = method === 'POST' ? { payload: body } : {};
      const anonymous = await t.app.inject({ method, url, ...payload });
      expect({ url, method, status: anonymous.statusCode }).toEqual({ url, method, status: 401 });
      const ingest = await t.app.inject({ method, url, headers: { authorization: `Bearer ${INGEST_KEY}` }, ...payload });
      expect({ url, method, status: ingest.statusCode, code: ingest.json().error.code }).toEqual({
        url,
        method,
        status: 403,
        code: 'forbidden',
      });
    }
    expect(t.system.lists.size).toBe(0);
  });

  it('lets an admin key send events too', async () => {
    expect((await t.send(event, { key: ADMIN_KEY })).statusCode).toBe(200);
  });

  it('stores keys hashed: neither the configured secrets nor created ones are in the database', async () => {
    const created = generateKey('ingest', 'ci', clock);
    await t.system.apiKeys.ensure(created.key, created.secretHash);
    expect((await t.send(event, { key: created.secret })).statusCode).toBe(200);
    const rows = await t.system.database.db.selectFrom('api_keys').selectAll().execute();
    const dump = JSON.stringify(rows);
    for (const secret of [INGEST_KEY, ADMIN_KEY, created.secret]) expect(dump).not.toContain(secret);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.secret_hash))).toBe(true);
  });

  it('refuses a revoked key', async () => {
    const created = generateKey('ingest', 'to revoke', clock);
    const key = await t.system.apiKeys.ensure(created.key, created.secretHash);
    await t.system.apiKeys.revoke(key.id, now);
    expect((await t.send(event, { key: created.secret })).statusCode).toBe(401);
  });

  it('rate-limits the failing keys of an address that keeps failing, until the window passes; a good key still gets in', async () => {
    for (let i = 0; i < 20; i++) expect((await t.send(event, { key: `wrong-key-${i}-xxxxxxxxxxxxxxxx` })).statusCode).toBe(401);
    const limited = await t.send(event, { key: 'wrong-key-20-xxxxxxxxxxxxxxxx' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.send(event)).statusCode).toBe(200);
    now += 61_000;
    expect((await t.send(event, { key: 'wrong-key-21-xxxxxxxxxxxxxxxx' })).statusCode).toBe(401);
  });

  it('never echoes a key in an error', async () => {
    const secret = 'vgl_ingest_guess-guess-guess-guess-guess-guess';
    const r = await t.send(event, { key: secret });
    expect(r.body).not.toContain(secret);
  });
});

describe('public routes', () => {
  it('serves /healthz and /docs without a key, and 404s unknown routes with the error shape', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ status: 'ok' });
    const missing = await t.app.inject({ method: 'GET', url: '/v1/nothing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'not_found', requestId: expect.stringMatching(/^req_/) });
  });
});
