import type { AlertService } from '../alerts/alert-service.js';
import type { AlertStore } from '../alerts/ports.js';
import type { AuditRecorder } from '../audit/ports.js';
import type { AccountLockChange, Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { MemoryHistory } from '../detect/memory-history.js';
import type { StoredEvent } from '../domain/activity-event.js';
import { type Alert, OPEN_STATUSES } from '../domain/alert.js';
import { type AccountLock, type LockScope, SCOPE_RANK } from '../domain/lock.js';
import type { PlannedResponse } from '../domain/response.js';
import { computeHealth } from './health.js';
import type { LockBook } from './lock-book.js';
import { type CodeProblem, maskEmail, maskPhone, type OneTimeCodes, type SentCode } from './one-time-codes.js';
import type {
  AccountRecord,
  AccountStore,
  CodeChannel,
  Contact,
  HealthFactsSource,
  HealthRecord,
  MessageSender,
  TrustMark,
} from './ports.js';

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

export interface AccountServiceDependencies {
  readonly accounts: AccountStore;
  readonly locks: LockBook;
  readonly codes: OneTimeCodes;
  readonly history: MemoryHistory;
  /** Familiarity (enrich/novelty.ts): what the owner proves becomes proven. */
  readonly familiarity?: FamiliarityProofs;
  readonly alerts: AlertStore;
  readonly alertService: AlertService;
  readonly healthFacts: HealthFactsSource;
  readonly audit: AuditRecorder;
  readonly bus: Bus;
  readonly sender: MessageSender;
  readonly adminEmails: readonly string[];
  readonly clock: Clock;
  readonly onError: (message: string, error: unknown) => void;
}

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

const DAY = 86_400_000;
/** Health is recomputed this long after the last change to an account, so a burst costs one computation. */
const HEALTH_DEBOUNCE_MS = 500;
/** Accounts whose health is recomputed together: their facts are read with one query per kind. */
const HEALTH_BATCH = 500;

/**
 * The response side of Vigil: locks and unlocks, one-time codes, "this wasn't me" and "this was me",
 * contact details and Security Health. Every action is audited with who did it; lock changes are
 * written through to the store and to the in-memory lock book that the ingest path reads.
 */
export class AccountService {
  private readonly dirty = new Set<string>();
  /** Responses being carried out, which settled() waits for. */
  private readonly responding = new Set<Promise<void>>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: AccountServiceDependencies) {}

  async view(user: string): Promise<AccountView> {
    const { account, health } = (await this.refreshHealth([user])).get(user) as { account?: AccountRecord; health: HealthRecord };
    return present(user, account, this.deps.locks.get(user), health);
  }

  async list(query: { lockedOnly?: boolean; limit: number; offset: number }): Promise<AccountView[]> {
    const accounts = await this.deps.accounts.list(query);
    return accounts.map((a) => present(a.user, a, this.deps.locks.get(a.user), a.health));
  }

  async setContact(user: string, contact: Contact, actor: string): Promise<AccountView> {
    await this.deps.accounts.setContact(user, contact, this.deps.clock.now());
    await this.deps.audit.record(actor, 'account.contact_changed', `account:${user}`, {
      ...(contact.email !== undefined && { email: maskEmail(contact.email) }),
      ...(contact.phone !== undefined && { phone: maskPhone(contact.phone) }),
    });
    return this.view(user);
  }

  /** POST /v1/accounts/:user/otp: a code that lifts the lock, to the owner's email or phone. */
  async requestUnlockCode(user: string, channel: CodeChannel | undefined, actor: string): Promise<Result<SentCode, CodeProblem>> {
    const lock = this.deps.locks.get(user);
    if (!lock) return err({ code: 'not_locked', message: `${user} is not locked.` });
    const refused = selfUnlockRefusal(lock);
    if (refused) return err(refused);
    const account = await this.deps.accounts.get(user);
    return this.deps.codes.send(user, account?.contact ?? {}, 'unlock', {
      ...(channel && { channel }),
      ...(lock.alertId !== undefined && { alertId: lock.alertId }),
      actor,
    });
  }

  /** POST /v1/accounts/:user/otp/verify: the right code lifts the lock. */
  async verifyUnlockCode(user: string, code: string, actor: string): Promise<Result<AccountView, CodeProblem>> {
    const lock = this.deps.locks.get(user);
    if (!lock) return err({ code: 'not_locked', message: `${user} is not locked.` });
    const refused = selfUnlockRefusal(lock);
    if (refused) return err(refused);
    const checked = await this.deps.codes.verify(user, 'unlock', code, { actor });
    if (!checked.ok) return checked;
    // The code proves the owner: what the alert behind the lock came from is theirs.
    if (lock.alertId !== undefined) {
      const alert = await this.deps.alerts.get(lock.alertId);
      if (alert?.user === user) await this.prove(alert, 'code');
    }
    await this.unlock(user, 'The owner entered the one-time code.', actor);
    return ok(await this.view(user));
  }

  async lock(user: string, scope: LockScope, reason: string, actor: string, alertId?: string): Promise<AccountView> {
    const current = this.deps.locks.get(user);
    if (!current || SCOPE_RANK[scope] >= SCOPE_RANK[current.scope]) {
      // A person's lock is lifted by a person (or the owner's code when they chose so below): admins
      // lock by hand when they do not trust the mailbox either.
      const lock: AccountLock = {
        scope,
        lockedAt: this.deps.clock.now(),
        reason,
        lockedBy: actor,
        unlockBy: current?.unlockBy === 'password_change' ? 'password_change' : 'admin',
        ...(alertId !== undefined ? { alertId } : current?.alertId !== undefined ? { alertId: current.alertId } : {}),
      };
      await this.applyLock(user, lock, actor);
    }
    return this.view(user);
  }

  async unlock(user: string, reason: string, actor: string): Promise<Result<AccountView, Problem>> {
    const lock = this.deps.locks.get(user);
    if (!lock) return err({ code: 'not_locked', message: `${user} is not locked.` });
    const at = this.deps.clock.now();
    // Written before it takes effect in memory: a crash in between leaves the account locked, not open.
    await this.deps.accounts.writeLocks([{ user, lock: null, at }]);
    this.deps.locks.set(user, undefined);
    await this.announceUnlock(user, lock, actor, reason, at);
    return ok(await this.view(user));
  }

  /**
   * "This wasn't me": the threat is confirmed. The alert is escalated, the account locked entirely
   * until the client app reports a password change, and the alert's device and IP marked untrusted
   * for this user, so that detection blocks them from now on.
   */
  async dispute(alertId: string, note: string | null, actor: string): Promise<Result<{ alert: Alert; account: AccountView }, Problem>> {
    const alert = await this.deps.alerts.get(alertId);
    if (!alert) return err({ code: 'not_found', message: `No alert ${alertId}.` });
    if (alert.subject.kind !== 'user') return err(notAboutAnAccount(alertId));
    if (!OPEN_STATUSES.has(alert.status)) {
      return err({ code: 'invalid_transition', message: `Alert ${alertId} is ${alert.status}; only open alerts can be disputed.` });
    }
    const noted = note ?? 'The user reported: this was not me.';
    let updated = alert;
    if (alert.status !== 'escalated') {
      const moved = await this.deps.alertService.act(alertId, 'escalate', actor, noted);
      if (!moved.ok) return moved;
      updated = moved.value;
    }
    const at = this.deps.clock.now();
    const marks: TrustMark[] = [];
    if (alert.device !== undefined) marks.push({ user: alert.user, kind: 'device', value: alert.device, trust: 'untrusted', alertId, at });
    if (alert.ip !== undefined) marks.push({ user: alert.user, kind: 'ip', value: alert.ip, trust: 'untrusted', alertId, at });
    await this.setTrust(marks);

    const current = this.deps.locks.get(alert.user);
    await this.applyLock(
      alert.user,
      {
        scope: 'full',
        lockedAt: at,
        reason: `The owner disputed alert ${alertId}: ${alert.summary}`,
        alertId,
        lockedBy: actor,
        unlockBy: 'password_change',
      },
      actor,
      current,
    );
    await this.deps.audit.record(actor, 'alert.disputed', `alert:${alertId}`, {
      user: alert.user,
      untrusted: marks.map((m) => `${m.kind}:${m.value}`),
      note,
    });
    await this.notifyAdmins(
      `Disputed alert for ${alert.user}`,
      `${alert.user} reported alert ${alertId} (${alert.summary}) as not theirs. The account is locked until the password is changed.`,
    );
    return ok({ alert: updated, account: await this.view(alert.user) });
  }

  /**
   * "This was me": without a code, sends one to prove control of the account; with the right code,
   * closes the alert as a false positive and trusts its device and country for this user, and lifts a
   * lock this alert caused.
   */
  async confirm(
    alertId: string,
    code: string | undefined,
    channel: CodeChannel | undefined,
    actor: string,
  ): Promise<Result<{ status: 'code_sent'; sent: SentCode } | { status: 'confirmed'; alert: Alert; account: AccountView }, CodeProblem>> {
    const alert = await this.deps.alerts.get(alertId);
    if (!alert) return err({ code: 'not_found', message: `No alert ${alertId}.` });
    if (alert.subject.kind !== 'user') return err(notAboutAnAccount(alertId));
    if (!OPEN_STATUSES.has(alert.status)) {
      return err({ code: 'invalid_transition', message: `Alert ${alertId} is ${alert.status}; only open alerts can be confirmed.` });
    }
    if (code === undefined) {
      const account = await this.deps.accounts.get(alert.user);
      const sent = await this.deps.codes.send(alert.user, account?.contact ?? {}, 'confirm', {
        ...(channel && { channel }),
        alertId,
        actor,
      });
      return sent.ok ? ok({ status: 'code_sent', sent: sent.value }) : sent;
    }
    const checked = await this.deps.codes.verify(alert.user, 'confirm', code, { alertId, actor });
    if (!checked.ok) return checked;
    const moved = await this.deps.alertService.act(
      alertId,
      'false-positive',
      actor,
      'The user confirmed the activity with a one-time code.',
    );
    if (!moved.ok) return moved;
    const at = this.deps.clock.now();
    const marks: TrustMark[] = [];
    if (alert.device !== undefined) marks.push({ user: alert.user, kind: 'device', value: alert.device, trust: 'trusted', alertId, at });
    if (alert.country !== undefined) marks.push({ user: alert.user, kind: 'country', value: alert.country, trust: 'trusted', alertId, at });
    await this.setTrust(marks);
    await this.prove(alert, 'confirmed');
    await this.deps.audit.record(actor, 'alert.confirmed', `alert:${alertId}`, {
      user: alert.user,
      trusted: marks.map((m) => `${m.kind}:${m.value}`),
    });
    const lock = this.deps.locks.get(alert.user);
    if (lock?.alertId === alertId && lock.unlockBy === 'code')
      await this.unlock(alert.user, 'The owner confirmed the activity with a one-time code.', actor);
    return ok({ status: 'confirmed', alert: moved.value, account: await this.view(alert.user) });
  }

  /** After the events that caused them are stored: audit, codes, notifications, webhooks. */
  async onResponsePlanned(responses: readonly PlannedResponse[]): Promise<void> {
    const work = this.respond(responses);
    this.responding.add(work);
    try {
      await work;
    } finally {
      this.responding.delete(work);
    }
  }

  private async respond(responses: readonly PlannedResponse[]): Promise<void> {
    // In order within an account; accounts side by side, so that their audit entries share one
    // append (the trail batches what is recorded meanwhile) instead of a transaction each.
    const byUser = new Map<string, PlannedResponse[]>();
    for (const r of responses) {
      const list = byUser.get(r.user);
      if (list) list.push(r);
      else byUser.set(r.user, [r]);
    }
    await Promise.all(
      [...byUser.values()].map(async (list) => {
        for (const r of list) {
          try {
            await this.carryOut(r);
          } catch (error) {
            this.deps.onError(`response to event ${r.eventId} for ${r.user} failed`, error);
          }
          this.markDirty(r.user);
        }
      }),
    );
  }

  /** After events are stored: emails the events carry, and the accounts whose health may have moved. */
  async onEventsStored(events: readonly StoredEvent[]): Promise<void> {
    const emails = new Map<string, string>();
    for (const e of events) {
      // An email change is what an account thief does first: its new address never becomes the contact
      // (and fillEmails skips accounts that ever reported one, whatever their later events carry).
      if (e.email !== undefined && e.type !== 'email.changed' && !emails.has(e.user)) emails.set(e.user, e.email);
      if (e.result.alertId !== undefined || e.type === 'mfa.enabled' || e.type === 'mfa.disabled' || e.type === 'password.changed') {
        this.markDirty(e.user);
      }
    }
    if (emails.size > 0) {
      await this.deps.accounts.fillEmails(
        [...emails].map(([user, email]) => ({ user, email })),
        this.deps.clock.now(),
      );
    }
  }

  /** Waits for responses being carried out (codes, notifications) and pending health computations (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.responding.size > 0) await Promise.allSettled([...this.responding]);
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.flushing = this.flushing.then(() => this.flushDirty());
    }
    await this.flushing;
  }

  private async carryOut(r: PlannedResponse): Promise<void> {
    if (r.locked) {
      await this.deps.audit.record('vigil', 'account.locked', `account:${r.user}`, {
        scope: r.locked.scope,
        reason: r.locked.reason,
        alertId: r.alertId,
        severity: r.severity,
        unlockBy: r.locked.unlockBy,
      });
      await this.deps.bus.publish('account.locked', change(r.user, r.locked, 'vigil', r.locked.reason));
    }
    if (r.unlocked) {
      await this.announceUnlock(
        r.user,
        r.unlocked,
        'vigil',
        'The client app reported a password change after the dispute.',
        this.deps.clock.now(),
      );
    }
    const account = await this.deps.accounts.get(r.user);
    const contact = account?.contact ?? {};
    if (r.actions.includes('send_unlock_code') && r.locked?.unlockBy === 'code') {
      const sent = await this.deps.codes.send(r.user, contact, 'unlock', {
        ...(r.alertId !== undefined && { alertId: r.alertId }),
        actor: 'vigil',
      });
      // An account without contact cannot get a code: that is the client app's setup, visible in the
      // account's view, not a fault of Vigil's; logging it would flood the log during an attack.
      if (!sent.ok && sent.error.code !== 'no_contact') {
        this.deps.onError(`unlock code for ${r.user} not sent: ${sent.error.message}`, undefined);
      }
    }
    if (r.actions.includes('notify_user')) {
      const to = contact.email ?? contact.phone;
      if (to !== undefined) {
        await this.deps.sender.send({
          channel: contact.email !== undefined ? 'email' : 'sms',
          to,
          user: r.user,
          subject: 'Unusual activity on your account',
          text: `We noticed unusual activity on your account (alert ${r.alertId ?? ''}). If it was not you, report it in the app ("This wasn't me") and change your password.`,
        });
        await this.deps.audit.record('vigil', 'user.notified', `account:${r.user}`, {
          alertId: r.alertId,
          channel: contact.email !== undefined ? 'email' : 'sms',
        });
      }
    }
    if (r.actions.includes('notify_admins')) {
      await this.notifyAdmins(
        `${r.severity ?? ''} alert for ${r.user}`.trim(),
        `Alert ${r.alertId ?? ''} on ${r.user}${r.locked ? `: account locked (${r.locked.scope}), ${r.locked.reason}` : ''}.`,
      );
    }
  }

  private async applyLock(user: string, lock: AccountLock, actor: string, before = this.deps.locks.get(user)): Promise<void> {
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
    this.markDirty(user);
  }

  private async announceUnlock(user: string, lock: AccountLock, actor: string, reason: string, at: number): Promise<void> {
    await this.deps.audit.record(actor, 'account.unlocked', `account:${user}`, { scope: lock.scope, reason, alertId: lock.alertId });
    await this.deps.bus.publish('account.unlocked', { ...change(user, lock, actor, reason), at });
    this.markDirty(user);
  }

  /**
   * Makes the alert's device, network and country proven in familiarity. A failure is reported, not
   * thrown: the owner's unlock or confirmation stands, and the proof is only missing from then on.
   */
  private async prove(alert: Alert, via: 'code' | 'confirmed'): Promise<void> {
    const familiarity = this.deps.familiarity;
    if (!familiarity) return;
    try {
      await familiarity.proveSource(alert.user, { device: alert.device, ip: alert.ip, country: alert.country }, via, this.deps.clock.now());
    } catch (error) {
      this.deps.onError(`familiarity proof for ${alert.user} not stored`, error);
    }
  }

  private async setTrust(marks: readonly TrustMark[]): Promise<void> {
    await this.deps.accounts.setTrust(marks);
    for (const m of marks)
      this.deps.history.setTrust(m.user, m.kind, m.value, { trust: m.trust, ...(m.alertId !== undefined && { alertId: m.alertId }) });
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
  }

  private async notifyAdmins(subject: string, text: string): Promise<void> {
    for (const to of this.deps.adminEmails) {
      try {
        await this.deps.sender.send({ channel: 'email', to, subject: `[Vigil] ${subject}`, text });
      } catch (error) {
        this.deps.onError('admin notification failed', error);
      }
    }
  }

  private markDirty(user: string): void {
    this.dirty.add(user);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushing = this.flushing.then(() => this.flushDirty());
    }, HEALTH_DEBOUNCE_MS);
    this.flushTimer.unref();
  }

  private async flushDirty(): Promise<void> {
    const users = [...this.dirty];
    this.dirty.clear();
    for (let i = 0; i < users.length; i += HEALTH_BATCH) {
      const batch = users.slice(i, i + HEALTH_BATCH);
      try {
        await this.refreshHealth(batch);
      } catch (error) {
        this.deps.onError(`health of ${batch.length} account(s) not recomputed`, error);
      }
    }
  }

  /** Computes Security Health of these accounts from the store, saves the changed ones, returns all. */
  private async refreshHealth(users: readonly string[]): Promise<Map<string, { account?: AccountRecord; health: HealthRecord }>> {
    const now = this.deps.clock.now();
    const facts = await this.deps.healthFacts.healthFacts(users);
    const out = new Map<string, { account?: AccountRecord; health: HealthRecord }>();
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
}

function selfUnlockRefusal(lock: AccountLock): Problem | undefined {
  if (lock.unlockBy === 'password_change') {
    return {
      code: 'unlock_requires_password_change',
      message: 'The owner reported activity that was not theirs: the lock lifts when the client app reports a password change.',
    };
  }
  if (lock.unlockBy === 'admin') {
    return {
      code: 'unlock_requires_admin',
      message: 'This lock can only be lifted by an admin: the finding was too serious to trust a code sent to the account.',
    };
  }
  return undefined;
}

function change(user: string, lock: AccountLock, actor: string, reason: string): AccountLockChange {
  return { user, scope: lock.scope, at: lock.lockedAt, actor, reason, ...(lock.alertId !== undefined && { alertId: lock.alertId }) };
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

/** Traffic alerts (the volume monitor's) and IP alerts have no owner to dispute or confirm them. */
function notAboutAnAccount(alertId: string): Problem {
  return {
    code: 'invalid_transition',
    message: `Alert ${alertId} is not about one account: only its owner's alerts can be disputed or confirmed.`,
  };
}
