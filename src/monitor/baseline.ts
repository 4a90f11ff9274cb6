import { CUSUM_ZERO, type CusumState } from './cusum.js';
import type { IncidentState } from './incident.js';
import { MINUTE_MS } from './minute-counts.js';
import type { ScanState } from './poisson-scan.js';

/**
 * What the monitor knows of one status (in one source): how many it usually sees a minute, what
 * share of all outcomes it usually is, how much more than Poisson its counts vary, each hour of
 * the day once a week is known, and the state of its CUSUM and of its open incident.
 *
 * Levels are exponentially weighted moving averages (a few numbers per status, cheap to update and
 * store, following a shop that grows). Two views of the expected count:
 * - the count view: the recent level (`level`, about the last hour) or, once the status has 7 days
 *   of history, the hour-of-day profile times how busy today is compared to the profile (`traffic`
 *   of the total, so a day 10% busier than usual is not an incident of every status);
 * - the share view: the status's usual share of all outcomes times this minute's total. Traffic that
 *   doubles doubles the expected failures too, so a busy hour is not a rise of failed, and a quiet
 *   hour where failures stay as many as at noon is one.
 *
 * Minutes inside an open incident of the status, or while its CUSUM is half-way to alarming, are
 * not learned: the baseline does not learn the incident. They are learned into `shadow` instead,
 * which becomes the baseline when the new level is accepted (by an admin, or after
 * `adoptAfterMinutes`). Once the incident is closed, learning resumes where it stopped.
 */

export interface Ewma {
  readonly n: number;
  readonly mean: number;
  /** The total's level only: change per minute (Holt's linear trend), so the day's rhythm is followed without lag. */
  readonly trend?: number;
}

/** A ratio of two EWMAs (count over total), so quiet minutes weigh less than busy ones. */
export interface Sums {
  readonly n: number;
  readonly num: number;
  readonly den: number;
}

export interface HourProfile {
  readonly n: number;
  /** Mean count per minute in this hour of the day. */
  readonly mean: number;
  /** Share sums: count and total. */
  readonly num: number;
  readonly den: number;
}

export interface StatusBaseline {
  readonly version: 2;
  readonly status: string;
  readonly firstMinute: number | null;
  /** The latest minute learned or judged: earlier minutes sent again are judged but never learned twice. */
  readonly lastMinute: number | null;
  readonly learned: number;
  readonly anomalous: number;
  readonly level: Ewma;
  readonly share: Sums;
  /** Pearson χ² per minute ((c − μ)² / μ), averaged: 1 for Poisson counts, more when over-dispersed. */
  readonly dispersion: { readonly count: Ewma; readonly share: Ewma };
  /** The latest standardised residuals of learned minutes, for the robust (median and MAD) score of large counts. */
  readonly residuals: { readonly count: readonly number[]; readonly share: readonly number[] };
  /**
   * Their median and scale, recomputed every `CENTRE_EVERY` learned minutes (sorting 240 numbers
   * twice a minute per status was the model's largest cost, and the median of 240 barely moves in 10).
   */
  readonly centres?: { readonly count: RobustCentre | null; readonly share: RobustCentre | null };
  /** 24 entries, index = UTC hour of the day. */
  readonly hours: readonly HourProfile[];
  /** The total only: observed over the hour-of-day profile (times the day type's factor), recently (how busy today is). */
  readonly traffic: Sums;
  /**
   * The total only: observed over the hour-of-day profile on weekdays [0] and on weekend days [1]
   * (Saturday and Sunday, UTC), so a Saturday morning is expected as quiet as Saturdays are, not as
   * busy as Friday was. Absent in baselines stored before it existed: learned from then on.
   */
  readonly days?: readonly Sums[];
  readonly cusum: CusumState;
  /**
   * The latest minutes' counts and expectations for the Poisson scan (rise statuses only); emptied
   * while an incident is open, so a closed incident's minutes cannot open the next one. Absent in
   * baselines stored before the scan existed: it starts empty.
   */
  readonly scan?: ScanState;
  readonly incident: IncidentState | null;
  /** What the minutes of the open incident look like: the new level, if it is accepted. */
  readonly shadow: { readonly level: Ewma; readonly share: Sums } | null;
}

export interface BaselineSettings {
  /** Memory of the recent level of the total and of approved, in minutes: they must follow the day's rhythm closely. */
  readonly levelMemory: number;
  /**
   * Memory of every other status's recent level, in minutes. Longer: this view only guards the share
   * view (a status that does not follow traffic), and a short memory would learn a slow ramp.
   */
  readonly guardMemory: number;
  /** Memory of the usual share, in minutes (shares are steadier than levels). */
  readonly shareMemory: number;
  /** Memory of the dispersion estimate, in minutes. */
  readonly dispersionMemory: number;
  /** Memory of an hour's profile, in minutes of that hour: 420 is about a week. */
  readonly hourMemory: number;
  /** Memory of how busy today is against the profile, in minutes. */
  readonly trafficMemory: number;
  /** Minutes learned before a status is judged at all. */
  readonly minRecentSamples: number;
  /** Days of history before the time of day (hour profiles) is used; flat (recent level) before. */
  readonly timeOfDayAfterDays: number;
  /** Minutes an hour must have learned before its profile is used. */
  readonly minHourSamples: number;
  /** Memory of a day type's factor (weekday or weekend), in minutes of that day type: 2880 is its last two days. */
  readonly dayTypeMemory: number;
  /** Minutes a day type must have learned before its factor is used (with the time of day, after a week). */
  readonly minDayTypeSamples: number;
  /** Standardised residuals kept for the median and MAD. */
  readonly residualWindow: number;
  /** Largest dispersion believed (a few wild minutes must not make every status deaf). */
  readonly maxDispersion: number;
}

export const DEFAULT_BASELINE_SETTINGS: BaselineSettings = {
  levelMemory: 30,
  guardMemory: 240,
  shareMemory: 720,
  dispersionMemory: 1440,
  hourMemory: 420,
  trafficMemory: 120,
  minRecentSamples: 30,
  timeOfDayAfterDays: 7,
  minHourSamples: 300,
  dayTypeMemory: 2880,
  minDayTypeSamples: 2880,
  residualWindow: 240,
  maxDispersion: 6,
};

const EWMA_ZERO: Ewma = { n: 0, mean: 0 };
const SUMS_ZERO: Sums = { n: 0, num: 0, den: 0 };
const HOUR_ZERO: HourProfile = { n: 0, mean: 0, num: 0, den: 0 };

export function emptyBaseline(status: string): StatusBaseline {
  return {
    version: 2,
    status,
    firstMinute: null,
    lastMinute: null,
    learned: 0,
    anomalous: 0,
    level: EWMA_ZERO,
    share: SUMS_ZERO,
    dispersion: { count: EWMA_ZERO, share: EWMA_ZERO },
    residuals: { count: [], share: [] },
    hours: Array.from({ length: 24 }, () => HOUR_ZERO),
    traffic: SUMS_ZERO,
    cusum: CUSUM_ZERO,
    incident: null,
    shadow: null,
  };
}

/** A stored baseline of this version, or an empty one (a baseline of the earlier square-root model is relearned). */
export function upgradeBaseline(stored: unknown, status: string): StatusBaseline {
  const b = stored as Partial<StatusBaseline> | null;
  return b && b.version === 2 && b.status === status ? (b as StatusBaseline) : emptyBaseline(status);
}

const alphaOf = (n: number, memory: number) => Math.max(1 / (n + 1), 1 / memory);

export function ewmaStep(e: Ewma, x: number, memory: number): Ewma {
  if (e.n === 0) return { n: 1, mean: x };
  const a = alphaOf(e.n, memory);
  return { n: e.n + 1, mean: e.mean + a * (x - e.mean) };
}

export function sumsStep(s: Sums, num: number, den: number, memory: number): Sums {
  if (s.n === 0) return { n: 1, num, den };
  const a = alphaOf(s.n, memory);
  return { n: s.n + 1, num: s.num + a * (num - s.num), den: s.den + a * (den - s.den) };
}

const ratio = (s: { num: number; den: number }) => (s.den > 0 ? s.num / s.den : 0);

export const hourOf = (minute: number) => new Date(minute).getUTCHours();

/** Whether the status has a week of history, so the time of day may be used. */
export function knowsTimeOfDay(b: StatusBaseline, s: BaselineSettings): boolean {
  return b.firstMinute !== null && b.lastMinute !== null && b.lastMinute - b.firstMinute >= (s.timeOfDayAfterDays * 1440 - 1) * MINUTE_MS;
}

/** An hour profile's value at a minute, interpolated between the centres of this hour and its neighbour. */
function interpolate(b: StatusBaseline, minute: number, s: BaselineSettings, value: (h: HourProfile) => number): number | undefined {
  const hour = hourOf(minute);
  const own = b.hours[hour] as HourProfile;
  if (own.n < s.minHourSamples) return undefined;
  const position = (new Date(minute).getUTCMinutes() + 0.5) / 60;
  const neighbour = b.hours[(hour + (position < 0.5 ? 23 : 1)) % 24] as HourProfile;
  if (neighbour.n < s.minHourSamples) return value(own);
  const w = Math.abs(position - 0.5);
  return (1 - w) * value(own) + w * value(neighbour);
}

export type Basis = 'hour_of_day' | 'recent';

/**
 * The least rate a status may be believed to have: having seen none in n minutes (of a memory of
 * `memory`) says the rate is below about 1/n, not that it is 0. Without it, a status that was silent
 * in its first half hour would be expected never to happen, every later one would be "impossible",
 * and, never learned, it would stay impossible.
 */
export const rateFloor = (n: number, memory: number) => 0.5 / Math.max(1, Math.min(n, memory));

/** The profile count at a minute, before today's traffic factor; undefined without a week of history. */
export function profileCount(b: StatusBaseline, minute: number, s: BaselineSettings, requireWeek = true): number | undefined {
  if (requireWeek && !knowsTimeOfDay(b, s)) return undefined;
  return interpolate(b, minute, s, (h) => h.mean);
}

/** How busy today is against the profile (from the total's baseline), 1 when unknown. */
export function trafficFactor(total: StatusBaseline | undefined): number {
  if (!total || total.traffic.n < 30 || total.traffic.den <= 0) return 1;
  return Math.min(3, Math.max(1 / 3, ratio(total.traffic)));
}

/** 0 on a weekday, 1 on Saturday or Sunday (UTC). */
export const dayTypeOf = (minute: number): 0 | 1 => {
  const weekday = new Date(minute).getUTCDay();
  return weekday === 0 || weekday === 6 ? 1 : 0;
};

/**
 * How busy this day type (weekday or weekend) is against the hour profile, which is learned from
 * every day alike: about 1.05 on weekdays and 0.85 at weekends for a shop quieter at weekends; 1
 * until a full day of this type is learned. It scales only the hour profile, which is used after a
 * week of history: flat before, as the time of day is. (The total's `traffic` learns against it
 * from the start, so that nothing jumps when the week is reached.)
 */
export function dayFactor(total: StatusBaseline | undefined, minute: number, s: BaselineSettings): number {
  if (!total?.days) return 1;
  const own = total.days[dayTypeOf(minute)];
  if (!own || own.n < s.minDayTypeSamples || own.den <= 0) return 1;
  return Math.min(3, Math.max(1 / 3, ratio(own)));
}

/**
 * The count view's expected count at a minute, or undefined while learning. `traffic` scales the
 * hour profile: the day type's factor, times how busy today is for every status but the total.
 */
export function expectedCount(
  b: StatusBaseline,
  minute: number,
  traffic: number,
  s: BaselineSettings,
): { mean: number; basis: Basis } | undefined {
  if (b.level.n < s.minRecentSamples) return undefined;
  const profile = profileCount(b, minute, s);
  const floor = rateFloor(b.level.n, followsDay(b.status) ? s.levelMemory : s.guardMemory);
  if (profile !== undefined) return { mean: Math.max(profile * traffic, floor), basis: 'hour_of_day' };
  return { mean: Math.max(floor, b.level.mean + (b.level.trend ?? 0)), basis: 'recent' };
}

/** The share view's usual share at a minute, or undefined while learning. */
export function expectedShare(b: StatusBaseline, minute: number, s: BaselineSettings): { share: number; basis: Basis } | undefined {
  if (b.share.n < s.minRecentSamples || b.share.den <= 0) return undefined;
  const floor = rateFloor(b.share.n, s.shareMemory) / b.share.den;
  if (knowsTimeOfDay(b, s)) {
    const p = interpolate(b, minute, s, (h) => ratio(h));
    if (p !== undefined) return { share: Math.max(p, floor), basis: 'hour_of_day' };
  }
  return { share: Math.max(ratio(b.share), floor), basis: 'recent' };
}

/** The dispersion to believe: at least Poisson, at most `maxDispersion`. */
export const dispersionOf = (e: Ewma, s: BaselineSettings) => (e.n < 30 ? 1 : Math.min(s.maxDispersion, Math.max(1, e.mean)));

const push = (ring: readonly number[], x: number, size: number) => {
  const next = ring.length >= size ? ring.slice(ring.length - size + 1) : ring.slice();
  next.push(Math.round(x * 1000) / 1000);
  return next;
};

/** What was expected of a learned minute, from both views (absent views are not learned from). */
export interface LearnContext {
  readonly total: number;
  readonly countMean?: number;
  readonly shareMean?: number;
  /** Binomial variance of the share view (T·p·(1−p)), for large shares such as approved. */
  readonly shareVariance?: number;
  /** The profile count of this minute, before the traffic factor (the total's `traffic` and `days` learn from it). */
  readonly profile?: number;
  /** The total only: the day type's factor at this minute (`traffic` is learned against profile × it). */
  readonly day?: number;
}

/**
 * The total and approved (the bulk of it) have large counts that rise and fall with the day: their
 * recent level has a trend. Rarer statuses are judged mostly by their share, their level only guards.
 */
export const followsDay = (status: string) => status === 'total' || status === 'approved';

/**
 * Holt's linear trend: the level follows a rising or falling day without lagging behind it (an
 * EWMA lags by slope × memory, which on the evening decline looks like a drop of all traffic).
 */
function holtStep(e: Ewma, x: number, memory: number): Ewma {
  if (e.n === 0) return { n: 1, mean: x, trend: 0 };
  const a = alphaOf(e.n, memory);
  const trend = e.trend ?? 0;
  const forecast = e.mean + trend;
  const mean = forecast + a * (x - forecast);
  // The trend is learned only once the level has settled (its first minutes are noise, not a slope).
  const b = e.n < 60 ? 0 : 1 / (memory * 2);
  return { n: e.n + 1, mean, trend: trend + b * (mean - e.mean - trend) };
}

/**
 * The total inside its own incident: it keeps learning, eight times slower. Traffic follows the time
 * of day; a level frozen for hours (before a week of history gives a profile to carry it) would turn
 * the evening decline into an incident that never ends. A 15-minute fall moves it by about 6%.
 */
export function creep(b: StatusBaseline, count: number, profile: number | undefined, day: number, s: BaselineSettings): StatusBaseline {
  return {
    ...b,
    level: holtStep(b.level, count, s.levelMemory * 8),
    traffic: profile !== undefined && profile > 0 ? sumsStep(b.traffic, count, profile * day, s.trafficMemory * 8) : b.traffic,
  };
}

const DAYS_ZERO: readonly Sums[] = [SUMS_ZERO, SUMS_ZERO];

/** The day types' factors after a learned minute of the total (count against its hour profile). */
function learnDays(b: StatusBaseline, minute: number, x: number, profile: number, s: BaselineSettings): readonly Sums[] {
  const days = (b.days ?? DAYS_ZERO).slice();
  const type = dayTypeOf(minute);
  days[type] = sumsStep(days[type] as Sums, x, profile, s.dayTypeMemory);
  return days;
}

/** The level one minute on, when a minute is not learned: the trend carries it, fading. */
const holtCoast = (e: Ewma): Ewma => (e.trend === undefined ? e : { ...e, mean: Math.max(0, e.mean + e.trend), trend: e.trend * 0.98 });

/**
 * The baseline after learning `count` at `minute` (a new object: a batch whose write fails leaves
 * nothing half-learned). Deviations are clipped before they are learned, so one odd minute moves
 * the level by a bounded amount.
 */
export function learn(b: StatusBaseline, minute: number, count: number, ctx: LearnContext, s: BaselineSettings): StatusBaseline {
  let x = count;
  if (ctx.countMean !== undefined && ctx.countMean >= 1) {
    const limit = 4 * Math.sqrt(ctx.countMean * dispersionOf(b.dispersion.count, s));
    x = Math.min(Math.max(x, ctx.countMean - limit), ctx.countMean + limit);
  }
  let dispersion = b.dispersion;
  let residuals = b.residuals;
  if (ctx.countMean !== undefined && ctx.countMean > 0.01) {
    const r = (count - ctx.countMean) / Math.sqrt(ctx.countMean);
    dispersion = { ...dispersion, count: ewmaStep(dispersion.count, Math.min(r * r, 25), s.dispersionMemory) };
    residuals = { ...residuals, count: push(residuals.count, Math.max(-8, Math.min(8, r)), s.residualWindow) };
  }
  if (ctx.shareMean !== undefined && ctx.shareMean > 0.01) {
    const variance = ctx.shareVariance ?? ctx.shareMean;
    const r = (count - ctx.shareMean) / Math.sqrt(Math.max(variance, 1e-9));
    dispersion = { ...dispersion, share: ewmaStep(dispersion.share, Math.min(r * r, 25), s.dispersionMemory) };
    residuals = { ...residuals, share: push(residuals.share, Math.max(-8, Math.min(8, r)), s.residualWindow) };
  }
  const hour = hourOf(minute);
  const own = b.hours[hour] as HourProfile;
  const hours = b.hours.slice();
  const a = alphaOf(own.n, s.hourMemory);
  hours[hour] =
    own.n === 0
      ? { n: 1, mean: x, num: count, den: ctx.total }
      : {
          n: own.n + 1,
          mean: own.mean + a * (x - own.mean),
          num: own.num + a * (count - own.num),
          den: own.den + a * (ctx.total - own.den),
        };
  return {
    ...b,
    firstMinute: b.firstMinute ?? minute,
    lastMinute: Math.max(b.lastMinute ?? minute, minute),
    learned: b.learned + 1,
    level: followsDay(b.status) ? holtStep(b.level, x, s.levelMemory) : ewmaStep(b.level, x, s.guardMemory),
    share: sumsStep(b.share, count, ctx.total, s.shareMemory),
    dispersion,
    residuals,
    centres:
      b.centres === undefined || b.learned % CENTRE_EVERY === 0
        ? { count: robustCentre(residuals.count) ?? null, share: robustCentre(residuals.share) ?? null }
        : b.centres,
    hours,
    ...(ctx.profile !== undefined &&
      ctx.profile > 0 && {
        traffic: sumsStep(b.traffic, x, ctx.profile * (ctx.day ?? 1), s.trafficMemory),
        days: learnDays(b, minute, x, ctx.profile, s),
      }),
  };
}

/** The baseline after a minute it did not learn (anomalous, or inside an incident): seen, and learned into the shadow. */
export function skip(b: StatusBaseline, minute: number, count: number, total: number): StatusBaseline {
  const shadow = b.shadow ?? { level: EWMA_ZERO, share: SUMS_ZERO };
  return {
    ...b,
    level: holtCoast(b.level),
    firstMinute: b.firstMinute ?? minute,
    lastMinute: Math.max(b.lastMinute ?? minute, minute),
    shadow: { level: ewmaStep(shadow.level, count, 30), share: sumsStep(shadow.share, count, total, 30) },
  };
}

/**
 * The new level accepted as normal: the shadow (what the incident's minutes looked like) becomes the
 * recent level and share, the CUSUM starts again, and the hour profiles keep learning from here.
 */
export function adopt(b: StatusBaseline): StatusBaseline {
  const shadow = b.shadow;
  return {
    ...b,
    ...(shadow && shadow.level.n > 0 && { level: { n: Math.max(b.level.n, shadow.level.n), mean: shadow.level.mean } }),
    ...(shadow &&
      shadow.share.n > 0 && { share: { n: Math.max(b.share.n, shadow.share.n), num: shadow.share.num, den: shadow.share.den } }),
    cusum: CUSUM_ZERO,
    incident: null,
    shadow: null,
  };
}

/** Whether `minute` is new to this baseline (later than anything seen), so it may be learned. */
export const isNew = (b: StatusBaseline, minute: number): boolean => b.lastMinute === null || minute > b.lastMinute;

/** The next minute after the latest one seen, for "what is expected now" views. */
export const nextMinute = (b: StatusBaseline): number | null => (b.lastMinute === null ? null : b.lastMinute + MINUTE_MS);

export interface RobustCentre {
  readonly median: number;
  readonly scale: number;
}

const CENTRE_EVERY = 10;

/** Median and MAD-based scale of residuals (1.4826·MAD estimates σ for Gaussian data). */
export function robustCentre(ring: readonly number[]): RobustCentre | undefined {
  if (ring.length < 30) return undefined;
  // Typed arrays sort numerically, natively: this runs for every large count every minute.
  const sorted = Float64Array.from(ring).sort();
  const mid = (xs: Float64Array) => {
    const m = xs.length >> 1;
    return xs.length % 2 ? (xs[m] as number) : ((xs[m - 1] as number) + (xs[m] as number)) / 2;
  };
  const median = mid(sorted);
  const deviations = sorted.map((x) => Math.abs(x - median)).sort();
  return { median, scale: 1.4826 * mid(deviations) };
}
