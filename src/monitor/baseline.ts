import { MINUTE_MS } from './minute-counts.js';

/**
 * How one status's per-minute count is learned.
 *
 * Counts are learned on their square root. For Poisson-like counts the square root has a variance
 * of about 1/4 whatever the level (it "stabilises" it), so one spread and one threshold in standard
 * deviations mean the same at 3 failed payments a minute as at 300 approved ones, and the band is
 * naturally asymmetric in counts (wider above than below), as real count noise is.
 *
 * Level and spread are exponentially weighted moving averages (EWMA): a few numbers per status, cheap
 * to update every minute and to store, and they follow slow drifts (a shop that grows). Two of them:
 * - `recent`: the last half hour or so. Used until the time of day is known, so a status can be
 *   watched after 30 minutes instead of after days.
 * - `hours`: one per hour of the day (UTC), each learned only from minutes of that hour. Once an hour
 *   has two days of minutes, the expected level at 12:07 comes from the 12:00 and 11:00 (or 13:00)
 *   profiles, interpolated linearly between hour centres, so the morning ramp is expected rather than
 *   alarming, and a quiet night is not judged by the afternoon's level.
 *
 * Robustness: the monitor does not learn a minute it flags (a 30-minute outage must not teach that
 * outages are normal), and clips any other minute's deviation at `clip` standard deviations before
 * learning it, so one odd but not alarming minute moves the baseline by a bounded amount.
 *
 * A lasting change is adopted, though: after `adoptRecentAfter` anomalous minutes in a row in the same
 * direction while judged by the recent level (a shop that opens at 08:00 sharp, seen on its first
 * day), or `adoptHourAfter` while judged by a known hour (a new merchant that doubles the traffic),
 * those minutes are learned unclipped, the hour's profile with a memory of about one day, and are
 * still reported until the baseline has caught up. Without this, one step in level would alarm
 * forever; with it, an incident shorter than those limits is never learned.
 */
export interface Moments {
  /** Minutes learned. */
  readonly n: number;
  /** Expected square root of the count. */
  readonly level: number;
  /** Expected squared error of a prediction (square-root scale). */
  readonly variance: number;
}

export interface StatusBaseline {
  readonly status: string;
  readonly recent: Moments;
  /** 24 entries, index = UTC hour of the day. */
  readonly hours: readonly Moments[];
  /** The latest minute learned or judged: earlier minutes sent again are judged but never learned twice. */
  readonly lastMinute: number | null;
  /** Minutes learned in all. */
  readonly learned: number;
  /** Minutes found anomalous. */
  readonly anomalous: number;
  /** Anomalous minutes in a row, positive for rises and negative for drops; 0 after a normal minute. */
  readonly streak: number;
}

export interface BaselineSettings {
  /** Memory of `recent`, in minutes: an EWMA weight of 1/30. */
  readonly recentMemory: number;
  /** Memory of each hour's profile, in minutes of that hour: 420 is about a week. */
  readonly hourMemory: number;
  /** Minutes of `recent` before a status is judged at all. */
  readonly minRecentSamples: number;
  /** Minutes of an hour (over all days) before its profile replaces `recent`: 120 is two days. */
  readonly minHourSamples: number;
  /**
   * Least spread, square-root scale. 0.5 is the spread of a Poisson count's square root: a status
   * that was very steady in its history is still not judged more tightly than pure chance allows.
   */
  readonly spreadFloor: number;
  /** Deviations beyond this many spreads are clipped before they are learned. */
  readonly clip: number;
  /** Anomalous minutes in a row, judged by the recent level, after which the new level is learned. */
  readonly adoptRecentAfter: number;
  /** The same when judged by a known hour of the day: an hour-long incident is not a new normal yet. */
  readonly adoptHourAfter: number;
  /** Memory of an hour's profile while it adopts a lasting change: about one day of that hour. */
  readonly adoptHourMemory: number;
}

export const DEFAULT_BASELINE_SETTINGS: BaselineSettings = {
  recentMemory: 30,
  hourMemory: 420,
  minRecentSamples: 30,
  minHourSamples: 120,
  spreadFloor: 0.5,
  clip: 3,
  adoptRecentAfter: 15,
  adoptHourAfter: 60,
  adoptHourMemory: 60,
};

/** What a baseline expects of one minute. */
export interface Expectation {
  /** `hour_of_day` once the hour's profile is learned; `recent` before. */
  readonly basis: 'hour_of_day' | 'recent';
  /** Expected square root of the count. */
  readonly root: number;
  /** Spread of the square root, at least `spreadFloor`. */
  readonly spread: number;
  /** Expected count: E[X] = E[√X]² + Var(√X). */
  readonly expected: number;
  /** One standard deviation in counts (delta method: 2·√x·σ), for "about 9 (±3)". */
  readonly countSpread: number;
}

const EMPTY: Moments = { n: 0, level: 0, variance: 0 };

export function emptyBaseline(status: string): StatusBaseline {
  return { status, recent: EMPTY, hours: Array.from({ length: 24 }, () => EMPTY), lastMinute: null, learned: 0, anomalous: 0, streak: 0 };
}

const hourOf = (minute: number) => new Date(minute).getUTCHours();

/** The hour profile at a minute, interpolated between the centres of this hour and its neighbour. */
function hourProfile(b: StatusBaseline, minute: number, s: BaselineSettings): { level: number; variance: number } | undefined {
  const hour = hourOf(minute);
  const own = b.hours[hour] as Moments;
  if (own.n < s.minHourSamples) return undefined;
  // Where in the hour this minute's middle lies, 0..1; the profile's value sits at the centre (0.5).
  const position = (new Date(minute).getUTCMinutes() + 0.5) / 60;
  const neighbour = b.hours[(hour + (position < 0.5 ? 23 : 1)) % 24] as Moments;
  if (neighbour.n < s.minHourSamples) return { level: own.level, variance: own.variance };
  const w = Math.abs(position - 0.5);
  return { level: (1 - w) * own.level + w * neighbour.level, variance: (1 - w) * own.variance + w * neighbour.variance };
}

/** What the baseline expects at `minute`, or undefined while it is still learning. */
export function expectationAt(b: StatusBaseline, minute: number, s: BaselineSettings = DEFAULT_BASELINE_SETTINGS): Expectation | undefined {
  const profile = hourProfile(b, minute, s);
  if (profile) return fromMoments(profile, 'hour_of_day', s);
  return b.recent.n >= s.minRecentSamples ? fromMoments(b.recent, 'recent', s) : undefined;
}

/** An expectation from a level and a variance (square-root scale). */
export function fromMoments(
  m: Pick<Moments, 'level' | 'variance'>,
  basis: Expectation['basis'],
  s: BaselineSettings = DEFAULT_BASELINE_SETTINGS,
): Expectation {
  const root = Math.max(0, m.level);
  const spread = Math.max(Math.sqrt(Math.max(0, m.variance)), s.spreadFloor);
  return {
    basis,
    root,
    spread,
    expected: root * root + Math.max(0, m.variance),
    countSpread: Math.max(2 * root * spread, spread * spread),
  };
}

/** One EWMA step: the weight is 1/n at first (a plain mean), then 1/memory. */
function step(m: Moments, value: number, residual: number, memory: number): Moments {
  if (m.n === 0) return { n: 1, level: value, variance: 0 };
  const alpha = Math.max(1 / (m.n + 1), 1 / memory);
  return {
    n: m.n + 1,
    level: m.level + alpha * (value - m.level),
    variance: (1 - alpha) * m.variance + alpha * residual * residual,
  };
}

/**
 * The baseline after learning `count` at `minute` (a new object; the old one is unchanged, so a
 * batch whose write fails leaves nothing half-learned). `expectation` is what was expected of this
 * minute before it was seen: the deviation is clipped against it, unless the minute belongs to a
 * lasting change being adopted (`adopting`, the current streak).
 */
export function learn(
  b: StatusBaseline,
  minute: number,
  count: number,
  expectation: Expectation | undefined,
  s: BaselineSettings = DEFAULT_BASELINE_SETTINGS,
  adopting?: number,
): StatusBaseline {
  let root = Math.sqrt(count);
  if (expectation && adopting === undefined) {
    const limit = s.clip * expectation.spread;
    root = Math.min(Math.max(root, expectation.root - limit), expectation.root + limit);
  }
  // Each profile learns its level from its own error, but its variance from the error of what was
  // actually predicted (the interpolated profile), which is the error a z-score is measured against.
  const recent = step(b.recent, root, root - b.recent.level, s.recentMemory);
  const hour = hourOf(minute);
  const own = b.hours[hour] as Moments;
  const predicted = expectation?.basis === 'hour_of_day' ? expectation.root : own.level;
  const hours = b.hours.slice();
  hours[hour] = step(own, root, root - predicted, adopting === undefined ? s.hourMemory : Math.min(s.hourMemory, s.adoptHourMemory));
  return {
    ...b,
    recent,
    hours,
    lastMinute: Math.max(b.lastMinute ?? minute, minute),
    learned: b.learned + 1,
    anomalous: b.anomalous + (adopting === undefined ? 0 : 1),
    streak: adopting ?? 0,
  };
}

/** The baseline after a minute it judged anomalous: remembered as seen (and in the streak), not learned. */
export function skip(b: StatusBaseline, minute: number, streak: number): StatusBaseline {
  return { ...b, lastMinute: Math.max(b.lastMinute ?? minute, minute), anomalous: b.anomalous + 1, streak };
}

/** The streak after an anomalous minute going `direction` (+1 rise, -1 drop). */
export const nextStreak = (b: StatusBaseline, direction: 1 | -1): number =>
  Math.sign(b.streak ?? 0) === direction ? (b.streak ?? 0) + direction : direction;

/** Whether `minute` is new to this baseline (later than anything learned), so it may be learned. */
export const isNew = (b: StatusBaseline, minute: number): boolean => b.lastMinute === null || minute > b.lastMinute;

/** The next minute after the latest one seen, for "what is expected now" views. */
export const nextMinute = (b: StatusBaseline): number | null => (b.lastMinute === null ? null : b.lastMinute + MINUTE_MS);
