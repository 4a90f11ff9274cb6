import type { EventType } from './event-schema.js';

export const LOCK_SCOPES = ['sensitive', 'full'] as const;
export type LockScope = (typeof LOCK_SCOPES)[number];

/** What lifts a lock besides an admin. */
export type UnlockBy =
  /** The owner proves control with a one-time code. */
  | 'code'
  /** The owner said "this wasn't me": the credentials are burnt until the client app reports a new password. */
  | 'password_change'
  /** Only an admin: used for critical findings, where the attacker may control the mailbox too. */
  | 'admin';

export interface AccountLock {
  readonly scope: LockScope;
  readonly lockedAt: number;
  readonly reason: string;
  readonly alertId?: string;
  /** `vigil`, `admin:<key id>` or `user:<id>`. */
  readonly lockedBy: string;
  readonly unlockBy: UnlockBy;
}

/**
 * What each scope refuses. `sensitive` covers the actions that move money or take an account over:
 * transactions, payment-method, password, email and 2FA changes (an attacker who turns 2FA on locks the
 * owner out; turning it off opens the door). `full` refuses everything but logging out.
 */
const SENSITIVE: ReadonlySet<EventType> = new Set([
  'transaction',
  'payment_method.changed',
  'password.changed',
  'email.changed',
  'mfa.enabled',
  'mfa.disabled',
]);

export function lockCovers(lock: AccountLock, type: EventType): boolean {
  if (type === 'logout') return false;
  // After "this wasn't me" the owner must change the password to get back in: that one change is let through.
  if (lock.unlockBy === 'password_change' && type === 'password.changed') return false;
  return lock.scope === 'full' || SENSITIVE.has(type);
}

/** A lock change to write with the event that caused it; `lock: null` lifts the lock. */
export interface LockWrite {
  readonly user: string;
  readonly lock: AccountLock | null;
  readonly at: number;
}

export const SCOPE_RANK: Readonly<Record<LockScope, number>> = { sensitive: 1, full: 2 };

export function describeScope(scope: LockScope): string {
  return scope === 'full'
    ? 'everything but logging out is refused'
    : 'transactions, payment-method, password, email and 2FA changes are refused';
}
