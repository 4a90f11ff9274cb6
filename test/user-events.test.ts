import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 10, minute)).toISOString();

beforeAll(async () => {
  t = await startTestApp();
  const events = [];
  for (let i = 0; i < 30; i++) {
    events.push({
      type: i % 3 === 0 ? 'transaction' : 'page.viewed',
      user: 'alice',
      timestamp: at(i),
      ...(i % 3 === 0 ? { amount: i, currency: 'EUR' } : { path: `/p${i}` }),
    });
  }
  // Two events in the same millisecond: pagination must neither skip nor repeat either.
  events.push(
    { type: 'logout', user: 'alice', timestamp: at(15), id: 'tie-a' },
    { type: 'logout', user: 'alice', timestamp: at(15), id: 'tie-b' },
  );
  events.push({ type: 'login.succeeded', user: 'bob', timestamp: at(5) });
  expect((await t.send({ events })).statusCode).toBe(200);
});
afterAll(async () => t.close());

describe('GET /v1/users/:user/events', () => {
  it('pages through all of a user, newest first, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await t.get(`/v1/users/alice/events?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.statusCode).toBe(200);
      const body = r.json();
      for (const e of body.events) seen.push(`${e.timestamp}|${e.id}`);
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toHaveLength(32);
    expect(new Set(seen).size).toBe(32);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it('filters by type and time range', async () => {
    const r = await t.get(`/v1/users/alice/events?type=transaction&from=${at(10)}&to=${at(20)}`);
    const events = r.json().events;
    expect(events.map((e: { amount: number }) => e.amount)).toEqual([18, 15, 12]);
    const two = await t.get('/v1/users/alice/events?type=logout,transaction&limit=500');
    expect(two.json().events).toHaveLength(12);
  });

  it('returns nothing of other users, and an empty page for an unknown user', async () => {
    const bob = (await t.get('/v1/users/bob/events')).json();
    expect(bob.events).toHaveLength(1);
    expect(bob.events[0].user).toBe('bob');
    expect((await t.get('/v1/users/nobody/events')).json()).toEqual({ user: 'nobody', events: [], nextCursor: null });
  });

  it.each([
    ['type=purchase', 'invalid_query', '/type'],
    ['from=yesterday', 'invalid_query', '/from'],
    ['cursor=bm9wZQ', 'invalid_cursor', '/cursor'],
    ['limit=0', 'invalid_query', undefined],
    ['limit=100000', 'invalid_query', undefined],
  ])('refuses %s with 400', async (query, code, path) => {
    const r = await t.get(`/v1/users/alice/events?${query}`);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe(code);
    if (path) expect(r.json().error.path).toBe(path);
  });
});
