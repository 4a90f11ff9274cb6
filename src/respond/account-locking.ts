import type { AuditRecorder, AuditStore } from '../audit/ports.js';
import type { AccountLockChange, Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { type AccountLock, type LockScope, SCOPE_RANK } from '../domain/lock.js';
import type { PlannedResponse } from '../domain/response.js';
import type { LockBook } from './lock-book.js';
import type { AccountStore } from './ports.js';
import type { SecurityHealth } from './security-health.js';

export interface AccountLockingDeps {
  readonly accounts: AccountStore;
  /** The in-memory locks the ingest path reads. */
  readonly locks: LockBook;
  /** Recorded into; read only to tell whether a lock owed from before was audited already. */
  readonly audit: AuditRecorder & Pick<AuditStore, 'list'>;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly health: SecurityHealth;
}

/**
 * Locks and unlocks of accounts, by people and by Vigil: written through to the store and to the
 * in-memory lock book, audited with who did it, published on the bus (the feed, webhooks).
 */
export class AccountLocking {
  constructor(private readonly deps: AccountLockingDeps) {}

  /** The lock in force on the account, if any. */
  current(user: string): AccountLock | undefined {
    return this.deps.locks.get(user);
  }

  /** An admin's lock; a weaker one than the lock in force changes nothing. */
  async lock(user: string, scope: LockScope, reason: string, actor: string, alertId?: string): Promise<void> {
    const current = this.deps.locks.get(user);
    if (current && SCOPE_RANK[scope] < SCOPE_RANK[current.scope]) return;
    // A person's lock is lifted by a person (or the owner's code when they chose so below): admins
    // lock by hand when they do not trust the mailbox either.
    await this.apply(
      user,
      {
        scope,
        lockedAt: this.deps.clock.now(),
        reason,
        lockedBy: actor,
        unlockBy: current?.unlockBy === 'password_change' ? 'password_change' : 'admin',
        ...(alertId !== undefined ? { alertId } : current?.alertId !== undefined ? { alertId: current.alertId } : {}),
      },
      actor,
    );
  }

  /** The owner said "this wasn't me": the whole account, until the client app reports a password change. */
  async lockUntilPasswordChange(user: string, alertId: string, reason: string, actor: string): Promise<void> {
    const before = this.deps.locks.get(user);
    const lock: AccountLock = {
      scope: 'full',
      lockedAt: this.deps.clock.now(),
      reason,
      alertId,
      lockedBy: actor,
      unlockBy: 'password_change',
    };
    await this.apply(user, lock, actor, before);
  }

  async unlock(user: string, reason: string, actor: string): Promise<Result<void, Problem>> {
    const lock = this.deps.locks.get(user);
    if (!lock) return err({ code: 'not_locked', message: `${user} is not locked.` });
    const at = this.deps.clock.now();
    // Written before it takes effect in memory: a crash in between leaves the account locked, not open.
    await this.deps.accounts.writeLocks([{ user, lock: null, at }]);
    this.deps.locks.set(user, undefined);
    await this.announceUnlock(user, lock, actor, reason, at);
    return ok(undefined);
  }

  /**
   * A lock or unlock the ingest path already put in force (with its events' commit): audited and
   * published once stored; resolves once the webhooks' deliveries are stored. `again`: owed from a
   * run that may have done part of it (ingest/pending-effects.ts): an entry already in the audit
   * trail is not added twice, and the webhooks keep the delivery they have (delivery.ts, origins).
   */
  async announceResponse(r: PlannedResponse, options: { readonly again?: boolean } = {}): Promise<void> {
    if (r.locked) {
      const lock = r.locked;
      if (
        !(
          options.again &&
          (await this.audited(r.user, 'account.locked', lock.lockedAt, (d) => d.alertId === r.alertId && d.scope === lock.scope))
        )
      ) {
        // Gathered: under attack the ingest path locks many accounts a second (audit-trail.ts).
        await this.deps.audit.record(
          'vigil',
          'account.locked',
          `account:${r.user}`,
          { scope: lock.scope, reason: lock.reason, alertId: r.alertId, severity: r.severity, unlockBy: lock.unlockBy },
          { gather: true },
        );
      }
      await this.deps.bus.deliver('account.locked', change(r.user, lock, 'vigil', lock.reason));
    }
    if (r.unlocked) {
      const lifted = r.unlocked;
      // The moment of the unlock is the event's: the same when announced again, so its webhook is one.
      const at = r.unlockedAt ?? this.deps.clock.now();
      if (!(options.again && (await this.audited(r.user, 'account.unlocked', at, (d) => d.alertId === lifted.alertId)))) {
        await this.deps.audit.record('vigil', 'account.unlocked', `account:${r.user}`, {
          scope: lifted.scope,
          reason: PASSWORD_CHANGED,
          alertId: lifted.alertId,
        });
      }
      await this.deps.bus.deliver('account.unlocked', { ...change(r.user, lifted, 'vigil', PASSWORD_CHANGED), at });
      this.deps.health.markDirty(r.user);
    }
  }

  /** Whether Vigil's entry of this kind for the account, recorded at `since` or later, is in the trail. */
  private async audited(
    user: string,
    action: 'account.locked' | 'account.unlocked',
    since: number,
    matches: (details: Readonly<Record<string, unknown>>) => boolean,
  ): Promise<boolean> {
    const entries = await this.deps.audit.list({ subject: `account:${user}`, action, actor: 'vigil', limit: 20 });
    return entries.some((e) => e.at >= since && matches(e.details));
  }

  private async apply(user: string, lock: AccountLock, actor: string, before = this.deps.locks.get(user)): Promise<void> {
    await this.deps.accounts.writeLocks([{ user, lock, at: lock.lockedAt }]);
    this.deps.locks.set(user, lock);
    await this.deps.audit.record(actor, 'account.locked', `account:${user}`, {
      scope: lock.scope,
      reason: lock.reason,
      alertId: lock.alertId,
      unlockBy: lock.unlockBy,
      previousScope: before?.scope ?? null,
    });
    await this.deps.bus.publish('account.locked', change(user, lock, actor, lock.reason));
    this.deps.health.markDirty(user);
  }

  private async announceUnlock(user: string, lock: AccountLock, actor: string, reason: string, at: number): Promise<void> {
    await this.deps.audit.record(actor, 'account.unlocked', `account:${user}`, { scope: lock.scope, reason, alertId: lock.alertId });
    await this.deps.bus.publish('account.unlocked', { ...change(user, lock, actor, reason), at });
    this.deps.health.markDirty(user);
  }
}

const PASSWORD_CHANGED = 'The client app reported a password change after the dispute.';

function change(user: string, lock: AccountLock, actor: string, reason: string): AccountLockChange {
  return { user, scope: lock.scope, at: lock.lockedAt, actor, reason, ...(lock.alertId !== undefined && { alertId: lock.alertId }) };
}
