import type { Clock } from '../core/clock.js';
import type { StoredEvent } from '../domain/activity-event.js';
import type { EventStore } from '../ingest/ports.js';
import type { VolumeMonitor } from './monitor-service.js';

/** How recent a stored event must be for the warm-up's scan to be checked against the events held meanwhile. */
const RECENT_MS = 5 * 60_000;

/**
 * Who counts stored events for the volume monitor in the distributed mode. Its minutes must be judged
 * once, over every worker's events: one worker counts, the holder of one partition's lease
 * (cluster/: partition 0), from its own events and those the other workers share with it
 * (cluster/source-share.ts). When it takes the lease it rebuilds the count from PostgreSQL, from the
 * last minute judged (`VolumeMonitor.warm`), like a process at start; events stored meanwhile are
 * held and counted after, those the scan already counted skipped. It gives the counting up with the
 * lease. A batch reaches it in parts (one per worker that stored some of it), so it counts each part
 * as it comes and judges the minutes once the api says the batch is answered: by then every part has
 * come (each worker shares its part before it answers). One process counts its own events from the
 * start and does not need this.
 */
export class EventCounting {
  private state: 'off' | 'warming' | 'on' = 'off';
  private held: StoredEvent[] = [];
  /** Moves on at each take and give, so that a warm-up that outlived its lease does not start counting. */
  private generation = 0;

  constructor(
    private readonly monitor: VolumeMonitor,
    private readonly events: Pick<EventStore, 'scan'>,
    private readonly clock: Clock,
  ) {}

  /** Whether this process counts now. */
  get counting(): boolean {
    return this.state === 'on';
  }

  /**
   * Events stored, here or by another worker: counted, their minutes judged only once the batch they
   * came in is answered (`batchAnswered`), when every worker's part of it has been counted.
   */
  stored(events: readonly StoredEvent[]): void {
    if (this.state === 'on') this.monitor.countEvents(events);
    else if (this.state === 'warming') for (const e of events) this.held.push(e);
  }

  /** A batch was answered (by every worker that stored part of it): the minutes it completed are judged. */
  batchAnswered(): Promise<void> | undefined {
    return this.state === 'on' ? this.monitor.judgeCompletedMinutes() : undefined;
  }

  async take(): Promise<void> {
    if (this.state !== 'off') return;
    const generation = ++this.generation;
    this.state = 'warming';
    const recent = this.clock.now() - RECENT_MS;
    const scanned = new Set<string>();
    try {
      await this.monitor.warm(this.events, (e) => {
        if (e.receivedAt >= recent) scanned.add(e.id);
      });
    } catch (error) {
      if (generation === this.generation) this.give();
      throw error;
    }
    if (generation !== this.generation) return;
    const late = this.held.filter((e) => !scanned.has(e.id));
    this.held = [];
    this.state = 'on';
    if (late.length > 0) await this.monitor.onEventsStored(late);
  }

  give(): void {
    this.generation++;
    this.state = 'off';
    this.held = [];
  }
}
