import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { ok, type Result } from '../core/result.js';
import type { Alert } from '../domain/alert.js';
import type { OwedEffects } from '../domain/owed-effects.js';
import { OPEN_STATUSES } from '../domain/vocabulary.js';
import { isNew, type StatusBaseline, upgradeBaseline } from './baseline.js';
import type { ClosedMinute } from './event-counter.js';
import type { IncidentRecord } from './incident.js';
import { type BatchProblem, type MinuteCount, readBatch } from './minute-counts.js';
import { answerOf, byMinute, type MonitorAnswer, round2 } from './monitor-answer.js';
import type { CountSource, MonitorStore, SeriesPoint, StoredAnomaly, StoredIncident } from './ports.js';
import { incidentAlert } from './volume-alert.js';
import { type Anomaly, type MinuteVerdict, type MonitorSettings, TOTAL_STATUS, VolumeModel } from './volume-model.js';

/** What the raised alerts' announcement owes, written with the minutes (ingest/pending-effects.ts). */
export interface OwedAnnouncements {
  owe(user: string, raised: readonly Alert[], responses: readonly [], now: number): OwedEffects | undefined;
  cancel(owed: OwedEffects): void;
  carryOut(owed: OwedEffects, raised: readonly Alert[]): void;
}

/** The "user" of the monitor's owed rows: no account's; in the distributed mode, the counting worker's. */
export const MONITOR_EFFECTS_USER = '';

export interface BatchJudgeDeps {
  readonly store: MonitorStore;
  /** `alert.raised` and `alert.updated`, after the write: webhooks and the live feed see volume alerts. */
  readonly bus: Pick<Bus, 'publish'>;
  /**
   * Where given, the announcement of raised alerts is owed durably: a row written with the minutes,
   * carried out again if this process dies before it is done. Without, they are published from memory.
   */
  readonly effects?: OwedAnnouncements;
  readonly clock: Clock;
  readonly settings: MonitorSettings;
}

export interface JudgeOptions {
  readonly raiseAlerts: boolean;
  readonly baselines?: readonly StatusBaseline[];
  /** Training: start from no baselines and judge the history afresh. */
  readonly replace?: boolean;
  readonly lateCounts?: readonly MinuteCount[];
}

export interface Judged {
  readonly verdicts: readonly MinuteVerdict[];
  readonly anomalies: readonly StoredAnomaly[];
  readonly incidents: readonly StoredIncident[];
  readonly model: VolumeModel;
}

/**
 * Judges one batch of minutes of a source: baselines read from the store, the minutes judged and
 * learned in time order on a copy, then the series, anomalies, baselines, incidents and their alerts
 * written in one transaction; alerts of closed incidents resolved and published after the commit.
 * A batch whose write fails has taught nothing. The caller runs batches one at a time.
 */
export class BatchJudge {
  constructor(private readonly deps: BatchJudgeDeps) {}

  /**
   * `POST /v1/monitor`: a batch of reported counts, read against the statuses the reported source
   * already knows, judged with alerts raised. Refused whole on any bad row.
   */
  async judgeReport(body: unknown): Promise<Result<MonitorAnswer, BatchProblem>> {
    const baselines = await this.deps.store.baselines('reported');
    const known = new Set(baselines.map((b) => b.status).filter((st) => st !== TOTAL_STATUS));
    const read = readBatch(body, this.deps.clock.now(), known);
    if (!read.ok) return read;
    const { verdicts, anomalies, incidents } = await this.judge('reported', byMinute(read.value), { raiseAlerts: true, baselines });
    return ok(answerOf(verdicts, anomalies, incidents));
  }

  async judge(source: CountSource, minutes: readonly ClosedMinute[], options: JudgeOptions): Promise<Judged> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const stored = options.replace ? [] : (options.baselines ?? (await store.baselines(source)));
    const model = new VolumeModel(
      stored.map((b) => upgradeBaseline(b, b.status)),
      this.deps.settings,
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
    const owed = this.deps.effects?.owe(
      MONITOR_EFFECTS_USER,
      [...alerts.values()].filter((a) => raised.has(a.id)),
      [],
      now,
    );
    const written = store.write({
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
      ...(owed && { owed }),
    });
    try {
      await written;
    } catch (error) {
      if (owed) this.deps.effects?.cancel(owed);
      throw error;
    }
    await this.resolveClosed(incidents, alerts, now);
    // After the commit, as for alerts raised by events: subscribers never see an alert that is not stored.
    const all = [...alerts.values()];
    const newOnes = all.filter((a) => raised.has(a.id));
    const updated = all.filter((a) => !raised.has(a.id));
    if (owed) this.deps.effects?.carryOut(owed, newOnes);
    else if (newOnes.length > 0) await this.deps.bus.publish('alert.raised', newOnes);
    if (updated.length > 0) await this.deps.bus.publish('alert.updated', updated);
    return { verdicts, anomalies, incidents, model };
  }

  /**
   * A closed incident's alert is resolved by Vigil, as a transition people can see, unless a person
   * has already closed it. `alerts` is updated in place with the resolved alerts.
   */
  private async resolveClosed(incidents: readonly StoredIncident[], alerts: Map<string, Alert>, now: number): Promise<void> {
    for (const i of incidents) {
      const alert = i.alertId ? alerts.get(i.alertId) : undefined;
      if (i.state !== 'closed' || !alert || !OPEN_STATUSES.has(alert.status)) continue;
      const resolved = await this.deps.store.resolveAlert({
        alertId: alert.id,
        from: alert.status,
        to: 'resolved',
        actor: 'vigil',
        note: i.note,
        at: now,
      });
      if (resolved) alerts.set(alert.id, resolved);
    }
  }
}
