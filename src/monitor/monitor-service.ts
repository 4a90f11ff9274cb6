import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { ok, type Result } from '../core/result.js';
import type { StoredEvent } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';
import type { EventStore } from '../ingest/ports.js';
import { type Expectation, expectationAt, fromMoments, isNew, nextMinute, type StatusBaseline } from './baseline.js';
import { type ClosedMinute, MinuteCounter, statusOfEvent } from './event-counter.js';
import { type BatchProblem, MINUTE_MS, type MinuteCount, minuteOf, readBatch } from './minute-counts.js';
import type { AnomalyQuery, CountSource, MonitorStore, SeriesPoint, SeriesQuery, SeriesRow, StoredAnomaly } from './ports.js';
import { alertUserOf, dedupKeyOf, volumeAlert } from './volume-alert.js';
import { bandOf, DEFAULT_MONITOR_SETTINGS, type MinuteVerdict, type MonitorSettings, policyFor, VolumeModel } from './volume-model.js';

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
}

/** The answer to a batch: the seed's `{alert, anomalies}`, plus what was judged and what is still learning. */
export interface MonitorAnswer {
  readonly alert: 'ok' | 'alert';
  readonly anomalies: readonly AnswerAnomaly[];
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
}

/** A baseline as `GET /v1/monitor/baselines` shows it: what each hour of the day expects. */
export interface BaselineView {
  readonly source: CountSource;
  readonly status: string;
  /** What the next minute is judged against: `learning` until there is a half hour of history. */
  readonly basis: Expectation['basis'] | 'learning';
  readonly learned: number;
  readonly anomalous: number;
  readonly lastMinute: string | null;
  readonly watch: { readonly rise: number | null; readonly drop: number | null };
  readonly recent: { readonly samples: number; readonly expected: number; readonly lower: number; readonly upper: number } | null;
  readonly hours: ReadonlyArray<{
    readonly hour: number;
    readonly samples: number;
    readonly known: boolean;
    readonly expected: number | null;
    readonly lower: number | null;
    readonly upper: number | null;
  }>;
}

export interface VolumeMonitorDeps {
  readonly store: MonitorStore;
  /** `alert.raised` and `alert.updated`, after the write: webhooks and the live feed see volume alerts. */
  readonly bus: Pick<Bus, 'publish'>;
  readonly clock: Clock;
  readonly settings?: MonitorSettings;
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
      const read = readBatch(body, this.deps.clock.now(), new Set(baselines.map((b) => b.status)));
      if (!read.ok) return read;
      const { verdicts, anomalies } = await this.process('reported', byMinute(read.value), { raiseAlerts: true, baselines });
      return ok(answerOf(verdicts, anomalies));
    });
  }

  /**
   * `vigil monitor train`: learns the reported source afresh from a history (its previous baselines
   * are replaced). Anomalies in the history are found, kept out of the baselines and stored for the
   * charts, but raise no alert: they are over.
   */
  train(rows: readonly MinuteCount[]): Promise<TrainSummary> {
    return this.enqueue(async () => {
      const minutes = byMinute(rows);
      const { anomalies, model } = await this.process('reported', minutes, { raiseAlerts: false, replace: true });
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
            hoursKnown: b.hours.filter((h) => h.n >= this.settings.minHourSamples).length,
          })),
        anomalies,
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

  latestMinute(source?: CountSource, statuses?: readonly string[]): Promise<number | undefined> {
    return this.deps.store.latestMinute(source, statuses);
  }

  async baselines(): Promise<BaselineView[]> {
    const views: BaselineView[] = [];
    for (const source of ['reported', 'events'] as const) {
      for (const b of await this.deps.store.baselines(source)) views.push(this.view(source, b));
    }
    return views.sort((a, b) => a.source.localeCompare(b.source) || a.status.localeCompare(b.status));
  }

  private view(source: CountSource, b: StatusBaseline): BaselineView {
    const s = this.settings;
    const policy = policyFor(b.status, s);
    const next = nextMinute(b);
    const now = next === null ? undefined : expectationAt(b, next, s);
    const banded = (e: Expectation) => {
      const band = bandOf(e, policy, s);
      return { expected: round2(e.expected), lower: round2(band.lower), upper: round2(band.upper) };
    };
    return {
      source,
      status: b.status,
      basis: now?.basis ?? 'learning',
      learned: b.learned,
      anomalous: b.anomalous,
      lastMinute: b.lastMinute === null ? null : iso(b.lastMinute),
      watch: { rise: policy.rise?.threshold ?? null, drop: policy.drop?.threshold ?? null },
      recent: b.recent.n >= s.minRecentSamples ? { samples: b.recent.n, ...banded(fromMoments(b.recent, 'recent', s)) } : null,
      hours: b.hours.map((h, hour) => {
        const known = h.n >= s.minHourSamples;
        return {
          hour,
          samples: h.n,
          known,
          ...(known ? banded(fromMoments(h, 'hour_of_day', s)) : { expected: null, lower: null, upper: null }),
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
    const baselines = options.replace ? [] : (options.baselines ?? (await store.baselines(source)));
    const model = new VolumeModel(baselines, this.settings);
    const statuses = new Set(model.statuses());
    for (const m of minutes) for (const status of m.counts.keys()) statuses.add(status);

    const verdicts: MinuteVerdict[] = [];
    const series: SeriesPoint[] = [];
    const found: MinuteVerdict[] = [];
    const cleared: Array<{ minute: number; status: string }> = [];
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
        series.push({
          source,
          minute,
          status: v.status,
          count: v.count,
          expected: v.expectation ? round2(v.expectation.expected) : null,
          lower: v.band ? round2(v.band.lower) : null,
          upper: v.band ? round2(v.band.upper) : null,
          score: v.score ?? null,
          basis: v.expectation?.basis ?? null,
        });
        if (v.anomaly) found.push(v);
        else if (!v.fresh) cleared.push({ minute, status: v.status });
      }
    }

    // Alerts, in time order, so an incident's first minute raises the alert and the next update it.
    const alerts = new Map<string, Alert>();
    const raised = new Set<string>();
    const anomalies: StoredAnomaly[] = [];
    for (const v of found) {
      const a = v.anomaly as NonNullable<MinuteVerdict['anomaly']>;
      let alertId: string | null = null;
      if (options.raiseAlerts) {
        const key = dedupKeyOf(source, a.status, a.direction);
        const open = alerts.get(key) ?? (await store.openAlert(key, alertUserOf(a.status)));
        const { alert, raised: isNew } = volumeAlert(a, source, open, now);
        alerts.set(key, alert);
        if (isNew) raised.add(alert.id);
        alertId = alert.id;
      }
      anomalies.push({ ...a, id: newId('anom', now), source, alertId, foundAt: now });
    }

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
      alerts: [...alerts.values()],
      ...(options.lateCounts && { lateCounts: options.lateCounts }),
    });
    // After the commit, as for alerts raised by events: subscribers never see an alert that is not stored.
    const all = [...alerts.values()];
    const newOnes = all.filter((a) => raised.has(a.id));
    const updated = all.filter((a) => !raised.has(a.id));
    if (newOnes.length > 0) await this.deps.bus.publish('alert.raised', newOnes);
    if (updated.length > 0) await this.deps.bus.publish('alert.updated', updated);
    return { verdicts, anomalies, model };
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

function answerOf(verdicts: readonly MinuteVerdict[], anomalies: readonly StoredAnomaly[]): MonitorAnswer {
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
    })),
    evaluated: verdicts.length,
    learning: [...new Set(verdicts.filter((v) => !v.expectation).map((v) => v.status))].sort(),
  };
}
