/**
 * The durable outbound queue that webhooks (webhooks/) and staff chat messages (staff-notify/)
 * share: an item is stored before its first attempt, claimed for each attempt, and carries where
 * its attempts stand. What the item says and where it goes is each queue's own.
 */

export const OUTBOUND_STATUSES = ['pending', 'delivered', 'failed'] as const;
/** `failed`: given up, after the last retry or at once when a retry could not help. */
export type OutboundStatus = (typeof OUTBOUND_STATUSES)[number];

/** The outcome of one attempt, written over the item's last-attempt fields. */
export interface AttemptOutcome {
  readonly status: OutboundStatus;
  readonly attempts: number;
  /** When the next attempt is due (pending only); a lease while an attempt runs. */
  readonly nextAttemptAt: number | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: number | null;
}

/** What every queued item has: its id, the exact JSON sent (the same bytes on every retry), and where its attempts stand. */
export interface QueuedItem extends AttemptOutcome {
  readonly id: string;
  readonly payloadJson: string;
  readonly createdAt: number;
}

/** The queue as stored: what is due, the claim of one attempt, its outcome. */
export interface OutboundQueueStore<Item extends QueuedItem> {
  /** Pending items due at `now`, the longest waiting first. */
  due(now: number, limit: number): Promise<readonly Item[]>;
  /**
   * Takes a due item for one attempt by moving its `nextAttemptAt` from `expected` to `leaseUntil`.
   * False when another worker (or process) took it first.
   */
  claim(id: string, expected: number, leaseUntil: number): Promise<boolean>;
  /** Writes an attempt's outcome, unless the item was given up meanwhile (its owner disabled). */
  recordAttempt(id: string, outcome: AttemptOutcome): Promise<void>;
}

export interface OutboundLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/** Why one attempt failed: the receiver's status when it answered, and a reason safe to log and show. */
export interface PostFailure {
  readonly statusCode: number | null;
  readonly reason: string;
}
