import type { AppendLock } from './append-lock.js';
import type { DatabaseHandle } from './database.js';
import { PostgresAppendLock } from './postgres/append-lock.js';
import { SqliteAppendLock } from './sqlite/append-lock.js';

/** The dialect's append lock, chosen once when the store is opened (as `openBatchWriter`). */
export function openAppendLock(handle: DatabaseHandle, key: bigint): AppendLock {
  return handle.dialect === 'postgres' ? new PostgresAppendLock(key) : new SqliteAppendLock();
}
