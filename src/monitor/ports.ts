import type { Alert, AlertTransition } from '../domain/alert.js';
import type { OwedEffects } from '../domain/owed-effects.js';
import type { Basis, StatusBaseline } from './baseline.js';
import type { IncidentRecord } from './incident.js';
import type { MinuteCount } from './minute-counts.js';
import type { Anomaly } from './volume-model.js';

/**
 * Where counts come from. Each source has baselines of its own: a shop that both reports its
 * processor's counts and sends Vigil its transactions must not have them added together.
 * - `reported`: `POST /v1/monitor` and `vigil monitor train` (the seed's per-minute counts).
 * - `events`: Vigil's own `transaction` and `payment.failed` events, counted per minute.
 */
export const COUNT_SOURCES = ['reported', 'events'] as const;
export type CountSource = (typeof COUNT_SOURCES)[number];

/** One status in one minute, with what was expected of it (null while the status was learning). */
export interface SeriesPoint {
  readonly source: CountSource;
  readonly minute: number;
  readonly status: string;
  readonly count: number;
  readonly expected: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  readonly score: number | null;
  readonly basis: Basis | null;
}

export interface StoredAnomaly extends Anomaly {
  readonly id: string;
  readonly source: CountSource;
  /** The alert it raised or updated; null for anomalies found while training on history. */
  readonly alertId: string | null;
  readonly foundAt: number;
}

/** An incident as stored: what it is, where its counts came from, and its one alert. */
export interface StoredIncident extends IncidentRecord {
  readonly source: CountSource;
  /** Null for incidents found while training on history (no alert is raised for the past). */
  readonly alertId: string | null;
  readonly updatedAt: number;
}

export interface IncidentQuery {
  readonly from?: number;
  readonly to?: number;
  readonly source?: CountSource;
  readonly statuses?: readonly string[];
  readonly state?: 'open' | 'closed';
  readonly limit: number;
}

export interface SeriesRow extends SeriesPoint {
  readonly anomaly?: StoredAnomaly;
}

/** Everything one batch (a POST, a training file, a run of closed minutes) changes, written in one transaction. */
export interface MonitorWrite {
  readonly source: CountSource;
  /** When (the monitor's clock): rows' `updated_at`. */
  readonly at: number;
  /** Upserted by (source, minute, status): a minute sent again replaces what was stored. */
  readonly series: readonly SeriesPoint[];
  /** Upserted by (source, minute, status). */
  readonly anomalies: readonly StoredAnomaly[];
  /** Minutes judged again and found normal: an anomaly stored for them before is removed. */
  readonly cleared: readonly Pick<MinuteCount, 'minute' | 'status'>[];
  /** Training: anomalies stored for minutes in [from, to] are removed first (the history is judged afresh). */
  readonly clearRange?: { readonly from: number; readonly to: number };
  readonly baselines: readonly StatusBaseline[];
  /** Training: every baseline of the source is forgotten first. */
  readonly replaceBaselines?: boolean;
  /** Incidents opened, grown or closed (upserted by id). */
  readonly incidents: readonly StoredIncident[];
  /** Alerts raised or updated, written beside the anomalies that caused them. */
  readonly alerts: readonly Alert[];
  /** Events that arrived after their minute was judged: added to the stored count, never judged. */
  readonly lateCounts?: readonly MinuteCount[];
  /** What announcing the raised alerts owes, in the same transaction (ingest/pending-effects.ts). */
  readonly owed?: OwedEffects;
}

export interface SeriesQuery {
  /** Inclusive, minute start. */
  readonly from: number;
  /** Exclusive. */
  readonly to: number;
  readonly source?: CountSource;
  readonly statuses?: readonly string[];
}

export interface AnomalyQuery {
  readonly from?: number;
  readonly to?: number;
  readonly source?: CountSource;
  readonly statuses?: readonly string[];
  readonly limit: number;
}

/** Series, baselines and anomalies of the volume monitor. Implemented with Kysely in store/monitor-store.ts. */
export interface MonitorStore {
  baselines(source: CountSource): Promise<readonly StatusBaseline[]>;
  write(write: MonitorWrite): Promise<void>;
  /** Oldest first, by source, status and minute. */
  series(query: SeriesQuery): Promise<readonly SeriesRow[]>;
  /** Newest first. */
  anomalies(query: AnomalyQuery): Promise<readonly StoredAnomaly[]>;
  /** Newest first (by start); those overlapping [from, to). */
  incidents(query: IncidentQuery): Promise<readonly StoredIncident[]>;
  incident(id: string): Promise<StoredIncident | undefined>;
  alert(id: string): Promise<Alert | undefined>;
  /** Resolves an open alert as a recorded transition (the alerts' lifecycle); undefined when it was no longer `from`. */
  resolveAlert(t: AlertTransition): Promise<Alert | undefined>;
  /** The latest minute stored for a source (and statuses), if any. */
  latestMinute(source?: CountSource, statuses?: readonly string[]): Promise<number | undefined>;
}
