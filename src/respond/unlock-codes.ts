import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { type Alert, isTrafficAlert } from '../domain/alert.js';
import type { AccountLock } from '../domain/lock.js';
import type { AccountLocking } from './account-locking.js';
import type { CodeProblem, OneTimeCodes, SentCode } from './one-time-codes.js';
import type { OwnerTrust } from './owner-trust.js';
import type { CodeChannel } from './ports.js';

/** The owner lifting a lock with a one-time code, where the lock allows it. */
export class UnlockCodes {
  constructor(
    private readonly locking: AccountLocking,
    private readonly codes: OneTimeCodes,
    private readonly alerts: { get(id: string): Promise<Alert | undefined> },
    private readonly trust: OwnerTrust,
  ) {}

  /** POST /v1/accounts/:user/otp: a code that lifts the lock, to the owner's email or phone. */
  async request(user: string, channel: CodeChannel | undefined, actor: string): Promise<Result<SentCode, CodeProblem>> {
    const lock = this.locking.current(user);
    if (!lock) return err({ code: 'not_locked', message: `${user} is not locked.` });
    const refused = selfUnlockRefusal(lock);
    if (refused) return err(refused);
    return this.codes.sendToOwner(user, 'unlock', {
      ...(channel && { channel }),
      ...(lock.alertId !== undefined && { alertId: lock.alertId }),
      actor,
    });
  }

  /** POST /v1/accounts/:user/otp/verify: the right code lifts the lock. */
  async verify(user: string, code: string, actor: string): Promise<Result<void, CodeProblem>> {
    const lock = this.locking.current(user);
    if (!lock) return err({ code: 'not_locked', message: `${user} is not locked.` });
    const refused = selfUnlockRefusal(lock);
    if (refused) return err(refused);
    const checked = await this.codes.verify(user, 'unlock', code, { actor });
    if (!checked.ok) return checked;
    // The code proves the owner: what the alert behind the lock came from is theirs.
    if (lock.alertId !== undefined) {
      const alert = await this.alerts.get(lock.alertId);
      if (alert && !isTrafficAlert(alert) && alert.user === user) await this.trust.prove(alert, 'code');
    }
    await this.locking.unlock(user, 'The owner entered the one-time code.', actor);
    return ok(undefined);
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
