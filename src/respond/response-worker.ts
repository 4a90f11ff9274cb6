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
 * stored (`response.planned`): audit and publish the lock, send the unlock code, tell the owner and
 * the admins.
 */
export class ResponseWorker {
  /** Responses being carried out, which settled() waits for. */
  private readonly responding = new Set<Promise<void>>();
  /** Responses planned in this turn of the event loop, carried out together at its end. */
  private queued: PlannedResponse[] = [];
  private nextRound: Promise<void> | undefined;

  constructor(private readonly deps: ResponseWorkerDeps) {}

  /**
   * After the events that caused them are stored: audit, codes, notifications, webhooks. Under
   * single-event load each request publishes its own responses, all in the turn its group commit
   * ends: they are gathered until the end of that turn, so that their accounts are read in one query
   * and their audit entries share one append, rather than a read and a transaction each.
   */
  onResponsePlanned(responses: readonly PlannedResponse[]): Promise<void> {
    this.queued.push(...responses);
    this.nextRound ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const round = this.queued;
      this.queued = [];
      this.nextRound = undefined;
      const work = this.respond(round);
      this.responding.add(work);
      return work.finally(() => this.responding.delete(work));
    });
    return this.nextRound;
  }

  /** Waits for responses being carried out (codes, notifications) and the health computations they caused (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.nextRound || this.responding.size > 0) await Promise.allSettled([this.nextRound, ...this.responding]);
    await this.deps.health.settled();
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
    const contacts = await this.contactsFor(responses);
    await Promise.all(
      [...byUser.values()].map(async (list) => {
        for (const r of list) {
          try {
            await this.carryOut(r, contacts);
          } catch (error) {
            this.deps.onError(`response to event ${r.eventId} for ${r.user} failed`, error);
          }
          this.deps.health.markDirty(r.user);
        }
      }),
    );
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

  private async carryOut(r: PlannedResponse, contacts: ReadonlyMap<string, Contact> | undefined): Promise<void> {
    await this.deps.locking.announceResponse(r);
    const sendsCode = sendsUnlockCode(r);
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
}

const sendsUnlockCode = (r: PlannedResponse): boolean => r.actions.includes('send_unlock_code') && r.locked?.unlockBy === 'code';

/** Whether the response sends the account's owner something (a code, a notice), for which their contact is read. */
const reachesOwner = (r: PlannedResponse): boolean => sendsUnlockCode(r) || r.actions.includes('notify_user');
