import { describe, expect, it } from 'vitest';
import type { PastEvent } from './history.js';
import { MemoryHistory } from './memory-history.js';

const t0 = Date.parse('2026-11-24T10:00:00Z');
let n = 0;
const ev = (over: Partial<PastEvent>): PastEvent => ({ id: `e${n++}`, type: 'login.failed', user: 'u', occurredAt: t0, ...over });

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

  it('forgets events older than the retention behind the newest, and caps events per key', () => {
    const h = new MemoryHistory({ retentionMs: 10_000, maxEventsPerKey: 5, maxKeys: 10 });
    for (let i = 0; i < 8; i++) h.record(ev({ occurredAt: t0 + i * 1000 }));
    expect(h.forUser('u', 0, Number.MAX_SAFE_INTEGER).map((e) => e.occurredAt - t0)).toEqual([3000, 4000, 5000, 6000, 7000]);
    h.record(ev({ occurredAt: t0 + 20_000 }));
    expect(h.forUser('u', 0, Number.MAX_SAFE_INTEGER).map((e) => e.occurredAt - t0)).toEqual([20_000]);
  });

  it('keeps page views only for minutes, so they do not crowd out logins', () => {
    const h = new MemoryHistory();
    h.record(ev({ type: 'login.succeeded', occurredAt: t0 }));
    for (let i = 0; i < 100; i++) h.record(ev({ type: 'page.viewed', occurredAt: t0 + i * 60_000 }));
    const kept = h.forUser('u', 0, Number.MAX_SAFE_INTEGER);
    expect(kept[0]?.type).toBe('login.succeeded');
    // Compacted whenever the timeline passes 64 events: never more than that, the login kept.
    expect(kept.filter((e) => e.type === 'page.viewed').length).toBeLessThanOrEqual(64);
    expect(kept.length).toBeLessThan(101);
  });

  it('keeps transaction amounts per user and currency, before a time', () => {
    const h = new MemoryHistory();
    h.record(ev({ type: 'transaction', amount: 10, currency: 'EUR', occurredAt: t0 }));
    h.record(ev({ type: 'transaction', amount: 30, currency: 'EUR', occurredAt: t0 + 2000 }));
    h.record(ev({ type: 'transaction', amount: 20, currency: 'USD', occurredAt: t0 + 1000 }));
    expect(h.transactionAmounts('u', 'EUR', t0 + 5000)).toEqual([10, 30]);
    expect(h.transactionAmounts('u', 'EUR', t0 + 1000)).toEqual([10]);
  });
});
