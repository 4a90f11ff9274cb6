import type { AlertService } from '../alerts/alert-service.js';
import type { AuditRecorder } from '../audit/ports.js';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { type AccountAlert, type Alert, isAccountAlert } from '../domain/alert.js';
import { OPEN_STATUSES } from '../domain/vocabulary.js';
import type { AccountLocking } from './account-locking.js';
import type { AccountNotices } from './account-notices.js';
import type { CodeProblem, OneTimeCodes, SentCode } from './one-time-codes.js';
import type { OwnerTrust } from './owner-trust.js';
import type { CodeChannel } from './ports.js';

export interface OwnerVerdictsDeps {
  readonly alerts: AlertService;
  readonly codes: OneTimeCodes;
  readonly trust: OwnerTrust;
  readonly locking: AccountLocking;
  readonly audit: AuditRecorder;
  readonly notices: AccountNotices;
}

/** The owner's word on an alert about their account: "this wasn't me" and "this was me". */
export class OwnerVerdicts {
  constructor(private readonly deps: OwnerVerdictsDeps) {}

  /**
   * "This wasn't me": the threat is confirmed. The alert is escalated, the account locked entirely
   * until the client app reports a password change, and the alert's device and IP marked untrusted
   * for this user, so that detection blocks them from now on.
   */
  async dispute(alertId: string, note: string | null, actor: string): Promise<Result<{ alert: Alert; user: string }, Problem>> {
    const alert = await this.openAccountAlert(alertId, 'disputed');
    if (!alert.ok) return alert;
    const noted = note ?? 'The user reported: this was not me.';
    let updated: Alert = alert.value;
    if (updated.status !== 'escalated') {
      const moved = await this.deps.alerts.act(alertId, 'escalate', actor, noted);
      if (!moved.ok) return moved;
      updated = moved.value;
    }
    const { user, summary } = alert.value;
    const marks = await this.deps.trust.mark(alert.value, ['device', 'ip'], 'untrusted');
    await this.deps.locking.lockUntilPasswordChange(user, alertId, `The owner disputed alert ${alertId}: ${summary}`, actor);
    await this.deps.audit.record(actor, 'alert.disputed', `alert:${alertId}`, {
      user,
      untrusted: marks.map((m) => `${m.kind}:${m.value}`),
      note,
    });
    await this.deps.notices.notifyAdmins(
      `Disputed alert for ${user}`,
      `${user} reported alert ${alertId} (${summary}) as not theirs. The account is locked until the password is changed.`,
    );
    return ok({ alert: updated, user });
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
  ): Promise<Result<{ status: 'code_sent'; sent: SentCode } | { status: 'confirmed'; alert: Alert; user: string }, CodeProblem>> {
    const found = await this.openAccountAlert(alertId, 'confirmed');
    if (!found.ok) return found;
    const alert = found.value;
    if (code === undefined) {
      const sent = await this.deps.codes.sendToOwner(alert.user, 'confirm', { ...(channel && { channel }), alertId, actor });
      return sent.ok ? ok({ status: 'code_sent', sent: sent.value }) : sent;
    }
    const checked = await this.deps.codes.verify(alert.user, 'confirm', code, { alertId, actor });
    if (!checked.ok) return checked;
    const moved = await this.deps.alerts.act(alertId, 'false-positive', actor, 'The user confirmed the activity with a one-time code.');
    if (!moved.ok) return moved;
    const marks = await this.deps.trust.mark(alert, ['device', 'country'], 'trusted');
    await this.deps.trust.prove(alert, 'confirmed');
    await this.deps.audit.record(actor, 'alert.confirmed', `alert:${alertId}`, {
      user: alert.user,
      trusted: marks.map((m) => `${m.kind}:${m.value}`),
    });
    const lock = this.deps.locking.current(alert.user);
    if (lock?.alertId === alertId && lock.unlockBy === 'code')
      await this.deps.locking.unlock(alert.user, 'The owner confirmed the activity with a one-time code.', actor);
    return ok({ status: 'confirmed', alert: moved.value, user: alert.user });
  }

  /** The alert, when it is open and about one account: only its owner's alerts can be disputed or confirmed. */
  private async openAccountAlert(alertId: string, verb: 'disputed' | 'confirmed'): Promise<Result<AccountAlert, Problem>> {
    const alert = await this.deps.alerts.get(alertId);
    if (!alert) return err({ code: 'not_found', message: `No alert ${alertId}.` });
    // Traffic alerts (the volume monitor's) and IP alerts have no owner to dispute or confirm them.
    if (!isAccountAlert(alert)) {
      return err({
        code: 'invalid_transition',
        message: `Alert ${alertId} is not about one account: only its owner's alerts can be disputed or confirmed.`,
      });
    }
    if (!OPEN_STATUSES.has(alert.status)) {
      return err({ code: 'invalid_transition', message: `Alert ${alertId} is ${alert.status}; only open alerts can be ${verb}.` });
    }
    return ok(alert);
  }
}
