import { afterEach, describe, expect, it, vi } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/support/database.js';
import type { Clock } from '../core/clock.js';
import { type DatabaseHandle, openDatabase } from '../store/database.js';
import { SqlRuleStatsStore } from '../store/rule-stats-store.js';
import { type RuleDayCount, RuleStats, type RuleStatsStore } from './rule-stats.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-24T12:00:00Z');

class MemoryStatsStore implements RuleStatsStore {
  rows = new Map<string, RuleDayCount>();
  adds: RuleDayCount[][] = [];
  failNext = false;
  /** Resolves the pending add when called; set by tests that race a flush. */
  gate: Promise<void> | undefined;

  async add(counts: readonly RuleDayCount[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.adds.push([...counts]);
    for (const c of counts) {
      const key = `${c.ruleId}|${c.day}|${c.mode}`;
      const old = this.rows.get(key);
      this.rows.set(key, { ...c, hits: (old?.hits ?? 0) + c.hits, alerts: (old?.alerts ?? 0) + c.alerts });
    }
  }

  async read(fromDay: string, toDay: string): Promise<readonly RuleDayCount[]> {
    return [...this.rows.values()].filter((r) => r.day >= fromDay && r.day <= toDay);
  }
}

describe('RuleStats', () => {
  it('counts hits and alerts per rule, UTC day and mode, and sums the last 7 and 30 days', async () => {
    const now = T0;
    const stats = new RuleStats(new MemoryStatsStore(), { now: () => now });
    stats.record('large-transaction', T0, 'live', true);
    stats.record('large-transaction', T0 - 1000, 'live', false);
    stats.record('large-transaction', T0 - 3 * DAY, 'live', true);
    stats.record('large-transaction', T0 - 10 * DAY, 'live', false);
    stats.record('large-transaction', T0 - 40 * DAY, 'live', true); // beyond 30 days: not shown
    stats.record('card-testing', T0, 'shadow', true);
    stats.record('card-testing', T0, 'shadow', false);

    const figures = await stats.figures();
    const large = figures.get('large-transaction');
    expect(large?.live.last7Days).toEqual({ hits: 3, alerts: 2 });
    expect(large?.live.last30Days).toEqual({ hits: 4, alerts: 2 });
    expect(large?.shadow.last30Days).toEqual({ hits: 0, alerts: 0 });
    expect(large?.live.daily).toHaveLength(14);
    expect(large?.live.daily.at(-1)).toEqual({ day: '2026-11-24', hits: 2, alerts: 1 });
    expect(large?.live.daily.at(-4)).toEqual({ day: '2026-11-21', hits: 1, alerts: 1 });
    expect(large?.live.daily[0]?.day).toBe('2026-11-11');

    const card = figures.get('card-testing');
    expect(card?.shadow.last7Days).toEqual({ hits: 2, alerts: 1 });
    expect(card?.live.last7Days).toEqual({ hits: 0, alerts: 0 });
    expect(figures.has('impossible-travel')).toBe(false);
    expect((await stats.figuresOf('impossible-travel')).live.daily).toHaveLength(14);
  });

  it('splits days at midnight UTC, by the event time', async () => {
    const stats = new RuleStats(new MemoryStatsStore(), { now: () => T0 });
    const midnight = Date.parse('2026-11-24T00:00:00Z');
    stats.record('r', midnight - 1, 'live', false);
    stats.record('r', midnight, 'live', false);
    stats.record('r', midnight + 1, 'live', false);
    const daily = (await stats.figuresOf('r')).live.daily;
    expect(daily.slice(-2)).toEqual([
      { day: '2026-11-23', hits: 1, alerts: 0 },
      { day: '2026-11-24', hits: 2, alerts: 0 },
    ]);
  });

  it('adds flushed counts to the store and reads them back with those not flushed yet', async () => {
    const store = new MemoryStatsStore();
    const stats = new RuleStats(store, { now: () => T0 });
    stats.record('r', T0, 'live', true);
    stats.record('r', T0, 'shadow', true);
    await stats.flush();
    expect(store.adds).toEqual([
      [
        { ruleId: 'r', day: '2026-11-24', mode: 'live', hits: 1, alerts: 1 },
        { ruleId: 'r', day: '2026-11-24', mode: 'shadow', hits: 1, alerts: 1 },
      ],
    ]);
    // Nothing new: a flush writes nothing.
    await stats.flush();
    expect(store.adds).toHaveLength(1);
    stats.record('r', T0, 'live', false);
    const figures = await stats.figuresOf('r');
    expect(figures.live.last7Days).toEqual({ hits: 2, alerts: 1 });
    expect(figures.shadow.last7Days).toEqual({ hits: 1, alerts: 1 });
    await stats.flush();
    expect(store.adds[1]).toEqual([{ ruleId: 'r', day: '2026-11-24', mode: 'live', hits: 1, alerts: 0 }]);
    expect((await stats.figuresOf('r')).live.last7Days).toEqual({ hits: 2, alerts: 1 });
  });

  it('keeps counts recorded while a flush is writing, and never shows a count twice', async () => {
    const store = new MemoryStatsStore();
    const stats = new RuleStats(store, { now: () => T0 });
    stats.record('r', T0, 'live', false);
    let open!: () => void;
    store.gate = new Promise((resolve) => {
      open = resolve;
    });
    const flushing = stats.flush();
    stats.record('r', T0, 'live', false);
    const reading = stats.figuresOf('r');
    open();
    await flushing;
    store.gate = undefined;
    expect((await reading).live.last7Days.hits).toBe(2);
    await stats.flush();
    expect(store.rows.get('r|2026-11-24|live')?.hits).toBe(2);
  });

  it('keeps the counts of a failed flush for the next one, and reports the failure', async () => {
    const store = new MemoryStatsStore();
    const errors: unknown[] = [];
    const stats = new RuleStats(store, { now: () => T0 }, (e) => errors.push(e));
    stats.record('r', T0, 'shadow', true);
    store.failNext = true;
    await stats.flush();
    expect(errors).toHaveLength(1);
    expect((await stats.figuresOf('r')).shadow.last7Days).toEqual({ hits: 1, alerts: 1 });
    await stats.flush();
    expect(store.rows.get('r|2026-11-24|shadow')).toMatchObject({ hits: 1, alerts: 1 });
  });

  it('forgets flushed days that are over, but keeps counting late events for them', async () => {
    let now = T0;
    const store = new MemoryStatsStore();
    const stats = new RuleStats(store, { now: () => now });
    stats.record('r', T0 - 5 * DAY, 'live', false);
    await stats.flush();
    stats.record('r', T0 - 5 * DAY, 'live', false);
    now += DAY;
    await stats.flush();
    expect(store.rows.get('r|2026-11-19|live')?.hits).toBe(2);
    expect((await stats.figuresOf('r')).live.last7Days.hits).toBe(2);
  });

  it('flushes on a timer that does not hold the process, and once more at close', async () => {
    vi.useFakeTimers();
    try {
      const store = new MemoryStatsStore();
      const stats = new RuleStats(store, { now: () => T0 });
      stats.start(10_000);
      stats.record('r', T0, 'live', true);
      await vi.advanceTimersByTimeAsync(9_999);
      expect(store.adds).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(store.adds).toHaveLength(1);
      stats.record('r', T0, 'live', false);
      await stats.close();
      expect(store.adds).toHaveLength(2);
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(store.adds).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('records without allocating for a rule, day and mode already keyed', () => {
    const stats = new RuleStats(new MemoryStatsStore(), { now: () => T0 });
    stats.track(['r']);
    stats.record('r', T0, 'live', true);
    // A rough guard: a million records of a keyed cell must not grow the heap by more than noise.
    // The least of three rounds: the test runner's own work in this thread (its messages, on a
    // loaded machine) lands in one round now and then, while an allocation per record lands in all.
    const growth: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 1_000_000; i++) stats.record('r', T0 + (i % 1000), i % 2 === 0 ? 'live' : 'shadow', i % 7 === 0);
      growth.push(process.memoryUsage().heapUsed - before);
    }
    expect(Math.min(...growth)).toBeLessThan(8_000_000);
  });
});

describe('SqlRuleStatsStore', () => {
  let db: TestDatabase | undefined;
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    await db?.drop();
  });

  it('adds to the rows it already holds (ON CONFLICT … DO UPDATE), per rule, day and mode', async () => {
    db = await freshDatabase();
    handle = await openDatabase(db.target, { migrate: true });
    const now = T0;
    const clock: Clock = { now: () => now };
    const stats = new RuleStats(new SqlRuleStatsStore(handle), clock);
    stats.record('large-transaction', T0, 'live', true);
    stats.record('large-transaction', T0, 'shadow', true);
    stats.record('large-transaction', T0 - DAY, 'shadow', false);
    await stats.flush();
    stats.record('large-transaction', T0, 'live', false);
    stats.record('large-transaction', T0, 'shadow', true);
    await stats.close();

    const rows = await handle.db.selectFrom('rule_daily_stats').selectAll().orderBy('day').orderBy('mode').execute();
    expect(rows.map((r) => ({ ...r, hits: Number(r.hits), alerts: Number(r.alerts) }))).toEqual([
      { rule_id: 'large-transaction', day: '2026-11-23', mode: 'shadow', hits: 1, alerts: 0 },
      { rule_id: 'large-transaction', day: '2026-11-24', mode: 'live', hits: 2, alerts: 1 },
      { rule_id: 'large-transaction', day: '2026-11-24', mode: 'shadow', hits: 2, alerts: 2 },
    ]);
    // A second process (or a restart) reads the same figures.
    const again = await new RuleStats(new SqlRuleStatsStore(handle), clock).figuresOf('large-transaction');
    expect(again.live.last7Days).toEqual({ hits: 2, alerts: 1 });
    expect(again.shadow.last7Days).toEqual({ hits: 3, alerts: 2 });
  });
});
