import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { twoWorkerDatabases } from '../../../test/support/cluster.js';
import { partitionOf } from '../../cluster/partitions.js';
import { FencedOut } from '../../ingest/fenced-out.js';
import type { DatabaseHandle } from '../database.js';
import { PartitionFence } from './partition-fence.js';

const PARTITIONS = 4;
const USER = 'alice';
const PARTITION = partitionOf(USER, PARTITIONS);
const ofUser = (user: string) => partitionOf(user, PARTITIONS);

const open: DatabaseHandle[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

const twoWorkers = () => twoWorkerDatabases(open);

/** A commit of one of the user's rows, as a batch of events makes it: the fence first, then the write. */
function commit(handle: DatabaseHandle, fence: PartitionFence, id: string, beforeCommit?: () => Promise<void>): Promise<void> {
  return handle.db.transaction().execute(async (trx) => {
    await fence.check(trx, [USER]);
    await trx.insertInto('pending_effects').values({ id, user_id: USER, created_at: 0, effects_json: '{}' }).execute();
    await beforeCommit?.();
  });
}

/** Whether a claim (the insert into partition_fences) is waiting for a lock another transaction holds. */
async function claimWaitsOnLock(handle: DatabaseHandle): Promise<boolean> {
  // A row lock waited for: the waiter holds the row's tuple lock (of this schema's table) and waits
  // for the holder's transaction.
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_locks tuple join pg_locks waiting on waiting.pid = tuple.pid
    where tuple.locktype = 'tuple' and tuple.relation = 'partition_fences'::regclass and not waiting.granted`.execute(handle.db);
  return (rows[0]?.n ?? 0) > 0;
}

async function storedIds(handle: DatabaseHandle): Promise<string[]> {
  return (await handle.db.selectFrom('pending_effects').select('id').orderBy('id').execute()).map((r) => r.id);
}

describe('partition fencing tokens', () => {
  it('refuse the commits of a worker whose partition another took over, and keep the new owner’s', async () => {
    const { a, b } = await twoWorkers();
    const fenceA = new PartitionFence(a.db, ofUser, 'worker-a');
    const fenceB = new PartitionFence(b.db, ofUser, 'worker-b');
    await fenceA.claim([PARTITION]);
    await commit(a, fenceA, 'a-while-owner');

    // b takes the partition over; a never noticed (its event loop was held up past its lease).
    await fenceB.claim([PARTITION]);
    await expect(commit(a, fenceA, 'a-after-takeover')).rejects.toBeInstanceOf(FencedOut);
    await commit(b, fenceB, 'b-owner');
    expect(await storedIds(b)).toEqual(['a-while-owner', 'b-owner']);

    // A partition given up is refused too, and one never claimed.
    fenceB.release(PARTITION);
    await expect(commit(b, fenceB, 'b-after-release')).rejects.toBeInstanceOf(FencedOut);
    await expect(commit(a, new PartitionFence(a.db, ofUser, 'worker-c'), 'never-claimed')).rejects.toBeInstanceOf(FencedOut);
    expect(await storedIds(a)).toEqual(['a-while-owner', 'b-owner']);
  });

  it('make a takeover wait for the previous owner’s commit under way, so its catch-up reads it', async () => {
    const { a, b } = await twoWorkers();
    const fenceA = new PartitionFence(a.db, ofUser, 'worker-a');
    const fenceB = new PartitionFence(b.db, ofUser, 'worker-b');
    await fenceA.claim([PARTITION]);

    // a's commit has passed the fence and is still open when b claims the partition.
    let letCommit = () => {};
    let checked = () => {};
    const passedFence = new Promise<void>((resolve) => {
      checked = resolve;
    });
    const underWay = commit(a, fenceA, 'a-under-way', async () => {
      checked();
      await new Promise<void>((resolve) => {
        letCommit = resolve;
      });
    });
    await passedFence;
    let claimed = false;
    const claiming = fenceB.claim([PARTITION]).then(() => {
      claimed = true;
    });
    // The claim waits for a's commit: PostgreSQL shows it waiting on a lock, and it has not returned.
    for (const deadline = Date.now() + 30_000; !(await claimWaitsOnLock(b)); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error('the claim never waited for the commit under way');
    }
    expect(claimed).toBe(false);
    letCommit();
    await underWay;
    await claiming;
    // What b's catch-up reads once its claim is through: a's commit, whole.
    expect(await storedIds(b)).toEqual(['a-under-way']);
  });
});
