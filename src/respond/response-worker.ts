import type { PlannedResponse } from '../domain/response.js';
import type { AccountLocking } from './account-locking.js';
import type { AccountNotices } from './account-notices.js';
import type { OneTimeCodes } from './one-time-codes.js';
import type { AccountStore, Contact } from './ports.js';
import type { SecurityHealth } from './security-health.js';

export interface ResponseWorkerDeps {
  readonly accounts: AccountStore;
  readonly locking: AccountLocking;
  readonly codes: OneTimeCodes;
  readonly notices: AccountNotices;
  readonly health: SecurityHealth;
  readonly onError: (message: string, error: unknown) => void;
}

/**
 * Carries out the automatic responses the ingest path planned, once the events that caused them are
 * stored (ingest/pending-effects.ts): audit and publish the lock, send the unlock code, tell the owner and
 * the admins.
 */
export class ResponseWorker {
  /** Responses being carried out, which settled() waits for. */
  private readonly responding = new Set<Promise<void>>();
  /** Responses planned in this turn of the event loop, carried out together at its end. */
  private queued: PlannedResponse[] = [];
  private nextRound: Promise<ReadonlySet<PlannedResponse>> | undefined;

  constructor(private readonly deps: ResponseWorkerDeps) {}

  /**
   * After the events that caused them are stored: audit, codes, notifications, webhooks. Under
   * single-event load each request has its own responses, all in the turn its group commit ends:
   * they are gathered until the end of that turn, so that their accounts are read in one query and
   * their audit entries share one append, rather than a read and a transaction each. Resolves with
   * whether every one of these was carried out (a failure is logged, and the caller still owes it).
   */
  async onResponsePlanned(responses: readonly PlannedResponse[]): Promise<boolean> {
    this.queued.push(...responses);
    this.nextRound ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const round = this.queued;
      this.queued = [];
      this.nextRound = undefined;
      return this.track(this.respond(round, false));
    });
    const failed = await this.nextRound;
    return responses.every((r) => !failed.has(r));
  }

  /**
   * Responses owed from before (their process died after the commit, or a step failed), carried out
   * again without repeating what was done: a lock already audited is not audited again, a code
   * already made for the lock is not made again (account-locking.ts, below). Resolves as above.
   */
  async resume(responses: readonly PlannedResponse[]): Promise<boolean> {
    const failed = await this.track(this.respond(responses, true));
    return failed.size === 0;
  }

  /** Waits for responses being carried out (codes, notifications) and the health computations they caused (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.nextRound || this.responding.size > 0) await Promise.allSettled([this.nextRound, ...this.responding]);
    await this.deps.health.settled();
  }

  private track<T>(work: Promise<T>): Promise<T> {
    const done = work.then(() => {});
    this.responding.add(done);
    void done.finally(() => this.responding.delete(done));
    return work;
  }

  /** Carries the responses out; resolves with those that failed. */
  private async respond(responses: readonly PlannedResponse[], again: boolean): Promise<ReadonlySet<PlannedResponse>> {
    // In order within an account; accounts side by side, so that their audit entries share one
    // append (the trail batches what is recorded meanwhile) instead of a transaction each.
    const byUser = new Map<string, PlannedResponse[]>();
    for (const r of responses) {
      const list = byUser.get(r.user);
      if (list) list.push(r);
      else byUser.set(r.user, [r]);
    }
    const failed = new Set<PlannedResponse>();
    const contacts = await this.contactsFor(responses);
    await Promise.all(
      [...byUser.values()].map(async (list) => {
        for (const r of list) {
          try {
            await this.carryOut(r, contacts, again);
          } catch (error) {
            failed.add(r);
            this.deps.onError(`response to event ${r.eventId} for ${r.user} failed`, error);
          }
          this.deps.health.markDirty(r.user);
        }
      }),
    );
    return failed;
  }

  /**
   * The contacts of the accounts whose owner gets a code or a notice, in one read; undefined if
   * none does, or if the read failed (each response then reads its own, and fails on its own).
   */
  private async contactsFor(responses: readonly PlannedResponse[]): Promise<ReadonlyMap<string, Contact> | undefined> {
    const users = responses.filter(reachesOwner).map((r) => r.user);
    if (users.length === 0) return undefined;
    try {
      return await this.deps.accounts.contacts(users);
    } catch {
      return undefined;
    }
  }

  private async carryOut(r: PlannedResponse, contacts: ReadonlyMap<string, Contact> | undefined, again: boolean): Promise<void> {
    await this.deps.locking.announceResponse(r, { again });
    const sendsCode = sendsUnlockCode(r) && !(again && (await this.codeMadeFor(r)));
    const notifiesUser = r.actions.includes('notify_user');
    // Only a code or a notice needs the owner's contact: a lock alone, or a note for the admins, does not.
    const contact =
      sendsCode || notifiesUser ? (contacts ? (contacts.get(r.user) ?? {}) : ((await this.deps.accounts.get(r.user))?.contact ?? {})) : {};
    if (sendsCode) {
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
    if (notifiesUser) await this.deps.notices.notifyUser(r.user, contact, r.alertId);
    if (r.actions.includes('notify_admins')) {
      await this.deps.notices.notifyAdmins(
        `${r.severity ?? ''} alert for ${r.user}`.trim(),
        `Alert ${r.alertId ?? ''} on ${r.user}${r.locked ? `: account locked (${r.locked.scope}), ${r.locked.reason}` : ''}.`,
      );
    }
  }

  /**
   * Whether the lock's unlock code was made already, by the run that died: a code of this alert
   * made since the lock. Its row is written before it is sent, so a process that died in between
   * leaves a code that never went out, and the owner asks for another: a code is never sent twice.
   */
  private async codeMadeFor(r: PlannedResponse): Promise<boolean> {
    const latest = await this.deps.accounts.latestCode(r.user, 'unlock');
    return latest !== undefined && latest.alertId === r.alertId && latest.createdAt >= (r.locked?.lockedAt ?? 0);
  }
}

const sendsUnlockCode = (r: PlannedResponse): boolean => r.actions.includes('send_unlock_code') && r.locked?.unlockBy === 'code';

/** Whether the response sends the account's owner something (a code, a notice), for which their contact is read. */
const reachesOwner = (r: PlannedResponse): boolean => sendsUnlockCode(r) || r.actions.includes('notify_user');
