import { describe, expect, it } from 'vitest';
import { expectationAt } from './baseline.js';
import { MINUTE_MS, type MinuteCount } from './minute-counts.js';
import { DAY_MS, type Incident, plantedIncidents, syntheticMinutes } from './synthetic.js';
import { anomaliesOf, feed } from './test-kit.js';
import { type Anomaly, type MinuteVerdict, VolumeModel } from './volume-model.js';

const START = Date.UTC(2025, 6, 1);
const at = (day: number, hh: number, mm: number) => START + day * DAY_MS + (hh * 60 + mm) * MINUTE_MS;

const inside = (a: Anomaly, i: Incident) => a.status === i.status && a.minute >= i.start && a.minute < i.start + i.minutes * MINUTE_MS;

describe('the volume monitor on a synthetic week with daily rhythm and planted incidents', () => {
  // Seven days to learn from, with the four incidents planted on day 3; day 7 ordinary; day 8 with
  // the incidents again. Seeded: the same counts on every run.
  const scenarios = new Map<number, ReturnType<typeof run>>();
  const scenario = (seed: number) => {
    let s = scenarios.get(seed);
    if (!s) {
      s = run(seed);
      scenarios.set(seed, s);
    }
    return s;
  };
  function run(seed: number) {
    const model = new VolumeModel();
    const historyIncidents = plantedIncidents(START + 3 * DAY_MS);
    const history = anomaliesOf(feed(model, syntheticMinutes({ from: START, minutes: 7 * 1440, seed, incidents: historyIncidents })));
    const ordinary = anomaliesOf(feed(model, syntheticMinutes({ from: START + 7 * DAY_MS, minutes: 1440, seed: seed + 1 })));
    const incidents = plantedIncidents(START + 8 * DAY_MS);
    const incidentDay = anomaliesOf(feed(model, syntheticMinutes({ from: START + 8 * DAY_MS, minutes: 1440, seed: seed + 2, incidents })));
    return { model, historyIncidents, history, ordinary, incidents, incidentDay };
  }

  it('finds every planted incident in its first minute, with the right status and direction, and little else', () => {
    const { incidents, incidentDay } = scenario(2025);
    for (const incident of incidents) {
      const hits = incidentDay.filter((a) => inside(a, incident));
      expect(
        hits.map((a) => a.minute),
        incident.label,
      ).toContain(incident.start);
      expect(new Set(hits.map((a) => a.direction))).toEqual(new Set([incident.status === 'approved' ? 'drop' : 'rise']));
    }
    // One false alarm on this seed's incident day: 26 approved at 22:44 where about 58 (±9) were expected.
    expect(incidentDay.filter((a) => !incidents.some((i) => inside(a, i))).length).toBeLessThanOrEqual(3);
    const failed = incidentDay.find((a) => a.minute === (incidents[0] as Incident).start);
    expect(failed?.reason).toMatch(
      /^\d+ failed in the minute 2025-07-09 09:07 UTC, expected about [\d.]+ \(±[\d.]+\) for this time of day/,
    );
  });

  it('finds the incidents in the history too, and keeps them out of what it learns', () => {
    const { model, historyIncidents, history } = scenario(2025);
    for (const incident of historyIncidents) expect(history.some((a) => inside(a, incident) && a.minute === incident.start)).toBe(true);
    // Four days later the failed spike's hour expects its usual few failures, not the spike.
    const failed = expectationAt(model.get('failed') as NonNullable<ReturnType<VolumeModel['get']>>, at(8, 9, 7));
    expect(failed?.basis).toBe('hour_of_day');
    expect(failed?.expected).toBeLessThan(4);
  });

  it('raises at most a handful of false alarms on an ordinary day (measured over ten seeds)', () => {
    // Measured when written (8,640 status-minutes a day): 0, 0, 0, 0, 0, 0, 0, 0, 0 and 2 false
    // alarms on the ten ordinary days (0.2 a day, at most 2); 2 minutes outside the incidents over the
    // ten incident days, where all 40 incidents were found in their first minute. With 15% swings from
    // day to day and 2.5 times the over-dispersion: no false alarm, but 32 of 40 found at once.
    const perDay: number[] = [];
    for (let seed = 1; seed <= 10; seed++) perDay.push(scenario(seed * 101).ordinary.length);
    expect(Math.max(...perDay)).toBeLessThanOrEqual(3);
    expect(perDay.reduce((a, b) => a + b, 0) / perDay.length).toBeLessThanOrEqual(1);
  });
});

describe('judging', () => {
  /** Two days of a flat rhythm: status → count each minute, by hour of the day. */
  function trained(countAt: (status: string, hour: number) => number, statuses: readonly string[], days = 2) {
    const model = new VolumeModel();
    const rows: MinuteCount[] = [];
    for (let m = 0; m < days * 1440; m++) {
      const minute = START + m * MINUTE_MS;
      const hour = new Date(minute).getUTCHours();
      for (const status of statuses) rows.push({ minute, status, count: countAt(status, hour) });
    }
    feed(model, rows);
    return model;
  }
  const judgeOne = (model: VolumeModel, minute: number, status: string, count: number) =>
    model.observe(minute, new Map([[status, count]]))[0] as MinuteVerdict;

  it('knows the time of day: 14 denied is normal in the afternoon and a spike at night', () => {
    const model = trained((_, hour) => (hour >= 8 && hour < 20 ? 12 : 2), ['denied']);
    expect(judgeOne(model, at(2, 16, 30), 'denied', 14).anomaly).toBeUndefined();
    expect(judgeOne(model, at(2, 3, 30), 'denied', 14).anomaly).toMatchObject({ direction: 'rise', basis: 'hour_of_day' });
  });

  it('is direction-aware: fewer failures is good news, fewer approvals is an alarm, more approvals a weak one', () => {
    const model = trained((status) => (status === 'approved' ? 100 : 20), ['approved', 'failed']);
    expect(judgeOne(model, at(2, 12, 0), 'failed', 0).anomaly).toBeUndefined();
    expect(judgeOne(model, at(2, 12, 1), 'approved', 30).anomaly).toMatchObject({ direction: 'drop', severity: 'high' });
    // 125 approved is 2.4 standard deviations up, 200 is 8.3: past the approved-rise threshold of 6.
    expect(judgeOne(model, at(2, 12, 2), 'approved', 125).anomaly).toBeUndefined();
    expect(judgeOne(model, at(2, 12, 3), 'approved', 200).anomaly).toMatchObject({ direction: 'rise', severity: 'low' });
    // From 20 failed a minute: 40 is 3.7 standard deviations up (normal), 45 is 4.5 and 100 is 11 (twice the threshold: high).
    expect(judgeOne(model, at(2, 12, 4), 'failed', 40).anomaly).toBeUndefined();
    expect(judgeOne(model, at(2, 12, 6), 'failed', 45).anomaly).toMatchObject({ direction: 'rise', severity: 'medium' });
    expect(judgeOne(model, at(2, 12, 7), 'failed', 100).anomaly).toMatchObject({ direction: 'rise', severity: 'high' });
  });

  it('needs an absolute change of 5: 4 reversals where there are none is far out but no incident, 6 is one', () => {
    const model = trained(() => 0, ['reversed']);
    const four = judgeOne(model, at(2, 12, 0), 'reversed', 4);
    expect(four.score).toBeGreaterThanOrEqual(4);
    expect(four.anomaly).toBeUndefined();
    expect(judgeOne(model, at(2, 13, 0), 'reversed', 6).anomaly?.direction).toBe('rise');
  });

  it('adopts a lasting step on its first day (a shop opening at 08:00) instead of alarming all day', () => {
    const model = new VolumeModel();
    const day = Array.from({ length: 1440 }, (_, m) => {
      const hour = Math.floor(m / 60);
      return model.observe(START + m * MINUTE_MS, new Map([['approved', hour >= 8 && hour < 20 ? 60 : 5]]))[0] as MinuteVerdict;
    });
    const flagged = day.filter((v) => v.anomaly);
    // The opening is flagged for its first 15 minutes or so, then learned; the evening drop likewise.
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.length).toBeLessThan(60);
    expect(flagged.some((v) => v.anomaly?.reason.includes('being learned as the new level'))).toBe(true);
    expect(day.slice(9 * 60, 20 * 60).every((v) => !v.anomaly)).toBe(true);
  });

  it('does not learn an outage: every minute of a 30-minute drop stays anomalous, and the baseline is unchanged after', () => {
    const model = trained(() => 100, ['approved']);
    const before = expectationAt(model.get('approved') as NonNullable<ReturnType<VolumeModel['get']>>, at(2, 12, 45));
    const outage = Array.from({ length: 30 }, (_, i) => judgeOne(model, at(2, 12, i), 'approved', 0));
    expect(outage.every((v) => v.anomaly?.direction === 'drop' && !v.learned)).toBe(true);
    expect(expectationAt(model.get('approved') as NonNullable<ReturnType<VolumeModel['get']>>, at(2, 12, 45))).toEqual(before);
  });

  it('learns its first half hour before judging, then judges by the recent level until it knows the hour', () => {
    const model = new VolumeModel();
    const first = Array.from({ length: 30 }, (_, i) => judgeOne(model, START + i * MINUTE_MS, 'failed', 3));
    expect(first.every((v) => v.expectation === undefined && v.learned)).toBe(true);
    expect(judgeOne(model, START + 30 * MINUTE_MS, 'failed', 3).expectation?.basis).toBe('recent');
    expect(judgeOne(model, START + 31 * MINUTE_MS, 'failed', 40).anomaly?.basis).toBe('recent');
  });

  it('judges a minute sent again but never learns it twice', () => {
    const model = trained(() => 10, ['denied']);
    const learned = model.get('denied')?.learned;
    const again = judgeOne(model, at(1, 12, 0), 'denied', 40);
    expect(again).toMatchObject({ fresh: false, learned: false, anomaly: { direction: 'rise' } });
    expect(model.get('denied')?.learned).toBe(learned);
    expect(model.changed().map((b) => b.status)).toEqual(['denied']);
  });

  it('learns a status it has never heard of like the rest, and watches it for rises', () => {
    const model = trained(() => 2, ['chargeback']);
    expect(judgeOne(model, at(2, 12, 0), 'chargeback', 25).anomaly).toMatchObject({ status: 'chargeback', direction: 'rise' });
    expect(judgeOne(model, at(2, 12, 1), 'chargeback', 0).anomaly).toBeUndefined();
  });
});
