/**
 * What the volume monitor answers: a batch's answer, an incident, a training summary and a baseline
 * as the API, the CLI and the dashboard show them, and the presenters that build them.
 */
import type { Basis } from './baseline.js';
import type { ClosedMinute } from './event-counter.js';
import { MINUTE_MS, type MinuteCount } from './minute-counts.js';
import type { CountSource, StoredAnomaly, StoredIncident } from './ports.js';
import type { MinuteVerdict } from './volume-model.js';

export const round2 = (x: number) => Math.round(x * 100) / 100;
export const iso = (ms: number) => new Date(ms).toISOString();

/** One anomaly as `POST /v1/monitor` answers it. */
export interface AnswerAnomaly {
  readonly timestamp: string;
  readonly status: string;
  readonly count: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly score: number;
  readonly direction: 'rise' | 'drop';
  readonly severity: 'low' | 'medium' | 'high';
  readonly reason: string;
  readonly alertId: string | null;
  /** The incident the minute belongs to (listed in `incidents`). */
  readonly incidentId: string | null;
}

/** An incident as the API shows it. */
export interface IncidentView {
  readonly id: string;
  readonly source: CountSource;
  readonly status: string;
  readonly direction: 'rise' | 'drop';
  readonly state: 'open' | 'closed';
  readonly start: string;
  readonly detectedAt: string;
  /** The last anomalous minute so far; the end once closed. */
  readonly lastAbnormal: string;
  readonly end: string | null;
  readonly closedAt: string | null;
  /** Minutes from start to the last anomalous one. */
  readonly minutes: number;
  readonly anomalousMinutes: number;
  readonly count: number;
  readonly expected: number;
  readonly peak: { readonly timestamp: string; readonly count: number; readonly expected: number; readonly score: number };
  readonly note: string | null;
  readonly alertId: string | null;
}

/** The answer to a batch: the seed's `{alert, anomalies}`, plus the incidents, what was judged and what is still learning. */
export interface MonitorAnswer {
  readonly alert: 'ok' | 'alert';
  readonly anomalies: readonly AnswerAnomaly[];
  /** Every incident this batch opened, grew or closed, as it stands after the batch. */
  readonly incidents: readonly IncidentView[];
  /** Status-minutes judged, zeros for absent statuses included. */
  readonly evaluated: number;
  /** Statuses that had no baseline yet for some minute of the batch (their first half hour): judged nothing, learned. */
  readonly learning: readonly string[];
}

export interface TrainSummary {
  readonly rows: number;
  readonly minutes: number;
  readonly from: number | null;
  readonly to: number | null;
  readonly statuses: ReadonlyArray<{
    readonly status: string;
    readonly learned: number;
    readonly anomalous: number;
    readonly hoursKnown: number;
  }>;
  /** Minutes of the history found anomalous: not learned, stored for charts, no alert raised. */
  readonly anomalies: readonly StoredAnomaly[];
  readonly incidents: readonly StoredIncident[];
}

/** A baseline as `GET /v1/monitor/baselines` shows it: what the next minute is judged against, and each hour of the day. */
export interface BaselineView {
  readonly source: CountSource;
  readonly status: string;
  /** What the next minute is judged against: `learning` until there is a half hour of history. */
  readonly basis: Basis | 'learning';
  readonly learned: number;
  readonly anomalous: number;
  readonly lastMinute: string | null;
  /** The direction watched, the CUSUM allowance and threshold, and the single-minute score, with the status's sensitivity. */
  readonly watch: { readonly direction: 'rise' | 'drop'; readonly k: number; readonly h: number; readonly minuteZ: number };
  readonly timeOfDay: boolean;
  readonly recent: {
    readonly samples: number;
    readonly expected: number;
    /** The usual share of all outcomes (null for the total). */
    readonly share: number | null;
    /** Variance over mean of the counts (1 is Poisson). */
    readonly dispersion: number;
  } | null;
  readonly cusum: number;
  readonly openIncident: string | null;
  readonly hours: ReadonlyArray<{
    readonly hour: number;
    readonly samples: number;
    /** Whether this hour's profile is in use (after a week of history). */
    readonly known: boolean;
    readonly expected: number | null;
    readonly share: number | null;
  }>;
}

/** Rows grouped into minutes, oldest first; counts of a status sent twice for a minute are added. */
export function byMinute(rows: readonly MinuteCount[]): ClosedMinute[] {
  const minutes = new Map<number, Map<string, number>>();
  for (const r of rows) {
    let counts = minutes.get(r.minute);
    if (!counts) {
      counts = new Map();
      minutes.set(r.minute, counts);
    }
    counts.set(r.status, (counts.get(r.status) ?? 0) + r.count);
  }
  return [...minutes.entries()].sort((a, b) => a[0] - b[0]).map(([minute, counts]) => ({ minute, counts }));
}

/** An incident as the API shows it. */
export function presentIncident(i: StoredIncident): IncidentView {
  return {
    id: i.id,
    source: i.source,
    status: i.status,
    direction: i.direction,
    state: i.state,
    start: iso(i.start),
    detectedAt: iso(i.detectedAt),
    lastAbnormal: iso(i.lastAbnormal),
    end: i.end === null ? null : iso(i.end),
    closedAt: i.closedAt === null ? null : iso(i.closedAt),
    minutes: Math.round((i.lastAbnormal - i.start) / MINUTE_MS) + 1,
    anomalousMinutes: i.anomalousMinutes,
    count: i.count,
    expected: round2(i.expected),
    peak: { timestamp: iso(i.peak.minute), count: i.peak.count, expected: round2(i.peak.expected), score: i.peak.score },
    note: i.note,
    alertId: i.alertId,
  };
}

export function answerOf(
  verdicts: readonly MinuteVerdict[],
  anomalies: readonly StoredAnomaly[],
  incidents: readonly StoredIncident[],
): MonitorAnswer {
  return {
    alert: anomalies.length > 0 ? 'alert' : 'ok',
    anomalies: anomalies.map((a) => ({
      timestamp: iso(a.minute),
      status: a.status,
      count: a.count,
      expected: round2(a.expected),
      lower: round2(a.lower),
      upper: round2(a.upper),
      score: a.score,
      direction: a.direction,
      severity: a.severity,
      reason: a.reason,
      alertId: a.alertId,
      incidentId: a.incidentId,
    })),
    incidents: incidents.map(presentIncident),
    evaluated: verdicts.length,
    learning: [...new Set(verdicts.filter((v) => !v.expectation).map((v) => v.status))].sort(),
  };
}
