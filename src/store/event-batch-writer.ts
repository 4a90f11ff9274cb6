import type { Transaction } from 'kysely';
import type { StoredEvent } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';
import type { LockWrite } from '../domain/lock.js';
import type { OwedEffects } from '../domain/owed-effects.js';
import type { SeenRecord } from '../enrich/novelty.js';
import type { CommitReceipt } from '../ingest/ports.js';
import type { Database } from './schema.js';

/**
 * The group commit's write, the one path on which the dialects differ: events, what enrichment
 * learnt, alerts, lock changes and what the batches owe once committed, in one transaction.
 * Resolves once committed.
 */
export interface EventBatchWriter {
  write(
    events: readonly StoredEvent[],
    learnt: readonly SeenRecord[],
    alerts: readonly Alert[],
    locks: readonly LockWrite[],
    owed: readonly OwedEffects[],
  ): Promise<CommitReceipt>;
  /** Writes the group commit may have under way at once and still see committed in order. */
  readonly orderedInserts: number;
  /** Distributed mode (PostgreSQL): every later commit first passes `fence`, in its own transaction. */
  fenceWith?(fence: WriteFence): void;
}

/**
 * A check a commit of events passes first, inside its transaction (store/postgres/partition-fence.ts): it
 * throws to refuse the whole commit, before anything is written.
 */
export interface WriteFence {
  check(trx: Transaction<Database>, users: readonly string[]): Promise<void>;
}
