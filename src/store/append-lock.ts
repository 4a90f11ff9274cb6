import type { Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * Makes the writers appending to one chain (the audit trail) take turns inside their transactions,
 * so that each reads the tail the previous one committed. Held until the transaction ends.
 */
export interface AppendLock {
  hold(trx: Transaction<Database>): Promise<void>;
}
