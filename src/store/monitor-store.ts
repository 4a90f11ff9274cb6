import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Alert } from '../domain/alert.js';
import type { StatusBaseline } from '../monitor/baseline.js';
import type {
  AnomalyQuery,
  CountSource,
  MonitorStore,
  MonitorWrite,
  SeriesPoint,
  SeriesQuery,
  SeriesRow,
  StoredAnomaly,
} from '../monitor/ports.js';
import { SqlAlertStore, upsertAlerts } from './alert-store.js';
import type { DatabaseHandle } from './database.js';
import type { Database, MonitorAnomaliesTable, MonitorSeriesTable } from './schema.js';

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
      if (w.clearRange) {
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

  async openAlert(dedupKey: string, user: string): Promise<Alert | undefined> {
    // By user (indexed with created_at), then the key: only a handful of alerts share a status's user.
    const row = await this.handle.db
      .selectFrom('alerts')
      .select('id')
      .where('user_id', '=', user)
      .where('dedup_key', '=', dedupKey)
      .where('status', 'in', ['new', 'acknowledged', 'escalated'])
      .orderBy('last_seen_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? this.alerts.get(row.id) : undefined;
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
