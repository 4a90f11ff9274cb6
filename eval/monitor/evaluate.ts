/**
 * Runs Vigil's volume model and an Isolation Forest on the same synthetic dataset, and measures
 * both the same way: each planted incident found with the right status (and how many minutes after
 * its start), and false-alarm minutes per day outside the planted incidents.
 */
import { IsolationForest } from '../../src/anomaly/isolation-forest.js';
import type { IncidentRecord } from '../../src/monitor/incident.js';
import { MINUTE_MS, type MinuteCount } from '../../src/monitor/minute-counts.js';
import { DEFAULT_MONITOR_SETTINGS, type MonitorSettings, VolumeModel } from '../../src/monitor/volume-model.js';
import { DAY_MS, type Dataset, MIX, type Planted } from './data.js';

/** Minutes after a planted incident's end during which alarms still belong to it (the recovery). */
export const AFTERMATH_MIN = 20;
/** Found means: first alert within this many minutes of the start (the target). */
export const LATENCY_TARGET_MIN = 10;

export interface Finding {
  readonly planted: Planted;
  /** Minutes from the planted start to the first alert naming the right status and direction; null if none. */
  readonly latency: number | null;
  /** What the detector named first inside the incident, if not the right status. */
  readonly named: string | null;
}

export interface DetectorResult {
  readonly detector: string;
  readonly findings: readonly Finding[];
  /** Anomalous minutes (status-minutes for Vigil, minutes for the forest) outside the incidents, per day measured. */
  readonly falseMinutesPerDay: number;
  /** Incidents opened outside the planted ones, per day (Vigil only). */
  readonly falseIncidentsPerDay: number | null;
  readonly daysMeasured: number;
}

/** Rows grouped into minutes, oldest first. */
function byMinute(rows: readonly MinuteCount[]): Array<{ minute: number; counts: Map<string, number> }> {
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

const inWindow = (minute: number, p: Planted, after = AFTERMATH_MIN) =>
  minute >= p.start && minute < p.start + (p.minutes + after) * MINUTE_MS;

/**
 * Vigil: the model learns the training days, then judges every later minute (the test days), as the
 * service does with batches. False alarms are counted on every day after the first (`measureFrom`).
 */
export function runVigil(data: Dataset, measureFromDay: number, settings: MonitorSettings = DEFAULT_MONITOR_SETTINGS): DetectorResult {
  const model = new VolumeModel([], settings);
  const anomalies: Array<{ minute: number; status: string; direction: string }> = [];
  const opened: IncidentRecord[] = [];
  for (const { minute, counts } of byMinute(data.rows)) {
    for (const v of model.observe(minute, counts)) {
      if (v.anomaly) anomalies.push({ minute, status: v.status, direction: v.anomaly.direction });
      if (v.incident?.kind === 'opened') opened.push(v.incident.incident);
    }
  }
  const measureFrom = data.from + measureFromDay * DAY_MS;
  // The first minute named anomalous with the right status and direction inside the incident: every
  // such minute is in an alert (a new one, or one already open), so this is when people are told.
  const findings = data.planted.map((p): Finding => {
    const right = anomalies.find((a) => a.status === p.status && a.direction === p.direction && inWindow(a.minute, p, 0));
    const first = anomalies.find((a) => inWindow(a.minute, p, 0));
    return {
      planted: p,
      latency: right ? (right.minute - p.start) / MINUTE_MS : null,
      named: right ? null : first ? `${first.status} ${first.direction}` : null,
    };
  });
  const outside = (minute: number) => minute >= measureFrom && !data.planted.some((p) => inWindow(minute, p));
  const days = data.days - measureFromDay;
  return {
    detector: 'Vigil (counts, shares, CUSUM, incidents)',
    findings,
    falseMinutesPerDay: anomalies.filter((a) => outside(a.minute)).length / days,
    falseIncidentsPerDay: opened.filter((i) => outside(i.detectedAt)).length / days,
    daysMeasured: days,
  };
}

/**
 * The seed's approach: an Isolation Forest on each minute's vector of counts (one column per
 * status), fitted on the training days, its threshold set so that it flags one training minute a
 * day. A flagged minute is attributed to the status furthest from its training median (in MADs),
 * since the forest itself names none; a fall of every status is "total drop" when all are below.
 */
export function runForest(data: Dataset, trainDays: number, seed: number): DetectorResult {
  const statuses = MIX.map(([s]) => s);
  const minutes = byMinute(data.rows as MinuteCount[]);
  const vector = (counts: ReadonlyMap<string, number>) => statuses.map((s) => counts.get(s) ?? 0);
  const trainEnd = data.from + trainDays * DAY_MS;
  const train = minutes.filter((m) => m.minute < trainEnd);
  const test = minutes.filter((m) => m.minute >= trainEnd);
  const values = new Float64Array(train.length * statuses.length);
  train.forEach((m, r) => {
    values.set(vector(m.counts), r * statuses.length);
  });
  const forest = IsolationForest.fit({ rows: train.length, cols: statuses.length, values }, { trees: 100, sampleSize: 256, seed });
  const trainScores = train.map((m) => forest.anomalyScore(vector(m.counts))).sort((a, b) => a - b);
  const threshold = trainScores[Math.floor(trainScores.length * (1 - 1 / 1440))] as number;
  const medians = statuses.map((_, j) => {
    const xs = train.map((m) => vector(m.counts)[j] as number).sort((a, b) => a - b);
    const median = xs[xs.length >> 1] as number;
    const mad = (xs.map((x) => Math.abs(x - median)).sort((a, b) => a - b)[xs.length >> 1] as number) * 1.4826;
    return { median, scale: Math.max(mad, 0.5) };
  });
  const flagged: Array<{ minute: number; named: string }> = [];
  for (const m of test) {
    const v = vector(m.counts);
    if (forest.anomalyScore(v) <= threshold) continue;
    const z = v.map((x, j) => (x - (medians[j] as { median: number }).median) / (medians[j] as { scale: number }).scale);
    let best = 0;
    z.forEach((x, j) => {
      if (Math.abs(x) > Math.abs(z[best] as number)) best = j;
    });
    const allBelow = z.every((x, j) => x <= 0 || (medians[j] as { median: number }).median === 0);
    const named = allBelow && (z[0] as number) < 0 ? 'total drop' : `${statuses[best]} ${(z[best] as number) >= 0 ? 'rise' : 'drop'}`;
    flagged.push({ minute: m.minute, named });
  }
  const findings = data.planted.map((p): Finding => {
    const inside = flagged.filter((f) => inWindow(f.minute, p, 0));
    const right = inside.find((f) => f.named === `${p.status} ${p.direction}`);
    return {
      planted: p,
      latency: right ? (right.minute - p.start) / MINUTE_MS : null,
      named: right ? null : (inside[0]?.named ?? null),
    };
  });
  const days = data.days - trainDays;
  return {
    detector: 'Isolation Forest (per-minute count vector)',
    findings,
    falseMinutesPerDay: flagged.filter((f) => !data.planted.some((p) => inWindow(f.minute, p))).length / days,
    falseIncidentsPerDay: null,
    daysMeasured: days,
  };
}

export const foundInTime = (f: Finding) => f.latency !== null && f.latency <= LATENCY_TARGET_MIN;
