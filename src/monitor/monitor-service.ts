import type { AuditRecorder } from '../audit/ports.js';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Result } from '../core/result.js';
import type { StoredEvent } from '../domain/activity-event.js';
import type { EventStore } from '../ingest/ports.js';
import { knowsTimeOfDay } from './baseline.js';
import { BatchJudge, type OwedAnnouncements } from './batch-judge.js';
import { BatchQueue } from './batch-queue.js';
import { EventMinuteFeed } from './event-minute-feed.js';
import { type AcceptOutcome, IncidentCloser } from './incident-closer.js';
import type { BatchProblem, MinuteCount } from './minute-counts.js';
import { type BaselineView, byMinute, type MonitorAnswer, type TrainSummary } from './monitor-answer.js';
import { MonitorReader } from './monitor-reader.js';
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
import { DEFAULT_MONITOR_SETTINGS, type MonitorSettings } from './volume-model.js';

export interface VolumeMonitorDeps {
  readonly store: MonitorStore;
  /** `alert.raised` and `alert.updated`, after the write: webhooks and the live feed see volume alerts. */
  readonly bus: Pick<Bus, 'publish'>;
  /** Raised alerts' announcements owed durably (see BatchJudgeDeps). */
  readonly effects?: OwedAnnouncements;
  readonly clock: Clock;
  readonly settings?: MonitorSettings;
  /**
   * Every incident a person's action closes (a level accepted as normal, a retraining) is recorded
   * here, by the service, whoever called it: required, so no caller can leave one unaudited.
   */
  readonly audit: AuditRecorder;
}

/**
 * The transaction-volume monitor: per-minute counts in, anomalies and `transaction` alerts out. The
 * one object routes, the CLI and the demo hold; the work is done by one class per concern:
 * `BatchJudge` judges and writes a batch, `IncidentCloser` closes incidents on a person's word,
 * `EventMinuteFeed` turns Vigil's own events into minutes, `MonitorReader` reads what is stored.
 *
 * Every batch (a POST, a training file, the minutes Vigil's own events just completed) is one unit,
 * and batches run one at a time in this process (`BatchQueue`); reading the baselines at the start
 * of each also picks up what `vigil monitor train` wrote from another process.
 */
export class VolumeMonitor {
  readonly settings: MonitorSettings;
  private readonly queue = new BatchQueue();
  private readonly judge: BatchJudge;
  private readonly closer: IncidentCloser;
  private readonly feed: EventMinuteFeed;
  private readonly reader: MonitorReader;

  constructor(deps: VolumeMonitorDeps) {
    const settings = deps.settings ?? DEFAULT_MONITOR_SETTINGS;
    this.settings = settings;
    this.judge = new BatchJudge({
      store: deps.store,
      bus: deps.bus,
      ...(deps.effects && { effects: deps.effects }),
      clock: deps.clock,
      settings,
    });
    this.closer = new IncidentCloser({ store: deps.store, bus: deps.bus, clock: deps.clock, settings, audit: deps.audit });
    this.feed = new EventMinuteFeed({ store: deps.store, clock: deps.clock, queue: this.queue, judge: this.judge });
    this.reader = new MonitorReader(deps.store, settings);
  }

  /** `POST /v1/monitor`: judges a batch of reported counts, raising alerts. Refused whole on any bad row. */
  submit(body: unknown): Promise<Result<MonitorAnswer, BatchProblem>> {
    return this.queue.enqueue(() => this.judge.judgeReport(body));
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
    return this.queue.enqueue(async () => {
      await this.closer.closeForRetraining(who);
      const minutes = byMinute(rows);
      const { anomalies, incidents, model } = await this.judge.judge('reported', minutes, { raiseAlerts: false, replace: true });
      const s = this.settings;
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
            hoursKnown: knowsTimeOfDay(b, s) ? b.hours.filter((h) => h.n >= s.minHourSamples).length : 0,
          })),
        anomalies,
        incidents,
      };
    });
  }

  /**
   * An admin marks an incident's level as the new normal (see `IncidentCloser.acceptAsNormal`),
   * in turn with the batches. Undefined when there is no such incident.
   */
  acceptAsNormal(id: string, who: string): Promise<AcceptOutcome | undefined> {
    return this.queue.enqueue(() => this.closer.acceptAsNormal(id, who));
  }

  /** Rebuilds the event counter at start (see `EventMinuteFeed.warm`). */
  warm(events: Pick<EventStore, 'scan'>, scanned?: (e: StoredEvent) => void): Promise<void> {
    return this.feed.warm(events, scanned);
  }

  /** Subscribed to `events.stored` (see `EventMinuteFeed.onEventsStored`). */
  onEventsStored(events: readonly StoredEvent[]): Promise<void> {
    return this.feed.onEventsStored(events);
  }

  /** Counts stored events without judging the minutes they complete (the distributed mode, see `EventMinuteFeed.count`). */
  countEvents(events: readonly StoredEvent[]): void {
    this.feed.count(events);
  }

  /** Judges the minutes of stored events complete by now (see `EventMinuteFeed.judgeCompleted`). */
  judgeCompletedMinutes(): Promise<void> {
    return this.feed.judgeCompleted();
  }

  /** Resolves once every batch queued so far is written (or has failed). */
  settled(): Promise<void> {
    return this.queue.settled();
  }

  series(query: SeriesQuery): Promise<readonly SeriesRow[]> {
    return this.reader.series(query);
  }

  anomalies(query: AnomalyQuery): Promise<readonly StoredAnomaly[]> {
    return this.reader.anomalies(query);
  }

  incidents(query: IncidentQuery): Promise<readonly StoredIncident[]> {
    return this.reader.incidents(query);
  }

  incident(id: string): Promise<StoredIncident | undefined> {
    return this.reader.incident(id);
  }

  latestMinute(source?: CountSource, statuses?: readonly string[]): Promise<number | undefined> {
    return this.reader.latestMinute(source, statuses);
  }

  baselines(): Promise<BaselineView[]> {
    return this.reader.baselines();
  }
}
