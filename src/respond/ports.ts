import type { Result } from '../core/result.js';
import type { AccountLock, LockWrite } from '../domain/lock.js';
import type { Severity } from '../domain/severity.js';

export interface Contact {
  readonly email?: string;
  readonly phone?: string;
}

export interface HealthRecord {
  readonly score: number;
  readonly reasons: readonly HealthReason[];
  readonly suggestions: readonly Suggestion[];
  readonly computedAt: number;
}

export interface HealthReason {
  readonly factor: string;
  /** Points taken off 100. */
  readonly impact: number;
  readonly message: string;
}

export interface Suggestion {
  readonly action: 'enable_2fa' | 'review_device' | 'change_password' | 'add_contact' | 'unlock_account';
  readonly why: string;
}

export interface AccountRecord {
  readonly user: string;
  readonly contact: Contact;
  readonly lock?: AccountLock;
  /** Undefined until first computed. */
  readonly health?: HealthRecord;
  readonly updatedAt: number;
}

export type TrustKind = 'device' | 'ip' | 'country';
export interface TrustMark {
  readonly user: string;
  readonly kind: TrustKind;
  readonly value: string;
  /** `trusted` after "this was me", `untrusted` after "this wasn't me". */
  readonly trust: 'trusted' | 'untrusted';
  readonly alertId?: string;
  readonly at: number;
}

export type CodePurpose = 'unlock' | 'confirm';
export type CodeChannel = 'email' | 'sms';

export interface StoredCode {
  readonly id: string;
  readonly user: string;
  readonly purpose: CodePurpose;
  readonly alertId?: string;
  readonly channel: CodeChannel;
  readonly codeHash: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly failedAttempts: number;
  readonly usedAt: number | null;
}

/** What Security Health is computed from, for one account. */
export interface HealthFacts {
  readonly account?: AccountRecord;
  /** Open alerts about the account itself (not those about an IP that merely tried it), by severity. */
  readonly openAlerts: Partial<Record<Severity, number>>;
  readonly trust: readonly TrustMark[];
  /** The latest of the account's mfa.enabled and mfa.disabled events. */
  readonly mfa?: 'mfa.enabled' | 'mfa.disabled';
  readonly passwordChangedAt?: number;
  /** Devices the account was seen on, with when each was first seen. */
  readonly devices: ReadonlyArray<{ readonly value: string; readonly firstSeenAt: number }>;
}

/**
 * Reads the facts of many accounts at once: one query per kind of fact, whatever the number of
 * accounts, because during an attack hundreds of accounts change every second. store/health-facts-store.ts.
 */
export interface HealthFactsSource {
  healthFacts(users: readonly string[]): Promise<ReadonlyMap<string, HealthFacts>>;
}

export interface AccountQuery {
  readonly lockedOnly?: boolean;
  readonly limit: number;
  readonly offset: number;
}

/** Accounts, their trust marks and their one-time codes. Implemented once with Kysely (store/account-store.ts). */
export interface AccountStore {
  get(user: string): Promise<AccountRecord | undefined>;
  /** The contacts of these accounts, in one read; an account not stored is absent. */
  contacts(users: readonly string[]): Promise<ReadonlyMap<string, Contact>>;
  /** Locked accounts first (newest lock first), then the least healthy. */
  list(query: AccountQuery): Promise<readonly AccountRecord[]>;
  listLocks(): Promise<ReadonlyArray<{ user: string; lock: AccountLock }>>;
  /** Sets the fields given; creates the account if needed. */
  setContact(user: string, contact: Contact, at: number): Promise<void>;
  /**
   * Fills the email only where none is known (events carry an email; the client app's PUT wins), and
   * only for accounts that never reported an email change: after one, the address events carry may be
   * an attacker's, and codes would go to them. Such accounts get a contact only through PUT or an admin.
   */
  fillEmails(pairs: ReadonlyArray<{ user: string; email: string }>, at: number): Promise<void>;
  writeLocks(locks: readonly LockWrite[]): Promise<void>;
  /** Saves the health of several accounts in one transaction, creating accounts as needed. */
  saveHealth(records: ReadonlyArray<{ readonly user: string; readonly health: HealthRecord }>): Promise<void>;

  listTrust(): Promise<readonly TrustMark[]>;
  userTrust(user: string): Promise<readonly TrustMark[]>;
  setTrust(marks: readonly TrustMark[]): Promise<void>;

  insertCode(code: StoredCode): Promise<void>;
  /** The newest code of this user and purpose, used or not. */
  latestCode(user: string, purpose: CodePurpose): Promise<StoredCode | undefined>;
  countCodesSince(user: string, since: number): Promise<number>;
  /** Counts a wrong try, only while the code is unused and under `maxAttempts`; false when it no longer was. */
  recordFailedAttempt(id: string, maxAttempts: number): Promise<boolean>;
  /** Marks the code used, only if it was unused; false when another request used it first. */
  markCodeUsed(id: string, at: number): Promise<boolean>;
}

/**
 * Sends a message to a person (notify/'s `Notifier`). A transport that did not take the message is an
 * expected failure, so it is a value, never a throw: the caller decides what it means.
 */
export interface MessageSender {
  send(message: {
    channel: CodeChannel;
    to: string;
    subject: string;
    text: string;
    user?: string;
  }): Promise<Result<unknown, { readonly reason: string }>>;
}
