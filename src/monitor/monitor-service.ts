import type { AuditRecorder } from '../audit/ports.js';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { ok, type Result } from '../core/result.js';
import type { StoredEvent } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';
import { OPEN_STATUSES } from '../domain/vocabulary.js';
import type { EventStore } from '../ingest/ports.js';
import {
  type Basis,
  dayFactor,
  dispersionOf,
  expectedCount,
  expectedShare,
  isNew,
  knowsTimeOfDay,
  nextMinute,
  type StatusBaseline,
  trafficFactor,
  upgradeBaseline,
} from './baseline.js';
import { type ClosedMinute, MinuteCounter, statusOfEvent } from './event-counter.js';
import type { IncidentRecord } from './incident.js';
import { type BatchProblem, MINUTE_MS, type MinuteCount, minuteOf, readBatch } from './minute-counts.js';
import type {
  AnomalyQuery,
  CountSource,
  IncidentQuery,
  MonitorStore,
  SeriesPoint,
  SeriesQuery,
  SeriesRow,
  StoredAnomaly,
  StoredIncident,
} from './ports.js';
import { incidentAlert } from './volume-alert.js';
import {
  type Anomaly,
  DEFAULT_MONITOR_SETTINGS,
  type MinuteVerdict,
  type MonitorSettings,
  policyFor,
  TOTAL_STATUS,
  thresholdsFor,
  VolumeModel,
} from './volume-model.js';

/** How far back the event counter re-reads stored events at start when it has judged nothing yet. */
export const WARM_LOOKBACK_MS = 25 * 60 * MINUTE_MS;

const round2 = (x: number) => Math.round(x * 100) / 100;
const iso = (ms: number) => new Date(ms).toISOString();

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

export interface VolumeMonitorDeps {
  readonly store: MonitorStore;
  /** `alert.raised` and `alert.updated`, after the write: webhooks and the live feed see volume alerts. */
  readonly bus: Pick<Bus, 'publish'>;
  readonly clock: Clock;
  readonly settings?: MonitorSettings;
  /**
   * Every incident a person's action closes (a level accepted as normal, a retraining) is recorded
   * here, by the service, whoever called it: required, so no caller can leave one unaudited.
   */
  readonly audit: AuditRecorder;
}

interface ProcessOptions {
  readonly raiseAlerts: boolean;
  readonly baselines?: readonly StatusBaseline[];
  /** Training: start from no baselines and judge the history afresh. */
  readonly replace?: boolean;
  readonly lateCounts?: readonly MinuteCount[];
}

interface Processed {
  readonly verdicts: readonly MinuteVerdict[];
  readonly anomalies: readonly StoredAnomaly[];
  readonly incidents: readonly StoredIncident[];
  readonly model: VolumeModel;
}

/**
 * The transaction-volume monitor: per-minute counts in, anomalies and `transaction` alerts out.
 *
 * Every batch (a POST, a training file, the minutes Vigil's own events just completed) is one unit:
 * baselines are read from the store, the minutes judged and learned in time order on a copy, and
 * the series, anomalies, baselines and alerts written in one transaction. A batch that is refused or
 * whose write fails has taught nothing. Batches run one at a time in this process; reading the
 * baselines at the start of each also picks up what `vigil monitor train` wrote from another process.
 */
export class VolumeMonitor {
  readonly settings: MonitorSettings;
  private queue: Promise<unknown> = Promise.resolve();
  private counter: MinuteCounter | undefined;
  /** Completed minutes and late counts of Vigil's own events, not yet judged or added. */
  private pending: { closed: ClosedMinute[]; late: Map<string, { minute: number; status: string; count: number }> } = {
    closed: [],
    late: new Map(),
  };
  /** The queued work that will take `pending`, until it starts. */
  private pendingJudged: Promise<void> | undefined;

  constructor(private readonly deps: VolumeMonitorDeps) {
    this.settings = deps.settings ?? DEFAULT_MONITOR_SETTINGS;
  }

  /** `POST /v1/monitor`: judges a batch of reported counts, raising alerts. Refused whole on any bad row. */
  submit(body: unknown): Promise<Result<MonitorAnswer, BatchProblem>> {
    return this.enqueue(async () => {
      const baselines = await this.deps.store.baselines('reported');
      const known = new Set(baselines.map((b) => b.status).filter((st) => st !== TOTAL_STATUS));
      const read = readBatch(body, this.deps.clock.now(), known);
      if (!read.ok) return read;
      const { verdicts, anomalies, incidents } = await this.process('reported', byMinute(read.value), { raiseAlerts: true, baselines });
      return ok(answerOf(verdicts, anomalies, incidents));
    });
  }

  /**
   * `vigil monitor train`: learns the reported source afresh from a history (its previous baselines
   * are replaced). Anomalies in the history are found, kept out of the baselines and stored for the
   * charts, but raise no alert: they are over.
   *
   * Incidents of the reported source still open are closed first, with a note, their alerts
   * resolved and each close audited (`who`): the baselines that carried them are gone, so nothing
   * would ever close them. If the status is still abnormal, the next batch opens a new incident,
   * judged by the new baselines.
   */
  train(rows: readonly MinuteCount[], who: string): Promise<TrainSummary> {
    return this.enqueue(async () => {
      await this.closeForRetraining(who);
      const minutes = byMinute(rows);
      const { anomalies, incidents, model } = await this.process('reported', minutes, { raiseAlerts: false, replace: true });
      return {
        rows: rows.length,
        minutes: minutes.length,
        from: minutes[0]?.minute ?? null,
        to: minutes[minutes.length - 1]?.minute ?? null,
        statuses: model
          .all()
          .sort((a, b) => a.status.localeCompare(b.status))
          .map((b) => ({
            status: b.status,
            learned: b.learned,
            anomalous: b.anomalous,
            hoursKnown: knowsTimeOfDay(b, this.settings) ? b.hours.filter((h) => h.n >= this.settings.minHourSamples).length : 0,
          })),
        anomalies,
        incidents,
      };
    });
  }

  /**
   * Rebuilds the event counter at start: from the last minute already judged (or the last 25 hours),
   * stored events are counted again, and minutes completed while Vigil was down are judged now.
   */
  async warm(events: Pick<EventStore, 'scan'>): Promise<void> {
    const closed = await this.deps.store.latestMinute('events');
    this.counter = new MinuteCounter(closed);
    const since = Math.max(closed === undefined ? 0 : closed + MINUTE_MS, this.deps.clock.now() - WARM_LOOKBACK_MS);
    for await (const page of events.scan(since, Number.MAX_SAFE_INTEGER, { types: ['transaction', 'payment.failed'] })) {
      await this.onEventsStored(page);
    }
  }

  /**
   * Subscribed to `events.stored`. Counting happens at once, in the order events were stored;
   * judging the minutes that completed, and adding counts that came late to minutes already judged,
   * is queued behind any batch under way. What arrives meanwhile joins the queued work, so a busy
   * stream of late events (a backfill, a replay) costs one write per batch under way, not one per
   * group of events stored.
   */
  onEventsStored(events: readonly StoredEvent[]): Promise<void> {
    this.counter ??= new MinuteCounter(undefined);
    for (const e of events) {
      const status = statusOfEvent(e);
      if (status === undefined) continue;
      if (this.counter.add(e.occurredAt, status) === 'late') {
        const minute = minuteOf(e.occurredAt);
        const key = `${minute}|${status}`;
        const late = this.pending.late.get(key);
        if (late) late.count++;
        else this.pending.late.set(key, { minute, status, count: 1 });
      }
    }
    this.pending.closed.push(...this.counter.close(this.deps.clock.now()));
    if (this.pending.closed.length === 0 && this.pending.late.size === 0) return this.pendingJudged ?? Promise.resolve();
    this.pendingJudged ??= this.enqueue(async () => {
      const { closed, late } = this.pending;
      this.pending = { closed: [], late: new Map() };
      this.pendingJudged = undefined;
      // Oldest first, as process() expects: each close() returns minutes after the previous ones.
      await this.process('events', closed, { raiseAlerts: true, lateCounts: [...late.values()] });
    });
    return this.pendingJudged;
  }

  /** Resolves once every batch queued so far is written (or has failed). */
  async settled(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  series(query: SeriesQuery): Promise<readonly SeriesRow[]> {
    return this.deps.store.series(query);
  }

  anomalies(query: AnomalyQuery): Promise<readonly StoredAnomaly[]> {
    return this.deps.store.anomalies(query);
  }

  incidents(query: IncidentQuery): Promise<readonly StoredIncident[]> {
    return this.deps.store.incidents(query);
  }

  incident(id: string): Promise<StoredIncident | undefined> {
    return this.deps.store.incident(id);
  }

  /** Closes every open incident of the reported source before a retraining (see `train`). */
  private async closeForRetraining(who: string): Promise<void> {
    const { store, clock } = this.deps;
    const open = await store.incidents({ source: 'reported', state: 'open', limit: 10_000 });
    if (open.length === 0) return;
    const now = clock.now();
    const note = `Closed when the baselines were learned afresh by ${who} (vigil monitor train): a status still abnormal opens a new incident.`;
    const closed: StoredIncident[] = open.map((i) => ({ ...i, state: 'closed', end: i.lastAbnormal, closedAt: now, note, updatedAt: now }));
    const alerts: Alert[] = [];
    for (const i of closed) {
      const existing = i.alertId ? await store.alert(i.alertId) : undefined;
      if (existing) alerts.push(incidentAlert(i, i.source, undefined, existing, now).alert);
    }
    await store.write({ source: 'reported', at: now, series: [], anomalies: [], cleared: [], baselines: [], incidents: closed, alerts });
    await this.resolveAndAudit(closed, alerts, who, 'monitor.incident_closed', now);
  }

  /**
   * After closed incidents are written: their alerts still open are resolved by `who`, published,
   * and each close is audited.
   */
  private async resolveAndAudit(
    closed: readonly StoredIncident[],
    alerts: readonly Alert[],
    who: string,
    action: 'monitor.level_accepted' | 'monitor.incident_closed',
    now: number,
  ): Promise<void> {
    const { store } = this.deps;
    const published: Alert[] = [];
    for (const alert of alerts) {
      const incident = closed.find((i) => i.alertId === alert.id);
      const resolved =
        incident && OPEN_STATUSES.has(alert.status)
          ? await store.resolveAlert({ alertId: alert.id, from: alert.status, to: 'resolved', actor: who, note: incident.note, at: now })
          : undefined;
      published.push(resolved ?? alert);
    }
    if (published.length > 0) await this.deps.bus.publish('alert.updated', published);
    for (const i of closed) {
      await this.deps.audit.record(who, action, `incident:${i.id}`, { source: i.source, status: i.status, direction: i.direction });
    }
  }

  /**
   * An admin marks an incident's level as the new normal: the status's baseline adopts what its
   * minutes looked like during the incident, and the incident (with its alert) is closed with a note,
   * audited. Undefined when there is no such incident; `already_closed` (nothing changed, nothing
   * audited) when it was closed by the time this ran: by another accept that came first, or by the
   * monitor itself.
   */
  acceptAsNormal(
    id: string,
    who: string,
  ): Promise<{ readonly outcome: 'accepted' | 'already_closed'; readonly incident: StoredIncident } | undefined> {
    return this.enqueue(async () => {
      const { store, clock } = this.deps;
      const stored = await store.incident(id);
      if (!stored) return undefined;
      if (stored.state === 'closed') return { outcome: 'already_closed' as const, incident: stored };
      const now = clock.now();
      const baselines = (await store.baselines(stored.source)).map((b) => upgradeBaseline(b, b.status));
      const model = new VolumeModel(baselines, this.settings);
      const event = model.acceptNewLevel(stored.status, now, who);
      const record =
        event && event.incident.id === id
          ? event.incident
          : {
              ...stored,
              state: 'closed' as const,
              end: stored.lastAbnormal,
              closedAt: now,
              note: `Marked as the new normal level by ${who}.`,
            };
      const existing = stored.alertId ? await store.alert(stored.alertId) : undefined;
      const alerts = existing ? [incidentAlert(record, stored.source, undefined, existing, now).alert] : [];
      const closed: StoredIncident = { ...record, source: stored.source, alertId: stored.alertId, updatedAt: now };
      await store.write({
        source: stored.source,
        at: now,
        series: [],
        anomalies: [],
        cleared: [],
        baselines: model.changed(),
        incidents: [closed],
        alerts,
      });
      await this.resolveAndAudit([closed], alerts, who, 'monitor.level_accepted', now);
      return { outcome: 'accepted' as const, incident: closed };
    });
  }

  latestMinute(source?: CountSource, statuses?: readonly string[]): Promise<number | undefined> {
    return this.deps.store.latestMinute(source, statuses);
  }

  async baselines(): Promise<BaselineView[]> {
    const views: BaselineView[] = [];
    for (const source of ['reported', 'events'] as const) {
      const all = (await this.deps.store.baselines(source)).map((b) => upgradeBaseline(b, b.status));
      const total = all.find((b) => b.status === TOTAL_STATUS);
      for (const b of all) views.push(this.view(source, b, total));
    }
    return views.sort((a, b) => a.source.localeCompare(b.source) || a.status.localeCompare(b.status));
  }

  private view(source: CountSource, b: StatusBaseline, total: StatusBaseline | undefined): BaselineView {
    const s = this.settings;
    const next = nextMinute(b);
    const scale = b.status === TOTAL_STATUS || next === null ? 1 : trafficFactor(total) * dayFactor(total, next, s);
    const count = next === null ? undefined : expectedCount(b, next, scale, s);
    const share = next === null || b.status === TOTAL_STATUS ? undefined : expectedShare(b, next, s);
    const t = thresholdsFor(b.status, s, count?.mean);
    const tod = knowsTimeOfDay(b, s);
    return {
      source,
      status: b.status,
      basis: count?.basis ?? share?.basis ?? 'learning',
      learned: b.learned,
      anomalous: b.anomalous,
      lastMinute: b.lastMinute === null ? null : iso(b.lastMinute),
      watch: { direction: policyFor(b.status).direction, k: t.k, h: round2(t.h), minuteZ: round2(t.minuteZ) },
      timeOfDay: tod,
      recent:
        b.level.n >= s.minRecentSamples
          ? {
              samples: b.level.n,
              expected: round2(count?.mean ?? b.level.mean),
              share: b.status === TOTAL_STATUS || b.share.den <= 0 ? null : Math.round((b.share.num / b.share.den) * 1e5) / 1e5,
              dispersion: round2(dispersionOf(b.dispersion.count, s)),
            }
          : null,
      cusum: round2(b.cusum.s),
      openIncident: b.incident?.id ?? null,
      hours: b.hours.map((h, hour) => {
        const known = tod && h.n >= s.minHourSamples;
        return {
          hour,
          samples: h.n,
          known,
          // Shown as learned so far, used once `known`.
          expected: h.n > 0 ? round2(h.mean) : null,
          share: h.n > 0 && b.status !== TOTAL_STATUS && h.den > 0 ? Math.round((h.num / h.den) * 1e5) / 1e5 : null,
        };
      }),
    };
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    // The queue only orders batches; each caller sees (and reports) its own failure.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async process(source: CountSource, minutes: readonly ClosedMinute[], options: ProcessOptions): Promise<Processed> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const stored = options.replace ? [] : (options.baselines ?? (await store.baselines(source)));
    const model = new VolumeModel(
      stored.map((b) => upgradeBaseline(b, b.status)),
      this.settings,
      () => newId('minc', now),
    );
    const statuses = new Set(model.statuses());
    for (const m of minutes) for (const status of m.counts.keys()) statuses.add(status);

    const verdicts: MinuteVerdict[] = [];
    const series: SeriesPoint[] = [];
    const found: Anomaly[] = [];
    const cleared: Array<{ minute: number; status: string }> = [];
    /** The latest state of each incident this batch touched, and the latest anomaly of each. */
    const touched = new Map<string, { incident: IncidentRecord; latest: Anomaly | undefined }>();
    for (const { minute, counts } of minutes) {
      // A minute reported for the first time is a whole minute: a watched status absent from it
      // counted 0 (that is what an approved count of zero looks like in the seed's format). A minute
      // sent again is a correction of the statuses it names, and the others are left as they were.
      const full = new Map<string, number>();
      for (const status of statuses) {
        const given = counts.get(status);
        const b = model.get(status);
        if (given !== undefined) full.set(status, given);
        else if (!b || isNew(b, minute)) full.set(status, 0);
      }
      for (const v of model.observe(minute, full)) {
        verdicts.push(v);
        const e = v.expectation;
        series.push({
          source,
          minute,
          status: v.status,
          count: v.count,
          expected: e ? round2(e.expected) : null,
          lower: e ? round2(e.lower) : null,
          upper: e ? round2(e.upper) : null,
          score: v.score ?? null,
          basis: e?.basis ?? null,
        });
        if (v.anomaly) found.push(v.anomaly);
        else if (!v.fresh) cleared.push({ minute, status: v.status });
        if (v.incident) {
          const before = touched.get(v.incident.incident.id);
          touched.set(v.incident.incident.id, { incident: v.incident.incident, latest: v.anomaly ?? before?.latest });
        } else if (v.anomaly?.incidentId) {
          const before = touched.get(v.anomaly.incidentId);
          if (before) before.latest = v.anomaly;
        }
      }
    }

    // One alert per incident: raised when it opens, updated while it lasts, resolved when it closes.
    const alerts = new Map<string, Alert>();
    const raised = new Set<string>();
    const incidents: StoredIncident[] = [];
    for (const { incident, latest } of touched.values()) {
      let alertId: string | null = null;
      if (options.raiseAlerts) {
        const before = await store.incident(incident.id);
        const existing = before?.alertId ? await store.alert(before.alertId) : undefined;
        const { alert, raised: isNew } = incidentAlert(incident, source, latest, existing, now);
        alerts.set(alert.id, alert);
        if (isNew) raised.add(alert.id);
        alertId = alert.id;
      }
      incidents.push({ ...incident, source, alertId, updatedAt: now });
    }
    const alertOf = new Map(incidents.map((i) => [i.id, i.alertId]));
    const anomalies: StoredAnomaly[] = found.map((a) => ({
      ...a,
      id: newId('anom', now),
      source,
      alertId: a.incidentId ? (alertOf.get(a.incidentId) ?? null) : null,
      foundAt: now,
    }));

    const first = minutes[0];
    const last = minutes[minutes.length - 1];
    await store.write({
      source,
      at: now,
      series,
      anomalies,
      cleared,
      ...(options.replace && first && last && { clearRange: { from: first.minute, to: last.minute } }),
      baselines: model.changed(),
      ...(options.replace && { replaceBaselines: true }),
      incidents,
      alerts: [...alerts.values()],
      ...(options.lateCounts && { lateCounts: options.lateCounts }),
    });
    // A closed incident's alert is resolved by Vigil, as a transition people can see, unless a person
    // has already closed it.
    for (const i of incidents) {
      const alert = i.alertId ? alerts.get(i.alertId) : undefined;
      if (i.state !== 'closed' || !alert || !OPEN_STATUSES.has(alert.status)) continue;
      const resolved = await store.resolveAlert({
        alertId: alert.id,
        from: alert.status,
        to: 'resolved',
        actor: 'vigil',
        note: i.note,
        at: now,
      });
      if (resolved) alerts.set(alert.id, resolved);
    }
    // After the commit, as for alerts raised by events: subscribers never see an alert that is not stored.
    const all = [...alerts.values()];
    const newOnes = all.filter((a) => raised.has(a.id));
    const updated = all.filter((a) => !raised.has(a.id));
    if (newOnes.length > 0) await this.deps.bus.publish('alert.raised', newOnes);
    if (updated.length > 0) await this.deps.bus.publish('alert.updated', updated);
    return { verdicts, anomalies, incidents, model };
  }
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

function answerOf(
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
