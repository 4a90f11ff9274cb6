import { describe, expect, it } from 'vitest';
import { stringBytes } from './byte-budget.js';
import { type PastEvent, PROFILE_LOGINS, PROFILE_MERCHANTS } from './history.js';
import { DEFAULT_LIMITS, MemoryHistory } from './memory-history.js';
import type { StoredEvent } from './stored-event.js';

const t0 = Date.parse('2026-11-24T10:00:00Z');
const HOUR_MS = 3_600_000;
let n = 0;
const ev = (over: Partial<PastEvent>): PastEvent => ({ id: `e${n++}`, type: 'login.failed', user: 'u', occurredAt: t0, ...over });
/** A browser and a network: what session hijack compares, and what makes a page view a session's mark. */
const client = {
  ua: { browser: 'Firefox', os: 'Linux', deviceClass: 'desktop' as const, summary: 'Firefox on Linux' },
  network: '81.2.69.0/24',
};

describe('MemoryHistory', () => {
  it('answers windows on event time, inserting late events in place', () => {
    const h = new MemoryHistory();
    h.record(ev({ occurredAt: t0 + 3000, ip: '1.1.1.1' }));
    h.record(ev({ occurredAt: t0 + 1000, ip: '1.1.1.1' }));
    h.record(ev({ occurredAt: t0 + 2000, ip: '1.1.1.1', device: 'd' }));
    expect(h.forUser('u', t0, t0 + 5000).map((e) => e.occurredAt)).toEqual([t0 + 1000, t0 + 2000, t0 + 3000]);
    expect(h.forUser('u', t0 + 1500, t0 + 2500)).toHaveLength(1);
    expect(h.forIp('1.1.1.1', t0 + 2000, t0 + 3000)).toHaveLength(2);
    expect(h.forDevice('d', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
    expect(h.forUser('nobody', 0, t0)).toEqual([]);
  });

  it('keeps another worker’s events under their IP and device only, once, and a takeover counts them once', () => {
    const h = new MemoryHistory();
    const theirs = ev({ user: 'other', ip: '2.2.2.2', device: 'dx', occurredAt: t0 + 1000 });
    expect(h.recordSource(theirs)).toBe(true);
    // The same event again (its owner's message after a takeover's replay brought it): kept once.
    expect(h.recordSource(theirs)).toBe(false);
    expect(h.forIp('2.2.2.2', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
    expect(h.forDevice('dx', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
    // Its user is another worker's: no timeline of theirs here.
    expect(h.forUser('other', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);

    // This worker takes the user over and replays the event from the store: the user's part is kept
    // now, the IP and device part is not counted twice.
    expect(h.adopt(theirs)).toBe(true);
    expect(h.forUser('other', 0, Number.MAX_SAFE_INTEGER).map((e) => e.id)).toEqual([theirs.id]);
    expect(h.forIp('2.2.2.2', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
    expect(h.forDevice('dx', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
    // An event that never came is kept whole.
    const missed = ev({ user: 'other', ip: '2.2.2.2', occurredAt: t0 + 2000 });
    expect(h.adopt(missed)).toBe(false);
    expect(h.forIp('2.2.2.2', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(2);
    expect(h.forUser('other', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(2);
  });

  it('samples another worker’s transactions into the population baseline, not into its account’s', () => {
    const h = new MemoryHistory();
    for (let i = 0; i < 60; i++)
      h.recordSource(ev({ type: 'transaction', user: `o${i}`, ip: `3.3.3.${i}`, amount: 10 + i, currency: 'EUR', occurredAt: t0 + i }));
    expect(h.populationAmount('EUR')).toEqual({ median: 39.5, samples: 60 });
    expect(h.transactionAmounts('o1', 'EUR', Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('forgets events older than the retention behind the newest, and caps events per key', () => {
    const h = new MemoryHistory({ retentionMs: 10_000, maxEventsPerKey: 5, budgetBytes: 1 << 20 });
    for (let i = 0; i < 8; i++) h.record(ev({ occurredAt: t0 + i * 1000 }));
    expect(h.forUser('u', 0, Number.MAX_SAFE_INTEGER).map((e) => e.occurredAt - t0)).toEqual([3000, 4000, 5000, 6000, 7000]);
    h.record(ev({ occurredAt: t0 + 20_000 }));
    expect(h.forUser('u', 0, Number.MAX_SAFE_INTEGER).map((e) => e.occurredAt - t0)).toEqual([20_000]);
  });

  it('keeps page views only for 15 minutes behind their key’s newest event, so they do not crowd out logins', () => {
    const h = new MemoryHistory();
    h.record(ev({ type: 'login.succeeded', occurredAt: t0, ip: '5.5.5.5' }));
    for (let i = 1; i <= 100; i++) h.record(ev({ type: 'page.viewed', occurredAt: t0 + i * 60_000, ip: '5.5.5.5' }));
    const minutes = (events: readonly PastEvent[]) => events.map((e) => (e.occurredAt - t0) / 60_000);
    // The login and the page views of the last 15 minutes (85 to 100), whatever the timeline's length.
    expect(minutes(h.forUser('u', 0, Number.MAX_SAFE_INTEGER))).toEqual([0, ...Array.from({ length: 16 }, (_, k) => 85 + k)]);
    expect(minutes(h.forIp('5.5.5.5', 0, Number.MAX_SAFE_INTEGER))).toEqual([0, ...Array.from({ length: 16 }, (_, k) => 85 + k)]);
    // Any later event of the key drops the page views that fell behind, not only a page view.
    h.record(ev({ type: 'logout', occurredAt: t0 + 110 * 60_000, ip: '5.5.5.5' }));
    expect(minutes(h.forUser('u', 0, Number.MAX_SAFE_INTEGER))).toEqual([0, 95, 96, 97, 98, 99, 100, 110]);
    expect(minutes(h.forIp('5.5.5.5', 0, Number.MAX_SAFE_INTEGER))).toEqual([0, 95, 96, 97, 98, 99, 100, 110]);
    // A page view that arrives late, already behind by more than 15 minutes, is not kept.
    h.record(ev({ type: 'page.viewed', occurredAt: t0 + 50 * 60_000, ip: '5.5.5.5' }));
    expect(minutes(h.forUser('u', 0, Number.MAX_SAFE_INTEGER))).toEqual([0, 95, 96, 97, 98, 99, 100, 110]);
  });

  it('keeps the page view that opened a session in its user’s timeline, for session hijack', () => {
    const h = new MemoryHistory();
    // A session made only of page views (a shop that sends its logins without the session id).
    for (let i = 0; i < 40; i++)
      h.record(ev({ type: 'page.viewed', session: 's1', occurredAt: t0 + i * 60_000, ip: '81.2.69.1', device: 'd1', ...client }));
    // And one without a client: it cannot be a session's first for session hijack, so it is not kept.
    h.record(ev({ type: 'page.viewed', session: 's2', occurredAt: t0 + 60_000 + 1, ip: '81.2.69.1' }));
    const newest = t0 + 39 * 60_000;
    const views = h.forUser('u', 0, Number.MAX_SAFE_INTEGER);
    // Its first page view stays, with the last 15 minutes'.
    expect(views[0]?.occurredAt).toBe(t0);
    expect(views.slice(1).every((e) => e.occurredAt >= newest - 15 * 60_000 && e.session === 's1')).toBe(true);
    expect(views).toHaveLength(1 + 16);
    // Only the user's timeline keeps it: the address's and the device's drop it with the others.
    expect(h.forIp('81.2.69.1', 0, Number.MAX_SAFE_INTEGER).map((e) => e.occurredAt)).toEqual(
      Array.from({ length: 16 }, (_, k) => newest - (15 - k) * 60_000),
    );
    expect(h.forDevice('d1', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(16);
    // A session opened by a login keeps no page view of its own beyond 15 minutes.
    h.record(ev({ type: 'login.succeeded', user: 'v', session: 's3', occurredAt: t0, ...client }));
    for (let i = 1; i < 40; i++) h.record(ev({ type: 'page.viewed', user: 'v', session: 's3', occurredAt: t0 + i * 60_000, ...client }));
    expect(h.forUser('v', 0, Number.MAX_SAFE_INTEGER).map((e) => e.type)).toEqual(['login.succeeded', ...Array(16).fill('page.viewed')]);
    // A page view that comes late, already behind, is kept when it begins its session or is its
    // session's last in its hour, and not otherwise.
    h.record(ev({ type: 'page.viewed', session: 's4', occurredAt: t0 + 5 * 60_000, ip: '81.2.69.1', ...client }));
    h.record(ev({ type: 'page.viewed', session: 's4', occurredAt: t0 + 6 * 60_000, ip: '81.2.69.1', ...client }));
    h.record(ev({ type: 'page.viewed', session: 's1', occurredAt: t0 + 7 * 60_000, ip: '81.2.69.1', ...client }));
    const late = h.forUser('u', t0 + 5 * 60_000, t0 + 7 * 60_000);
    expect(late.map((e) => [e.session, (e.occurredAt - t0) / 60_000])).toEqual([
      ['s4', 5],
      ['s4', 6],
    ]);
  });

  it('keeps a long session’s first page view and its last of each hour in its user’s timeline, for session hijack’s window', () => {
    const h = new MemoryHistory();
    // Twenty hours of browsing in one session, a page view every 5 minutes (t0 is on the hour).
    for (let i = 0; i < 240; i++)
      h.record(ev({ type: 'page.viewed', session: 'long', occurredAt: t0 + i * 5 * 60_000, ip: '81.2.69.1', ...client }));
    const minutes = (events: readonly PastEvent[]) => events.map((e) => (e.occurredAt - t0) / 60_000);
    // The first (minute 0), the last of each hour but the current one (55, 115, … 1135), and the last 15 minutes'.
    expect(minutes(h.forUser('u', 0, Number.MAX_SAFE_INTEGER))).toEqual([
      0,
      ...Array.from({ length: 19 }, (_, k) => 55 + k * 60),
      1180,
      1185,
      1190,
      1195,
    ]);
    expect(minutes(h.forIp('81.2.69.1', 0, Number.MAX_SAFE_INTEGER))).toEqual([1180, 1185, 1190, 1195]);
  });

  it('counts a page view it let go of as had, so that a replay does not bring it back', () => {
    const h = new MemoryHistory();
    const view = ev({ type: 'page.viewed', user: 'w1', occurredAt: t0, ip: '9.9.9.9', device: 'd9' });
    h.record(view);
    h.record(ev({ type: 'logout', user: 'w1', occurredAt: t0 + 20 * 60_000, ip: '9.9.9.9', device: 'd9' }));
    expect(h.forUser('w1', 0, Number.MAX_SAFE_INTEGER).map((e) => e.type)).toEqual(['logout']);
    // The start's replay after a snapshot and the distributed mode's catch-up ask holds().
    expect(h.holds(view)).toBe(true);
    // The distributed mode: the same page view shared again, or adopted at a takeover, is not
    // counted again (the rules observe what these return false for).
    expect(h.recordSource(view)).toBe(false);
    // Refused before its keys are made: no empty timeline is left for a device it names.
    expect(h.recordSource({ ...view, device: 'd-new' })).toBe(false);
    expect(h.exportState().keys.some((k) => k.key === 'd-new')).toBe(false);
    expect(h.adopt(view)).toBe(true);
    expect(h.forUser('w1', 0, Number.MAX_SAFE_INTEGER).map((e) => e.type)).toEqual(['logout']);
    // What it never had and would keep is not had: a login of any age, a page view of the last 15 minutes.
    expect(h.holds(ev({ type: 'login.succeeded', user: 'w1', occurredAt: t0 }))).toBe(false);
    expect(h.holds(ev({ type: 'page.viewed', user: 'w1', occurredAt: t0 + 10 * 60_000 }))).toBe(false);
    expect(h.recordSource(ev({ type: 'page.viewed', user: 'w2', occurredAt: t0 + 10 * 60_000, ip: '9.9.9.9' }))).toBe(true);
  });

  it('keeps sessions’ openers however many, the oldest giving way to the per-key cap', () => {
    // A client that starts a session at every page view (a crawler that drops its cookies): each
    // opens its session, so the user's timeline keeps them all, up to the cap of events per key.
    const h = new MemoryHistory({ ...DEFAULT_LIMITS, maxEventsPerKey: 50 });
    for (let i = 0; i < 200; i++)
      h.record(ev({ type: 'page.viewed', session: `c${i}`, occurredAt: t0 + i * 60_000, ip: '81.2.69.1', ...client }));
    const kept = h.forUser('u', 0, Number.MAX_SAFE_INTEGER);
    expect(kept).toHaveLength(50);
    expect(kept[0]?.session).toBe('c150');
    // Their address's timeline keeps the last 15 minutes' only.
    expect(h.forIp('81.2.69.1', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(16);
  });

  it('keeps transaction amounts per user and currency, before a time', () => {
    const h = new MemoryHistory();
    h.record(ev({ type: 'transaction', amount: 10, currency: 'EUR', occurredAt: t0 }));
    h.record(ev({ type: 'transaction', amount: 30, currency: 'EUR', occurredAt: t0 + 2000 }));
    h.record(ev({ type: 'transaction', amount: 20, currency: 'USD', occurredAt: t0 + 1000 }));
    expect(h.transactionAmounts('u', 'EUR', t0 + 5000)).toEqual([10, 30]);
    expect(h.transactionAmounts('u', 'EUR', t0 + 1000)).toEqual([10]);
    expect(h.transactionAmounts('u', 'USD', t0 + 5000)).toEqual([20]);
    expect(h.transactionAmounts('u', 'GBP', t0 + 5000)).toEqual([]);
    // Replayed at start alone (older than the windows), they make no habits: no profile is shown.
    const warm = new MemoryHistory();
    for (let i = 0; i < 150; i++) warm.recordAmount(ev({ type: 'transaction', amount: i, currency: 'EUR', occurredAt: t0 - i * 1000 }));
    expect(warm.profileOf('u')).toBeUndefined();
    // The latest 100, oldest first, whatever the order they came in.
    expect(warm.transactionAmounts('u', 'EUR', t0 + 1)).toEqual(Array.from({ length: 100 }, (_, k) => 99 - k));
  });

  it("keeps each account's habits beyond the windows: usual hours of its latest logins, last login, merchants", () => {
    const h = new MemoryHistory({ retentionMs: HOUR_MS, maxEventsPerKey: 10, budgetBytes: 1 << 20 });
    const day = 24 * HOUR_MS;
    for (let d = 0; d < PROFILE_LOGINS + 8; d++) {
      // The first 8 days at 22:00, then every day at 09:30: only the latest PROFILE_LOGINS count.
      const hour = d < 8 ? 22 : 9.5;
      h.record(ev({ type: 'login.succeeded', occurredAt: t0 - 60 * day + d * day + hour * HOUR_MS - 10 * HOUR_MS, device: `d${d}` }));
    }
    const p = h.profileOf('u');
    expect(p?.logins).toBe(PROFILE_LOGINS + 8);
    expect(new Set(Array.from(p?.loginMinutes ?? []))).toEqual(new Set([9 * 60 + 30]));
    expect(p?.lastLogin?.device).toBe(`d${PROFILE_LOGINS + 7}`);
    // A late login does not become the last one.
    h.record(ev({ type: 'login.succeeded', occurredAt: t0 - 90 * day, device: 'old' }));
    expect(h.profileOf('u')?.lastLogin?.device).toBe(`d${PROFILE_LOGINS + 7}`);

    for (let i = 0; i < PROFILE_MERCHANTS + 2; i++)
      h.record(ev({ type: 'transaction', amount: 5, currency: 'EUR', merchant: `m${i}`, occurredAt: t0 + i * 1000 }));
    h.record(ev({ type: 'transaction', amount: 5, currency: 'EUR', merchant: 'm5', occurredAt: t0 - 1000 }));
    const q = h.profileOf('u');
    expect(q?.transactions).toBe(PROFILE_MERCHANTS + 3);
    expect(q?.lastTransactionAt).toBe(t0 + (PROFILE_MERCHANTS + 1) * 1000);
    expect(q?.merchants).toHaveLength(PROFILE_MERCHANTS);
    expect(q?.merchants).not.toContain('m0');
    expect(q?.merchants.at(-1)).toBe('m5');
    // Other event types leave it alone; unknown accounts have none.
    h.record(ev({ type: 'page.viewed', user: 'w' }));
    expect(h.profileOf('w')).toBeUndefined();
  });

  it('keeps the minutes of the latest logins exactly, and one merchant or many, most recent last', () => {
    const h = new MemoryHistory();
    const day = 24 * HOUR_MS;
    const midnight = Math.floor(t0 / day) * day;
    // Minutes from 0 to 1439 (past a byte), more logins than the ring holds.
    const minutes = Array.from({ length: PROFILE_LOGINS + 5 }, (_, k) => (k * 397) % 1440);
    minutes.forEach((m, k) => {
      h.record(ev({ type: 'login.succeeded', occurredAt: midnight + k * day + m * 60_000 + 59_999, device: 'd' }));
    });
    const sorted = (list: ArrayLike<number>) => Array.from(list).sort((a, b) => a - b);
    // A ring: the latest five took the first five places.
    const ring = [...minutes.slice(PROFILE_LOGINS), ...minutes.slice(5, PROFILE_LOGINS)];
    expect(Array.from(h.profileOf('u')?.loginMinutes ?? [])).toEqual(ring);
    expect(minutes).toContain(0);
    expect(Math.max(...minutes)).toBeGreaterThan(255);
    const merchantsAfter = (merchant: string, k: number) => {
      h.record(ev({ type: 'transaction', amount: 5, currency: 'EUR', merchant, occurredAt: t0 + k * 1000 }));
      return h.profileOf('u')?.merchants;
    };
    expect(merchantsAfter('shop-a', 1)).toEqual(['shop-a']);
    expect(merchantsAfter('shop-a', 2)).toEqual(['shop-a']);
    expect(merchantsAfter('shop-b', 3)).toEqual(['shop-a', 'shop-b']);
    expect(merchantsAfter('shop-a', 4)).toEqual(['shop-b', 'shop-a']);
    // As a snapshot keeps it, and back.
    const state = h.exportState().keys.find((k) => k.kind === 'profile');
    expect(state?.kind === 'profile' && sorted(state.profile.loginMinutes)).toEqual(sorted(minutes.slice(-PROFILE_LOGINS)));
    expect(state?.kind === 'profile' && state.profile.merchants).toEqual(['shop-b', 'shop-a']);
    // A login at no time of day (NaN) is no minute: the usual hours skip it, as they always did.
    const odd = new MemoryHistory();
    odd.record(ev({ type: 'login.succeeded', user: 'z', occurredAt: Number.NaN }));
    odd.record(ev({ type: 'login.succeeded', user: 'z', occurredAt: midnight + 61 * 60_000 }));
    expect(Array.from(odd.profileOf('z')?.loginMinutes ?? [])).toEqual([Number.NaN, 61]);
  });

  it('serves with one list the timelines that hold the same events, each moving on to its own when they part', () => {
    const h = new MemoryHistory();
    const ids = (list: readonly PastEvent[]) => list.map((e) => e.id);
    const all = [0, Number.MAX_SAFE_INTEGER] as const;
    // One user alone on an address and a device: their three timelines hold the same five events.
    const alone = Array.from({ length: 5 }, (_, k) => ev({ occurredAt: t0 + k, ip: '192.0.2.1', device: 'd1' }));
    for (const e of alone) h.record(e);
    expect(h.timelineLists()).toEqual({ keys: 3, lists: 1 });
    for (const list of [h.forUser('u', ...all), h.forIp('192.0.2.1', ...all), h.forDevice('d1', ...all)])
      expect(ids(list)).toEqual(ids(alone));
    // Someone else on the address: its timeline parts from the others'.
    const other = ev({ user: 'v', occurredAt: t0 + 10, ip: '192.0.2.1', device: 'd2' });
    h.record(other);
    expect(h.timelineLists()).toEqual({ keys: 3, lists: 2 });
    expect(ids(h.forIp('192.0.2.1', ...all))).toEqual([...ids(alone), other.id]);
    expect(ids(h.forUser('u', ...all))).toEqual(ids(alone));
    expect(ids(h.forDevice('d1', ...all))).toEqual(ids(alone));
    // Forty events on another address and device: they share a list while it is short; a long one
    // grows in place, each key's its own. Then the device alone elsewhere.
    const away = Array.from({ length: 40 }, (_, k) => ev({ occurredAt: t0 + 100 + k, ip: '198.51.100.7', device: 'd3' }));
    for (const e of away.slice(0, 20)) h.record(e);
    expect(h.timelineLists().lists).toBe(4);
    for (const e of away.slice(20)) h.record(e);
    expect(h.timelineLists().lists).toBe(5);
    const moved = ev({ occurredAt: t0 + 200, ip: '203.0.113.9', device: 'd3' });
    h.record(moved);
    expect(ids(h.forIp('198.51.100.7', ...all))).toEqual(ids(away));
    expect(ids(h.forDevice('d3', ...all))).toEqual([...ids(away), moved.id]);
    expect(ids(h.forUser('u', ...all))).toEqual([...ids(alone), ...ids(away), moved.id]);
    // A short shared list stays as it was for one key when the other takes a new event.
    const h2 = new MemoryHistory();
    const pair = [ev({ occurredAt: t0, ip: '192.0.2.5', device: 'd5' }), ev({ occurredAt: t0 + 1, ip: '192.0.2.5', device: 'd5' })];
    for (const e of pair) h2.record(e);
    const onlyDevice = ev({ occurredAt: t0 + 2, device: 'd5' });
    h2.record(onlyDevice);
    expect(ids(h2.forIp('192.0.2.5', ...all))).toEqual(ids(pair));
    expect(ids(h2.forDevice('d5', ...all))).toEqual([...ids(pair), onlyDevice.id]);
  });

  it('replays profiles alone at start, without touching the windows', () => {
    const h = new MemoryHistory();
    h.recordProfile(ev({ type: 'login.succeeded', occurredAt: t0 - 40 * 24 * HOUR_MS }));
    expect(h.profileOf('u')?.logins).toBe(1);
    expect(h.forUser('u', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });
});

describe('MemoryHistory under a byte budget', () => {
  it("keeps every kept key's own events while the budget's columns shrink under eviction", () => {
    // Thousands of one-event users, then a few users with hundreds of events each: the budget evicts
    // most keys, compacting its rows as it goes (keys move to other rows while their events' charges
    // move between keys).
    const h = new MemoryHistory({ ...DEFAULT_LIMITS, budgetBytes: 400 * 1024 });
    let peakColumns = 0;
    const check = () => {
      peakColumns = Math.max(peakColumns, h.memory().columnBytes);
      expect(h.memory().bytes).toBeLessThanOrEqual(400 * 1024);
      const state = h.exportState();
      let total = 0;
      for (const k of state.keys) {
        total += k.bytes;
        if (k.kind === 'user') for (const e of k.events) expect(e.user, `${k.key} holds ${e.id}`).toBe(k.key);
        if (k.kind === 'ip') for (const e of k.events) expect(e.ip).toBe(k.key);
        if (k.kind === 'device') for (const e of k.events) expect(e.device).toBe(k.key);
      }
      expect(total + h.memory().columnBytes).toBe(h.memory().bytes);
      expect(state.keys.length).toBe(h.memory().keys);
    };
    for (let i = 0; i < 3000; i++) {
      h.record(ev({ id: `one-${i}`, user: `one-${i}`, ip: `10.0.${i >> 8}.${i & 255}`, device: `d-${i}`, occurredAt: t0 + i }));
      if (i % 250 === 0) check();
    }
    for (let i = 0; i < 12 * 300; i++) {
      const u = i % 12;
      h.record(ev({ id: `heavy-${i}`, user: `heavy-${u}`, ip: `192.0.2.${u}`, device: `hd-${u}`, occurredAt: t0 + 10_000 + i }));
      if (i % 100 === 0) check();
    }
    check();
    expect(h.memory().evictedKeys).toBeGreaterThan(5000);
    expect(h.memory().columnBytes).toBeLessThan(peakColumns / 4);
    expect(
      h
        .forUser('heavy-11', 0, Number.MAX_SAFE_INTEGER)
        .map((e) => e.id)
        .at(-1),
    ).toBe('heavy-3599');
  });

  const budgetBytes = 2 * 1024 * 1024;
  const attack = (h: MemoryHistory, users: number, perUser: number) => {
    // The attack of the hardening issue: many users each with hundreds of failed logins.
    for (let i = 0; i < perUser; i++)
      for (let u = 0; u < users; u++)
        h.record({
          id: `evt_${u}_${i}_0123456789abcdef`,
          type: 'login.failed',
          user: `victim-${u}`,
          occurredAt: t0 + i * 1000 + u,
          ip: `203.0.${u % 250}.${i % 250}`,
          device: `device-${u}-${i % 7}`,
          session: `session-${u}`,
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
        });
  };

  it('keeps its estimate within the budget, forgetting the least recently active keys first', () => {
    const h = new MemoryHistory({ retentionMs: 25 * HOUR_MS, maxEventsPerKey: 300, budgetBytes });
    attack(h, 5000, 10);
    const memory = h.memory();
    expect(memory.limitBytes).toBe(budgetBytes);
    expect(memory.bytes).toBeLessThanOrEqual(budgetBytes);
    expect(memory.evictedKeys).toBeGreaterThan(0);
    // The latest round wrote every user last in order: the last users are kept, the first forgotten.
    expect(h.forUser('victim-4999', 0, Number.MAX_SAFE_INTEGER).length).toBeGreaterThan(0);
    expect(h.forUser('victim-0', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('keeps a user who stays active while others come and go', () => {
    const h = new MemoryHistory({ retentionMs: 25 * HOUR_MS, maxEventsPerKey: 300, budgetBytes });
    for (let u = 0; u < 20_000; u++) {
      h.record(ev({ id: `a${u}`, user: `passer-${u}`, occurredAt: t0 + u }));
      if (u % 500 === 0) h.record(ev({ id: `r${u}`, user: 'regular', occurredAt: t0 + u }));
    }
    expect(h.memory().bytes).toBeLessThanOrEqual(budgetBytes);
    expect(h.forUser('regular', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(40);
    expect(h.forUser('passer-0', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(h.forUser('passer-19999', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
  });

  it("charges an event once, to a key that still holds it: an IP's events outlive their users", () => {
    // A shared address (a NAT): it is written with every event, so its users are forgotten first,
    // while their events stay in its timeline; their bytes move to it, else the estimate would
    // count only part of what is kept (the excess over the budget that issue 18 measured).
    const h = new MemoryHistory({ retentionMs: 25 * HOUR_MS, maxEventsPerKey: 300, budgetBytes: 256 * 1024 });
    for (let u = 0; u < 3000; u++) h.record(ev({ id: `n${u}`, user: `nat-user-${u}`, ip: '198.51.100.7', occurredAt: t0 + u }));
    const kept = h.forIp('198.51.100.7', 0, Number.MAX_SAFE_INTEGER);
    expect(kept).toHaveLength(300);
    expect(h.memory().evictedKeys).toBeGreaterThan(0);
    expect(h.forUser('nat-user-0', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    const eventsBytes = kept.reduce((sum, e) => sum + (e as StoredEvent).ownBytes, 0);
    expect(h.memory().bytes).toBeGreaterThan(eventsBytes);
    expect(h.memory().bytes).toBeLessThanOrEqual(256 * 1024);
  });

  it('moves the charge of an event its user no longer keeps to its IP, and takes it back once both let go', () => {
    const limits = { retentionMs: 25 * HOUR_MS, maxEventsPerKey: 2, budgetBytes: 1 << 20 };
    const capped = new MemoryHistory(limits);
    const whole = new MemoryHistory({ ...limits, maxEventsPerKey: 300 });
    for (const h of [capped, whole])
      for (let i = 0; i < 3; i++) h.record(ev({ id: `m${i}`, ip: `192.0.2.${i}`, occurredAt: t0 + i * 1000 }));
    // The capped user keeps two events, but the first is still in its IP's timeline: all three are
    // charged; the only difference is one slot of the user's list.
    expect(capped.forUser('u', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(2);
    expect(capped.forIp('192.0.2.0', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
    // The keys' estimates, without the budget's own columns (which grow with the keys' number).
    const keyBytes = (h: MemoryHistory) => h.memory().bytes - h.memory().columnBytes;
    expect(keyBytes(whole) - keyBytes(capped)).toBe(8);
    // Its IP lets go of it too (past the retention behind a new event there): its bytes are given
    // back; what is added is the new event and its new user's key (128 bytes and its name).
    const before = keyBytes(capped);
    capped.record(ev({ id: 'm3', user: 'other', ip: '192.0.2.0', occurredAt: t0 + 26 * HOUR_MS }));
    const [m3] = capped.forIp('192.0.2.0', 0, Number.MAX_SAFE_INTEGER) as StoredEvent[];
    const [first] = whole.forUser('u', 0, t0) as StoredEvent[];
    expect(m3?.id).toBe('m3');
    expect(first?.id).toBe('m0');
    expect(keyBytes(capped)).toBe(before + 128 + stringBytes('other') + (m3?.ownBytes ?? 0) - (first?.ownBytes ?? 0));
  });

  it.each([
    { traffic: 'failed logins', retentionMs: 60_000, maxEventsPerKey: 6, step: 100, budgetKb: 16, pageViews: false },
    // Page views, a third of them with a client, dropped 15 minutes behind their keys' newest event
    // (the retention's 25 hours are never reached), sessions' marks kept by their users.
    { traffic: 'page views among logins', retentionMs: 25 * HOUR_MS, maxEventsPerKey: 30, step: 3000, budgetKb: 192, pageViews: true },
    // The same over four users only, with more sessions: their timelines are long lists, changed in place.
    {
      traffic: 'page views among logins, long timelines',
      retentionMs: 25 * HOUR_MS,
      maxEventsPerKey: 300,
      step: 3000,
      budgetKb: 448,
      pageViews: true,
      users: 4,
      sessions: 2000,
    },
  ])(
    'charges every kept event to exactly one key that holds it, through caps, retention and evictions ($traffic)',
    ({ retentionMs, maxEventsPerKey, step, budgetKb, pageViews, users = 60, sessions = 90 }) => {
      // Users, addresses and devices mixed at random (a fixed seed), so that events are forgotten by
      // one holder while others keep them, in every order; then each key's estimate is its fixed part
      // (200 bytes and its name), its list's slots, and the events charged to it, nothing else.
      const h = new MemoryHistory({ retentionMs, maxEventsPerKey, budgetBytes: budgetKb * 1024 });
      let marks = 0;
      let longTimelines = 0;
      let seed = 7;
      const next = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        // The high bits: the low ones of this generator repeat with short periods.
        return Math.floor((seed / 2 ** 31) * n);
      };
      for (let i = 0; i < 5000; i++) {
        const device = next(3) === 0 ? undefined : `dev-${next(40)}`;
        const type = pageViews && next(3) > 0 ? 'page.viewed' : 'login.failed';
        const session = pageViews ? { session: `s-${next(sessions)}`, ...(next(3) === 0 && client) } : {};
        h.record(
          ev({
            id: `r${i}`,
            type,
            user: `user-${next(users)}`,
            ip: `10.0.0.${next(50)}`,
            device,
            occurredAt: t0 + i * step - next(5000),
            ...session,
          }),
        );
      }
      if (pageViews) {
        // Page views were dropped, and none kept is older than 15 minutes behind its timeline's newest
        // but a session's mark in a user's timeline: a page view with a client, and no event of its
        // session with a client kept in the hour before it.
        for (const k of h.exportState().keys) {
          if (k.kind !== 'user' && k.kind !== 'ip' && k.kind !== 'device') continue;
          const events = k.events as StoredEvent[];
          if (k.kind === 'user' && events.length >= 32) longTimelines++;
          const newest = (events[events.length - 1] as StoredEvent).occurredAt;
          const old = events.filter((e) => e.type === 'page.viewed' && e.occurredAt < newest - 15 * 60_000);
          if (k.kind !== 'user') expect(old, `${k.kind} ${k.key}`).toEqual([]);
          else
            for (const e of old) {
              expect(e.ua).toBeDefined();
              const at = events.indexOf(e);
              const ofSession = (x: StoredEvent) => x.session === e.session && x.ua !== undefined;
              const first = !events.slice(0, at).some(ofSession);
              // The last of its hour when it fell behind: no event of its session later in that hour
              // and within the 15 minutes after it (a later one, of the same hour, can come after).
              const lastOfHour = !events
                .slice(at + 1)
                .some(
                  (x) =>
                    ofSession(x) &&
                    Math.floor(x.occurredAt / HOUR_MS) === Math.floor(e.occurredAt / HOUR_MS) &&
                    x.occurredAt <= e.occurredAt + 15 * 60_000,
                );
              expect(first || lastOfHour, `${k.key} ${e.id}`).toBe(true);
              marks++;
            }
        }
        expect(marks).toBeGreaterThan(0);
        expect(longTimelines > 0).toBe(users < 60);
      }
      expect(h.memory().evictedKeys).toBeGreaterThan(0);
      const state = h.exportState();
      const holderOf = { user: 0, ip: 1, device: 2 } as const;
      let total = 0;
      for (const k of state.keys) {
        total += k.bytes;
        if (k.kind !== 'user' && k.kind !== 'ip' && k.kind !== 'device') continue;
        const events = k.events as StoredEvent[];
        const charged = events.filter((e) => e.chargedTo === holderOf[k.kind]).reduce((sum, e) => sum + e.ownBytes, 0);
        // Exactly sized while short, with the slack of growth in place from 32 events (containerBytes).
        const list = events.length === 1 ? 0 : events.length < 32 ? 32 + 16 + 8 * events.length : 32 + 16 + 12 * events.length + 128;
        expect(k.bytes, `${k.kind} ${k.key}`).toBe(128 + stringBytes(k.key) + list + charged);
        for (const e of events) expect(e.chargedTo, e.id).toBeDefined();
      }
      expect(total + h.memory().columnBytes).toBe(h.memory().bytes);
    },
  );

  it('counts what it forgets by age and by the per-key cap, so an idle budget shrinks back', () => {
    const h = new MemoryHistory({ retentionMs: 10_000, maxEventsPerKey: 5, budgetBytes });
    for (let i = 0; i < 50; i++) h.record(ev({ occurredAt: t0 + i * 100, ip: '192.0.2.1' }));
    const capped = h.memory().bytes;
    for (let i = 0; i < 50; i++) h.record(ev({ occurredAt: t0 + 5000 + i * 100, ip: '192.0.2.1' }));
    // Same number of events kept per key: same estimate, not one that only grows.
    expect(h.memory().bytes).toBe(capped);
    h.record(ev({ occurredAt: t0 + 60_000, ip: '192.0.2.1' }));
    expect(h.memory().bytes).toBeLessThan(capped);
  });
});
