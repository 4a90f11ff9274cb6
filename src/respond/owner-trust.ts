import type { AuditRecorder } from '../audit/ports.js';
import type { Clock } from '../core/clock.js';
import type { MemoryHistory } from '../detect/memory-history.js';
import type { EventAlert } from '../domain/alert.js';
import type { AccountStore, TrustKind, TrustMark } from './ports.js';

/**
 * The part of familiarity (NoveltyTracker) that the owner's proofs reach: the device, network of the
 * address and country become proven for the account, in memory and in the store.
 */
export interface FamiliarityProofs {
  proveSource(
    user: string,
    source: { readonly device?: string | undefined; readonly ip?: string | undefined; readonly country?: string | undefined },
    via: 'code' | 'confirmed',
    at: number,
  ): Promise<unknown>;
}

export interface OwnerTrustDeps {
  readonly accounts: AccountStore;
  /** Detection's memory: trust marks take effect on the next event. */
  readonly history: MemoryHistory;
  /** Familiarity (enrich/novelty.ts): what the owner proves becomes proven. */
  readonly familiarity?: FamiliarityProofs;
  readonly audit: AuditRecorder;
  readonly clock: Clock;
  readonly onError: (message: string, error: unknown) => void;
  /**
   * Called once the owner's word is stored and in this process's memory: other processes that keep
   * the user's trust marks and familiarity in memory read them again (the distributed mode).
   */
  readonly changed?: (user: string) => Promise<void>;
}

/** What the owner's word does to the sources of an alert: trusted or untrusted marks, and proofs of familiarity. */
export class OwnerTrust {
  constructor(private readonly deps: OwnerTrustDeps) {}

  /**
   * Marks the alert's sources of these kinds (those it has) trusted or untrusted for its user: stored,
   * in detection's memory at once, audited. Returns the marks.
   */
  async mark(alert: EventAlert, kinds: readonly TrustKind[], trust: TrustMark['trust']): Promise<TrustMark[]> {
    const at = this.deps.clock.now();
    const marks: TrustMark[] = [];
    for (const kind of kinds) {
      const value = alert[kind];
      if (value !== undefined) marks.push({ user: alert.user, kind, value, trust, alertId: alert.id, at });
    }
    await this.deps.accounts.setTrust(marks);
    for (const m of marks)
      this.deps.history.setTrust(m.user, m.kind, m.value, { trust: m.trust, ...(m.alertId !== undefined && { alertId: m.alertId }) });
    if (marks.length > 0) await this.deps.changed?.(alert.user);
    await Promise.all(
      marks.map((m) =>
        this.deps.audit.record('vigil', 'trust.changed', `account:${m.user}`, {
          kind: m.kind,
          value: m.value,
          trust: m.trust,
          alertId: m.alertId,
        }),
      ),
    );
    return marks;
  }

  /**
   * Makes the alert's device, network and country proven in familiarity. A failure is reported, not
   * thrown: the owner's unlock or confirmation stands, and the proof is only missing from then on.
   */
  async prove(alert: EventAlert, via: 'code' | 'confirmed'): Promise<void> {
    const familiarity = this.deps.familiarity;
    if (!familiarity) return;
    try {
      await familiarity.proveSource(alert.user, { device: alert.device, ip: alert.ip, country: alert.country }, via, this.deps.clock.now());
      await this.deps.changed?.(alert.user);
    } catch (error) {
      this.deps.onError(`familiarity proof for ${alert.user} not stored`, error);
    }
  }
}
