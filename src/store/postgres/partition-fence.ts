import { type Kysely, sql, type Transaction } from 'kysely';
import { FencedOut } from '../../ingest/fenced-out.js';
import type { WriteFence } from '../event-batch-writer.js';
import type { Database } from '../schema.js';

/**
 * The distributed mode's fencing tokens for the partitions a worker holds, kept in PostgreSQL beside the events. A lease
 * says who may take requests; it cannot say who commits: a worker whose event loop was held up past
 * its lease's end (a long pause, a loaded machine) still has requests it accepted while it held the
 * lease, and would commit them after the next owner's catch-up had read the store, so that owner
 * would score the same users without them (and raise a second alert for a story the first raised).
 *
 * So each takeover raises the partition's epoch in `partition_fences` before its catch-up reads the
 * store, and every commit of events checks, first in its own transaction, that its partitions'
 * epochs are still the ones its worker raised, holding them with a share lock until it commits.
 * The raise waits for the commits under way (their share locks); those that come after it are
 * refused (`FencedOut`), and the api asks the new owner. Rows are locked in partition order on both
 * sides, so two takeovers and a commit cannot deadlock.
 */
export class PartitionFence implements WriteFence {
  private readonly epochs = new Map<number, number>();

  constructor(
    private readonly db: Kysely<Database>,
    /** The partition of a user's events (cluster/partitions.ts). */
    private readonly partitionOf: (user: string) => number,
    private readonly owner: string,
  ) {}

  /** Raises the epoch of each partition taken; call before its catch-up reads the store. */
  async claim(taken: readonly number[]): Promise<void> {
    if (taken.length === 0) return;
    const rows = await this.db
      .insertInto('partition_fences')
      .values([...taken].sort((a, b) => a - b).map((partition) => ({ partition, epoch: 1, owner: this.owner })))
      .onConflict((oc) => oc.column('partition').doUpdateSet({ epoch: sql<number>`partition_fences.epoch + 1`, owner: this.owner }))
      .returning(['partition', 'epoch'])
      .execute();
    for (const row of rows) this.epochs.set(row.partition, row.epoch);
  }

  /** Given up or lost: nothing of it is committed here any more. */
  release(partition: number): void {
    this.epochs.delete(partition);
  }

  async check(trx: Transaction<Database>, users: readonly string[]): Promise<void> {
    const wanted = [...new Set(users.map(this.partitionOf))].sort((a, b) => a - b);
    const rows = await trx
      .selectFrom('partition_fences')
      .select(['partition', 'epoch'])
      .where('partition', 'in', wanted)
      .orderBy('partition')
      .forShare()
      .execute();
    const current = new Map(rows.map((row) => [row.partition, row.epoch]));
    const lost = wanted.filter(
      (partition) => this.epochs.get(partition) === undefined || current.get(partition) !== this.epochs.get(partition),
    );
    if (lost.length > 0) throw new FencedOut(lost);
  }
}
