import {
  type BaselineSettings,
  DEFAULT_BASELINE_SETTINGS,
  type Expectation,
  emptyBaseline,
  expectationAt,
  isNew,
  learn,
  nextStreak,
  type StatusBaseline,
  skip,
} from './baseline.js';
import { formatMinute } from './minute-counts.js';

export type Direction = 'rise' | 'drop';
export type AnomalySeverity = 'low' | 'medium' | 'high';

export interface MonitorSettings extends BaselineSettings {
  /**
   * Standard deviations (square-root scale) above the expected level at which a rise of failed,
   * denied, reversed, backend_reversed, refunded or any other status is anomalous. Six statuses are
   * judged 1,440 times a day; at 4 a synthetic week with 15% day-to-day swings and strongly
   * over-dispersed minutes gave 0.1 to 0.2 false alarms a day, and 3.5 gave up to 1.3 while finding
   * only a few more of the weakest incidents (a doubling of 10 denied a minute). 4.5 missed most of
   * those weak incidents for no fewer false alarms. The detection test states the measured figure.
   */
  readonly riseThreshold: number;
  /** The same for a drop of approved transactions: checkout or the payment provider failing. */
  readonly approvedDropThreshold: number;
  /**
   * A rise of approved transactions is usually good news (a campaign, a busy hour), but a sudden
   * one can be bots or card testers whose cards work; it is flagged further out, and as `low`.
   */
  readonly approvedRiseThreshold: number;
  /**
   * Least difference from the expected count, in transactions, before anything is anomalous: at
   * 0.2 reversals a minute, 3 in one minute is many standard deviations out and still nothing
   * anyone should be woken for.
   */
  readonly minAbsoluteChange: number;
}

export const DEFAULT_MONITOR_SETTINGS: MonitorSettings = {
  ...DEFAULT_BASELINE_SETTINGS,
  riseThreshold: 4,
  approvedDropThreshold: 4,
  approvedRiseThreshold: 6,
  minAbsoluteChange: 5,
};

interface DirectionRule {
  readonly threshold: number;
  readonly severity: 'low' | 'medium';
}

/** Which way a status may go wrong, how far, and how bad that is. */
export interface StatusPolicy {
  readonly rise?: DirectionRule;
  readonly drop?: DirectionRule;
}

/**
 * Direction-aware: for every status but approved, more is worse (failed, denied, reversed,
 * backend_reversed, refunded, and a status Vigil has never heard of, which is learned like the rest
 * and watched for rises: it is safer to assume a new status is a failure mode than a success).
 * Fewer failures are good news and never alarm. For approved, a drop is the alarm and a rise a weak one.
 */
export function policyFor(status: string, s: MonitorSettings = DEFAULT_MONITOR_SETTINGS): StatusPolicy {
  if (status === 'approved') {
    return {
      drop: { threshold: s.approvedDropThreshold, severity: 'medium' },
      rise: { threshold: s.approvedRiseThreshold, severity: 'low' },
    };
  }
  return { rise: { threshold: s.riseThreshold, severity: 'medium' } };
}

/** Counts between `lower` and `upper` are normal; beyond them, in a direction the policy watches, anomalous. */
export interface Band {
  readonly lower: number;
  readonly upper: number;
}

export function bandOf(e: Expectation, policy: StatusPolicy, s: MonitorSettings = DEFAULT_MONITOR_SETTINGS): Band {
  // A direction the policy ignores still gets a band for charts, at the rise threshold.
  const up = policy.rise?.threshold ?? s.riseThreshold;
  const down = policy.drop?.threshold ?? s.riseThreshold;
  const high = e.root + up * e.spread;
  const low = e.root - down * e.spread;
  return {
    lower: Math.max(0, Math.min(low > 0 ? low * low : 0, e.expected - s.minAbsoluteChange)),
    upper: Math.max(high * high, e.expected + s.minAbsoluteChange),
  };
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
  /** Standard deviations from the expected level (square-root scale); negative for drops. */
  readonly score: number;
  readonly direction: Direction;
  readonly severity: AnomalySeverity;
  readonly basis: Expectation['basis'];
  readonly reason: string;
}

/** What the monitor made of one status in one minute. */
export interface MinuteVerdict {
  readonly minute: number;
  readonly status: string;
  readonly count: number;
  /** Absent while the status is still learning (its first half hour). */
  readonly expectation?: Expectation;
  readonly band?: Band;
  readonly score?: number;
  readonly anomaly?: Anomaly;
  /** Whether the minute was later than anything the baseline had seen (a minute sent again is not). */
  readonly fresh: boolean;
  /** Whether this minute taught the baseline (fresh, not anomalous). */
  readonly learned: boolean;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** 142, 9, 0.4: counts people can read at a glance. */
export function readable(x: number): string {
  if (x >= 10) return String(Math.round(x));
  return String(Math.round(x * 10) / 10);
}

const BASIS_TEXT: Readonly<Record<Expectation['basis'], string>> = {
  hour_of_day: 'for this time of day',
  recent: 'from the recent level',
};

/** Judges one status's count in one minute against its baseline. Pure. */
export function judge(
  b: StatusBaseline,
  minute: number,
  count: number,
  s: MonitorSettings = DEFAULT_MONITOR_SETTINGS,
): Omit<MinuteVerdict, 'learned' | 'fresh'> {
  const expectation = expectationAt(b, minute, s);
  if (!expectation) return { minute, status: b.status, count };
  const policy = policyFor(b.status, s);
  const band = bandOf(expectation, policy, s);
  const z = (Math.sqrt(count) - expectation.root) / expectation.spread;
  const direction: Direction = z >= 0 ? 'rise' : 'drop';
  const rule = policy[direction];
  const far = rule !== undefined && Math.abs(z) >= rule.threshold;
  const enough = Math.abs(count - expectation.expected) >= s.minAbsoluteChange;
  const verdict = { minute, status: b.status, count, expectation, band, score: round2(z) };
  if (!rule || !far || !enough) return verdict;
  const severity: AnomalySeverity = rule.severity === 'medium' && Math.abs(z) >= 2 * rule.threshold ? 'high' : rule.severity;
  const reason =
    `${count} ${b.status} in the minute ${formatMinute(minute)}, expected about ${readable(expectation.expected)} ` +
    `(±${readable(expectation.countSpread)}) ${BASIS_TEXT[expectation.basis]}: ${Math.abs(z).toFixed(1)} standard deviations ` +
    `${direction === 'rise' ? 'above' : 'below'} normal.`;
  return {
    ...verdict,
    anomaly: {
      minute,
      status: b.status,
      count,
      expected: expectation.expected,
      countSpread: expectation.countSpread,
      lower: band.lower,
      upper: band.upper,
      score: round2(z),
      direction,
      severity,
      basis: expectation.basis,
      reason,
    },
  };
}

/**
 * The baselines of one source (reported counts, or Vigil's own events), judging and learning minute
 * by minute in time order. A minute is judged against what was learned before it, then learned,
 * unless it is anomalous or was already seen (a minute sent again is judged again, never learned
 * twice). Baselines are immutable values: `changed()` lists the new ones to store.
 */
export class VolumeModel {
  private readonly baselines = new Map<string, StatusBaseline>();
  private readonly touched = new Set<string>();

  constructor(
    baselines: Iterable<StatusBaseline> = [],
    readonly settings: MonitorSettings = DEFAULT_MONITOR_SETTINGS,
  ) {
    for (const b of baselines) this.baselines.set(b.status, b);
  }

  statuses(): string[] {
    return [...this.baselines.keys()];
  }

  get(status: string): StatusBaseline | undefined {
    return this.baselines.get(status);
  }

  /** Judges, then learns, every status of one minute. `counts` should hold every status watched (0 when absent). */
  observe(minute: number, counts: ReadonlyMap<string, number>): MinuteVerdict[] {
    const verdicts: MinuteVerdict[] = [];
    for (const [status, count] of counts) {
      const before = this.baselines.get(status) ?? emptyBaseline(status);
      const verdict = judge(before, minute, count, this.settings);
      const fresh = isNew(before, minute);
      if (!fresh) {
        verdicts.push({ ...verdict, fresh, learned: false });
        continue;
      }
      this.touched.add(status);
      const anomaly = verdict.anomaly;
      if (!anomaly) {
        this.baselines.set(status, learn(before, minute, count, verdict.expectation, this.settings));
        verdicts.push({ ...verdict, fresh, learned: true });
        continue;
      }
      const streak = nextStreak(before, anomaly.direction === 'rise' ? 1 : -1);
      const limit = anomaly.basis === 'recent' ? this.settings.adoptRecentAfter : this.settings.adoptHourAfter;
      if (Math.abs(streak) <= limit) {
        this.baselines.set(status, skip(before, minute, streak));
        verdicts.push({ ...verdict, fresh, learned: false });
        continue;
      }
      // A lasting change: still reported, and now learned, so that it stops being one.
      this.baselines.set(status, learn(before, minute, count, verdict.expectation, this.settings, streak));
      const reason = `${anomaly.reason} ${Math.abs(streak)} minutes in a row: being learned as the new level.`;
      verdicts.push({ ...verdict, anomaly: { ...anomaly, reason }, fresh, learned: true });
    }
    return verdicts;
  }

  /** Baselines that changed since this model was built. */
  changed(): StatusBaseline[] {
    return [...this.touched].map((s) => this.baselines.get(s) as StatusBaseline);
  }

  all(): StatusBaseline[] {
    return [...this.baselines.values()];
  }
}
