import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INGEST_KEY, startTestApp, type TestApp } from './support/app.js';
import { runningClock, TEST_NOW } from './support/clock.js';

let t: TestApp;
beforeEach(async () => {
  // Only a custom rule, so these tests see exactly what it does.
  // Detection alone: no response policy, so a high finding is answered as scored rather than locking the account.
  // A fixed clock: the events' times, and the backtests' windows, never depend on the hour of the run.
  t = await startTestApp({ clock: runningClock(TEST_NOW), builtinRules: [], env: { VIGIL_RESPONSE_POLICY: '[]' } });
});
afterEach(async () => t.close());

const bigTransactionRule = {
  name: 'Big transaction',
  type: 'transaction',
  eventTypes: ['transaction'],
  conditions: [{ field: 'amount', op: 'gt', value: 1000 }],
  severity: 'high',
};
const tx = (amount: number, over: Record<string, unknown> = {}) => ({
  type: 'transaction',
  user: 'alice',
  amount,
  currency: 'EUR',
  ip: '81.2.69.160',
  timestamp: new Date(TEST_NOW).toISOString(),
  ...over,
});
const post = (url: string, body: unknown) =>
  t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${t.config.adminKey}` }, payload: body as object });
const put = (url: string, body: unknown) =>
  t.app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${t.config.adminKey}` }, payload: body as object });

async function createRule(def: unknown = bigTransactionRule): Promise<string> {
  const r = await post('/v1/rules', def);
  expect(r.statusCode).toBe(201);
  return r.json().id;
}

describe('custom rules through the API', () => {
  it('refuses an invalid rule and says what is wrong', async () => {
    const r = await post('/v1/rules', { ...bigTransactionRule, conditions: [{ field: 'amount', op: 'gt', value: 'a lot' }] });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'invalid_rule', path: '/conditions/0/value' });
    expect(r.json().error.message).toContain('must be a number');
  });

  it('scores events with a new rule at once, raises an alert with context, and merges repeats', async () => {
    const id = await createRule();
    const quiet = await t.send(tx(50));
    expect(quiet.json()).toMatchObject({ decision: 'allow', risk: 0, severity: 'none' });

    const first = (await t.send(tx(1500, { device: 'd1', session: 's1' }))).json();
    expect(first).toMatchObject({ decision: 'challenge', risk: 65, severity: 'high', alertId: expect.stringMatching(/^alrt_/) });
    expect(first.reasons).toEqual([
      { rule: id, severity: 'high', message: expect.stringContaining('amount gt 1000'), evidence: expect.any(Object) },
    ]);
    const second = (await t.send(tx(2500))).json();
    expect(second.alertId).toBe(first.alertId);

    const alert = (await t.get(`/v1/alerts/${first.alertId}`)).json();
    expect(alert).toMatchObject({
      user: 'alice',
      ip: '81.2.69.160',
      country: 'GB',
      device: 'd1',
      session: 's1',
      type: 'transaction',
      severity: 'high',
      status: 'new',
      occurrences: 2,
      ruleId: id,
      summary: expect.stringContaining('Big transaction for alice'),
      suggestedActions: expect.arrayContaining(['confirm_with_user_by_otp']),
    });
    expect(alert.events.map((e: { amount: number }) => e.amount)).toEqual([1500, 2500]);
    // The stored event carries the same answer and alert id.
    const stored = (await t.get('/v1/users/alice/events?type=transaction&limit=1')).json().events[0];
    expect(stored).toMatchObject({ decision: 'challenge', risk: 65, alertId: first.alertId });
  });

  it('applies a rule change without a restart and keeps every version with who made it', async () => {
    const id = await createRule();
    const off = await put(`/v1/rules/${id}?note=too%20noisy`, { enabled: false });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toMatchObject({ enabled: false, version: 2 });
    expect((await t.send(tx(5000))).json().decision).toBe('allow');
    const bad = await put(`/v1/rules/${id}`, { severity: 'huge' });
    expect(bad.statusCode).toBe(400);
    const detail = (await t.get(`/v1/rules/${id}`)).json();
    expect(detail.versions.map((v: { version: number; note: string | null }) => [v.version, v.note])).toEqual([
      [2, 'too noisy'],
      [1, 'created'],
    ]);
    expect(detail.versions[0].changedBy).toContain('admin key from environment');
  });
});

describe('alert lifecycle through the API', () => {
  it('acknowledges, refuses an impossible move, resolves, and records who, when and why', async () => {
    await createRule();
    const { alertId } = (await t.send(tx(2000))).json();
    const ack = await post(`/v1/alerts/${alertId}/acknowledge`, { note: 'looking' });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({
      status: 'acknowledged',
      acknowledgedAt: expect.any(String),
      timeToAcknowledgeMs: expect.any(Number),
    });
    expect((await post(`/v1/alerts/${alertId}/acknowledge`, {})).statusCode).toBe(409);
    const resolved = await post(`/v1/alerts/${alertId}/resolve`, { note: 'customer confirmed' });
    expect(resolved.json()).toMatchObject({ status: 'resolved', timeToResolveMs: expect.any(Number) });
    expect((await post(`/v1/alerts/${alertId}/escalate`, {})).json().error.code).toBe('invalid_transition');

    const detail = (await t.get(`/v1/alerts/${alertId}`)).json();
    expect(detail.transitions).toEqual([
      { alertId, from: 'new', to: 'acknowledged', actor: expect.stringContaining('key_'), note: 'looking', at: expect.any(String) },
      {
        alertId,
        from: 'acknowledged',
        to: 'resolved',
        actor: expect.stringContaining('key_'),
        note: 'customer confirmed',
        at: expect.any(String),
      },
    ]);
    // A resolved alert no longer absorbs repeats: the next one opens a new alert.
    expect((await t.send(tx(3000))).json().alertId).not.toBe(alertId);
  });

  it('answers 404 for an unknown alert and 400 for an unknown action', async () => {
    expect((await post('/v1/alerts/alrt_nope/resolve', {})).statusCode).toBe(404);
    expect((await post('/v1/alerts/alrt_nope/delete', {})).statusCode).toBe(400);
  });

  it('takes an action with no body at all, as curl -X POST sends it, and with an empty JSON body', async () => {
    await createRule();
    const { alertId } = (await t.send(tx(2000))).json();
    const bare = (url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${t.config.adminKey}`, ...headers } });
    const ack = await bare(`/v1/alerts/${alertId}/acknowledge`);
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json().status).toBe('acknowledged');
    // A client that says JSON but sends nothing (curl -H 'content-type: application/json' -X POST).
    const resolved = await bare(`/v1/alerts/${alertId}/resolve`, { 'content-type': 'application/json' });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json().status).toBe('resolved');
    // A body that is there but not an object is still refused, with the field.
    const { alertId: other } = (await t.send(tx(3000, { user: 'bob' }))).json();
    // "This was me" without a body asks for a code: bob has no contact, so 409, not a 400 about the body.
    const confirm = await t.app.inject({
      method: 'POST',
      url: `/v1/alerts/${other}/confirm`,
      headers: { authorization: `Bearer ${INGEST_KEY}` },
    });
    expect(confirm.json().error.code).toBe('no_contact');
    const wrong = await post(`/v1/alerts/${other}/acknowledge`, [1]);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe('invalid_body');
  });

  it('filters and searches the alert list', async () => {
    await createRule();
    await t.send(tx(2000, { user: 'alice', ip: '81.2.69.160' }));
    await t.send(tx(2000, { user: 'bob', ip: '8.8.8.8' }));
    const list = async (query: string) => (await t.get(`/v1/alerts?${query}`)).json().alerts.map((a: { user: string }) => a.user);
    expect(await list('')).toEqual(['bob', 'alice']);
    expect(await list('user=alice')).toEqual(['alice']);
    expect(await list('ip=8.8.8.8')).toEqual(['bob']);
    expect(await list('severity=high&status=new')).toHaveLength(2);
    expect(await list('severity=low')).toEqual([]);
    expect(await list('q=BOB')).toEqual(['bob']);
    expect(await list('q=big%20transaction')).toHaveLength(2);
    expect(await list('type=transaction')).toHaveLength(2);
    expect((await t.get('/v1/alerts?status=open')).statusCode).toBe(400);
  });

  it('is for admins only', async () => {
    expect((await t.get('/v1/alerts', INGEST_KEY)).statusCode).toBe(403);
    expect((await t.get('/v1/rules', INGEST_KEY)).statusCode).toBe(403);
  });
});

describe('backtest', () => {
  it('replays history through a changed rule without touching live alerts', async () => {
    const id = await createRule();
    const base = TEST_NOW - 3600_000;
    const events = [200, 900, 1200, 400, 950].map((amount, i) =>
      tx(amount, { user: `u${i}`, timestamp: new Date(base + i * 60_000).toISOString() }),
    );
    await t.send({ events });
    const before = (await t.get('/v1/alerts')).json().alerts.length;
    expect(before).toBe(1);

    const r = await post(`/v1/rules/${id}/backtest`, {
      from: new Date(base - 1000).toISOString(),
      to: new Date(TEST_NOW).toISOString(),
      config: { conditions: [{ field: 'amount', op: 'gt', value: 800 }] },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ hits: 3, alerts: 3, eventsReplayed: 5, users: expect.arrayContaining([{ user: 'u1', hits: 1 }]) });
    expect(r.json().examples).toHaveLength(3);
    expect((await t.get('/v1/alerts')).json().alerts.length).toBe(before);

    const draft = await post('/v1/rules/backtest', {
      from: new Date(base - 1000).toISOString(),
      to: new Date(TEST_NOW).toISOString(),
      definition: { ...bigTransactionRule, conditions: [{ field: 'amount', op: 'lt', value: 300 }] },
    });
    expect(draft.json()).toMatchObject({ hits: 1, users: [{ user: 'u0', hits: 1 }] });
    expect((await post('/v1/rules/backtest', { from: 'x', to: 'y', definition: {} })).statusCode).toBe(400);
  });
});
