import { describe, expect, it } from 'vitest';
import { IsolationForest } from '../anomaly/isolation-forest.js';
import { FEATURES } from '../anomaly/model-kinds.js';
import { CHROME, IPHONE, memorySource, ordinaryMonth, RIO } from '../anomaly/test-kit.js';
import type { StoredEvent } from '../domain/activity-event.js';
import { extractFeatures } from './behaviour-features.js';
import { toPastEvent } from './history.js';
import { MemoryHistory } from './memory-history.js';
import { MIN_THRESHOLD, MIN_TRAINING_ROWS, THRESHOLD_QUANTILE, thresholdFor, trainModel } from './model-trainer.js';

const END = Date.parse('2026-11-24T12:00:00Z');
const clock = { now: () => END };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const month = ordinaryMonth({ accounts: 60, days: 30, end: END - DAY });
const source = memorySource(month.events);
const logins = month.events.filter((e) => e.type === 'login.succeeded').length;

/** Replays the month into a history, as the live path would hold it, to score one more event. */
function liveHistory(events: readonly StoredEvent[]): MemoryHistory {
  const h = new MemoryHistory();
  for (const e of events) h.record(toPastEvent(e));
  return h;
}

describe('training', () => {
  it('learns a login model from every successful login, with its threshold at the 99.5th percentile', async () => {
    const trained = await trainModel(source, { kind: 'login', trainedBy: 'test' }, clock);
    if (!trained.ok) throw new Error(trained.error.message);
    const m = trained.value;
    expect(m).toMatchObject({ kind: 'login', type: 'isolation_forest', features: FEATURES.login, trainedAt: END, trainedBy: 'test' });
    expect(m.metrics).toMatchObject({ rowsAvailable: logins, rows: logins, accounts: 60 });
    expect(m.metrics.eventsReplayed).toBeGreaterThan(logins);
    // The first MIN_ACCOUNT_HISTORY logins of each account are compared with the population.
    expect(m.metrics.populationShare).toBeCloseTo((60 * 5) / logins, 2);
    expect(m.metrics.threshold).toBeGreaterThanOrEqual(Math.max(m.metrics.scoreQuantiles.p995, MIN_THRESHOLD));
    // One ordinary login in two hundred at most, ties at the percentile included.
    expect(m.metrics.flaggedShare).toBeLessThanOrEqual(Math.ceil((1 - THRESHOLD_QUANTILE) * logins) / logins);
    expect(m.parameters).toMatchObject({ trees: 100, sampleSize: 256, seed: 1, minAccountHistory: 5, trainedTo: END + 1 });
    expect(m.parameters.population.loginHours.reduce((a, b) => a + b, 0)).toBe(logins);
  });

  it('gives the same model for the same events and seed', async () => {
    const a = await trainModel(source, { kind: 'login', trainedBy: 'test', trees: 20 }, clock);
    const b = await trainModel(source, { kind: 'login', trainedBy: 'test', trees: 20 }, clock);
    expect(a.ok && b.ok && JSON.stringify(a.value.forest) === JSON.stringify(b.value.forest)).toBe(true);
  });

  it('scores an unusual login of a known account above its threshold, and its ordinary login below', async () => {
    const trained = await trainModel(source, { kind: 'login', trainedBy: 'test' }, clock);
    if (!trained.ok) throw new Error(trained.error.message);
    const forest = IsolationForest.fromJSON(trained.value.forest);
    const history = liveHistory(month.events);
    const s = month.shoppers[0] as (typeof month.shoppers)[number];
    // The month ends the day before yesterday; yesterday and this morning are free.
    const today = Math.floor(END / DAY) * DAY;
    const odd = month.enrich.event('login.succeeded', s.user, today - DAY + ((s.usualHour + 12) % 24) * HOUR, RIO, {
      device: 'tablet-x',
      userAgent: IPHONE,
    });
    const usual = month.enrich.event('login.succeeded', s.user, today + s.usualHour * HOUR, s.home, {
      device: `${s.user}-laptop`,
      userAgent: CHROME,
    });
    const population = trained.value.parameters.population;
    const oddRow = extractFeatures(odd, history, population);
    const usualRow = extractFeatures(usual, history, population);
    expect(forest.anomalyScore(oddRow?.input ?? [])).toBeGreaterThan(trained.value.metrics.threshold);
    expect(forest.anomalyScore(usualRow?.input ?? [])).toBeLessThan(trained.value.metrics.threshold);
  });

  it('learns a transaction model with the population median of each currency', async () => {
    const trained = await trainModel(source, { kind: 'transaction', trainedBy: 'test' }, clock);
    if (!trained.ok) throw new Error(trained.error.message);
    const purchases = month.events.filter((e) => e.type === 'transaction');
    expect(trained.value.metrics.rows).toBe(purchases.length);
    expect(trained.value.features).toEqual(FEATURES.transaction);
    const amounts = purchases.map((e) => e.amount as number).sort((a, b) => a - b);
    expect(trained.value.parameters.population.medianAmounts.EUR).toBeCloseTo(amounts[Math.ceil(amounts.length / 2) - 1] as number, 2);
  });

  it('does not learn from events Vigil judged high or critical: attacks must not look ordinary', async () => {
    const judged = month.events.map((e, i) =>
      e.type === 'login.succeeded' && i % 10 === 0 ? { ...e, result: { ...e.result, severity: 'high' as const } } : e,
    );
    const trained = await trainModel(memorySource(judged), { kind: 'login', trainedBy: 'test', trees: 10 }, clock);
    const high = judged.filter((e) => e.type === 'login.succeeded' && e.result.severity === 'high').length;
    expect(trained.ok && trained.value.metrics.rowsAvailable).toBe(logins - high);
  });

  it(`refuses with not_enough_history below ${MIN_TRAINING_ROWS} rows, or outside the days asked for`, async () => {
    const few = ordinaryMonth({ accounts: 3, days: 30, end: END - DAY });
    const refused = await trainModel(memorySource(few.events), { kind: 'login', trainedBy: 'test' }, clock);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('not_enough_history');
      expect(refused.error.message).toMatch(/at least 200 successful logins to learn from in the last 90 days; the store holds \d+\./);
    }
    const old = await trainModel(source, { kind: 'login', trainedBy: 'test', days: 1 }, clock);
    expect(old.ok ? 'trained' : old.error.code).toBe('not_enough_history');
  });

  it('fits and measures a uniform sample when there are more rows than the cap', async () => {
    const trained = await trainModel(source, { kind: 'login', trainedBy: 'test', maxRows: 300, trees: 10 }, clock);
    expect(trained.ok && trained.value.metrics).toMatchObject({ rows: 300, rowsAvailable: logins });
  });
});

describe('the threshold', () => {
  const ascending = (xs: number[]) => [...xs].sort((a, b) => a - b);
  it('is the score that the top share reaches, when it is not tied', () => {
    const scores = ascending(Array.from({ length: 1000 }, (_, i) => i / 1000));
    // 0.5% of 1000 rows: the top five, 0.995 to 0.999.
    expect(thresholdFor(scores, 0.995)).toBe(0.995);
  });

  it('moves up past a block of ties that would flag more than the share', () => {
    // 990 ordinary rows, then ten identical rows at 0.7, then three outliers: flagging the tied block
    // would flag 13 of 1003 (1.3%) where six are the share; the threshold moves to the outliers.
    const scores = ascending([...Array.from({ length: 990 }, (_, i) => 0.3 + i / 10_000), ...Array(10).fill(0.7), 0.8, 0.85, 0.9]);
    const t = thresholdFor(scores, 0.995);
    expect(t).toBe(0.8);
    expect(scores.filter((x) => x >= t)).toEqual([0.8, 0.85, 0.9]);
  });

  it('flags none of a tied top, and at least the top row of a small sample', () => {
    const tied = Array(500).fill(0.62);
    expect(tied.filter((x) => x >= thresholdFor(tied, 0.995))).toHaveLength(0);
    const few = ascending([0.4, 0.5, 0.9]);
    expect(thresholdFor(few, 0.995)).toBe(0.9);
  });
});
