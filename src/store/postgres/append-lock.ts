import { sql, type Transaction } from 'kysely';
import type { AppendLock } from '../append-lock.js';
import type { Database } from '../schema.js';

/**
 * A transaction-scoped advisory lock: under READ COMMITTED two processes could otherwise read the
 * same tail; the primary key would then refuse the second, but as a failed write rather than a wait.
 * Any constant key works as long as every Vigil process uses the same one and nothing else in the
 * database does (Kysely's migration lock is 3853314791062309107).
 */
export class PostgresAppendLock implements AppendLock {
  constructor(private readonly key: bigint) {}

  async hold(trx: Transaction<Database>): Promise<void> {
    await sql`select pg_advisory_xact_lock(${sql.lit(this.key)})`.execute(trx);
  }
}
