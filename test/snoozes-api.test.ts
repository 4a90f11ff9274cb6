import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/core/clock.js';
import { ADMIN_KEY, INGEST_KEY, startTestApp, type TestApp } from './support/app.js';

const START = Date.parse('2026-11-24T12:00:00Z');
const DAY = 86_400_000;
let now = START;
const clock: Clock = { now: () => now };
const at = (ms: number) => new Date(ms).toISOString();

let t: TestApp;
beforeEach(async () => {
  now = START;
  t = await startTestApp({ clock });
});
afterEach(async () => t.close());

const admin = (method: 'POST' | 'GET' | 'DELETE', url: string, body?: unknown, key = ADMIN_KEY) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(body !== undefined && { payload: body as object }) });

const travelling = { rule: 'impossible-travel', until: '2026-12-20T00:00:00+09:00', reason: 'Travelling to Japan until the 20th' };

async function auditOf(user: string) {
  const res = await t.get(`/v1/audit?subject=${encodeURIComponent(`user:${user}`)}`);
  expect(res.statusCode).toBe(200);
  return res.json().entries as Array<{ action: string; actor: string; subject: string; details: Record<string, unknown> }>;
}

describe('admin snoozes', () => {
  it('creates, lists, filters and cancels a snooze, putting it in and out of force, audited', async () => {
    const created = await admin('POST', '/v1/snoozes', {
      rule: 'card-testing',
      user: 'alice',
      until: at(START + 7 * DAY),
      reason: 'load test',
    });
    expect(created.statusCode).toBe(201);
    const snooze = created.json();
    expect(snooze).toMatchObject({
      id: expect.stringMatching(/^snz_/),
      rule: 'card-testing',
      user: 'alice',
      until: at(START + 7 * DAY),
      reason: 'load test',
      active: true,
      createdAt: at(START),
      createdBy: expect.stringContaining('admin key'),
      cancelledAt: null,
    });
    expect(t.system.snoozes.book.snoozed('card-testing', 'alice', START + DAY)?.id).toBe(snooze.id);

    await admin('POST', '/v1/snoozes', { rule: 'impossible-travel', user: 'bob', until: at(START + DAY), reason: 'trip' });
    expect((await admin('GET', '/v1/snoozes')).json().snoozes).toHaveLength(2);
    expect((await admin('GET', '/v1/snoozes?user=alice')).json().snoozes.map((s: { id: string }) => s.id)).toEqual([snooze.id]);
    expect((await admin('GET', '/v1/snoozes?rule=impossible-travel')).json().snoozes.map((s: { user: string }) => s.user)).toEqual(['bob']);

    const cancelled = await admin('DELETE', `/v1/snoozes/${snooze.id}`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({
      id: snooze.id,
      active: false,
      cancelledAt: at(START),
      cancelledBy: expect.stringContaining('admin key'),
    });
    expect(t.system.snoozes.book.snoozed('card-testing', 'alice', START + DAY)).toBeUndefined();
    const again = await admin('DELETE', `/v1/snoozes/${snooze.id}`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('invalid_transition');
    expect((await admin('DELETE', '/v1/snoozes/snz_nothing')).statusCode).toBe(404);

    const active = (await admin('GET', '/v1/snoozes?active=true')).json().snoozes;
    expect(active.map((s: { user: string }) => s.user)).toEqual(['bob']);
    // Past its end a snooze is no longer active, in the list and in the book.
    now = START + DAY;
    expect((await admin('GET', '/v1/snoozes?active=true')).json().snoozes).toEqual([]);
    expect(t.system.snoozes.book.snoozed('impossible-travel', 'bob', now)).toBeUndefined();

    const entries = await auditOf('alice');
    expect(entries.map((e) => e.action).sort()).toEqual(['snooze.cancelled', 'snooze.created']);
    expect(entries.find((e) => e.action === 'snooze.created')?.details).toMatchObject({
      snoozeId: snooze.id,
      rule: 'card-testing',
      until: at(START + 7 * DAY),
      reason: 'load test',
    });
  });

  it('refuses bad input with a stable code and path, never a 500', async () => {
    const good = { rule: 'impossible-travel', user: 'alice', until: at(START + DAY), reason: 'trip' };
    const cases: Array<[unknown, number, string, string]> = [
      [{ ...good, rule: 'no-such-rule' }, 400, 'invalid_body', '/rule'],
      [{ ...good, until: 'next tuesday' }, 400, 'invalid_timestamp', '/until'],
      [{ ...good, until: '2026-12-01T10:00:00' }, 400, 'invalid_timestamp', '/until'],
      [{ ...good, until: at(START - 1) }, 400, 'invalid_body', '/until'],
      [{ ...good, until: at(START) }, 400, 'invalid_body', '/until'],
      [{ ...good, until: at(START + 90 * DAY + 1) }, 400, 'invalid_body', '/until'],
      [{ ...good, reason: '' }, 400, 'invalid_body', '/reason'],
      [{ ...good, reason: '   ' }, 400, 'invalid_body', '/reason'],
      [{ ...good, reason: 'x'.repeat(501) }, 400, 'invalid_body', '/reason'],
      [{ rule: 'impossible-travel', until: at(START + DAY), reason: 'trip' }, 400, 'invalid_body', '/user'],
      [{ ...good, extra: 1 }, 400, 'invalid_body', '/extra'],
      [{ ...good, until: 5 }, 400, 'invalid_timestamp', '/until'],
      [{ ...good, until: { at: 'x' } }, 400, 'invalid_body', '/until'],
    ];
    for (const [body, status, code, path] of cases) {
      const res = await admin('POST', '/v1/snoozes', body);
      expect({ body, status: res.statusCode, code: res.json().error?.code, path: res.json().error?.path }).toEqual({
        body,
        status,
        code,
        path,
      });
    }
    expect((await admin('POST', '/v1/snoozes', { ...good, until: at(START + 90 * DAY) })).statusCode).toBe(201);
    const badQuery = await admin('GET', '/v1/snoozes?active=maybe');
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().error.code).toBe('invalid_query');
    expect((await auditOf('alice')).map((e) => e.action)).toEqual(['snooze.created']);
  });

  it('keeps snoozes across a restart: those in force are back in the book', async () => {
    const created = (
      await admin('POST', '/v1/snoozes', { rule: 'impossible-travel', user: 'alice', until: at(START + DAY), reason: 'trip' })
    ).json();
    const cancelled = (
      await admin('POST', '/v1/snoozes', { rule: 'new-login-context', user: 'alice', until: at(START + DAY), reason: 'x' })
    ).json();
    await admin('DELETE', `/v1/snoozes/${cancelled.id}`);
    const again = await startTestAppOn(t);
    try {
      expect(again.snoozes.book.snoozed('impossible-travel', 'alice', START + 1)?.id).toBe(created.id);
      expect(again.snoozes.book.snoozed('new-login-context', 'alice', START + 1)).toBeUndefined();
    } finally {
      await again.close();
    }
  });
});

/** A second system on the same database, as after a restart. */
async function startTestAppOn(first: TestApp) {
  const { createSystem } = await import('../src/system.js');
  const { sharedGeoIp } = await import('./support/app.js');
  return createSystem(first.config, { clock, geoIp: await sharedGeoIp(), logger: { info() {}, warn() {}, error() {} } });
}

describe('member snoozes', () => {
  it('lets a member snooze an allowed rule on their own account, list it and cancel it', async () => {
    const alice = await t.person('member', 'alice');
    const created = await alice.request('POST', '/v1/me/snoozes', travelling);
    expect(created.statusCode).toBe(201);
    const snooze = created.json();
    expect(snooze).toMatchObject({ rule: 'impossible-travel', user: 'alice', until: '2026-12-19T15:00:00.000Z', active: true });
    // Who set it is not shown to the member.
    expect(snooze).not.toHaveProperty('createdBy');
    expect(t.system.snoozes.book.snoozed('impossible-travel', 'alice', START + DAY)?.id).toBe(snooze.id);

    const listed = (await alice.request('GET', '/v1/me/snoozes')).json();
    expect(listed.snoozes.map((s: { id: string }) => s.id)).toEqual([snooze.id]);
    expect(listed.rules).toEqual(['new-login-context', 'impossible-travel', 'behaviour-anomaly']);

    const cancelled = await alice.request('DELETE', `/v1/me/snoozes/${snooze.id}`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ id: snooze.id, active: false });
    expect(t.system.snoozes.book.snoozed('impossible-travel', 'alice', START + DAY)).toBeUndefined();
    expect((await alice.request('GET', '/v1/me/snoozes?active=true')).json().snoozes).toEqual([]);

    const entries = await auditOf('alice');
    expect(entries.map((e) => [e.action, e.actor])).toEqual(
      expect.arrayContaining([
        ['snooze.created', expect.stringContaining(alice.email)],
        ['snooze.cancelled', expect.stringContaining(alice.email)],
      ]),
    );
    expect(entries.find((e) => e.action === 'snooze.created')?.details).toMatchObject({ by: 'member', rule: 'impossible-travel' });
  });

  it('refuses a rule a member may not snooze, with a stable code, and the member limits', async () => {
    const alice = await t.person('member', 'alice');
    for (const rule of ['card-testing', 'account-takeover-chain', 'credential-stuffing', 'large-transaction']) {
      const res = await alice.request('POST', '/v1/me/snoozes', { ...travelling, rule });
      expect({ rule, status: res.statusCode, code: res.json().error.code, path: res.json().error.path }).toEqual({
        rule,
        status: 403,
        code: 'rule_not_snoozable',
        path: '/rule',
      });
    }
    const unknown = await alice.request('POST', '/v1/me/snoozes', { ...travelling, rule: 'nope' });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([400, 'invalid_body']);
    // 30 days at most for members.
    const far = await alice.request('POST', '/v1/me/snoozes', { ...travelling, until: at(START + 30 * DAY + 1) });
    expect([far.statusCode, far.json().error.code, far.json().error.path]).toEqual([400, 'invalid_body', '/until']);
    // A member cannot name another account: the user comes from the session.
    const other = await alice.request('POST', '/v1/me/snoozes', { ...travelling, user: 'bob' });
    expect([other.statusCode, other.json().error.path]).toEqual([400, '/user']);

    for (let i = 0; i < 5; i++) {
      const res = await alice.request('POST', '/v1/me/snoozes', { ...travelling, until: at(START + (i + 1) * 3_600_000) });
      expect(res.statusCode).toBe(201);
    }
    const sixth = await alice.request('POST', '/v1/me/snoozes', travelling);
    expect([sixth.statusCode, sixth.json().error.code]).toEqual([409, 'too_many_snoozes']);
    // Once one has ended, there is room again.
    now = START + 3_600_000;
    expect((await alice.request('POST', '/v1/me/snoozes', travelling)).statusCode).toBe(201);
    expect(t.system.snoozes.book.activeFor('alice', now)).toHaveLength(5);
    // Nothing refused was audited: the five and the one after.
    expect((await auditOf('alice')).filter((e) => e.action === 'snooze.created')).toHaveLength(6);
  });

  it('cannot see or cancel another member’s snooze, nor an admin’s snooze of a rule members cannot set', async () => {
    const alice = await t.person('member', 'alice');
    const bob = await t.person('member', 'bob');
    const bobs = (await bob.request('POST', '/v1/me/snoozes', { ...travelling, rule: 'new-login-context' })).json();
    const adminsOnAlice = (
      await admin('POST', '/v1/snoozes', { rule: 'card-testing', user: 'alice', until: at(START + DAY), reason: 'merchant test' })
    ).json();

    expect((await alice.request('GET', '/v1/me/snoozes')).json().snoozes).toEqual([]);
    for (const id of [bobs.id, adminsOnAlice.id, 'snz_nothing']) {
      const res = await alice.request('DELETE', `/v1/me/snoozes/${id}`);
      expect({ id, status: res.statusCode, code: res.json().error.code }).toEqual({ id, status: 404, code: 'not_found' });
    }
    expect(t.system.snoozes.book.snoozed('new-login-context', 'bob', START + 1)?.id).toBe(bobs.id);
    expect(t.system.snoozes.book.snoozed('card-testing', 'alice', START + 1)?.id).toBe(adminsOnAlice.id);
    expect((await bob.request('GET', '/v1/me/snoozes')).json().snoozes.map((s: { id: string }) => s.id)).toEqual([bobs.id]);
  });
});

describe('who may call the snooze routes', () => {
  it('admin routes: admins only; member routes: members only, with CSRF', async () => {
    const member = await t.person('member', 'alice');
    const staff = await t.person('admin');
    const body = { rule: 'impossible-travel', user: 'alice', until: at(START + DAY), reason: 'trip' };

    // Anonymous.
    for (const [method, url] of [
      ['GET', '/v1/snoozes'],
      ['POST', '/v1/snoozes'],
      ['DELETE', '/v1/snoozes/snz_1'],
      ['GET', '/v1/me/snoozes'],
      ['POST', '/v1/me/snoozes'],
      ['DELETE', '/v1/me/snoozes/snz_1'],
    ] as const) {
      const res = await t.app.inject({ method, url, ...(method === 'POST' && { payload: body }) });
      expect({ method, url, status: res.statusCode }).toEqual({ method, url, status: 401 });
    }
    // Ingest key: neither.
    for (const [method, url] of [
      ['GET', '/v1/snoozes'],
      ['POST', '/v1/snoozes'],
      ['DELETE', '/v1/snoozes/snz_1'],
      ['GET', '/v1/me/snoozes'],
    ] as const) {
      const res = await admin(method, url, method === 'POST' ? body : undefined, INGEST_KEY);
      expect({ method, url, status: res.statusCode, code: res.json().error.code }).toEqual({ method, url, status: 403, code: 'forbidden' });
    }
    // Admin key: not the member routes.
    expect((await admin('GET', '/v1/me/snoozes')).statusCode).toBe(403);
    // Member session: not the admin routes.
    for (const [method, url] of [
      ['GET', '/v1/snoozes'],
      ['POST', '/v1/snoozes'],
      ['DELETE', '/v1/snoozes/snz_1'],
    ] as const) {
      const res = await member.request(method, url, method === 'POST' ? body : undefined);
      expect({ method, url, status: res.statusCode }).toEqual({ method, url, status: 403 });
    }
    // Admin session: the admin routes, not the member ones.
    expect((await staff.request('POST', '/v1/snoozes', body)).statusCode).toBe(201);
    expect((await staff.request('GET', '/v1/me/snoozes')).statusCode).toBe(403);
    // A member's POST without the CSRF token.
    const noCsrf = await t.app.inject({ method: 'POST', url: '/v1/me/snoozes', headers: { cookie: member.cookie }, payload: travelling });
    expect([noCsrf.statusCode, noCsrf.json().error.code]).toEqual([403, 'csrf_failed']);
  });
});

describe('a snooze in detection', () => {
  it('records the snoozed rule’s findings as suppressed, adding nothing to risk, decision or alerts', async () => {
    const login = (id: string, ms: number, device: string, ip: string) => ({
      type: 'login.succeeded',
      user: 'alice',
      id,
      timestamp: at(ms),
      ip,
      device,
      session: `s-${id}`,
    });
    const history = [1, 2, 3, 4, 5].map((d) => login(`h${d}`, START - d * DAY, 'alice-laptop', '81.2.69.160'));
    expect((await t.send({ events: history })).statusCode).toBe(200);
    const created = await admin('POST', '/v1/snoozes', {
      rule: 'new-login-context',
      user: 'alice',
      until: at(START + DAY),
      reason: 'new phone',
    });
    expect(created.statusCode).toBe(201);
    const res = await t.send(login('new', START - 1000, 'alice-new-phone', '81.2.69.160'));
    expect(res.statusCode).toBe(200);
    const result = res.json();
    expect(result).toMatchObject({ decision: 'allow', risk: 0, severity: 'none' });
    expect(result.alertId).toBeUndefined();
    expect(result.suppressed).toEqual([
      expect.objectContaining({ rule: 'new-login-context', suppressedBy: 'snooze', ref: created.json().id }),
    ]);
  });
});
