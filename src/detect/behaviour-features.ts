import { FEATURES, type FeatureName, type ModelKind, type PopulationBaseline } from '../anomaly/model-kinds.js';
import { assertExhaustive } from '../core/result.js';
import { HOUR, MINUTE } from '../core/time.js';
import type { DetectionEvent } from '../domain/activity-event.js';
import type { EventType } from '../domain/event-schema.js';
import { haversineKm } from '../domain/geo.js';
import type { BehaviourProfile, History } from './history.js';
import { formatDecimal, formatDuration, formatInteger, formatMoney, plural } from './rules/format.js';

/**
 * Behaviour features: what an event looks like next to the account's own habits. The live path
 * (the behaviour-anomaly rule) and training (model-trainer.ts) both call `extractFeatures` with the event
 * and the history of what came before it, so a model sees in production exactly what it learnt from.
 */

/** The event types each kind of model scores. */
export const SCORED_TYPES: Readonly<Record<ModelKind, readonly EventType[]>> = {
  login: ['login.succeeded'],
  transaction: ['transaction'],
};
/** The event types a model's features read from history: what training replays. */
export const HISTORY_TYPES: Readonly<Record<ModelKind, readonly EventType[]>> = {
  login: ['login.succeeded', 'login.failed'],
  transaction: ['transaction'],
};

export function kindOf(type: EventType): ModelKind | undefined {
  if (type === 'login.succeeded') return 'login';
  if (type === 'transaction') return 'transaction';
  return undefined;
}

/**
 * Below this many earlier logins (or transactions) an account has no habits worth comparing with:
 * five logins make a weak but real set of usual hours, five purchases a median that one odd basket
 * does not move much. Such accounts are scored on population-relative features only (see
 * `extractFeatures`), which is the "population model" fallback.
 */
export const MIN_ACCOUNT_HISTORY = 5;

/** Share of an account's logins its usual hours must hold: the odd late night stays outside them. */
export const USUAL_HOURS_SHARE = 0.9;

/** Usual hours as a run of whole hours of the day, UTC: `start` 8 and `hours` 11 is 08:00–19:00. */
export interface UsualHours {
  readonly start: number;
  readonly hours: number;
}

/** Facts behind the values, for the sentence that explains a score; never a model input. */
export interface FeatureContext {
  /** `account`: compared with the account's own habits; `population`: too little history, compared with everyone's. */
  readonly basis: 'account' | 'population';
  readonly minuteOfDay: number;
  readonly usualHours?: UsualHours;
  readonly device?: string;
  readonly country?: string;
  readonly network?: string;
  readonly lastLoginPlace?: string;
  readonly userAgent?: string;
  readonly amount?: number;
  readonly currency?: string;
  readonly usualAmount?: number;
  /** Whose median `usualAmount` is: an established account may be new to a currency. */
  readonly usualAmountOf?: 'account' | 'population';
  readonly merchant?: string;
}

export interface FeatureRow {
  readonly kind: ModelKind;
  /** Readable values, in FEATURES[kind] order: hours, km, km/h, a count, a ratio, 0/1. */
  readonly values: Float64Array;
  /** The model's input: the same values, heavy-tailed ones log-scaled (see `encode`). */
  readonly input: Float64Array;
  readonly context: FeatureContext;
}

/**
 * The features of a login or a transaction, against `history` (the earlier events; the event itself
 * is not in it yet) and the population baseline of the model that will score it. Undefined for
 * event types no model scores.
 *
 * Accounts with fewer than MIN_ACCOUNT_HISTORY earlier events of the kind are compared with the
 * population instead: usual hours and amounts are everyone's, and what is only meaningful against
 * the account's own past (new device, country, network, merchant, a changed user agent) is 0, as
 * everything is new to a new account. Distance, speed and failures are kept: they need no habits.
 */
export function extractFeatures(event: DetectionEvent, history: History, population: PopulationBaseline): FeatureRow | undefined {
  const kind = kindOf(event.type);
  if (kind === undefined) return undefined;
  const profile = history.profileOf?.(event.user);
  return kind === 'login' ? loginFeatures(event, history, profile, population) : transactionFeatures(event, history, profile, population);
}

function loginFeatures(
  e: DetectionEvent,
  history: History,
  profile: BehaviourProfile | undefined,
  population: PopulationBaseline,
): FeatureRow {
  const own = (profile?.logins ?? 0) >= MIN_ACCOUNT_HISTORY;
  const minuteOfDay = minuteOf(e.occurredAt);
  const usual = usualHours(own && profile ? hourCounts(profile.loginMinutes) : population.loginHours);
  const novelty = e.enrichment.novelty;
  const geo = e.enrichment.geo;

  let km = 0;
  let kmh = 0;
  const last = profile?.lastLogin;
  // Only against an earlier login: a late event is not measured against one that came after it.
  if (last && last.occurredAt <= e.occurredAt && last.latitude !== undefined && last.longitude !== undefined) {
    if (geo?.latitude !== undefined && geo.longitude !== undefined) {
      km = haversineKm(last.latitude, last.longitude, geo.latitude, geo.longitude);
      // As impossible-travel does: both accuracy radii off the distance before it becomes a speed,
      // and at least a minute between the two, so two logins in the same second are not "infinitely fast".
      const adjusted = Math.max(0, km - (last.accuracyKm ?? 0) - (geo.accuracyKm ?? 0));
      kmh = adjusted / (Math.max(e.occurredAt - last.occurredAt, MINUTE) / HOUR);
    }
  }
  const t = e.occurredAt;
  let failures = 0;
  for (const p of history.forUser(e.user, t - HOUR, t)) if (p.type === 'login.failed') failures++;
  const uaChanged = own && last?.userAgent !== undefined && e.userAgent !== undefined && last.userAgent !== e.userAgent;

  const values = Float64Array.of(
    usual ? hoursOutside(minuteOfDay / 60, usual) : 0,
    own && novelty.newDevice === true ? 1 : 0,
    own && novelty.newCountry === true ? 1 : 0,
    own && novelty.newNetwork === true ? 1 : 0,
    km,
    kmh,
    failures,
    uaChanged ? 1 : 0,
  );
  const context: FeatureContext = {
    basis: own ? 'account' : 'population',
    minuteOfDay,
    ...(usual && { usualHours: usual }),
    ...(e.device !== undefined && { device: e.device }),
    ...(geo?.country !== undefined && { country: geo.country }),
    ...(e.enrichment.network !== undefined && { network: e.enrichment.network }),
    ...(last && { lastLoginPlace: [last.city, last.country].filter(Boolean).join(', ') }),
    ...(e.enrichment.userAgent !== undefined && { userAgent: e.enrichment.userAgent.summary }),
  };
  return { kind: 'login', values, input: encode('login', values), context };
}

/** A purchase before anything is known of the account's spending: as if the last one were this long ago. */
const NO_EARLIER_TRANSACTION_HOURS = 90 * 24;

function transactionFeatures(
  e: DetectionEvent,
  history: History,
  profile: BehaviourProfile | undefined,
  population: PopulationBaseline,
): FeatureRow {
  const own = (profile?.transactions ?? 0) >= MIN_ACCOUNT_HISTORY;
  const amount = e.amount ?? 0;
  const currency = e.currency;
  let usualAmount: number | undefined;
  let usualAmountOf: 'account' | 'population' = 'population';
  if (currency !== undefined) {
    const amounts = own ? history.transactionAmounts(e.user, currency, e.occurredAt) : [];
    // An account may be established in one currency and new to another: its own median only when it
    // has enough purchases in this one.
    if (amounts.length >= MIN_ACCOUNT_HISTORY) {
      usualAmount = median(amounts);
      usualAmountOf = 'account';
    } else usualAmount = population.medianAmounts[currency];
  }
  const lastAt = profile?.lastTransactionAt;
  // A late event's "previous" purchase is unknown (the profile keeps only the latest): as if none.
  const hoursSince = lastAt !== undefined && lastAt <= e.occurredAt ? (e.occurredAt - lastAt) / HOUR : NO_EARLIER_TRANSACTION_HOURS;
  const newMerchant = own && e.merchant !== undefined && !(profile?.merchants.includes(e.merchant) ?? false);
  const values = Float64Array.of(
    // +1 on both sides: a zero amount or median gives a ratio, not a division by zero.
    usualAmount === undefined ? 1 : (amount + 1) / (usualAmount + 1),
    Math.min(hoursSince, NO_EARLIER_TRANSACTION_HOURS),
    newMerchant ? 1 : 0,
    own && e.enrichment.novelty.newDevice === true ? 1 : 0,
  );
  const context: FeatureContext = {
    basis: own ? 'account' : 'population',
    minuteOfDay: minuteOf(e.occurredAt),
    amount,
    ...(currency !== undefined && { currency }),
    ...(usualAmount !== undefined && { usualAmount, usualAmountOf }),
    ...(e.merchant !== undefined && { merchant: e.merchant }),
    ...(e.device !== undefined && { device: e.device }),
  };
  return { kind: 'transaction', values, input: encode('transaction', values), context };
}

/**
 * Model input from readable values. Distances, speeds, counts, waits and ratios are heavy-tailed:
 * on a log scale a forest's random cuts fall across the ordinary range too, instead of nearly all
 * between the ordinary values and one extreme.
 */
export function encode(kind: ModelKind, values: Float64Array): Float64Array {
  const names = FEATURES[kind];
  const input = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    switch (names[i] as FeatureName) {
      case 'kmFromLastLogin':
      case 'kmhFromLastLogin':
      case 'failuresInHourBefore':
      case 'hoursSinceLastTransaction':
        input[i] = Math.log1p(v);
        break;
      case 'amountToUsual':
        input[i] = Math.log(v);
        break;
      default:
        input[i] = v;
    }
  }
  return input;
}

const minuteOf = (t: number): number => Math.floor((((t % (24 * HOUR)) + 24 * HOUR) % (24 * HOUR)) / MINUTE);

/** Logins per hour of the day from their minutes past midnight. */
export function hourCounts(minutes: ArrayLike<number>): number[] {
  const counts = new Array<number>(24).fill(0);
  for (let i = 0; i < minutes.length; i++) {
    const h = Math.floor((minutes[i] as number) / 60) % 24;
    counts[h] = (counts[h] as number) + 1;
  }
  return counts;
}

/**
 * The shortest run of whole hours, around the clock, holding at least USUAL_HOURS_SHARE of the
 * logins (the fullest such run on a tie): an account logging in between 08:00 and 19:00 gets
 * 08:00–19:00, one logging in at 23:00 and 01:00 gets 23:00–02:00. Undefined without logins.
 */
export function usualHours(counts: readonly number[], share = USUAL_HOURS_SHARE): UsualHours | undefined {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return undefined;
  const need = share * total - 1e-9;
  // Prefix sums over two turns of the clock: any run of hours is one subtraction.
  const prefix = new Float64Array(49);
  for (let i = 0; i < 48; i++) prefix[i + 1] = (prefix[i] as number) + (counts[i % 24] as number);
  for (let hours = 1; hours <= 24; hours++) {
    let best: UsualHours | undefined;
    let bestSum = -1;
    for (let start = 0; start < 24; start++) {
      const sum = (prefix[start + hours] as number) - (prefix[start] as number);
      if (sum >= need && sum > bestSum) {
        best = { start, hours };
        bestSum = sum;
      }
    }
    if (best) return best;
  }
  return { start: 0, hours: 24 };
}

/** How many hours `hour` (0–24, fractional) lies outside the usual run, around the clock: 0 inside it. */
export function hoursOutside(hour: number, usual: UsualHours): number {
  if (usual.hours >= 24) return 0;
  const into = (((hour - usual.start) % 24) + 24) % 24;
  if (into < usual.hours) return 0;
  return Math.min(into - usual.hours, 24 - into);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const clock = (minuteOfDay: number): string =>
  `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;

/** "08:00–19:00 UTC". */
export const formatUsualHours = (u: UsualHours): string => `${clock(u.start * 60)}–${clock(((u.start + u.hours) % 24) * 60)} UTC`;

/**
 * A phrase for one feature's value, for the sentence that explains a score: "new country (BR)".
 * Undefined when the value is unremarkable (a 0 for "new device", a login within the usual hours):
 * a feature can weigh in a score without being worth naming.
 */
export function describeFeature(name: FeatureName, value: number, ctx: FeatureContext): string | undefined {
  switch (name) {
    case 'hoursFromUsual': {
      if (value < 1 || !ctx.usualHours) return undefined;
      const whose = ctx.basis === 'account' ? "this account's usual" : 'the usual hours of all accounts,';
      return `${clock(ctx.minuteOfDay)} UTC is ${formatDecimal(value)} h outside ${whose} ${formatUsualHours(ctx.usualHours)}`;
    }
    case 'newDevice':
      return value === 1 ? `new device${ctx.device ? ` (${ctx.device})` : ''}` : undefined;
    case 'newCountry':
      return value === 1 ? `new country${ctx.country ? ` (${ctx.country})` : ''}` : undefined;
    case 'newNetwork':
      return value === 1 ? `new network${ctx.network ? ` (${ctx.network})` : ''}` : undefined;
    // Below ground-travel figures a distance or a speed explains nothing: a commute, a weekend away.
    case 'kmFromLastLogin':
      return value >= 300
        ? `${formatInteger(value)} km from the last login${ctx.lastLoginPlace ? ` (${ctx.lastLoginPlace})` : ''}`
        : undefined;
    case 'kmhFromLastLogin':
      return value >= 300 ? `${formatInteger(value)} km/h from the last login` : undefined;
    case 'failuresInHourBefore':
      return value >= 1 ? `${plural(value, 'failed login')} in the hour before` : undefined;
    case 'userAgentChanged':
      return value === 1 ? `a different browser than at the last login${ctx.userAgent ? ` (now ${ctx.userAgent})` : ''}` : undefined;
    case 'amountToUsual': {
      if ((value < 2 && value > 0.5) || ctx.usualAmount === undefined || ctx.currency === undefined) return undefined;
      const whose = ctx.usualAmountOf === 'account' ? "this account's" : 'the';
      return `${formatMoney(ctx.amount ?? 0, ctx.currency)} is ${formatDecimal(value)}× ${whose} median of ${formatMoney(ctx.usualAmount, ctx.currency)}`;
    }
    case 'hoursSinceLastTransaction':
      return value < 1 ? `${formatDuration(value * HOUR)} after the previous transaction` : undefined;
    case 'newMerchant':
      return value === 1 ? `new merchant${ctx.merchant ? ` (${ctx.merchant})` : ''}` : undefined;
    default:
      return assertExhaustive(name, 'feature');
  }
}
