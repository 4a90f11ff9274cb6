import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from './support/app.js';
import { runningClock, TEST_NOW } from './support/clock.js';

/**
 * Issue 20: staff roles through the API. The authorization matrix checks every route × role; this
 * checks what the roles do: an analyst key triages and is audited by name, a viewer key reads only,
 * and admins manage people's roles (audited; members stay members; the last admin stays).
 */

let t: TestApp;
const clock = runningClock(TEST_NOW);
let alertId: string;

beforeAll(async () => {
  t = await startTestApp({ clock, env: { VIGIL_RESPONSE_POLICY: '[]' } });
  const rule = await t.app.inject({
    method: 'POST',
    url: '/v1/rules',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    payload: {
      name: 'Big',
      type: 'transaction',
      eventTypes: ['transaction'],
      conditions: [{ field: 'amount', op: 'gt', value: 1000 }],
      severity: 'high',
    },
  });
  expect(rule.statusCode).toBe(201);
  const sent = await t.send({
    type: 'transaction',
    user: 'zoe',
    amount: 3000,
    currency: 'EUR',
    ip: '81.2.69.160',
    timestamp: new Date(clock.now()).toISOString(),
  });
  alertId = sent.json().alertId;
});
afterAll(async () => t?.close());

const call = (key: string, method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload && { payload }) });

describe('API keys of the staff roles', () => {
  it('an analyst key acknowledges an alert and locks an account, audited under its name, but cannot change a rule or send events', async () => {
    const analyst = await t.key('analyst');
    expect(analyst).toMatch(/^vgl_analyst_/);
    const ack = await call(analyst, 'POST', `/v1/alerts/${alertId}/acknowledge`, { note: 'looking' });
    expect({ status: ack.statusCode, alertStatus: ack.json().status }).toEqual({ status: 200, alertStatus: 'acknowledged' });
    const lock = await call(analyst, 'POST', '/v1/accounts/zoe/lock', { scope: 'full', reason: 'checking' });
    expect(lock.statusCode).toBe(200);
    const rule = await call(analyst, 'POST', '/v1/rules', { name: 'x' });
    expect({ status: rule.statusCode, code: rule.json().error.code }).toEqual({ status: 403, code: 'forbidden' });
    const event = await call(analyst, 'POST', '/v1/events', { type: 'logout', user: 'zoe' });
    expect(event.statusCode).toBe(403);
    const audit = (await t.get('/v1/audit?action=alert.acknowledged')).json();
    expect(audit.entries[0].actor).toMatch(/^test analyst key \(key_/);
  });

  it('a viewer key reads alerts and accounts and changes nothing', async () => {
    const viewer = await t.key('viewer');
    expect((await call(viewer, 'GET', `/v1/alerts/${alertId}`)).statusCode).toBe(200);
    expect((await call(viewer, 'GET', '/v1/accounts/zoe')).statusCode).toBe(200);
    const resolve = await call(viewer, 'POST', `/v1/alerts/${alertId}/resolve`, {});
    expect({ status: resolve.statusCode, code: resolve.json().error.code }).toEqual({ status: 403, code: 'forbidden' });
    expect(resolve.json().error.message).toMatch(/analyst/);
    expect((await t.get(`/v1/alerts/${alertId}`)).json().status).toBe('acknowledged');
  });
});

describe('people and their roles', () => {
  it('an admin gives a colleague an analyst sign-in, then makes them a viewer: audited', async () => {
    const admin = await t.person('admin');
    const created = await admin.request('POST', '/v1/people', { email: 'ivy@shop.example', role: 'analyst' });
    expect(created.statusCode).toBe(201);
    const id = created.json().person.id as string;
    expect(created.json().person).toMatchObject({ role: 'analyst', user: null });
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/people/${id}`,
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
      payload: { role: 'viewer' },
    });
    expect({ status: patched.statusCode, role: patched.json().role }).toEqual({ status: 200, role: 'viewer' });
    const audit = (await t.get('/v1/audit?action=person.role_changed')).json();
    expect(audit.entries[0]).toMatchObject({ subject: `person:${id}`, details: { from: 'analyst', to: 'viewer' } });
  });

  it('keeps members members and the last admin an admin', async () => {
    const member = await t.system.people.create(
      { email: 'max@example.com', password: 'a long member password', role: 'member', user: 'max' },
      'test',
    );
    const patch = (id: string, role: string) =>
      t.app.inject({ method: 'PATCH', url: `/v1/people/${id}`, headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { role } });
    const promoted = await patch(member.ok ? member.value.id : '', 'admin');
    expect({ status: promoted.statusCode, code: promoted.json().error.code, path: promoted.json().error.path }).toEqual({
      status: 400,
      code: 'invalid_body',
      path: '/role',
    });
    const people = (await t.get('/v1/people')).json().people as Array<{ id: string; role: string }>;
    const admins = people.filter((p) => p.role === 'admin');
    for (const extra of admins.slice(1)) expect((await patch(extra.id, 'viewer')).statusCode).toBe(200);
    const last = await patch((admins[0] as { id: string }).id, 'analyst');
    expect({ status: last.statusCode, code: last.json().error.code }).toEqual({ status: 409, code: 'invalid_transition' });
  });
});
