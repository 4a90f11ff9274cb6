import type { Clock } from '../core/clock.js';
import type { StoredEvent } from '../domain/activity-event.js';
import { computeHealth } from './health.js';
import type { LockBook } from './lock-book.js';
import type { AccountRecord, AccountStore, HealthFactsSource, HealthRecord } from './ports.js';

export interface SecurityHealthDeps {
  readonly healthFacts: HealthFactsSource;
  readonly accounts: AccountStore;
  readonly locks: LockBook;
  readonly clock: Clock;
  readonly onError: (message: string, error: unknown) => void;
}

/** An account's stored record, if any, with its health as just computed. */
export interface AccountHealth {
  readonly account?: AccountRecord;
  readonly health: HealthRecord;
}

const DAY = 86_400_000;
/** Health is recomputed this long after the last change to an account, so a burst costs one computation. */
const HEALTH_DEBOUNCE_MS = 500;
/** Accounts whose health is recomputed together: their facts are read with one query per kind. */
const HEALTH_BATCH = 500;

/**
 * Security Health of accounts: recomputed from the store shortly after something that moves it (a
 * lock, an alert, a second factor, a password change), many accounts at once, and saved when changed.
 */
export class SecurityHealth {
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: SecurityHealthDeps) {}

  /** After events are stored: the accounts whose health may have moved. */
  onEventsStored(events: readonly StoredEvent[]): void {
    for (const e of events) {
      if (e.result.alertId !== undefined || e.type === 'mfa.enabled' || e.type === 'mfa.disabled' || e.type === 'password.changed') {
        this.markDirty(e.user);
      }
    }
  }

  /** The account's health is recomputed soon, with whatever else changed meanwhile. */
  markDirty(user: string): void {
    this.dirty.add(user);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushing = this.flushing.then(() => this.flushDirty());
    }, HEALTH_DEBOUNCE_MS);
    this.flushTimer.unref();
  }

  /** Waits for pending health computations, starting the waiting one at once (shutdown, tests). */
  async settled(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.flushing = this.flushing.then(() => this.flushDirty());
    }
    await this.flushing;
  }

  /** Computes Security Health of these accounts from the store, saves the changed ones, returns all. */
  async refresh(users: readonly string[]): Promise<Map<string, AccountHealth>> {
    const now = this.deps.clock.now();
    const facts = await this.deps.healthFacts.healthFacts(users);
    const out = new Map<string, AccountHealth>();
    const changed: Array<{ user: string; health: HealthRecord }> = [];
    for (const [user, f] of facts) {
      const disputes = new Set(f.trust.filter((t) => t.trust === 'untrusted' && now - t.at <= 30 * DAY).map((t) => t.alertId ?? t.value));
      const trustedDevices = new Set(f.trust.filter((t) => t.trust === 'trusted' && t.kind === 'device').map((t) => t.value));
      const devices = [...f.devices].sort((a, b) => a.firstSeenAt - b.firstSeenAt);
      // The account's first device is where it started, not a new device.
      const newDevices = devices
        .slice(1)
        .filter((d) => now - d.firstSeenAt <= 7 * DAY && !trustedDevices.has(d.value))
        .reverse()
        .map((d) => d.value);
      const lock = this.deps.locks.get(user);
      const account = f.account;
      const health = computeHealth({
        now,
        openAlerts: f.openAlerts,
        recentDisputes: disputes.size,
        ...(lock && { lock }),
        ...(f.mfa && { mfaEnabled: f.mfa === 'mfa.enabled' }),
        ...(f.passwordChangedAt !== undefined && { passwordChangedAt: f.passwordChangedAt }),
        newDevices,
        hasContact: account?.contact.email !== undefined || account?.contact.phone !== undefined,
      });
      const before = account?.health;
      if (!before || before.score !== health.score || JSON.stringify(before.reasons) !== JSON.stringify(health.reasons)) {
        changed.push({ user, health });
      }
      out.set(user, { ...(account && { account }), health });
    }
    await this.deps.accounts.saveHealth(changed);
    return out;
  }

  private async flushDirty(): Promise<void> {
    const users = [...this.dirty];
    this.dirty.clear();
    for (let i = 0; i < users.length; i += HEALTH_BATCH) {
      const batch = users.slice(i, i + HEALTH_BATCH);
      try {
        await this.refresh(batch);
      } catch (error) {
        this.deps.onError(`health of ${batch.length} account(s) not recomputed`, error);
      }
    }
  }
}
