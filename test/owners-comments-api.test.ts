import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type SignedInPerson, startTestApp, type TestApp } from './support/app.js';
import { fixedClock, TEST_NOW } from './support/clock.js';

/**
 * Issue 20, triage at volume: an owner per alert (assign to me, to someone, to nobody; in bulk; the
 * alerts list filtered by owner), a comment thread on each alert, the Team page's figures (time to
 * acknowledge and resolve per owner and rule) and the rules' false-positive share. All audited, and
 * only analysts and admins change anything. The clock stands still and moves only when a test says.
 */

const MIN = 60_000;
const DAY = 86_400_000;
const clock = fixedClock(TEST_NOW);
let t: TestApp;
let ruleId: string;
let ana: SignedInPerson & { id: string };
let ben: SignedInPerson & { id: string };
let viewer: SignedInPerson & { id: string };
let alice: SignedInPerson;

async function staff(role: 'analyst' | 'viewer' | 'admin') {
  const person = await t.person(role);
  const id = (await person.request('GET', '/v1/session')).json().person.id as string;
  return { ...person, id };
}

const asAdmin = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_KEY}` }, ...(payload && { payload }) });

/** A large purchase by this user now: one alert of the test's rule. */
async function alertFor(user: string): Promise<string> {
  const sent = await t.send({
    type: 'transaction',
    user,
    amount: 5000,
    currency: 'EUR',
    ip: '81.2.69.160',
    timestamp: new Date(clock.now()).toISOString(),
  });
  expect(sent.statusCode).toBe(200);
  return sent.json().alertId as string;
}

async function auditOf(action: string, alertId: string) {
  const res = await t.get(`/v1/audit?action=${action}&subject=alert:${alertId}`);
  return res.json().entries as Array<{ actor: string; details: Record<string, unknown> }>;
}

beforeAll(async () => {
  t = await startTestApp({ clock, env: { VIGIL_RESPONSE_POLICY: '[]' } });
  const rule = await asAdmin('POST', '/v1/rules', {
    name: 'Owners: big transaction',
    type: 'transaction',
    eventTypes: ['transaction'],
    conditions: [{ field: 'amount', op: 'gt', value: 1000 }],
    severity: 'high',
  });
  expect(rule.statusCode).toBe(201);
  ruleId = rule.json().id;
  [ana, ben, viewer] = await Promise.all([staff('analyst'), staff('analyst'), staff('viewer')]);
  alice = await t.person('member', 'alice');
});
afterAll(async () => t?.close());

describe('an owner per alert', () => {
  it('an analyst takes an alert ("assign to me"): it shows their name, the list filters by it, and the audit trail says who', async () => {
    const id = await alertFor('alice');
    const taken = await ana.request('PUT', `/v1/alerts/${id}/owner`, { owner: 'me' });
    expect(taken.statusCode).toBe(200);
    expect(taken.json().owner).toEqual({ id: ana.id, email: ana.email });

    const mine = (await ana.request('GET', '/v1/alerts?owner=me')).json().alerts.map((a: { id: string }) => a.id);
    const bens = (await ben.request('GET', '/v1/alerts?owner=me')).json().alerts.map((a: { id: string }) => a.id);
    const byId = (await t.get(`/v1/alerts?owner=${ana.id}`)).json().alerts.map((a: { id: string }) => a.id);
    const nobodys = (await t.get('/v1/alerts?owner=none')).json().alerts.map((a: { id: string }) => a.id);
    expect({ mine, bens, byId, inNobodys: nobodys.includes(id) }).toEqual({ mine: [id], bens: [], byId: [id], inNobodys: false });

    const [entry] = await auditOf('alert.assigned', id);
    expect(entry?.actor).toBe(`${ana.email} (${ana.id})`);
    expect(entry?.details).toMatchObject({ from: null, to: ana.email, user: 'alice' });

    // Detection updates the alert on a repeat; the owner stays.
    expect(await alertFor('alice')).toBe(id);
    const again = (await t.get(`/v1/alerts/${id}`)).json();
    expect({ occurrences: again.occurrences, owner: again.owner?.email }).toEqual({ occurrences: 2, owner: ana.email });

    // The member the alert is about never sees who works it.
    const own = (await alice.request('GET', '/v1/me/alerts')).json().alerts;
    expect(own.map((a: { id: string }) => a.id)).toContain(id);
    expect(own.every((a: object) => !('owner' in a))).toBe(true);
  });

  it('gives an alert to a named analyst, then to nobody, each audited; an alert given to its owner again records nothing', async () => {
    const id = await alertFor('bert');
    const given = await asAdmin('PUT', `/v1/alerts/${id}/owner`, { owner: ben.id });
    expect({ status: given.statusCode, owner: given.json().owner }).toEqual({ status: 200, owner: { id: ben.id, email: ben.email } });
    expect((await asAdmin('PUT', `/v1/alerts/${id}/owner`, { owner: ben.id })).statusCode).toBe(200);
    expect(await auditOf('alert.assigned', id)).toHaveLength(1);

    const freed = await ana.request('PUT', `/v1/alerts/${id}/owner`, { owner: null });
    expect({ status: freed.statusCode, owner: freed.json().owner }).toEqual({ status: 200, owner: null });
    const [entry] = await auditOf('alert.unassigned', id);
    expect(entry?.details).toMatchObject({ from: ben.email, to: null });
    expect((await t.get('/v1/alerts?owner=none')).json().alerts.map((a: { id: string }) => a.id)).toContain(id);
  });

  it('refuses owners who cannot triage, "me" from an API key, and viewers assigning, with stable codes', async () => {
    const id = await alertFor('carl');
    const member = (await alice.request('GET', '/v1/session')).json().person.id;
    const cases = [
      ['viewer as owner', await asAdmin('PUT', `/v1/alerts/${id}/owner`, { owner: viewer.id })],
      ['member as owner', await asAdmin('PUT', `/v1/alerts/${id}/owner`, { owner: member })],
      ['unknown person', await asAdmin('PUT', `/v1/alerts/${id}/owner`, { owner: 'per_nobody' })],
      ['"me" with a key', await asAdmin('PUT', `/v1/alerts/${id}/owner`, { owner: 'me' })],
      ['owner=me with a key', await t.get('/v1/alerts?owner=me')],
      ['viewer assigning', await viewer.request('PUT', `/v1/alerts/${id}/owner`, { owner: 'me' })],
      ['no such alert', await ana.request('PUT', '/v1/alerts/alrt_missing/owner', { owner: 'me' })],
      ['no owner field', await ana.request('PUT', `/v1/alerts/${id}/owner`, {})],
    ] as const;
    expect(cases.map(([name, res]) => [name, res.statusCode, res.json().error?.code])).toEqual([
      ['viewer as owner', 400, 'invalid_assignee'],
      ['member as owner', 400, 'invalid_assignee'],
      ['unknown person', 400, 'invalid_assignee'],
      ['"me" with a key', 400, 'not_a_person'],
      ['owner=me with a key', 400, 'not_a_person'],
      ['viewer assigning', 403, 'forbidden'],
      ['no such alert', 404, 'not_found'],
      ['no owner field', 400, 'invalid_body'],
    ]);
    expect((await t.get(`/v1/alerts/${id}`)).json().owner).toBeNull();
    expect(await auditOf('alert.assigned', id)).toEqual([]);
  });

  it('assigns in bulk: one result per id, each assigned alert audited, at most 200 ids', async () => {
    const [a, b] = [await alertFor('dora'), await alertFor('emil')];
    const res = await ana.request('POST', '/v1/alerts/assign', { ids: [a, b, 'alrt_missing', a], owner: ben.id });
    expect(res.statusCode).toBe(200);
    expect(
      res
        .json()
        .results.map((r: { id: string; ok: boolean; alert?: { owner: { id: string } }; error?: { code: string } }) => [
          r.id,
          r.ok,
          r.alert?.owner.id ?? r.error?.code,
        ]),
    ).toEqual([
      [a, true, ben.id],
      [b, true, ben.id],
      ['alrt_missing', false, 'not_found'],
    ]);
    expect((await auditOf('alert.assigned', a)).length + (await auditOf('alert.assigned', b)).length).toBe(2);

    const tooMany = await ana.request('POST', '/v1/alerts/assign', {
      ids: Array.from({ length: 201 }, (_, i) => `alrt_${i}`),
      owner: 'me',
    });
    expect({ status: tooMany.statusCode, code: tooMany.json().error.code }).toEqual({ status: 400, code: 'invalid_body' });
    const badOwner = await ana.request('POST', '/v1/alerts/assign', { ids: [a], owner: viewer.id });
    expect({ status: badOwner.statusCode, code: badOwner.json().error.code }).toEqual({ status: 400, code: 'invalid_assignee' });
    expect((await t.get(`/v1/alerts/${a}`)).json().owner.id).toBe(ben.id);
  });
});

describe('the staff an alert may be given to', () => {
  it('lists staff with their roles, analysts and admins as possible owners, and never members', async () => {
    const res = await viewer.request('GET', '/v1/staff');
    expect(res.statusCode).toBe(200);
    const staff = res.json().staff as Array<{ id: string; email: string; role: string; canOwnAlerts: boolean }>;
    const byId = new Map(staff.map((s) => [s.id, s]));
    expect([byId.get(ana.id), byId.get(viewer.id)]).toEqual([
      { id: ana.id, email: ana.email, role: 'analyst', canOwnAlerts: true },
      { id: viewer.id, email: viewer.email, role: 'viewer', canOwnAlerts: false },
    ]);
    expect(staff.some((s) => s.email === alice.email)).toBe(false);
  });
});

describe('comments on an alert', () => {
  it('analysts comment, everyone on staff reads the thread oldest first, the text is kept as written and stays out of the audit trail', async () => {
    const id = await alertFor('fay');
    const markup = '<img src=x onerror="alert(1)"> card 4111 was stolen & reported';
    const first = await ana.request('POST', `/v1/alerts/${id}/comments`, { text: markup });
    expect(first.statusCode).toBe(201);
    clock.advance(MIN);
    expect((await asAdmin('POST', `/v1/alerts/${id}/comments`, { text: 'Called the customer.' })).statusCode).toBe(201);

    const thread = await viewer.request('GET', `/v1/alerts/${id}/comments`);
    expect(thread.statusCode).toBe(200);
    expect(thread.json().comments.map((c: { author: string; text: string; createdAt: string }) => [c.author, c.text, c.createdAt])).toEqual(
      [
        [`${ana.email} (${ana.id})`, markup, new Date(clock.now() - MIN).toISOString()],
        [expect.stringMatching(/\(key_/), 'Called the customer.', new Date(clock.now()).toISOString()],
      ],
    );
    const entries = await auditOf('alert.commented', id);
    expect(entries).toHaveLength(2);
    expect(JSON.stringify(entries)).not.toContain('stolen');
    expect(entries.at(-1)?.details).toMatchObject({ comment: first.json().id, length: markup.length });
  });

  it('refuses viewers, empty and over-long text, and unknown alerts', async () => {
    const id = await alertFor('gus');
    const cases = [
      ['viewer', await viewer.request('POST', `/v1/alerts/${id}/comments`, { text: 'hi' })],
      ['blank', await ana.request('POST', `/v1/alerts/${id}/comments`, { text: '   ' })],
      ['empty', await ana.request('POST', `/v1/alerts/${id}/comments`, { text: '' })],
      ['too long', await ana.request('POST', `/v1/alerts/${id}/comments`, { text: 'x'.repeat(4001) })],
      ['unknown alert', await ana.request('POST', '/v1/alerts/alrt_missing/comments', { text: 'hi' })],
      ['unknown alert, read', await ana.request('GET', '/v1/alerts/alrt_missing/comments')],
    ] as const;
    expect(cases.map(([name, res]) => [name, res.statusCode, res.json().error?.code])).toEqual([
      ['viewer', 403, 'forbidden'],
      ['blank', 400, 'invalid_body'],
      ['empty', 400, 'invalid_body'],
      ['too long', 400, 'invalid_body'],
      ['unknown alert', 404, 'not_found'],
      ['unknown alert, read', 404, 'not_found'],
    ]);
    expect((await ana.request('GET', `/v1/alerts/${id}/comments`)).json().comments).toEqual([]);
  });
});

describe('the Team page’s figures and the rules’ false-positive share', () => {
  it('time to acknowledge and resolve per owner and per rule over 7 and 30 days, and the share closed as false positive per rule', async () => {
    // Four alerts raised at the same instant, then worked at known times after it.
    const raised = clock.now();
    const [a1, a2, a3, a4] = [await alertFor('hana'), await alertFor('ivan'), await alertFor('jack'), await alertFor('kim')];
    await ana.request('PUT', `/v1/alerts/${a1}/owner`, { owner: 'me' });
    await ana.request('POST', '/v1/alerts/assign', { ids: [a2, a3], owner: ben.id });
    const at = async (minutes: number, id: string, action: string) => {
      clock.set(raised + minutes * MIN);
      const res = await asAdmin('POST', `/v1/alerts/${id}/${action}`);
      expect(res.statusCode).toBe(200);
    };
    await at(10, a1, 'acknowledge');
    await at(20, a2, 'acknowledge');
    await at(30, a2, 'false-positive');
    await at(40, a3, 'acknowledge');
    await at(60, a1, 'resolve');
    await at(90, a4, 'resolve');

    const d = (count: number, medianMin: number | null, p90Min: number | null) => ({
      count,
      medianMs: medianMin === null ? null : medianMin * MIN,
      p90Ms: p90Min === null ? null : p90Min * MIN,
    });
    const figures = await viewer.request('GET', '/v1/team/figures');
    expect(figures.statusCode).toBe(200);
    const [week, month] = figures.json().periods;
    expect(week.days).toBe(7);
    expect(week.to).toBe(new Date(raised + 90 * MIN).toISOString());
    expect(week.all).toEqual({ toAcknowledge: d(3, 20, 40), toResolve: d(3, 60, 90) });
    expect(week.byOwner).toEqual(
      [
        { owner: { id: ana.id, email: ana.email }, toAcknowledge: d(1, 10, 10), toResolve: d(1, 60, 60) },
        { owner: { id: ben.id, email: ben.email }, toAcknowledge: d(2, 20, 40), toResolve: d(1, 30, 30) },
        { owner: null, toAcknowledge: d(0, null, null), toResolve: d(1, 90, 90) },
      ].sort((x, y) => (x.owner === null ? 1 : y.owner === null ? -1 : x.owner.email.localeCompare(y.owner.email))),
    );
    expect(week.byRule).toEqual([{ ruleId, toAcknowledge: d(3, 20, 40), toResolve: d(3, 60, 90) }]);
    expect(month.all).toEqual(week.all);

    // The rule's alerts in this file: every one raised by the tests above, three of them closed, one as a false positive.
    const raisedByRule = (await t.get(`/v1/rules`)).json().rules.find((r: { id: string }) => r.id === ruleId);
    const count = (await t.get(`/v1/alerts?rule=${ruleId}&limit=500`)).json().alerts.length;
    const share = { alerts: count, closed: 3, falsePositives: 1, falsePositiveShare: 1 / 3 };
    expect(raisedByRule.outcomes).toEqual({ last7Days: share, last30Days: share });
    expect((await t.get(`/v1/rules/${ruleId}`)).json().outcomes.last7Days).toEqual(share);
    expect(raisedByRule.stats.live.last7Days.alerts).toBe(count);

    // Eight days later the week holds nothing, the month all of it.
    clock.set(raised + 8 * DAY);
    const later = (await t.get('/v1/team/figures')).json().periods;
    expect(later[0].all).toEqual({ toAcknowledge: d(0, null, null), toResolve: d(0, null, null) });
    expect(later[0].byOwner).toEqual([]);
    expect(later[1].all).toEqual(week.all);
    const laterRule = (await t.get(`/v1/rules/${ruleId}`)).json().outcomes;
    expect(laterRule).toEqual({ last7Days: { alerts: 0, closed: 0, falsePositives: 0, falsePositiveShare: null }, last30Days: share });
  });
});
