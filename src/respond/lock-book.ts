import type { AccountLock } from '../domain/lock.js';

/**
 * Locks in force, in memory, so that `POST /v1/events` can answer `block` without reading the
 * database. Loaded from the accounts table at start; every change is written through.
 */
export class LockBook {
  private readonly locks = new Map<string, AccountLock>();

  get(user: string): AccountLock | undefined {
    return this.locks.get(user);
  }

  set(user: string, lock: AccountLock | undefined): void {
    if (lock) this.locks.set(user, lock);
    else this.locks.delete(user);
  }

  get size(): number {
    return this.locks.size;
  }
}
