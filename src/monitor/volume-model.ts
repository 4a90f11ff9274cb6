import {
  adopt,
  type BaselineSettings,
  type Basis,
  creep,
  DEFAULT_BASELINE_SETTINGS,
  dayFactor,
  dispersionOf,
  type Ewma,
  emptyBaseline,
  expectedCount,
  expectedShare,
  isNew,
  learn,
  profileCount,
  type RobustCentre,
  type StatusBaseline,
  skip,
  trafficFactor,
} from './baseline.js';
import {
  type CountLaw,
  chanceWords,
  countSurprise,
  gaussianSurprise,
  lowerQuantile,
  lowerTail,
  normalUpper,
  upperQuantile,
  upperTail,
} from './count-tail.js';
import { type CusumSettings, cusumStep } from './cusum.js';
import { closeAsNewNormal, type Direction, type IncidentEvent, type IncidentSettings, stepIncident } from './incident.js';
import { formatMinute, MINUTE_MS } from './minute-counts.js';
import { SCAN_EMPTY, scan, scanStep } from './poisson-scan.js';

export type AnomalySeverity = 'low' | 'medium' | 'high';

/**
 * The sum of every status in a minute, judged as a status of its own for drops: a fall in all
 * traffic (the shop's checkout, a network, the payment page) is told apart from a fall in approvals.
 * Reserved: a client cannot send a status of this name.
 */
export const TOTAL_STATUS = 'total';

export interface MonitorSettings extends BaselineSettings, IncidentSettings {
  /** CUSUM allowance per minute, in normal-score units. */
  readonly cusumK: number;
  /** CUSUM threshold: a sustained shift once the accumulated evidence reaches it. */
  readonly cusumH: number;
  /**
   * The threshold for a status expected below once a minute. Its minutes score about 0 almost
   * always (the null standard deviation of its scores is 0.5–0.6, against 1 for large counts), so
   * its CUSUM wanders less by chance and may alarm sooner.
   */
  readonly rareH: number;
  /** The allowance for such a status. */
  readonly rareK: number;
  /** Allowance per status where it differs from cusumK: the total is only watched for large falls. */
  readonly allowance: Readonly<Record<string, number>>;
  /**
   * The Poisson scan (poisson-scan.ts) watches a rising status while it is expected below this many
   * a minute: where counts are small whole numbers and a slow ramp drains the CUSUM between them.
   */
  readonly scanBelow: number;
  /** Minutes the scan looks back over. */
  readonly scanWindow: number;
  /** The scan's threshold on its log-likelihood ratio (times the status's sensitivity). */
  readonly scanH: number;
  /** The CUSUM never exceeds cusumCap × cusumH, so that it falls back soon after an incident. */
  readonly cusumCap: number;
  /**
   * A single minute this surprising (normal score) is an incident by itself: 4.75 is a chance of
   * 1 in a million.
   */
  readonly minuteZ: number;
  /** Inside a sustained shift, the least score for a minute to be named anomalous. */
  readonly nameScore: number;
  /** Least difference from the expected count, in transactions, for a single minute to be an incident. */
  readonly minAbsoluteChange: number;
  /** Expected counts from this many up are scored as Gaussian (median and MAD of residuals), below as counts. */
  readonly largeCount: number;
  /** Minutes are not learned while the CUSUM is over this fraction of its threshold (an incident may be starting). */
  readonly suspectFraction: number;
  /** An approved share this far below normal (normal score) means a drop of the total is the approvals' incident. */
  readonly shareDropGuard: number;
  /** An incident lasting this long is taken as the new normal: learned, and closed with a note. */
  readonly adoptAfterMinutes: number;
  /**
   * Per status, a factor on the CUSUM threshold and the single-minute score: 1.5 makes the status
   * half again harder to alarm, 0.8 more sensitive. `VIGIL_MONITOR_SENSITIVITY`.
   */
  readonly sensitivity: Readonly<Record<string, number>>;
}

export const DEFAULT_MONITOR_SETTINGS: MonitorSettings = {
  ...DEFAULT_BASELINE_SETTINGS,
  closeAfterMinutes: 15,
  cusumK: 0.5,
  cusumH: 8,
  rareH: 6,
  rareK: 0.5,
  allowance: { total: 1 },
  cusumCap: 1.25,
  scanBelow: 1,
  scanWindow: 30,
  scanH: 9,
  minuteZ: 4.75,
  minAbsoluteChange: 3,
  nameScore: 1.5,
  largeCount: 30,
  suspectFraction: 0.5,
  shareDropGuard: 2.5,
  adoptAfterMinutes: 6 * 60,
  sensitivity: {},
};

/** Which way a status may go wrong. */
export interface StatusPolicy {
  readonly direction: Direction;
  readonly severity: 'low' | 'medium';
}

/**
 * Direction-aware: for every status but approved and the total, more is worse (failed, denied,
 * reversed, backend_reversed, refunded, and a status Vigil has never heard of: it is safer to assume
 * a new status is a failure mode than a success). Fewer failures are good news and never alarm. For
 * approved and the total, a drop is the alarm.
 */
export function policyFor(status: string): StatusPolicy {
  if (status === 'approved' || status === TOTAL_STATUS) return { direction: 'drop', severity: 'medium' };
  return { direction: 'rise', severity: 'medium' };
}

/** The thresholds for a status (expected about `expected` a minute), with its sensitivity factor applied. */
export function thresholdsFor(
  status: string,
  s: MonitorSettings,
  expected = Number.POSITIVE_INFINITY,
): { k: number; h: number; minuteZ: number; factor: number } {
  const factor = s.sensitivity[status] ?? 1;
  const rare = expected < 1;
  const k = s.allowance[status] ?? (rare ? s.rareK : s.cusumK);
  return { k, h: (rare ? s.rareH : s.cusumH) * factor, minuteZ: s.minuteZ * factor, factor };
}

export interface Anomaly {
  readonly minute: number;
  readonly status: string;
  readonly count: number;
  readonly expected: number;
  /** One standard deviation, in counts. */
  readonly countSpread: number;
  readonly lower: number;
  readonly upper: number;
  /** Normal score of the minute (mid-p tail of the count, or robust Gaussian): negative for drops. */
  readonly score: number;
  readonly direction: Direction;
  readonly severity: AnomalySeverity;
  readonly basis: Basis;
  readonly reason: string;
  /** The incident the minute belongs to; null for a minute sent again after its incident was over. */
  readonly incidentId: string | null;
}

/** What a status was expected to do in one minute: the view that judged it. */
export interface Expectation {
  readonly basis: Basis;
  readonly view: 'count' | 'share';
  readonly expected: number;
  readonly countSpread: number;
  readonly lower: number;
  readonly upper: number;
}

/** What the monitor made of one status in one minute. */
export interface MinuteVerdict {
  readonly minute: number;
  readonly status: string;
  readonly count: number;
  /** Absent while the status is still learning (its first half hour). */
  readonly expectation?: Expectation;
  /** Normal score, signed (negative below the expectation). */
  readonly score?: number;
  /** The CUSUM after this minute. */
  readonly cusum?: number;
  readonly anomaly?: Anomaly;
  /** The incident opened, grown or closed by this minute. */
  readonly incident?: IncidentEvent;
  /** Whether the minute was later than anything the baseline had seen (a minute sent again is not). */
  readonly fresh: boolean;
  /** Whether this minute taught the baseline. */
  readonly learned: boolean;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** 142, 9, 0.4, 0.06: counts people can read at a glance. */
export function readable(x: number): string {
  if (x >= 10) return String(Math.round(x));
  if (x >= 1) return String(Math.round(x * 10) / 10);
  return String(Number(x.toPrecision(1)));
}

const BASIS_TEXT: Readonly<Record<Basis, string>> = { hour_of_day: 'at this time of day', recent: 'lately' };

/** One view's judgement of a count. */
interface ViewScore {
  readonly view: 'count' | 'share';
  readonly basis: Basis;
  readonly mean: number;
  readonly z: number;
  readonly chanceHigh: number;
  readonly chanceLow: number;
  readonly spread: number;
  readonly lower: number;
  readonly upper: number;
  /** Dispersion used for the window's chance. */
  readonly dispersion: number;
  /** For the share view: the minute's total. */
  readonly total?: number;
}

/**
 * Scores `count` against `mean`. Small expectations as counts (negative binomial with the learned
 * dispersion); large ones as a robust Gaussian: the residual (in units of the Poisson or binomial
 * spread) is centred on the median of recent residuals and scaled by their MAD, never tighter than
 * chance alone.
 */
function scoreView(
  count: number,
  mean: number,
  baseVariance: number,
  dispersion: Ewma,
  centre: RobustCentre | null | undefined,
  gaussian: boolean,
  minuteZ: number,
  s: MonitorSettings,
): Pick<ViewScore, 'z' | 'chanceHigh' | 'chanceLow' | 'spread' | 'lower' | 'upper' | 'dispersion'> {
  const phi = dispersionOf(dispersion, s);
  if (gaussian) {
    const sd = Math.sqrt(Math.max(baseVariance, 0.25));
    const scale = centre ? Math.max(1, centre.scale) : Math.sqrt(phi);
    const median = centre ? centre.median : 0;
    const z = ((count - mean) / sd - median) / scale;
    const spread = sd * scale;
    return {
      ...gaussianSurprise(z),
      spread,
      lower: Math.max(0, mean + (median - minuteZ) * sd * scale),
      upper: mean + (median + minuteZ) * sd * scale,
      dispersion: scale * scale,
    };
  }
  const law: CountLaw = { mean: Math.max(mean, 1e-6), dispersion: phi };
  const pMinute = normalUpper(minuteZ);
  return {
    ...countSurprise(count, law),
    spread: Math.sqrt(phi * Math.max(mean, 1e-6)),
    lower: lowerQuantile(pMinute, law),
    upper: upperQuantile(pMinute, law),
    dispersion: phi,
  };
}

function viewsOf(
  b: StatusBaseline,
  minute: number,
  count: number,
  total: number,
  traffic: number,
  s: MonitorSettings,
): { count?: ViewScore; share?: ViewScore } {
  const { minuteZ } = thresholdsFor(b.status, s);
  const out: { count?: ViewScore; share?: ViewScore } = {};
  const c = expectedCount(b, minute, traffic, s);
  if (c) {
    const gaussian = c.mean >= s.largeCount;
    out.count = {
      view: 'count',
      basis: c.basis,
      mean: c.mean,
      ...scoreView(count, c.mean, c.mean, b.dispersion.count, b.centres?.count, gaussian, minuteZ, s),
    };
  }
  const p = b.status === TOTAL_STATUS ? undefined : expectedShare(b, minute, s);
  // A status that is (nearly) all of the traffic has no share to speak of: its count says it all.
  if (p && total > 0 && p.share < 0.99) {
    const mean = p.share * total;
    const gaussian = mean >= s.largeCount || p.share > 0.5;
    const variance = total * p.share * (1 - p.share);
    out.share = {
      view: 'share',
      basis: p.basis,
      mean,
      total,
      ...scoreView(count, mean, gaussian ? variance : mean, b.dispersion.share, b.centres?.share, gaussian, minuteZ, s),
    };
  }
  return out;
}

/** The chance of a run's sum at least (rise) or at most (drop) what was seen, had nothing changed. */
function windowChance(count: number, expected: number, dispersion: number, direction: Direction, s: MonitorSettings): number {
  if (expected >= s.largeCount) {
    const z = (count - expected) / Math.sqrt(Math.max(dispersion * expected, 0.25));
    return direction === 'rise' ? normalUpper(z) : normalUpper(-z);
  }
  const law: CountLaw = { mean: Math.max(expected, 1e-6), dispersion: Math.max(1, dispersion) };
  return direction === 'rise' ? upperTail(Math.round(count), law) : lowerTail(Math.round(count), law);
}

const hhmm = (minute: number) => new Date(minute).toISOString().slice(11, 16);

/**
 * The baselines of one source (reported counts, or Vigil's own events), judging and learning minute
 * by minute in time order. Each minute, every status is scored against what was learned before it,
 * its CUSUM and incident stepped, and then learned unless it is anomalous, inside an incident or
 * suspect. A minute sent again is judged again (single-minute check only), never learned twice.
 * Baselines are immutable values: `changed()` lists the new ones to store.
 */
export class VolumeModel {
  private readonly baselines = new Map<string, StatusBaseline>();
  private readonly touched = new Set<string>();

  constructor(
    baselines: Iterable<StatusBaseline> = [],
    readonly settings: MonitorSettings = DEFAULT_MONITOR_SETTINGS,
    private readonly newIncidentId: () => string = sequentialIds(),
  ) {
    for (const b of baselines) this.baselines.set(b.status, b);
  }

  statuses(): string[] {
    return [...this.baselines.keys()].filter((s) => s !== TOTAL_STATUS);
  }

  get(status: string): StatusBaseline | undefined {
    return this.baselines.get(status);
  }

  /**
   * Judges, then learns, every status of one minute, and the total. `counts` should hold every
   * status watched (0 when absent).
   */
  observe(minute: number, counts: ReadonlyMap<string, number>): MinuteVerdict[] {
    const s = this.settings;
    let total = 0;
    for (const [status, c] of counts) if (status !== TOTAL_STATUS) total += c;
    const all = new Map(counts);
    all.delete(TOTAL_STATUS);
    // The total is judged as a status of its own, but only for a minute sent whole for the first time.
    const totalBaseline = this.baselines.get(TOTAL_STATUS) ?? emptyBaseline(TOTAL_STATUS);
    if (isNew(totalBaseline, minute)) all.set(TOTAL_STATUS, total);
    const traffic = trafficFactor(totalBaseline);
    // After a week, a status's hour profile is scaled by how busy this day type (weekday or weekend)
    // usually is, and by how busy today is against that. Not the total's own: judged for large falls
    // only, its profile and residual centre carry it, and a day-type factor learned from two days
    // moved it by the day-to-day noise (±6%) at each midnight, enough to open false drops.
    const day = dayFactor(totalBaseline, minute, s);

    const scored = new Map<string, { b: StatusBaseline; views: ReturnType<typeof viewsOf> }>();
    for (const [status, c] of all) {
      const b = this.baselines.get(status) ?? emptyBaseline(status);
      scored.set(status, { b, views: viewsOf(b, minute, c, total, status === TOTAL_STATUS ? 1 : traffic * day, s) });
    }
    // A fall of the total while the approved share falls too is the approvals' incident, not traffic's.
    const approvedShare = scored.get('approved')?.views.share?.z;
    const approvalsFalling = approvedShare !== undefined && approvedShare < -s.shareDropGuard;

    const verdicts: MinuteVerdict[] = [];
    for (const [status, c] of all) {
      const { b, views } = scored.get(status) as { b: StatusBaseline; views: ReturnType<typeof viewsOf> };
      // The total comes last: an approvals incident open after this minute explains its fall too.
      const approvalsIncident = status === TOTAL_STATUS && (this.baselines.get('approved')?.incident ?? null) !== null;
      verdicts.push(this.judgeOne(b, minute, c, total, views, status === TOTAL_STATUS && (approvalsFalling || approvalsIncident)));
    }
    return verdicts;
  }

  private judgeOne(
    b: StatusBaseline,
    minute: number,
    count: number,
    total: number,
    views: ReturnType<typeof viewsOf>,
    suppressed: boolean,
  ): MinuteVerdict {
    const s = this.settings;
    const status = b.status;
    const fresh = isNew(b, minute);
    const ctx = {
      total,
      ...(views.count && { countMean: views.count.mean }),
      ...(views.share && {
        shareMean: views.share.mean,
        shareVariance:
          views.share.mean >= s.largeCount || views.share.mean / total > 0.5 ? shareVarianceOf(views.share, total) : views.share.mean,
      }),
    };
    const profile = status === TOTAL_STATUS ? profileCount(b, minute, s, false) : undefined;
    const day = status === TOTAL_STATUS ? dayFactor(b, minute, s) : 1;
    const learnCtx = profile === undefined ? ctx : { ...ctx, profile, day };
    const available = [views.count, views.share].filter((v): v is ViewScore => v !== undefined);
    if (available.length === 0) {
      // Still learning: no judgement yet.
      if (!fresh) return { minute, status, count, fresh, learned: false };
      this.set(learn(b, minute, count, learnCtx, s));
      return { minute, status, count, fresh, learned: true };
    }

    const policy = policyFor(status);
    const sign = policy.direction === 'rise' ? 1 : -1;
    // Every view must agree: a busy hour is not a rise of failed (the share is normal), and a
    // card-testing burst of denied is not a drop of approved (the approved count is normal).
    let binding = available[0] as ViewScore;
    for (const v of available) if (sign * v.z < sign * binding.z) binding = v;
    let evidence = sign * binding.z;
    if (suppressed) evidence = Math.min(evidence, 0);
    const { k, h, minuteZ, factor } = thresholdsFor(status, s, binding.mean);
    const expectation: Expectation = {
      basis: binding.basis,
      view: binding.view,
      expected: binding.mean,
      countSpread: binding.spread,
      lower: binding.lower,
      upper: binding.upper,
    };
    const minuteAlarm = evidence >= minuteZ && Math.abs(count - binding.mean) >= s.minAbsoluteChange;
    const base = { minute, status, count, expectation, score: round2(binding.z) };

    if (!fresh) {
      // A minute sent again: judged alone, never learned, no CUSUM or incident step.
      const anomaly = minuteAlarm ? this.anomalyOf(base, binding, policy, null, null) : undefined;
      return { ...base, ...(anomaly && { anomaly }), fresh, learned: false };
    }

    const cusum = cusumStep(b.cusum, minute, evidence, count, binding.mean, {
      k,
      h,
      cap: s.cusumCap,
      clipLow: 3,
      clipHigh: 4,
    } satisfies CusumSettings);
    const sustained = cusum.s >= h;
    // The scan opens an incident of a rare rising status on a minute above its expectation; it does
    // not keep one open (the CUSUM does), so an incident still closes soon after the status is normal.
    const ring = policy.direction === 'rise' ? scanStep(b.scan ?? SCAN_EMPTY, count, binding.mean, s.scanWindow) : undefined;
    const scanned =
      ring && b.incident === null && binding.mean < s.scanBelow && !suppressed && count > binding.mean
        ? scan(ring, binding.dispersion)
        : undefined;
    const scanAlarm = scanned !== undefined && scanned.llr >= s.scanH * factor;
    // Inside a sustained shift, a minute is named anomalous when it pulls the wrong way clearly
    // (the crossing minute always): ordinary minutes while the CUSUM winds down are not.
    const anomalous = minuteAlarm || scanAlarm || (sustained && (b.incident === null ? evidence > k : evidence >= s.nameScore));
    // The evidence behind a sustained shift: the CUSUM's run, or the scan's window when only the scan saw it.
    const run =
      scanAlarm && !sustained && scanned
        ? { start: minute - (scanned.minutes - 1) * MINUTE_MS, count: scanned.count, expected: scanned.expected, minutes: scanned.minutes }
        : cusum;
    const step = stepIncident(
      b.incident,
      {
        minute,
        status,
        direction: policy.direction,
        anomalous,
        sustained,
        count,
        expected: binding.mean,
        score: round2(binding.z),
        since: run.start === null ? null : { start: run.start, count: run.count, expected: run.expected },
      },
      s,
      this.newIncidentId,
    );
    let next: StatusBaseline = {
      ...b,
      cusum,
      incident: step.state,
      ...(ring && { scan: step.state === null && !step.event ? ring : SCAN_EMPTY }),
    };
    let event = step.event;
    // The total is not held back while merely suspect: it must keep up with the day (see creep()).
    const quiet = step.state === null && !anomalous && (status === TOTAL_STATUS || cusum.s < s.suspectFraction * h);
    let learned = false;
    if (quiet) {
      next = { ...learn(next, minute, count, learnCtx, s), shadow: null };
      learned = true;
    } else {
      next = skip(next, minute, count, total);
      if (status === TOTAL_STATUS) next = creep(next, count, profile, day, s);
      if (anomalous) next = { ...next, anomalous: next.anomalous + 1 };
    }
    if (step.state && minute - step.state.detectedAt >= s.adoptAfterMinutes * MINUTE_MS) {
      const hours = Math.round(s.adoptAfterMinutes / 60);
      event = closeAsNewNormal(step.state, minute, `Lasted ${hours} hours: taken as the new normal level, and learned.`);
      next = adopt(next);
    }
    this.set(next);
    const incidentId = step.state?.id ?? event?.incident.id ?? null;
    const anomaly = anomalous
      ? this.anomalyOf(base, binding, policy, (sustained || scanAlarm) && !minuteAlarm ? run : null, incidentId)
      : undefined;
    return { ...base, cusum: round2(cusum.s), ...(anomaly && { anomaly }), ...(event && { incident: event }), fresh, learned };
  }

  private anomalyOf(
    base: { minute: number; status: string; count: number; score: number },
    v: ViewScore,
    policy: StatusPolicy,
    run: { start: number | null; count: number; expected: number; minutes: number } | null,
    incidentId: string | null,
  ): Anomaly {
    const s = this.settings;
    const { minute, status, count } = base;
    const rise = policy.direction === 'rise';
    const minuteChance = rise ? v.chanceHigh : v.chanceLow;
    const usual = `where about ${readable(v.mean)} ${v.mean >= 0.95 && v.mean < 1.05 ? 'is' : 'are'} usual ${BASIS_TEXT[v.basis]}`;
    const of = v.view === 'share' ? ` for ${v.total} outcomes in all` : '';
    let reason = `${count} ${status} in the minute ${formatMinute(minute)} ${usual}${of}: ${chanceWords(minuteChance)}.`;
    let chance = minuteChance;
    if (run && run.start !== null && run.minutes > 1) {
      chance = windowChance(run.count, run.expected, v.dispersion, policy.direction, s);
      reason =
        `${run.count} ${status} in the ${run.minutes} minutes since ${hhmm(run.start)} UTC where about ${readable(run.expected)} ` +
        `${run.expected >= 0.95 && run.expected < 1.05 ? 'is' : 'are'} usual: ${chanceWords(chance)}; ` +
        `${count} in the minute ${formatMinute(minute)}, about ${readable(v.mean)} usual${of}.`;
    }
    const severity: AnomalySeverity = chance < 1e-9 ? 'high' : policy.severity;
    return {
      minute,
      status,
      count,
      expected: v.mean,
      countSpread: v.spread,
      lower: v.lower,
      upper: v.upper,
      score: base.score,
      direction: policy.direction,
      severity,
      basis: v.basis,
      reason,
      incidentId,
    };
  }

  /** Accepts a status's current level as normal (an admin's "this is the new normal"): closes its incident. */
  acceptNewLevel(status: string, at: number, who: string): IncidentEvent | undefined {
    const b = this.baselines.get(status);
    if (!b) return undefined;
    const event = b.incident ? closeAsNewNormal(b.incident, at, `Marked as the new normal level by ${who}.`) : undefined;
    this.set(adopt(b));
    return event;
  }

  private set(b: StatusBaseline): void {
    this.baselines.set(b.status, b);
    this.touched.add(b.status);
  }

  /** Baselines that changed since this model was built. */
  changed(): StatusBaseline[] {
    return [...this.touched].map((s) => this.baselines.get(s) as StatusBaseline);
  }

  all(): StatusBaseline[] {
    return [...this.baselines.values()];
  }
}

function shareVarianceOf(v: ViewScore, total: number): number {
  const p = total > 0 ? v.mean / total : 0;
  return Math.max(total * p * (1 - p), 0.25);
}

/** Incident ids for a model used alone (tests, the eval); the service passes real ids. */
export function sequentialIds(prefix = 'inc'): () => string {
  let n = 0;
  return () => `${prefix}_${++n}`;
}
