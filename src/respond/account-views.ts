import type { AccountLock, LockScope } from '../domain/lock.js';
import type { LockBook } from './lock-book.js';
import { maskEmail, maskPhone } from './one-time-codes.js';
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
}

/** Accounts as the API shows them: the lock in force, the contact masked, Security Health. */
export class AccountViews {
  constructor(
    private readonly accounts: AccountStore,
    private readonly locks: LockBook,
    private readonly health: SecurityHealth,
  ) {}

  /** One account, its health computed now (and saved when it moved). */
  async view(user: string): Promise<AccountView> {
    const found = (await this.health.refresh([user])).get(user);
    return present(user, found?.account, this.locks.get(user), found?.health);
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
