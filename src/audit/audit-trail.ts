import type { Clock } from '../core/clock.js';
import {
  type AuditAction,
  type AuditDraft,
  type AuditEntry,
  auditDetails,
  type ChainBreak,
  GENESIS_HASH,
  isAuditAction,
  verifyChain,
} from './audit-entry.js';
import type { AuditQuery, AuditStore, RecordOptions } from './ports.js';

export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly head: { readonly seq: number; readonly hash: string } | null }
  | { readonly ok: false; readonly entries: number; readonly broken: ChainBreak };

interface Pending {
  readonly draft: AuditDraft;
  resolve(entry: AuditEntry): void;
  reject(error: unknown): void;
}

/** Entries per append transaction: 8 parameters each keeps a PostgreSQL insert far below its limit. */
const MAX_BATCH = 500;

/**
 * How long after the last append a gathered record (RecordOptions.gather) waits for others to join
 * it. An append is a write transaction of its own (about half a millisecond of the main thread on
 * SQLite, whatever it holds, and 50 µs per entry): the automatic locks of single-event requests came
 * one or two per turn of the event loop, a transaction each, 5 to 10% of the main thread in the
 * benchmark. Only records nobody waits on at once are gathered: a caller that records one entry
 * after another (a closing of many incidents, an admin's action) would wait this long for each.
 */
export const AUDIT_GATHER_MS = 20;

export interface AuditTrailOptions {
  /** A monotonic clock in milliseconds, for the time since the last append (performance.now). */
  readonly monotonicMs?: () => number;
}

/**
 * Records what Vigil and people do into the hash-chained audit log, and verifies the chain.
 *
 * Appends are serialised in this process: records wait in a queue while one append runs, then the
 * ones that arrived meanwhile go together in the next, in the order they were made. That keeps one
 * writer per process (the store's lock handles other processes), so concurrent records never wait
 * on each other's database locks and a burst costs a few transactions rather than one each. A
 * gathered record that finds no append under way waits until AUDIT_GATHER_MS after the last one.
 */
export class AuditTrail {
  private pending: Pending[] = [];
  private draining = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  private readonly monotonicMs: () => number;
  private lastAppendEndedAt = Number.NEGATIVE_INFINITY;
  /** The wait of gathered records for the next append, while there is one. */
  private gatherTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    options: AuditTrailOptions = {},
  ) {
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
  }

  /**
   * Appends one entry and returns it as stored. Throws (a bug in the caller) for an unknown action
   * or details that name a secret.
   */
  async record(
    actor: string,
    action: AuditAction,
    subject: string,
    details: Readonly<Record<string, unknown>> = {},
    options: RecordOptions = {},
  ): Promise<AuditEntry> {
    // Callers typed against a looser port (`action: string`) reach here too: check at run time.
    if (!isAuditAction(action)) throw new Error(`Unknown audit action "${action}": add it to AUDIT_ACTIONS.`);
    const draft: AuditDraft = { at: this.clock.now(), actor, action, subject, details: auditDetails(details) };
    return new Promise<AuditEntry>((resolve, reject) => {
      this.pending.push({ draft, resolve, reject });
      this.drain(options.gather === true);
    });
  }

  list(query: AuditQuery): Promise<readonly AuditEntry[]> {
    return this.store.list(query);
  }

  /** Resolves once every record made so far is stored (or has failed). */
  flushed(): Promise<void> {
    return this.idle;
  }

  /**
   * Reads the whole chain oldest first, a page at a time so memory stays flat however long the log,
   * and names the first broken entry.
   */
  async verify(pageSize = 1000): Promise<AuditVerification> {
    let prev = GENESIS_HASH;
    let next = 1;
    let entries = 0;
    let head: { seq: number; hash: string } | null = null;
    for (;;) {
      const page = await this.store.scan(next, pageSize);
      const check = verifyChain(page, prev, next);
      entries += check.entries;
      if (!check.ok) return { ok: false, entries, broken: check.broken };
      const last = page[page.length - 1];
      if (!last) return { ok: true, entries, head };
      head = { seq: last.seq, hash: last.hash };
      prev = last.hash;
      next = last.seq + 1;
    }
  }

  private drain(gather: boolean): void {
    if (this.draining) {
      // A record that may not wait ends the wait of the gathered ones before it (an append under
      // way takes it in its next round anyway).
      if (!gather && this.gatherTimer !== undefined) {
        clearTimeout(this.gatherTimer);
        this.gatherTimer = undefined;
        setImmediate(() => void this.run());
      }
      return;
    }
    this.draining = true;
    this.idle = new Promise((resolve) => {
      this.markIdle = resolve;
    });
    // The append waits at least for the end of this turn of the event loop, so that what else is
    // recorded in it joins: the responses to one group commit's events (one per request under
    // single-event load) are recorded in the same turn, and each had cost a transaction of its own.
    // A gathered record soon after another append waits until AUDIT_GATHER_MS after that one ended.
    const wait = gather ? this.lastAppendEndedAt + AUDIT_GATHER_MS - this.monotonicMs() : 0;
    if (wait > 0)
      this.gatherTimer = setTimeout(() => {
        this.gatherTimer = undefined;
        void this.run();
      }, wait);
    else setImmediate(() => void this.run());
  }

  private async run(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        const stored = await this.store.append(batch.map((p) => p.draft));
        for (const [i, p] of batch.entries()) p.resolve(stored[i] as AuditEntry);
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    // In the same synchronous step as the empty check above, so a record cannot slip in between.
    this.lastAppendEndedAt = this.monotonicMs();
    this.draining = false;
    this.markIdle();
  }
}
