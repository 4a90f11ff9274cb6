import type { AppendLock } from '../append-lock.js';

/**
 * Nothing to take: Vigil's SQLite transactions begin IMMEDIATE, holding the database's write lock
 * before they read (sqlite/dialect.ts), which already makes appenders take turns.
 */
export class SqliteAppendLock implements AppendLock {
  async hold(): Promise<void> {}
}
