import type { Problem } from '../core/errors.js';
import { ok, type Result } from '../core/result.js';
import type { Alert } from '../domain/alert.js';
import type { LockScope } from '../domain/lock.js';
import type { AccountContacts } from './account-contacts.js';
import type { AccountLocking } from './account-locking.js';
import type { AccountView, AccountViews } from './account-views.js';
import type { CodeProblem, SentCode } from './one-time-codes.js';
import type { OwnerVerdicts } from './owner-verdicts.js';
import type { AccountQuery, CodeChannel, Contact } from './ports.js';
import type { ResponseWorker } from './response-worker.js';
import type { UnlockCodes } from './unlock-codes.js';

export type { AccountView } from './account-views.js';

export interface AccountServiceParts {
  readonly views: AccountViews;
  readonly contacts: AccountContacts;
  readonly locking: AccountLocking;
  readonly unlockCodes: UnlockCodes;
  readonly verdicts: OwnerVerdicts;
  readonly worker: ResponseWorker;
}

/**
 * The response side of Vigil as the API sees it: locks and unlocks, one-time codes, "this wasn't me"
 * and "this was me", contact details, each answered with the account's view. The work is done by
 * one class per concern (see `AccountServiceParts`); every action is audited there, with who did it.
 */
export class AccountService {
  constructor(private readonly parts: AccountServiceParts) {}

  view(user: string): Promise<AccountView> {
    return this.parts.views.view(user);
  }

  list(query: AccountQuery): Promise<AccountView[]> {
    return this.parts.views.list(query);
  }

  async setContact(user: string, contact: Contact, actor: string): Promise<AccountView> {
    await this.parts.contacts.setContact(user, contact, actor);
    return this.view(user);
  }

  /** POST /v1/accounts/:user/otp: a code that lifts the lock, to the owner's email or phone. */
  requestUnlockCode(user: string, channel: CodeChannel | undefined, actor: string): Promise<Result<SentCode, CodeProblem>> {
    return this.parts.unlockCodes.request(user, channel, actor);
  }

  /** POST /v1/accounts/:user/otp/verify: the right code lifts the lock. */
  async verifyUnlockCode(user: string, code: string, actor: string): Promise<Result<AccountView, CodeProblem>> {
    const verified = await this.parts.unlockCodes.verify(user, code, actor);
    return verified.ok ? ok(await this.view(user)) : verified;
  }

  async lock(user: string, scope: LockScope, reason: string, actor: string, alertId?: string): Promise<AccountView> {
    await this.parts.locking.lock(user, scope, reason, actor, alertId);
    return this.view(user);
  }

  async unlock(user: string, reason: string, actor: string): Promise<Result<AccountView, Problem>> {
    const unlocked = await this.parts.locking.unlock(user, reason, actor);
    return unlocked.ok ? ok(await this.view(user)) : unlocked;
  }

  /** "This wasn't me" (see OwnerVerdicts.dispute). */
  async dispute(alertId: string, note: string | null, actor: string): Promise<Result<{ alert: Alert; account: AccountView }, Problem>> {
    const disputed = await this.parts.verdicts.dispute(alertId, note, actor);
    if (!disputed.ok) return disputed;
    return ok({ alert: disputed.value.alert, account: await this.view(disputed.value.user) });
  }

  /** "This was me" (see OwnerVerdicts.confirm). */
  async confirm(
    alertId: string,
    code: string | undefined,
    channel: CodeChannel | undefined,
    actor: string,
  ): Promise<Result<{ status: 'code_sent'; sent: SentCode } | { status: 'confirmed'; alert: Alert; account: AccountView }, CodeProblem>> {
    const confirmed = await this.parts.verdicts.confirm(alertId, code, channel, actor);
    if (!confirmed.ok) return confirmed;
    if (confirmed.value.status === 'code_sent') return ok(confirmed.value);
    const { alert, user } = confirmed.value;
    return ok({ status: 'confirmed', alert, account: await this.view(user) });
  }

  /** Waits for responses being carried out (codes, notifications) and pending health computations (shutdown, tests). */
  settled(): Promise<void> {
    return this.parts.worker.settled();
  }
}
