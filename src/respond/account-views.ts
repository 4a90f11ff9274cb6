import type { Clock } from '../core/clock.js';
import type { AccountLock, LockScope } from '../domain/lock.js';
import type { LockBook } from './lock-book.js';
import { MAX_FAILED_ATTEMPTS, MIN_INTERVAL_MS, maskEmail, maskPhone } from './one-time-codes.js';
import type { AccountQuery, AccountRecord, AccountStore, HealthRecord } from './ports.js';
import type { SecurityHealth } from './security-health.js';

export interface AccountView {
  readonly user: string;
  readonly locked: boolean;
  readonly lockScope: LockScope | null;
  readonly lockedAt: number | null;
  readonly reason: string | null;
  readonly alertId: string | null;
  readonly lockedBy: string | null;
  readonly unlockBy: AccountLock['unlockBy'] | null;
  readonly contact: { readonly email?: string; readonly phone?: string };
  readonly health: { readonly score: number; readonly reasons: HealthRecord['reasons']; readonly computedAt: number };
  readonly suggestions: HealthRecord['suggestions'];
  /**
   * For one account locked until its owner enters a code: the newest unlock code, so that the page
   * says what is true ("sent at 14:02, valid until 14:12; ask for another from 14:03") rather than
   * promising a code that a lock within a minute of the last one never sent. Null when none was sent.
   */
  readonly unlockCode?: UnlockCodeState | null;
}

export interface UnlockCodeState {
  readonly channel: 'email' | 'sms';
  readonly sentAt: number;
  readonly expiresAt: number;
  /** Unused, unexpired and with tries left: the owner can enter it. */
  readonly valid: boolean;
  /** When the owner may ask for another (one a minute). */
  readonly nextCodeAt: number;
}

/** Accounts as the API shows them: the lock in force, the contact masked, Security Health. */
export class AccountViews {
  constructor(
    private readonly accounts: AccountStore,
    private readonly locks: LockBook,
    private readonly health: SecurityHealth,
    private readonly clock: Clock,
  ) {}

  /** One account, its health computed now (and saved when it moved). */
  async view(user: string): Promise<AccountView> {
    const found = (await this.health.refresh([user])).get(user);
    const lock = this.locks.get(user);
    const view = present(user, found?.account, lock, found?.health);
    if (lock?.unlockBy !== 'code') return view;
    return { ...view, unlockCode: await this.unlockCode(user) };
  }

  private async unlockCode(user: string): Promise<UnlockCodeState | null> {
    const code = await this.accounts.latestCode(user, 'unlock');
    if (!code) return null;
    const now = this.clock.now();
    return {
      channel: code.channel,
      sentAt: code.createdAt,
      expiresAt: code.expiresAt,
      valid: code.usedAt === null && code.expiresAt > now && code.failedAttempts < MAX_FAILED_ATTEMPTS,
      nextCodeAt: code.createdAt + MIN_INTERVAL_MS,
    };
  }

  /** Locked accounts first, then the least healthy, with their health as last saved. */
  async list(query: AccountQuery): Promise<AccountView[]> {
    const accounts = await this.accounts.list(query);
    return accounts.map((a) => present(a.user, a, this.locks.get(a.user), a.health));
  }
}

function present(
  user: string,
  account: AccountRecord | undefined,
  lock: AccountLock | undefined,
  health: HealthRecord | undefined,
): AccountView {
  const contact = account?.contact ?? {};
  return {
    user,
    locked: lock !== undefined,
    lockScope: lock?.scope ?? null,
    lockedAt: lock?.lockedAt ?? null,
    reason: lock?.reason ?? null,
    alertId: lock?.alertId ?? null,
    lockedBy: lock?.lockedBy ?? null,
    unlockBy: lock?.unlockBy ?? null,
    // Masked: the API answers the client app and the dashboard, neither of which needs the full address.
    contact: {
      ...(contact.email !== undefined && { email: maskEmail(contact.email) }),
      ...(contact.phone !== undefined && { phone: maskPhone(contact.phone) }),
    },
    health: { score: health?.score ?? 100, reasons: health?.reasons ?? [], computedAt: health?.computedAt ?? 0 },
    suggestions: health?.suggestions ?? [],
  };
}
