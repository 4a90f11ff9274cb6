import { describe, expect, it } from 'vitest';
import { expectedShare, type StatusBaseline } from './baseline.js';
import { MINUTE_MS, type MinuteCount } from './minute-counts.js';
import { DAY_MS, type SyntheticStatus, syntheticMinutes } from './synthetic.js';
import { feed } from './test-kit.js';
import { DEFAULT_MONITOR_SETTINGS, type MinuteVerdict, type MonitorSettings, VolumeModel } from './volume-model.js';

// A Monday, midnight UTC.
const START = Date.UTC(2025, 6, 7);
const at = (day: number, hh: number, mm: number) => START + day * DAY_MS + (hh * 60 + mm) * MINUTE_MS;

/** The payments dataset's mix (per minute on average: 117 approved, 7 denied, … 0.06 failed), as peaks of the daily rhythm. */
const MIX: readonly SyntheticStatus[] = [
  { status: 'approved', peak: 204 },
  { status: 'denied', peak: 12 },
  { status: 'reversed', peak: 1.7 },
  { status: 'refunded', peak: 1.7 },
  { status: 'backend_reversed', peak: 0.33 },
  { status: 'failed', peak: 0.1 },
];

const history = (days: number, seed: number) => syntheticMinutes({ from: START, minutes: days * 1440, seed, statuses: MIX });

/** Minutes from `from`, ordinary, with some statuses' counts replaced minute by minute. */
function minutes(from: number, n: number, seed: number, replace: (status: string, i: number, count: number) => number = (_, __, c) => c) {
  return syntheticMinutes({ from, minutes: n, seed, statuses: MIX }).map((r) => ({
    ...r,
    count: replace(r.status, (r.minute - from) / MINUTE_MS, r.count),
  }));
}

const trainedCache = new Map<number, StatusBaseline[]>();
/**
 * A model that has learned every minute from START up to `until` (exclusive), so that the minutes a
 * test sends next follow on, as they do in service. Cached: each test starts from a copy.
 */
function trained(until: number, settings: MonitorSettings = DEFAULT_MONITOR_SETTINGS): VolumeModel {
  let baselines = trainedCache.get(until);
  if (!baselines) {
    const model = new VolumeModel();
    feed(model, syntheticMinutes({ from: START, minutes: (until - START) / MINUTE_MS, seed: 11, statuses: MIX }));
    baselines = model.all();
    trainedCache.set(until, baselines);
  }
  return new VolumeModel(baselines, settings);
}

const incidentsOf = (verdicts: readonly MinuteVerdict[]) =>
  verdicts.flatMap((v) => (v.incident?.kind === 'opened' ? [v.incident.incident] : []));
const of = (verdicts: readonly MinuteVerdict[], status: string) => verdicts.filter((v) => v.status === status);

// backend_reversed from about 0.19 to 2–5 a minute: no single minute is one in a million.
const RISE = [2, 3, 2, 4, 3, 2, 5, 3, 2, 3, 4, 2, 3, 3, 2, 4, 3, 2, 3, 5, 2, 3, 4, 3, 2, 3, 2, 4, 3, 3, 2, 3, 4, 2, 3, 3, 2, 4, 3, 2];
const withRise = (status: string, i: number, count: number) =>
  status === 'backend_reversed' && i >= 10 && i < 50 ? (RISE[i - 10] as number) : count;

describe('the count model', () => {
  it('says how unlikely a count of a rare status is: 5 failed where about 0.06 are usual', () => {
    const model = trained(at(1, 12, 0));
    const verdicts = feed(
      model,
      minutes(at(1, 12, 0), 3, 5, (s, i, c) => (s === 'failed' ? (i === 1 ? 5 : 0) : c)),
    );
    const failed = of(verdicts, 'failed');
    expect(failed[0]?.anomaly).toBeUndefined();
    const spike = failed[1]?.anomaly;
    expect(spike).toMatchObject({ status: 'failed', count: 5, direction: 'rise', severity: 'medium' });
    expect(spike?.expected).toBeGreaterThan(0.03);
    expect(spike?.expected).toBeLessThan(0.2);
    expect(spike?.reason).toMatch(
      /^5 failed in the minute 2025-07-08 12:01 UTC where about 0\.\d+ are usual lately.*: chance below 1 in a million\.$/,
    );
    expect(spike?.score).toBeGreaterThan(4.75);
  });

  it('needs a real difference for one minute alone: 2 failed where 0.06 are usual is unlikely, but no incident by itself', () => {
    const model = trained(at(1, 12, 0));
    const verdicts = feed(
      model,
      minutes(at(1, 12, 0), 1, 5, (s, _i, c) => (s === 'failed' ? 2 : c)),
    );
    const [failed] = of(verdicts, 'failed');
    expect(failed?.score).toBeGreaterThan(2.5);
    expect(failed?.anomaly).toBeUndefined();
    expect(failed?.cusum).toBeGreaterThan(0);
  });

  it('scores large counts as a robust Gaussian: ordinary minutes of approved score within a few units of 0', () => {
    const model = trained(at(1, 10, 0));
    const scores = of(feed(model, minutes(at(1, 10, 0), 120, 6)), 'approved').map((v) => v.score as number);
    expect(Math.max(...scores.map(Math.abs))).toBeLessThan(4);
    expect(Math.abs(scores.reduce((a, b) => a + b, 0) / scores.length)).toBeLessThan(0.6);
  });
});

describe('sustained shifts (CUSUM) and a baseline that does not learn the incident', () => {
  it('finds backend_reversed rising from 0.2 to 2–5 a minute within 10 minutes, though no minute alone is extreme', () => {
    const model = trained(at(1, 14, 0));
    const before = model.get('backend_reversed') as StatusBaseline;
    const verdicts = feed(model, minutes(at(1, 14, 0), 90, 7, withRise));
    const br = of(verdicts, 'backend_reversed');
    // No minute is extreme on its own: the first alarm is the accumulated evidence.
    expect(br.every((v) => !v.anomaly || v.anomaly.reason.includes('minutes since'))).toBe(true);
    const [incident] = incidentsOf(br);
    expect(incident).toMatchObject({ status: 'backend_reversed', direction: 'rise' });
    const delay = ((incident?.detectedAt as number) - at(1, 14, 10)) / MINUTE_MS;
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThanOrEqual(5);
    expect(incident?.start).toBeGreaterThanOrEqual(at(1, 14, 5));
    expect(incidentsOf(verdicts).map((i) => i.status)).toEqual(['backend_reversed']);

    // The incident's 40 minutes taught nothing: the usual share is what it was before.
    const during = br.slice(10, 50);
    expect(during.every((v) => !v.learned)).toBe(true);
    const after = model.get('backend_reversed') as StatusBaseline;
    expect(expectedShare(after, at(1, 15, 30), model.settings)?.share).toBeCloseTo(
      expectedShare(before, at(1, 15, 30), model.settings)?.share as number,
      3,
    );
    // Back to normal: the incident closes after 15 quiet minutes, with its end and counts, and learning resumes.
    const closed = br.find((v) => v.incident?.kind === 'closed')?.incident?.incident;
    expect(closed).toMatchObject({ state: 'closed', end: at(1, 14, 49) });
    expect(closed?.count).toBeGreaterThanOrEqual(115);
    expect(closed?.expected).toBeLessThan(15);
    expect(closed?.note).toMatch(/^Back to normal since 14:50 UTC \(15 minutes in a row\)/);
    expect(br.at(-1)?.learned).toBe(true);
  });

  it('finds failed going 0–5 a minute with zeros between as one incident, and a slow ramp of failed', () => {
    const SPARSE = [0, 3, 0, 0, 5, 1, 0, 2, 0, 4, 0, 0, 3, 0, 1, 5, 0, 0, 2, 0, 3, 0, 4, 0, 0, 1, 0, 5, 0, 2];
    const sparse = feed(
      trained(at(1, 11, 0)),
      minutes(at(1, 11, 0), 60, 8, (s, i, c) => (s === 'failed' && i >= 5 && i < 35 ? (SPARSE[i - 5] as number) : c)),
    );
    const failed = incidentsOf(of(sparse, 'failed'));
    expect(failed).toHaveLength(1);
    expect(((failed[0]?.detectedAt as number) - at(1, 11, 5)) / MINUTE_MS).toBeLessThanOrEqual(10);

    // From 0.06 to 4 a minute over 40 minutes (counts rounded from the ramp): found while still climbing.
    const ramp = feed(
      trained(at(1, 16, 0)),
      minutes(at(1, 16, 0), 60, 9, (s, i, c) => (s === 'failed' && i >= 5 ? Math.round((4 * (i - 5)) / 40) : c)),
    );
    const [rising] = incidentsOf(of(ramp, 'failed'));
    expect(rising).toBeDefined();
    expect(((rising?.detectedAt as number) - at(1, 16, 5)) / MINUTE_MS).toBeLessThanOrEqual(15);
  });

  it('the Poisson scan finds a trickle of failed that the CUSUM drains between: 2 every 4 minutes', () => {
    // About 0.5 a minute where about 0.1 are usual: each 2 adds to the CUSUM what the three zeros
    // after it nearly take away again, while the scan sees 12 in 21 minutes where about 2.5 are usual.
    const trickle = (s: string, i: number, c: number) => (s === 'failed' ? (i >= 5 && (i - 5) % 4 === 0 ? 2 : 0) : c);
    const firstIncident = (settings: MonitorSettings) => {
      const verdicts = feed(trained(at(1, 16, 0), settings), minutes(at(1, 16, 0), 45, 9, trickle));
      return { incident: incidentsOf(of(verdicts, 'failed'))[0], verdicts };
    };
    const withScan = firstIncident(DEFAULT_MONITOR_SETTINGS);
    const delay = ((withScan.incident?.detectedAt as number) - at(1, 16, 5)) / MINUTE_MS;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(25);
    // The incident starts where the scan's window does (the first 2), and the reason gives its counts.
    expect(withScan.incident?.start).toBe(at(1, 16, 5));
    const first = of(withScan.verdicts, 'failed').find((v) => v.anomaly)?.anomaly;
    expect(first?.reason).toMatch(/^\d+ failed in the \d+ minutes since 16:05 UTC where about [\d.]+ are usual: chance/);
    expect(incidentsOf(withScan.verdicts).map((i) => i.status)).toEqual(['failed']);
    // Without the scan, 40 minutes of it are not found at all.
    expect(firstIncident({ ...DEFAULT_MONITOR_SETTINGS, scanH: Number.POSITIVE_INFINITY }).incident).toBeUndefined();
  });

  it('the Poisson scan keeps ordinary days within the false-alarm budget (at most one incident a day)', () => {
    const model = trained(at(1, 0, 0));
    const verdicts = [...feed(model, minutes(at(1, 0, 0), 1440, 21)), ...feed(model, minutes(at(2, 0, 0), 1440, 22))];
    expect(incidentsOf(verdicts).length).toBeLessThanOrEqual(2);
  });

  it('per-status sensitivity: a status made three times less sensitive needs three times the evidence', () => {
    const [usual] = incidentsOf(feed(trained(at(1, 14, 0)), minutes(at(1, 14, 0), 60, 7, withRise)));
    const dull = trained(at(1, 14, 0), { ...DEFAULT_MONITOR_SETTINGS, sensitivity: { backend_reversed: 3 } });
    const [late] = incidentsOf(feed(dull, minutes(at(1, 14, 0), 60, 7, withRise)));
    expect(((late?.detectedAt as number) - (usual?.detectedAt as number)) / MINUTE_MS).toBeGreaterThanOrEqual(5);
    // A short burst (four minutes of 2–4) is an incident at the usual sensitivity, and none at a third of it.
    const burst = (s: string, i: number, c: number) =>
      s === 'backend_reversed' && i >= 10 && i < 14 ? ([3, 4, 2, 4][i - 10] as number) : c;
    expect(incidentsOf(feed(trained(at(1, 14, 0)), minutes(at(1, 14, 0), 30, 7, burst))).map((i) => i.status)).toEqual([
      'backend_reversed',
    ]);
    const dull2 = trained(at(1, 14, 0), { ...DEFAULT_MONITOR_SETTINGS, sensitivity: { backend_reversed: 3 } });
    expect(incidentsOf(feed(dull2, minutes(at(1, 14, 0), 30, 7, burst)))).toEqual([]);
  });

  it('an admin marks the new level as normal: the incident closes with a note and the level is learned', () => {
    const model = trained(at(1, 14, 0));
    feed(model, minutes(at(1, 14, 0), 40, 7, withRise));
    const event = model.acceptNewLevel('backend_reversed', at(1, 14, 40), 'ops (key_1)');
    expect(event?.incident).toMatchObject({ state: 'closed', note: 'Marked as the new normal level by ops (key_1).' });
    const b = model.get('backend_reversed') as StatusBaseline;
    expect(b.incident).toBeNull();
    expect(b.cusum.s).toBe(0);
    // The same level again is normal now.
    const next = of(
      feed(
        model,
        minutes(at(1, 14, 40), 20, 12, (s, i, c) => (s === 'backend_reversed' ? (RISE[i] as number) : c)),
      ),
      'backend_reversed',
    );
    expect(next.filter((v) => v.anomaly)).toEqual([]);
  });
});

describe('shares as well as counts', () => {
  const scale = (f: (status: string) => number) => (status: string, i: number, count: number) =>
    i >= 10 && i < 40 ? Math.round(count * f(status)) : count;

  it('traffic doubling is no rise of failed or denied (their share is normal)', () => {
    const verdicts = feed(
      trained(at(1, 9, 0)),
      minutes(
        at(1, 9, 0),
        60,
        13,
        scale(() => 2),
      ),
    );
    expect(incidentsOf(verdicts).filter((i) => i.direction === 'rise')).toEqual([]);
  });

  it('a fall of all traffic is an incident of the total, not of approved; a fall of approvals alone is one of approved', () => {
    const traffic = incidentsOf(
      feed(
        trained(at(1, 12, 0)),
        minutes(
          at(1, 12, 0),
          60,
          14,
          scale(() => 0.5),
        ),
      ),
    );
    expect(traffic.map((i) => `${i.status} ${i.direction}`)).toContain('total drop');
    expect(traffic.map((i) => i.status)).not.toContain('approved');

    const approvals = incidentsOf(
      feed(
        trained(at(1, 12, 0)),
        minutes(
          at(1, 12, 0),
          60,
          14,
          scale((s) => (s === 'approved' ? 0.4 : 1)),
        ),
      ),
    );
    expect(approvals.map((i) => `${i.status} ${i.direction}`)).toContain('approved drop');
  });
});

describe('time of day', () => {
  it('is flat (the recent level) before 7 days of history, and by hour of the day after', { timeout: 120_000 }, () => {
    const model = new VolumeModel();
    const verdicts = feed(model, history(8, 21));
    const basis = (minute: number) => verdicts.find((v) => v.minute === minute && v.status === 'denied')?.expectation?.basis;
    expect(basis(at(6, 12, 0))).toBe('recent');
    expect(basis(at(7, 12, 0))).toBe('hour_of_day');
    // A week of ordinary minutes with a daily rhythm and busier and quieter days: at most a few minutes named.
    expect(verdicts.filter((v) => v.anomaly && v.minute >= at(1, 0, 0)).length).toBeLessThanOrEqual(7);
  });
});

describe('bookkeeping', () => {
  it('judges a minute sent again but never learns it twice, and opens no incident for it', () => {
    const model = trained(at(1, 0, 0));
    const last = model.get('denied')?.lastMinute as number;
    const learned = model.get('denied')?.learned;
    const again = model.observe(last, new Map([['denied', 200]])).find((v) => v.status === 'denied');
    expect(again).toMatchObject({ fresh: false, learned: false, anomaly: { direction: 'rise', incidentId: null } });
    expect(again?.incident).toBeUndefined();
    expect(model.get('denied')?.learned).toBe(learned);
  });

  it('learns a status it has never heard of, watches it for rises, and expects a silent one to be rare but possible', () => {
    const model = new VolumeModel();
    const rows: MinuteCount[] = [];
    for (let m = 0; m < 120; m++) rows.push({ minute: START + m * MINUTE_MS, status: 'chargeback', count: 0 });
    const first = feed(model, rows);
    expect(first.slice(0, 30).every((v) => v.expectation === undefined && v.learned)).toBe(true);
    const one = model.observe(START + 120 * MINUTE_MS, new Map([['chargeback', 1]])).find((v) => v.status === 'chargeback');
    // Never seen in two hours: rare, but one is not "impossible".
    expect(one?.expectation?.expected).toBeGreaterThan(0.003);
    expect(one?.anomaly).toBeUndefined();
    const burst = model.observe(START + 121 * MINUTE_MS, new Map([['chargeback', 25]])).find((v) => v.status === 'chargeback');
    expect(burst?.anomaly).toMatchObject({ status: 'chargeback', direction: 'rise' });
  });
});
