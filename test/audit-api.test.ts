import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, INGEST_KEY, startTestApp, type TestApp } from './support/app.js';
import { runningClock, TEST_NOW } from './support/clock.js';

let t: TestApp;
beforeEach(async () => {
  // Only a custom rule, so these tests see exactly what it does.
  t = await startTestApp({ clock: runningClock(TEST_NOW), builtinRules: [] });
});
afterEach(async () => t.close());

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const post = (url: string, body: unknown) => t.app.inject({ method: 'POST', url, headers: admin, payload: body as object });
const put = (url: string, body: unknown) => t.app.inject({ method: 'PUT', url, headers: admin, payload: body as object });

const bigTransactionRule = {
  name: 'Big transaction',
  type: 'transaction',
  eventTypes: ['transaction'],
  conditions: [{ field: 'amount', op: 'gt', value: 1000 }],
  severity: 'medium',
};

async function createRule(): Promise<string> {
  const r = await post('/v1/rules', bigTransactionRule);
  expect(r.statusCode).toBe(201);
  return r.json().id;
}

describe('GET /v1/audit', () => {
  it('shows rule edits with who made them, newest first', async () => {
    const id = await createRule();
    expect(
      (await put(`/v1/rules/${id}?note=raise%20the%20bar`, { conditions: [{ field: 'amount', op: 'gt', value: 5000 }] })).statusCode,
    ).toBe(200);
    const r = await t.get(`/v1/audit?subject=${encodeURIComponent(`rule:${id}`)}`);
    expect(r.statusCode).toBe(200);
    const { entries, nextCursor } = r.json();
    expect(nextCursor).toBeNull();
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'rule.updated',
        subject: `rule:${id}`,
        details: { version: 2, kind: 'custom', note: 'raise the bar' },
      }),
      expect.objectContaining({ action: 'rule.created', subject: `rule:${id}`, details: { version: 1, kind: 'custom', note: null } }),
    ]);
    const [updated, created] = entries;
    expect(updated.actor).toMatch(/\(key_[0-9A-Z]+\)$/);
    expect(updated.seq).toBeGreaterThan(created.seq);
    expect(updated.prevHash).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(updated.at).toISOString()).toBe(updated.at);
  });

  it('shows alert transitions with from, to, the note and the user', async () => {
    await createRule();
    const sent = await t.send({
      type: 'transaction',
      user: 'alice',
      amount: 1500,
      currency: 'EUR',
      timestamp: new Date(TEST_NOW).toISOString(),
    });
    const alertId = sent.json().alertId as string;
    expect(alertId).toMatch(/^alrt_/);
    expect((await post(`/v1/alerts/${alertId}/acknowledge`, { note: 'looking' })).statusCode).toBe(200);
    expect((await post(`/v1/alerts/${alertId}/resolve`, { note: 'refunded' })).statusCode).toBe(200);
    // A refused transition changes nothing, so it records nothing.
    expect((await post(`/v1/alerts/${alertId}/resolve`, {})).statusCode).toBe(409);

    const entries = (await t.get(`/v1/audit?subject=alert:${alertId}`)).json().entries;
    expect(entries.map((e: { action: string }) => e.action)).toEqual(['alert.resolved', 'alert.acknowledged']);
    expect(entries[1].details).toEqual({ from: 'new', to: 'acknowledged', note: 'looking', user: 'alice' });
    expect(entries[0].details).toEqual({ from: 'acknowledged', to: 'resolved', note: 'refunded', user: 'alice' });

    const byAction = (await t.get('/v1/audit?action=alert.resolved')).json().entries;
    expect(byAction).toHaveLength(1);
  });

  it('records the configured keys once, without their secrets', async () => {
    const r = await t.get('/v1/audit?action=key.created');
    const entries = r.json().entries;
    expect(entries.map((e: { details: { role: string } }) => e.details.role).sort()).toEqual(['admin', 'ingest']);
    for (const e of entries) expect(Object.keys(e.details).sort()).toEqual(['keyId', 'prefix', 'role', 'source']);
    expect(r.body).not.toContain(ADMIN_KEY);
    expect(r.body).not.toContain(INGEST_KEY);
  });

  it('pages with an opaque cursor', async () => {
    const id = await createRule();
    for (let i = 0; i < 3; i++) await put(`/v1/rules/${id}`, { severity: i % 2 ? 'high' : 'low' });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { entries: Array<{ seq: number }>; nextCursor: string | null } = (
        await t.get(`/v1/audit?subject=rule:${id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      seen.push(...page.entries.map((e) => e.seq));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });

  it('refuses a bad query with its path', async () => {
    const action = await t.get('/v1/audit?action=alert.deleted');
    expect(action.statusCode).toBe(400);
    expect(action.json().error).toMatchObject({ code: 'invalid_query', path: '/action' });
    const limit = await t.get('/v1/audit?limit=0');
    expect(limit.statusCode).toBe(400);
    expect(limit.json().error).toMatchObject({ code: 'invalid_query', path: '/limit' });
    const cursor = await t.get('/v1/audit?cursor=bm9wZQ');
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json().error).toMatchObject({ code: 'invalid_cursor', path: '/cursor' });
  });

  it('is for admin keys only', async () => {
    for (const url of ['/v1/audit', '/v1/audit/verify']) {
      const ingest = await t.get(url, INGEST_KEY);
      expect(ingest.statusCode).toBe(403);
      expect(ingest.json().error.code).toBe('forbidden');
      const none = await t.app.inject({ method: 'GET', url });
      expect(none.statusCode).toBe(401);
      expect(none.json().error.code).toBe('unauthorized');
    }
  });
});

describe('GET /v1/audit/verify', () => {
  it('reports an intact chain, then the first tampered entry', async () => {
    await createRule();
    const intact = (await t.get('/v1/audit/verify')).json();
    expect(intact).toMatchObject({ ok: true, entries: 3, head: { seq: 3 } });
    await t.system.database.db.updateTable('audit_log').set({ actor: 'nobody' }).where('seq', '=', 2).execute();
    expect((await t.get('/v1/audit/verify')).json()).toEqual({ ok: false, entries: 1, broken: { seq: 2, reason: 'hash mismatch' } });
  });
});
