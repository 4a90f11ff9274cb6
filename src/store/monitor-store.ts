import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Alert, AlertTransition } from '../domain/alert.js';
import type { StatusBaseline } from '../monitor/baseline.js';
import type {
  AnomalyQuery,
  CountSource,
  IncidentQuery,
  MonitorStore,
  MonitorWrite,
  SeriesPoint,
  SeriesQuery,
  SeriesRow,
  StoredAnomaly,
  StoredIncident,
} from '../monitor/ports.js';
import { SqlAlertStore, upsertAlerts } from './alert-store.js';
import type { DatabaseHandle } from './database.js';
import { owedRow } from './pending-effects-store.js';
import type { Database, MonitorAnomaliesTable, MonitorIncidentsTable, MonitorSeriesTable } from './schema.js';

// Multi-row statements keep a week of history to a few hundred statements; both dialects take far
// more parameters than these chunks use (SQLite 32,766, PostgreSQL 65,535).
const SERIES_CHUNK = 500;
const ANOMALY_CHUNK = 200;

const chunks = <T>(rows: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
};

function seriesRow(p: SeriesPoint, now: number): Insertable<MonitorSeriesTable> {
  return {
    source: p.source,
    minute_at: p.minute,
    status: p.status,
    count: p.count,
    expected: p.expected,
    lower_bound: p.lower,
    upper_bound: p.upper,
    score: p.score,
    basis: p.basis,
    updated_at: now,
  };
}

function anomalyRow(a: StoredAnomaly): Insertable<MonitorAnomaliesTable> {
  return {
    id: a.id,
    source: a.source,
    minute_at: a.minute,
    status: a.status,
    count: a.count,
    expected: a.expected,
    spread: a.countSpread,
    lower_bound: a.lower,
    upper_bound: a.upper,
    score: a.score,
    direction: a.direction,
    severity: a.severity,
    basis: a.basis,
    reason: a.reason,
    alert_id: a.alertId,
    found_at: a.foundAt,
    incident_id: a.incidentId,
  };
}

function incidentRow(i: StoredIncident): Insertable<MonitorIncidentsTable> {
  return {
    id: i.id,
    source: i.source,
    status: i.status,
    direction: i.direction,
    state: i.state,
    start_at: i.start,
    detected_at: i.detectedAt,
    last_abnormal_at: i.lastAbnormal,
    end_at: i.end,
    closed_at: i.closedAt,
    anomalous_minutes: i.anomalousMinutes,
    count: i.count,
    expected: i.expected,
    peak_json: JSON.stringify(i.peak),
    note: i.note,
    alert_id: i.alertId,
    updated_at: i.updatedAt,
  };
}

function fromIncidentRow(r: Selectable<MonitorIncidentsTable>): StoredIncident {
  return {
    id: r.id,
    source: r.source as CountSource,
    status: r.status,
    direction: r.direction as StoredIncident['direction'],
    state: r.state as StoredIncident['state'],
    start: Number(r.start_at),
    detectedAt: Number(r.detected_at),
    lastAbnormal: Number(r.last_abnormal_at),
    end: r.end_at === null ? null : Number(r.end_at),
    closedAt: r.closed_at === null ? null : Number(r.closed_at),
    anomalousMinutes: Number(r.anomalous_minutes),
    count: Number(r.count),
    expected: Number(r.expected),
    peak: JSON.parse(r.peak_json) as StoredIncident['peak'],
    quiet: 0,
    quietCount: 0,
    quietExpected: 0,
    note: r.note,
    alertId: r.alert_id,
    updatedAt: Number(r.updated_at),
  };
}

function fromAnomalyRow(r: Selectable<MonitorAnomaliesTable>): StoredAnomaly {
  return {
    id: r.id,
    source: r.source as CountSource,
    minute: Number(r.minute_at),
    status: r.status,
    count: Number(r.count),
    expected: r.expected,
    countSpread: r.spread,
    lower: r.lower_bound,
    upper: r.upper_bound,
    score: r.score,
    direction: r.direction as StoredAnomaly['direction'],
    severity: r.severity as StoredAnomaly['severity'],
    basis: r.basis as StoredAnomaly['basis'],
    reason: r.reason,
    alertId: r.alert_id,
    foundAt: Number(r.found_at),
    incidentId: r.incident_id ?? null,
  };
}

const ANOMALY_COLUMNS = [
  'id',
  'source',
  'minute_at',
  'status',
  'count',
  'expected',
  'spread',
  'lower_bound',
  'upper_bound',
  'score',
  'direction',
  'severity',
  'basis',
  'reason',
  'alert_id',
  'found_at',
  'incident_id',
] as const satisfies readonly (keyof MonitorAnomaliesTable)[];

/** The volume monitor's series, baselines and anomalies, in one Kysely store for SQLite and PostgreSQL. */
export class SqlMonitorStore implements MonitorStore {
  private readonly alerts: SqlAlertStore;

  constructor(private readonly handle: DatabaseHandle) {
    this.alerts = new SqlAlertStore(handle);
  }

  async baselines(source: CountSource): Promise<readonly StatusBaseline[]> {
    const rows = await this.handle.db.selectFrom('monitor_baselines').select('state_json').where('source', '=', source).execute();
    return rows.map((r) => JSON.parse(r.state_json) as StatusBaseline);
  }

  async write(w: MonitorWrite): Promise<void> {
    const now = w.at;
    await this.handle.db.transaction().execute(async (trx) => {
      for (const chunk of chunks(w.series, SERIES_CHUNK)) {
        await trx
          .insertInto('monitor_series')
          .values(chunk.map((p) => seriesRow(p, now)))
          .onConflict((oc) =>
            oc.columns(['source', 'minute_at', 'status']).doUpdateSet((eb) => ({
              count: eb.ref('excluded.count'),
              expected: eb.ref('excluded.expected'),
              lower_bound: eb.ref('excluded.lower_bound'),
              upper_bound: eb.ref('excluded.upper_bound'),
              score: eb.ref('excluded.score'),
              basis: eb.ref('excluded.basis'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
      await this.addLateCounts(trx, w, now);
      if (w.owed) await trx.insertInto('pending_effects').values(owedRow(w.owed)).execute();
      if (w.clearRange) {
        await trx
          .deleteFrom('monitor_incidents')
          .where('source', '=', w.source)
          .where('start_at', '>=', w.clearRange.from)
          .where('start_at', '<=', w.clearRange.to)
          .execute();
        await trx
          .deleteFrom('monitor_anomalies')
          .where('source', '=', w.source)
          .where('minute_at', '>=', w.clearRange.from)
          .where('minute_at', '<=', w.clearRange.to)
          .execute();
      }
      const clearedByMinute = new Map<number, string[]>();
      for (const c of w.cleared) clearedByMinute.set(c.minute, [...(clearedByMinute.get(c.minute) ?? []), c.status]);
      for (const [minute, statuses] of clearedByMinute) {
        await trx
          .deleteFrom('monitor_anomalies')
          .where('source', '=', w.source)
          .where('minute_at', '=', minute)
          .where('status', 'in', statuses)
          .execute();
      }
      for (const chunk of chunks(w.anomalies, ANOMALY_CHUNK)) {
        await trx
          .insertInto('monitor_anomalies')
          .values(chunk.map(anomalyRow))
          .onConflict((oc) =>
            oc.columns(['source', 'minute_at', 'status']).doUpdateSet((eb) =>
              // Judged again: the new verdict (and its alert) replaces the old, under the old id.
              Object.fromEntries(ANOMALY_COLUMNS.filter((c) => c !== 'id').map((c) => [c, eb.ref(`excluded.${c}`)])),
            ),
          )
          .execute();
      }
      for (const i of w.incidents) {
        const row = incidentRow(i);
        const { id: _id, ...changes } = row;
        await trx
          .insertInto('monitor_incidents')
          .values(row)
          .onConflict((oc) => oc.column('id').doUpdateSet(changes))
          .execute();
      }
      if (w.replaceBaselines) await trx.deleteFrom('monitor_baselines').where('source', '=', w.source).execute();
      for (const b of w.baselines) {
        const row = { source: w.source, status: b.status, state_json: JSON.stringify(b), last_minute: b.lastMinute, updated_at: now };
        await trx
          .insertInto('monitor_baselines')
          .values(row)
          .onConflict((oc) =>
            oc
              .columns(['source', 'status'])
              .doUpdateSet({ state_json: row.state_json, last_minute: row.last_minute, updated_at: row.updated_at }),
          )
          .execute();
      }
      await upsertAlerts(trx, w.alerts);
    });
  }

  /** Events that came after their minute was judged: added to the stored count; a new row is left unjudged. */
  private async addLateCounts(trx: Kysely<Database>, w: MonitorWrite, now: number): Promise<void> {
    const late = w.lateCounts ?? [];
    for (const chunk of chunks(late, SERIES_CHUNK)) {
      await trx
        .insertInto('monitor_series')
        .values(
          chunk.map((c) => seriesRow({ source: w.source, ...c, expected: null, lower: null, upper: null, score: null, basis: null }, now)),
        )
        .onConflict((oc) =>
          oc.columns(['source', 'minute_at', 'status']).doUpdateSet((eb) => ({
            count: eb('monitor_series.count', '+', eb.ref('excluded.count')),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  }

  alert(id: string): Promise<Alert | undefined> {
    return this.alerts.get(id);
  }

  resolveAlert(t: AlertTransition): Promise<Alert | undefined> {
    return this.alerts.transition(t, { resolvedAt: t.at });
  }

  async incident(id: string): Promise<StoredIncident | undefined> {
    const row = await this.handle.db.selectFrom('monitor_incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromIncidentRow(row) : undefined;
  }

  async incidents(q: IncidentQuery): Promise<readonly StoredIncident[]> {
    let query = this.handle.db.selectFrom('monitor_incidents').selectAll();
    // Overlapping [from, to): started before `to`, and still open or ended at or after `from`.
    if (q.to !== undefined) query = query.where('start_at', '<', q.to);
    if (q.from !== undefined) {
      const from = q.from;
      query = query.where((eb) => eb.or([eb('state', '=', 'open'), eb('last_abnormal_at', '>=', from)]));
    }
    if (q.source !== undefined) query = query.where('source', '=', q.source);
    if (q.statuses?.length) query = query.where('status', 'in', q.statuses);
    if (q.state !== undefined) query = query.where('state', '=', q.state);
    const rows = await query.orderBy('start_at', 'desc').orderBy('id').limit(q.limit).execute();
    return rows.map(fromIncidentRow);
  }

  async series(q: SeriesQuery): Promise<readonly SeriesRow[]> {
    let query = this.handle.db
      .selectFrom('monitor_series as s')
      .leftJoin('monitor_anomalies as a', (join) =>
        join.onRef('a.source', '=', 's.source').onRef('a.minute_at', '=', 's.minute_at').onRef('a.status', '=', 's.status'),
      )
      .selectAll('s')
      .select(ANOMALY_COLUMNS.map((c) => `a.${c} as a_${c}` as const))
      .where('s.minute_at', '>=', q.from)
      .where('s.minute_at', '<', q.to);
    if (q.source !== undefined) query = query.where('s.source', '=', q.source);
    if (q.statuses?.length) query = query.where('s.status', 'in', q.statuses);
    const rows = await query.orderBy('s.source').orderBy('s.status').orderBy('s.minute_at').execute();
    return rows.map((r) => {
      const record = r as unknown as Record<string, unknown>;
      const point: SeriesRow = {
        source: r.source as CountSource,
        minute: Number(r.minute_at),
        status: r.status,
        count: Number(r.count),
        expected: r.expected,
        lower: r.lower_bound,
        upper: r.upper_bound,
        score: r.score,
        basis: r.basis as SeriesPoint['basis'],
      };
      if (record.a_id === null || record.a_id === undefined) return point;
      const anomaly = Object.fromEntries(ANOMALY_COLUMNS.map((c) => [c, record[`a_${c}`]])) as unknown as Selectable<MonitorAnomaliesTable>;
      return { ...point, anomaly: fromAnomalyRow(anomaly) };
    });
  }

  async anomalies(q: AnomalyQuery): Promise<readonly StoredAnomaly[]> {
    let query = this.handle.db.selectFrom('monitor_anomalies').selectAll();
    if (q.from !== undefined) query = query.where('minute_at', '>=', q.from);
    if (q.to !== undefined) query = query.where('minute_at', '<', q.to);
    if (q.source !== undefined) query = query.where('source', '=', q.source);
    if (q.statuses?.length) query = query.where('status', 'in', q.statuses);
    const rows = await query.orderBy('minute_at', 'desc').orderBy('status').limit(q.limit).execute();
    return rows.map(fromAnomalyRow);
  }

  async latestMinute(source?: CountSource, statuses?: readonly string[]): Promise<number | undefined> {
    let query = this.handle.db.selectFrom('monitor_series').select((eb) => eb.fn.max('minute_at').as('latest'));
    if (source !== undefined) query = query.where('source', '=', source);
    if (statuses?.length) query = query.where('status', 'in', statuses);
    const row = await query.executeTakeFirst();
    return row?.latest === null || row?.latest === undefined ? undefined : Number(row.latest);
  }
}
