import type { Clock } from '../core/clock.js';
import type { StoredEvent } from '../domain/activity-event.js';
import type { EventStore } from '../ingest/ports.js';
import type { BatchJudge } from './batch-judge.js';
import type { BatchQueue } from './batch-queue.js';
import { type ClosedMinute, MinuteCounter, statusOfEvent } from './event-counter.js';
import { MINUTE_MS, minuteOf } from './minute-counts.js';
import type { MonitorStore } from './ports.js';
import { TOTAL_STATUS } from './volume-model.js';

/** How far back the event counter re-reads stored events at start when it has judged nothing yet. */
export const WARM_LOOKBACK_MS = 25 * 60 * MINUTE_MS;

export interface EventMinuteFeedDeps {
  readonly store: Pick<MonitorStore, 'latestMinute'>;
  readonly clock: Clock;
  readonly queue: BatchQueue;
  readonly judge: BatchJudge;
}

/**
 * Vigil's own events as a count source: events stored are counted per minute and status, and the
 * minutes they complete (with counts that came late to minutes already judged) are judged as a
 * batch of the `events` source, in the monitor's queue.
 */
export class EventMinuteFeed {
  private counter: MinuteCounter | undefined;
  /** Completed minutes and late counts of Vigil's own events, not yet judged or added. */
  private pending: { closed: ClosedMinute[]; late: Map<string, { minute: number; status: string; count: number }> } = {
    closed: [],
    late: new Map(),
  };
  /** The queued work that will take `pending`, until it starts. */
  private pendingJudged: Promise<void> | undefined;

  constructor(private readonly deps: EventMinuteFeedDeps) {}

  /**
   * Rebuilds the event counter at start: from the last minute already judged (or the last 25 hours),
   * stored events are counted again, and minutes completed while Vigil was down are judged now.
   */
  async warm(events: Pick<EventStore, 'scan'>, scanned?: (e: StoredEvent) => void): Promise<void> {
    const closed = await this.deps.store.latestMinute('events');
    this.counter = new MinuteCounter(closed);
    const since = Math.max(closed === undefined ? 0 : closed + MINUTE_MS, this.deps.clock.now() - WARM_LOOKBACK_MS);
    for await (const page of events.scan(since, Number.MAX_SAFE_INTEGER, { types: ['transaction', 'payment.failed'] })) {
      if (scanned) for (const e of page) scanned(e);
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
    this.count(events);
    return this.judgeCompleted();
  }

  /**
   * Counts events without judging the minutes they complete (`judgeCompleted` does): in the
   * distributed mode a batch's events reach the counting worker in parts, from each worker that
   * stored some, and its minutes are judged once every part is counted, as one process judges them
   * once the batch is stored.
   */
  count(events: readonly StoredEvent[]): void {
    this.counter ??= new MinuteCounter(undefined);
    for (const e of events) {
      const status = statusOfEvent(e);
      if (status === undefined) continue;
      if (this.counter.add(e.occurredAt, status) === 'late') {
        // A judged minute's total is the sum of its statuses: a late event adds to both.
        const minute = minuteOf(e.occurredAt);
        for (const counted of [status, TOTAL_STATUS]) {
          const key = `${minute}|${counted}`;
          const late = this.pending.late.get(key);
          if (late) late.count++;
          else this.pending.late.set(key, { minute, status: counted, count: 1 });
        }
      }
    }
  }

  /** Judges the minutes complete by now, and adds the late counts, in the monitor's queue. */
  judgeCompleted(): Promise<void> {
    this.counter ??= new MinuteCounter(undefined);
    this.pending.closed.push(...this.counter.close(this.deps.clock.now()));
    if (this.pending.closed.length === 0 && this.pending.late.size === 0) return this.pendingJudged ?? Promise.resolve();
    this.pendingJudged ??= this.deps.queue.enqueue(async () => {
      const { closed, late } = this.pending;
      this.pending = { closed: [], late: new Map() };
      this.pendingJudged = undefined;
      // Oldest first, as the judge expects: each close() returns minutes after the previous ones.
      await this.deps.judge.judge('events', closed, { raiseAlerts: true, lateCounts: [...late.values()] });
    });
    return this.pendingJudged;
  }
}
