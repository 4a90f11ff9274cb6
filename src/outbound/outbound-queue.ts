import type { Clock } from '../core/clock.js';
import type { Result } from '../core/result.js';
import type { AttemptOutcome, OutboundLogger, OutboundQueueStore, PostFailure, QueuedItem } from './ports.js';

/** How long an attempt holds its item beyond its timeout: a crash mid-attempt delays the retry by this much, no more. */
const LEASE_MARGIN_MS = 60_000;
const DUE_BATCH = 50;

/** What one attempt came to before its outcome is judged: the receiver's answer, or why nothing was sent. */
export type SendResult =
  | { readonly sent: Result<number, PostFailure> }
  /** Given up without sending: its owner is disabled, or its credential cannot be unsealed. Retrying cannot help. */
  | { readonly givenUp: string };

/** What each queue does its own way: where an item goes, how it is sent there, which failures are final. */
export interface OutboundSender<Item extends QueuedItem, Target> {
  /** Sends one item, to `known` when the caller already holds its receiver. Never throws for the receiver's failures. */
  send(item: Item, known: Target | undefined): Promise<SendResult>;
  /** A failure the same bytes to the same place would meet again: given up at once instead of retried. */
  isFinal(failure: PostFailure): boolean;
  /** How log lines name an item: ids only, never the URL (it can be a credential). */
  label(item: Item): string;
}

export interface OutboundQueueDeps<Item extends QueuedItem, Target> {
  readonly store: OutboundQueueStore<Item>;
  readonly sender: OutboundSender<Item, Target>;
  readonly clock: Clock;
  readonly log: OutboundLogger;
  /** Waits after each failed attempt; when they run out, the item is given up. */
  readonly retryDelaysMs: readonly number[];
  /** How long one attempt may take. */
  readonly timeoutMs: number;
}

/**
 * The attempts of a durable outbound queue (webhook deliveries, staff chat messages): claim, send,
 * back off, record. Every item is stored before its first attempt, so nothing is lost to a crash or
 * restart: `drainDue` picks up whatever is due, this run's or a previous one's. An attempt first
 * claims its row (a conditional update of `next_attempt_at` to a lease), so two processes on one
 * database, or the poller and a first attempt, never send one item twice at once.
 */
export class OutboundQueue<Item extends QueuedItem, Target> {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: OutboundQueueDeps<Item, Target>) {}

  /** Until when an attempt starting at `now` holds its item. */
  leaseUntil(now: number): number {
    return now + this.deps.timeoutMs + LEASE_MARGIN_MS;
  }

  /**
   * Where a new item's attempts stand. Born claimed by this process when it attempts the item at
   * once, so that `drainDue` (here or in another process) leaves it alone while that first attempt
   * runs; otherwise (stopped) born due, for the next start.
   */
  firstAttempt(now: number, attemptNow: boolean): Omit<QueuedItem, 'id' | 'payloadJson'> {
    return {
      status: 'pending',
      attempts: 0,
      nextAttemptAt: attemptNow ? this.leaseUntil(now) : now,
      lastStatusCode: null,
      lastError: null,
      createdAt: now,
      deliveredAt: null,
    };
  }

  /** One attempt of an item this process has claimed (or that was born claimed by it). Rejects only when the store fails. */
  attempt(item: Item, known?: Target): Promise<void> {
    const work = this.attemptNow(item, known);
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  /** Waits for the attempts under way, and those they were joined by meanwhile. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Claims and attempts every item due now, batch after batch, until none is left or `stopped()`; resolves with how many. */
  async drainDue(stopped: () => boolean): Promise<number> {
    const { store, clock } = this.deps;
    let attempted = 0;
    while (!stopped()) {
      const now = clock.now();
      const due = await store.due(now, DUE_BATCH);
      const mine: Item[] = [];
      for (const item of due) {
        if (item.nextAttemptAt !== null && (await store.claim(item.id, item.nextAttemptAt, this.leaseUntil(now)))) mine.push(item);
      }
      await Promise.all(mine.map((item) => this.attempt(item)));
      attempted += mine.length;
      // Another process took the whole batch: what is left is its to attempt.
      if (due.length < DUE_BATCH || mine.length === 0) break;
    }
    return attempted;
  }

  private async attemptNow(item: Item, known: Target | undefined): Promise<void> {
    const { store, sender, clock, log } = this.deps;
    const result = await sender.send(item, known);
    if ('givenUp' in result) {
      await store.recordAttempt(item.id, { ...lastOf(item), status: 'failed', nextAttemptAt: null, lastError: result.givenUp });
      return;
    }
    const attempts = item.attempts + 1;
    const now = clock.now();
    const sent = result.sent;
    let outcome: AttemptOutcome;
    if (sent.ok) {
      outcome = { status: 'delivered', attempts, nextAttemptAt: null, lastStatusCode: sent.value, lastError: null, deliveredAt: now };
    } else {
      const delay = sender.isFinal(sent.error) ? undefined : this.deps.retryDelaysMs[attempts - 1];
      outcome = {
        status: delay === undefined ? 'failed' : 'pending',
        attempts,
        nextAttemptAt: delay === undefined ? null : now + delay,
        lastStatusCode: sent.error.statusCode,
        lastError: sent.error.reason,
        deliveredAt: null,
      };
      log.warn(
        `${sender.label(item)} attempt ${attempts} failed (${sent.error.reason}); ${
          delay === undefined ? 'giving up' : `next attempt in ${Math.round(delay / 1000)} s`
        }`,
      );
    }
    await store.recordAttempt(item.id, outcome);
  }
}

/** The item's last-attempt fields as they stand, for an outcome that changes only some of them. */
function lastOf(item: QueuedItem): AttemptOutcome {
  return {
    status: item.status,
    attempts: item.attempts,
    nextAttemptAt: item.nextAttemptAt,
    lastStatusCode: item.lastStatusCode,
    lastError: item.lastError,
    deliveredAt: item.deliveredAt,
  };
}
