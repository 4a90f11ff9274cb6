import type { AuditRecorder } from '../audit/ports.js';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Alert } from '../domain/alert.js';
import { OPEN_STATUSES } from '../domain/vocabulary.js';
import { upgradeBaseline } from './baseline.js';
import type { MonitorStore, StoredIncident } from './ports.js';
import { incidentAlert } from './volume-alert.js';
import { type MonitorSettings, VolumeModel } from './volume-model.js';

export interface IncidentCloserDeps {
  readonly store: MonitorStore;
  /** `alert.updated` for the alerts of the incidents closed. */
  readonly bus: Pick<Bus, 'publish'>;
  readonly clock: Clock;
  readonly settings: MonitorSettings;
  /** Every close a person's action causes is recorded here, whoever called it. */
  readonly audit: AuditRecorder;
}

export type AcceptOutcome = { readonly outcome: 'accepted' | 'already_closed'; readonly incident: StoredIncident };

/**
 * Incidents closed by a person's action rather than by the minutes: a level accepted as the new
 * normal, or a retraining that replaces the baselines carrying them. Each close is written, its
 * alert resolved by that person and published, and audited. The caller runs these one at a time
 * with the monitor's batches.
 */
export class IncidentCloser {
  constructor(private readonly deps: IncidentCloserDeps) {}

  /**
   * Closes every open incident of the reported source before a retraining, with a note: the
   * baselines that carried them are about to be replaced, so nothing would ever close them.
   */
  async closeForRetraining(who: string): Promise<void> {
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
   * The status's baseline adopts what its minutes looked like during the incident, and the incident
   * (with its alert) is closed with a note, audited. Undefined when there is no such incident;
   * `already_closed` (nothing changed, nothing audited) when it was closed by the time this ran.
   */
  async acceptAsNormal(id: string, who: string): Promise<AcceptOutcome | undefined> {
    const { store, clock } = this.deps;
    const stored = await store.incident(id);
    if (!stored) return undefined;
    if (stored.state === 'closed') return { outcome: 'already_closed', incident: stored };
    const now = clock.now();
    const baselines = (await store.baselines(stored.source)).map((b) => upgradeBaseline(b, b.status));
    const model = new VolumeModel(baselines, this.deps.settings);
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
    return { outcome: 'accepted', incident: closed };
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
}
