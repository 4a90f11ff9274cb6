import {
  dayFactor,
  dispersionOf,
  expectedCount,
  expectedShare,
  knowsTimeOfDay,
  nextMinute,
  type StatusBaseline,
  trafficFactor,
  upgradeBaseline,
} from './baseline.js';
import { type BaselineView, iso, round2 } from './monitor-answer.js';
import type {
  AnomalyQuery,
  CountSource,
  IncidentQuery,
  MonitorStore,
  SeriesQuery,
  SeriesRow,
  StoredAnomaly,
  StoredIncident,
} from './ports.js';
import { type MonitorSettings, policyFor, TOTAL_STATUS, thresholdsFor } from './volume-model.js';

/**
 * What the monitor has stored, as the API and the dashboard read it: the series, anomalies,
 * incidents, and the baselines with what the next minute is judged against. Nothing is written.
 */
export class MonitorReader {
  constructor(
    private readonly store: Pick<MonitorStore, 'baselines' | 'series' | 'anomalies' | 'incidents' | 'incident' | 'latestMinute'>,
    private readonly settings: MonitorSettings,
  ) {}

  series(query: SeriesQuery): Promise<readonly SeriesRow[]> {
    return this.store.series(query);
  }

  anomalies(query: AnomalyQuery): Promise<readonly StoredAnomaly[]> {
    return this.store.anomalies(query);
  }

  incidents(query: IncidentQuery): Promise<readonly StoredIncident[]> {
    return this.store.incidents(query);
  }

  incident(id: string): Promise<StoredIncident | undefined> {
    return this.store.incident(id);
  }

  latestMinute(source?: CountSource, statuses?: readonly string[]): Promise<number | undefined> {
    return this.store.latestMinute(source, statuses);
  }

  /** The baselines as `GET /v1/monitor/baselines` shows them. */
  async baselines(): Promise<BaselineView[]> {
    const views: BaselineView[] = [];
    for (const source of ['reported', 'events'] as const) {
      const all = (await this.store.baselines(source)).map((b) => upgradeBaseline(b, b.status));
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
}
