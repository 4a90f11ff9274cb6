import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/core/clock.js';
import { ADMIN_KEY, INGEST_KEY, startTestApp, type TestApp } from './support/app.js';

/** The allow and block lists through the API: create, list, validation, removal, audit, expiry. */
let t: TestApp;
let now = Date.parse('2026-11-24T12:00:00Z');
const clock: Clock = { now: () => now };
beforeEach(async () => {
  now = Date.parse('2026-11-24T12:00:00Z');
  t = await startTestApp({ clock });
});
afterEach(async () => t.close());

const call = (method: 'POST' | 'GET' | 'DELETE', url: string, body?: unknown, key = ADMIN_KEY) =>
  t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}` },
    ...(body !== undefined && { payload: body as object }),
  });

const detection = (fields: Record<string, unknown>) => ({
  id: 'evt_x',
  type: 'login.succeeded' as const,
  user: 'alice',
  occurredAt: now,
  enrichment: { novelty: { hasHistory: true, newDevice: null, newCountry: null, newNetwork: null } },
  ...fields,
});

describe('POST /v1/lists', () => {
  it('adds a block entry for a CIDR, normalised, in force at once, and audited', async () => {
    const res = await call('POST', '/v1/lists', {
      list: 'block',
      kind: 'ip',
      value: '203.0.113.77/24',
      reason: 'Card testing from this range',
    });
    expect(res.statusCode).toBe(201);
    const entry = res.json();
    expect(entry).toEqual({
      id: expect.stringMatching(/^lst_/),
      list: 'block',
      kind: 'ip',
      value: '203.0.113.0/24',
      reason: 'Card testing from this range',
      rules: [],
      createdBy: expect.stringContaining('admin key'),
      createdAt: '2026-11-24T12:00:00.000Z',
      expiresAt: null,
      expired: false,
    });
    const m = t.system.lists.matches(detection({ ip: '203.0.113.200' }), now);
    expect(m.block.map((e) => e.id)).toEqual([entry.id]);

    const audit = (await t.get(`/v1/audit?subject=${encodeURIComponent(`list:${entry.id}`)}`)).json().entries;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'list.entry_added',
      actor: expect.stringContaining('admin key'),
      details: { list: 'block', kind: 'ip', value: '203.0.113.0/24', reason: 'Card testing from this range', rules: [], expiresAt: null },
    });
  });

  it('adds an allow entry for an email domain naming rules, with an expiry', async () => {
    const res = await call('POST', '/v1/lists', {
      list: 'allow',
      kind: 'email_domain',
      value: 'Staff.Example.COM',
      reason: 'Our own testers',
      rules: ['impossible-travel', 'large-transaction'],
      expiresAt: '2026-11-25T12:00:00+01:00',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      value: 'staff.example.com',
      rules: ['impossible-travel', 'large-transaction'],
      expiresAt: '2026-11-25T11:00:00.000Z',
    });
    expect(t.system.lists.matches(detection({ email: 'qa@eu.staff.example.com' }), now).allow).toHaveLength(1);
  });

  const invalid: Array<{ name: string; body: Record<string, unknown>; code: string; path: string }> = [
    { name: 'a missing value', body: { list: 'block', kind: 'ip', reason: 'x' }, code: 'invalid_body', path: '/value' },
    { name: 'an unknown list', body: { list: 'grey', kind: 'ip', value: '1.2.3.4', reason: 'x' }, code: 'invalid_body', path: '/list' },
    { name: 'an unknown kind', body: { list: 'block', kind: 'phone', value: '1', reason: 'x' }, code: 'invalid_body', path: '/kind' },
    {
      name: 'an unknown field',
      body: { list: 'block', kind: 'ip', value: '1.2.3.4', reason: 'x', note: 1 },
      code: 'invalid_body',
      path: '/note',
    },
    { name: 'a bad address', body: { list: 'block', kind: 'ip', value: '1.2.3.4/33', reason: 'x' }, code: 'invalid_body', path: '/value' },
    { name: 'a bad email', body: { list: 'block', kind: 'email', value: 'nobody', reason: 'x' }, code: 'invalid_body', path: '/value' },
    {
      name: 'a bad domain',
      body: { list: 'block', kind: 'email_domain', value: 'no_pe', reason: 'x' },
      code: 'invalid_body',
      path: '/value',
    },
    {
      name: 'a bad country',
      body: { list: 'block', kind: 'country', value: 'Germany', reason: 'x' },
      code: 'invalid_body',
      path: '/value',
    },
    {
      name: 'a long device',
      body: { list: 'block', kind: 'device', value: 'd'.repeat(257), reason: 'x' },
      code: 'invalid_body',
      path: '/value',
    },
    { name: 'an empty reason', body: { list: 'block', kind: 'user', value: 'bob', reason: '' }, code: 'invalid_body', path: '/reason' },
    { name: 'a blank reason', body: { list: 'block', kind: 'user', value: 'bob', reason: '   ' }, code: 'invalid_body', path: '/reason' },
    {
      name: 'a long reason',
      body: { list: 'block', kind: 'user', value: 'bob', reason: 'r'.repeat(501) },
      code: 'invalid_body',
      path: '/reason',
    },
    {
      name: 'rules on a block entry',
      body: { list: 'block', kind: 'user', value: 'bob', reason: 'x', rules: ['impossible-travel'] },
      code: 'invalid_body',
      path: '/rules',
    },
    {
      name: 'an unknown rule',
      body: { list: 'allow', kind: 'user', value: 'bob', reason: 'x', rules: ['impossible-travel', 'no-such-rule'] },
      code: 'invalid_body',
      path: '/rules/1',
    },
    {
      name: 'a rule twice',
      body: { list: 'allow', kind: 'user', value: 'bob', reason: 'x', rules: ['impossible-travel', 'impossible-travel'] },
      code: 'invalid_body',
      path: '/rules/1',
    },
    {
      name: 'an expiry without a zone',
      body: { list: 'block', kind: 'user', value: 'bob', reason: 'x', expiresAt: '2026-12-01T00:00:00' },
      code: 'invalid_body',
      path: '/expiresAt',
    },
    {
      name: 'an expiry now',
      body: { list: 'block', kind: 'user', value: 'bob', reason: 'x', expiresAt: '2026-11-24T12:00:00Z' },
      code: 'invalid_body',
      path: '/expiresAt',
    },
    {
      name: 'an expiry in the past',
      body: { list: 'block', kind: 'user', value: 'bob', reason: 'x', expiresAt: '2020-01-01T00:00:00Z' },
      code: 'invalid_body',
      path: '/expiresAt',
    },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name} with 400 ${c.code} at ${c.path}`, async () => {
      const res = await call('POST', '/v1/lists', c.body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: c.code, path: c.path, message: expect.any(String) });
      expect(t.system.lists.size).toBe(0);
    });
  }

  it('refuses a body that is not an object, and broken JSON, without a 500', async () => {
    expect((await call('POST', '/v1/lists', [1, 2])).statusCode).toBe(400);
    const broken = await t.app.inject({
      method: 'POST',
      url: '/v1/lists',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      payload: '{"list":',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('invalid_json');
  });
});

describe('GET /v1/lists', () => {
  it('lists entries newest first, filters by list and kind, and shows expired ones only when asked', async () => {
    const add = async (body: Record<string, unknown>) => {
      const res = await call('POST', '/v1/lists', body);
      expect(res.statusCode).toBe(201);
      now += 1000;
      return res.json().id as string;
    };
    const cidr = await add({ list: 'block', kind: 'ip', value: '10.0.0.0/8', reason: 'a' });
    const soon = await add({ list: 'allow', kind: 'user', value: 'qa-bot', reason: 'b', expiresAt: '2026-11-24T13:00:00Z' });
    const country = await add({ list: 'block', kind: 'country', value: 'kp', reason: 'c' });

    const all = (await call('GET', '/v1/lists')).json().entries;
    expect(all.map((e: { id: string }) => e.id)).toEqual([country, soon, cidr]);
    expect((await call('GET', '/v1/lists?list=block')).json().entries.map((e: { id: string }) => e.id)).toEqual([country, cidr]);
    expect((await call('GET', '/v1/lists?kind=user')).json().entries.map((e: { id: string }) => e.id)).toEqual([soon]);

    // Expiry at 13:00 exactly: from then on, it is no longer in force nor listed by default.
    now = Date.parse('2026-11-24T13:00:00Z');
    expect(t.system.lists.matches(detection({ user: 'qa-bot' }), now).allow).toEqual([]);
    expect(t.system.lists.matches(detection({ user: 'qa-bot' }), now - 1).allow).toHaveLength(1);
    expect((await call('GET', '/v1/lists')).json().entries.map((e: { id: string }) => e.id)).toEqual([country, cidr]);
    const withExpired = (await call('GET', '/v1/lists?includeExpired=true')).json().entries;
    expect(withExpired.map((e: { id: string; expired: boolean }) => [e.id, e.expired])).toEqual([
      [country, false],
      [soon, true],
      [cidr, false],
    ]);
  });

  it('refuses a bad filter with 400 invalid_query', async () => {
    const res = await call('GET', '/v1/lists?kind=phone');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_query');
  });
});

describe('DELETE /v1/lists/:id', () => {
  it('removes an entry: out of force, out of the list, audited; a second removal is not found', async () => {
    const id = (await call('POST', '/v1/lists', { list: 'block', kind: 'device', value: 'emulator-7', reason: 'Fraud ring' })).json().id;
    expect(t.system.lists.matches(detection({ device: 'emulator-7' }), now).block).toHaveLength(1);
    now += 60_000;
    const removed = await call('DELETE', `/v1/lists/${id}`);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ id, kind: 'device', value: 'emulator-7' });
    expect(t.system.lists.matches(detection({ device: 'emulator-7' }), now).block).toEqual([]);
    expect((await call('GET', '/v1/lists?includeExpired=true')).json().entries).toEqual([]);

    const again = await call('DELETE', `/v1/lists/${id}`);
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('not_found');
    expect((await call('DELETE', '/v1/lists/lst_nothing')).statusCode).toBe(404);

    const audit = (await t.get(`/v1/audit?subject=${encodeURIComponent(`list:${id}`)}`)).json().entries;
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['list.entry_removed', 'list.entry_added']);
    expect(audit[0].details).toEqual({ list: 'block', kind: 'device', value: 'emulator-7' });
    const row = await t.system.database.db.selectFrom('list_entries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ removed_at: now, removed_by: expect.stringContaining('admin key') });
  });
});

describe('persistence', () => {
  it('loads the entries not removed into a new system’s book', async () => {
    await call('POST', '/v1/lists', { list: 'block', kind: 'ip', value: '2001:db8:abcd::/48', reason: 'a' });
    const gone = (await call('POST', '/v1/lists', { list: 'block', kind: 'user', value: 'mallory', reason: 'b' })).json().id;
    await call('DELETE', `/v1/lists/${gone}`);
    const { ListBook } = await import('../src/detect/lists.js');
    const { ListService } = await import('../src/lists/list-service.js');
    const { SqlListStore } = await import('../src/store/list-store.js');
    const book = new ListBook();
    const service = new ListService({
      store: new SqlListStore(t.system.database),
      book,
      audit: t.system.audit,
      clock,
      ruleExists: () => true,
    });
    expect(await service.load()).toEqual([]);
    expect(book.entries().map((e) => e.value)).toEqual(['2001:db8:abcd::/48']);
    expect(book.matches(detection({ ip: '2001:db8:abcd:1::9' }), now).block).toHaveLength(1);
  });
});

describe('authorization', () => {
  it('is for admins only', async () => {
    const body = { list: 'block', kind: 'user', value: 'bob', reason: 'x' };
    expect((await call('GET', '/v1/lists', undefined, INGEST_KEY)).statusCode).toBe(403);
    expect((await call('POST', '/v1/lists', body, INGEST_KEY)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/v1/lists' })).statusCode).toBe(401);
    const member = await t.person('member', 'bob');
    expect((await member.request('POST', '/v1/lists', body)).statusCode).toBe(403);
    const admin = await t.person('admin');
    const created = await admin.request('POST', '/v1/lists', body);
    expect(created.statusCode).toBe(201);
    expect(created.json().createdBy).toContain(admin.email);
  });
});
