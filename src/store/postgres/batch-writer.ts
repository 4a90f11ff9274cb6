import type { StoredEvent } from '../../domain/activity-event.js';
import type { Alert } from '../../domain/alert.js';
import type { LockWrite } from '../../domain/lock.js';
import type { OwedEffects } from '../../domain/owed-effects.js';
import type { SeenRecord } from '../../enrich/novelty.js';
import type { CommitReceipt } from '../../ingest/ports.js';
import { upsertLocks } from '../account-store.js';
import { upsertSightedAlerts } from '../alert-store.js';
import type { DatabaseHandle } from '../database.js';
import type { EventBatchWriter, WriteFence } from '../event-batch-writer.js';
import { eventRow, ROWS_PER_STATEMENT, upsertSeen } from '../event-rows.js';
import { owedRow } from '../pending-effects-store.js';

/**
 * PostgreSQL's group commit: one Kysely transaction of multi-row statements. Concurrent writers
 * (other processes) are fine: an id stored first by another is skipped and reported back.
 */
export class PostgresBatchWriter implements EventBatchWriter {
  readonly orderedInserts = 1;
  private fence: WriteFence | undefined;

  constructor(private readonly handle: DatabaseHandle) {}

  fenceWith(fence: WriteFence): void {
    this.fence = fence;
  }

  write(
    events: readonly StoredEvent[],
    learnt: readonly SeenRecord[],
    alerts: readonly Alert[],
    locks: readonly LockWrite[],
    owed: readonly OwedEffects[],
  ): Promise<CommitReceipt> {
    const rows = events.map(eventRow);
    const fence = this.fence;
    return retriedOnDeadlock(() =>
      this.handle.db.transaction().execute(async (trx) => {
        if (fence && events.length > 0) await fence.check(trx, [...new Set(events.map((e) => e.user))]);
        const inserted = new Set<string>();
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
          const written = await trx
            .insertInto('events')
            .values(rows.slice(i, i + ROWS_PER_STATEMENT))
            .onConflict((oc) => oc.column('id').doNothing())
            .returning('id')
            .execute();
          for (const r of written) inserted.add(r.id);
        }
        await upsertSeen(trx, learnt);
        const alertOccurrences = await upsertSightedAlerts(trx, alerts, repeatsStored(events, inserted));
        await upsertLocks(trx, locks);
        if (owed.length > 0) await trx.insertInto('pending_effects').values(owed.map(owedRow)).execute();
        return { duplicates: new Set(rows.filter((r) => !inserted.has(r.id)).map((r) => r.id)), alertOccurrences };
      }),
    );
  }
}

/**
 * How many of each alert's sightings this commit stores: one per event it wrote whose findings
 * raised or grew the alert (its answer names it). Events another writer had stored are not counted
 * again, so a retry never adds its repeats twice.
 */
function repeatsStored(events: readonly StoredEvent[], inserted: ReadonlySet<string>): Map<string, number> {
  const repeats = new Map<string, number>();
  for (const e of events) {
    const alert = e.result.alertId;
    if (alert !== undefined && inserted.has(e.id)) repeats.set(alert, (repeats.get(alert) ?? 0) + 1);
  }
  return repeats;
}

/** PostgreSQL's code for a transaction it ended to break a deadlock. */
const DEADLOCK = '40P01';
const DEADLOCK_TRIES = 3;

/**
 * Runs the commit again when PostgreSQL ended it to break a deadlock: nothing of it was written, and
 * what it adds to alerts is counted again from what it inserts. Commits of alerts lock their rows in
 * the order of their ids, but the repeats of a duplicate closed meanwhile go to the alert it was
 * folded into (upsertSightedAlerts), out of that order.
 */
async function retriedOnDeadlock<T>(commit: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await commit();
    } catch (error) {
      if ((error as { code?: string }).code !== DEADLOCK || attempt >= DEADLOCK_TRIES) throw error;
    }
  }
}
