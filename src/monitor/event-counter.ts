import type { StoredEvent } from '../domain/activity-event.js';
import { MINUTE_MS, minuteOf, normaliseStatus } from './minute-counts.js';
import { TOTAL_STATUS } from './volume-model.js';

/**
 * A minute is judged once an event at least this long after its end has been seen. Events of one
 * minute reach Vigil out of order by a few seconds (several servers, retries); a minute judged
 * before its stragglers arrive would look like a drop in approved.
 */
export const EVENT_GRACE_MS = MINUTE_MS;

/**
 * Minutes without a single event are judged as zeros (that is how an outage looks from here), but
 * only this many after the last busy minute: a small shop is silent all night, and a day of zeros
 * judged minute by minute would teach nothing and cost a row per status per minute.
 */
export const MAX_QUIET_MINUTES = 60;

/**
 * The status a stored event counts under, or undefined for events that are not payments.
 * - `attributes.status`, when the client app sends one (`reversed`, `refunded`, …), wins: the app
 *   knows what became of the payment, Vigil only saw it once. Not `total`, the sum of them all.
 * - `payment.failed` → `failed`.
 * - `transaction` → `denied` when Vigil answered `block` (the app is expected to refuse it), and
 *   `approved` otherwise: a challenge is passed by most customers.
 */
export function statusOfEvent(e: StoredEvent): string | undefined {
  if (e.type !== 'transaction' && e.type !== 'payment.failed') return undefined;
  const declared = e.attributes?.status;
  if (typeof declared === 'string') {
    const status = normaliseStatus(declared);
    // "total" names the sum of every status (as in POST /v1/monitor, where it is refused).
    if (status !== undefined && status !== TOTAL_STATUS) return status;
  }
  if (e.type === 'payment.failed') return 'failed';
  return e.result.decision === 'block' ? 'denied' : 'approved';
}

export interface ClosedMinute {
  readonly minute: number;
  /** Statuses seen in the minute; the monitor adds a zero for every other status it watches. */
  readonly counts: ReadonlyMap<string, number>;
}

/**
 * Counts events per minute and status by event time, and hands over each minute once it is
 * complete: when the newest event seen (never beyond the clock) is EVENT_GRACE_MS past its end.
 * Replayed history closes its minutes as it is replayed, exactly as live traffic does. Pure and
 * synchronous: the monitor calls it in the order events were stored.
 */
export class MinuteCounter {
  private readonly open = new Map<number, Map<string, number>>();
  private watermark = Number.NEGATIVE_INFINITY;
  /** The last minute that had events: quiet minutes are judged up to maxQuietMinutes after it. */
  private lastBusy: number | undefined;

  /**
   * @param closedThrough the last minute already judged (from the store after a restart): events
   *   of it or earlier are late.
   */
  constructor(
    private closedThrough: number | undefined,
    private readonly graceMs = EVENT_GRACE_MS,
    private readonly maxQuietMinutes = MAX_QUIET_MINUTES,
  ) {
    this.lastBusy = closedThrough;
  }

  /** `late` when the event's minute was already judged: its count is added to the series, unjudged. */
  add(occurredAt: number, status: string): 'open' | 'late' {
    const minute = minuteOf(occurredAt);
    if (this.closedThrough !== undefined && minute <= this.closedThrough) return 'late';
    let counts = this.open.get(minute);
    if (!counts) {
      counts = new Map();
      this.open.set(minute, counts);
    }
    counts.set(status, (counts.get(status) ?? 0) + 1);
    this.watermark = Math.max(this.watermark, occurredAt);
    return 'open';
  }

  /** Minutes complete by now, oldest first; quiet minutes after a busy one included (empty). */
  close(now: number): ClosedMinute[] {
    const horizon = Math.min(this.watermark, now) - this.graceMs - MINUTE_MS;
    if (!Number.isFinite(horizon)) return [];
    const last = minuteOf(horizon);
    const busy = [...this.open.keys()].filter((m) => m <= last).sort((a, b) => a - b);
    const closed: ClosedMinute[] = [];
    let cursor = this.closedThrough;
    const quietUntil = (end: number) => {
      if (cursor === undefined || this.lastBusy === undefined) return;
      // Quiet minutes are judged up to maxQuietMinutes after the last busy one, then skipped.
      const limit = Math.min(end, this.lastBusy + this.maxQuietMinutes * MINUTE_MS);
      for (let m = cursor + MINUTE_MS; m <= limit; m += MINUTE_MS) closed.push({ minute: m, counts: new Map() });
    };
    for (const minute of busy) {
      quietUntil(minute - MINUTE_MS);
      closed.push({ minute, counts: this.open.get(minute) as Map<string, number> });
      this.open.delete(minute);
      cursor = minute;
      this.lastBusy = minute;
    }
    quietUntil(last);
    // A minute with no events that came before anything was ever counted stays unjudged.
    if (cursor !== undefined) this.closedThrough = Math.max(this.closedThrough ?? last, last);
    return closed;
  }

  /** The last minute judged, if any. */
  get closed(): number | undefined {
    return this.closedThrough;
  }
}
