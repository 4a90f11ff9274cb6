import type { Kysely, Migration } from 'kysely';

export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    // The distributed mode's fencing tokens (store/postgres/partition-fence.ts): each partition's epoch,
    // raised by every worker that takes the partition over. A commit of events checks, in its own
    // transaction, that the epoch is still the one its worker took: a worker that lost its lease
    // without noticing (its event loop held up) cannot commit beside the partition's next owner.
    await db.schema
      .createTable('partition_fences')
      .addColumn('partition', 'integer', (c) => c.primaryKey())
      .addColumn('epoch', 'integer', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .execute();
  },
};
