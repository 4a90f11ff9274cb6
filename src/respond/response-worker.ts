import type { PlannedResponse } from '../domain/response.js';
import type { AccountLocking } from './account-locking.js';
import type { AccountNotices } from './account-notices.js';
import type { OneTimeCodes } from './one-time-codes.js';
import type { AccountStore } from './ports.js';
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

  constructor(private readonly deps: ResponseWorkerDeps) {}

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

  /** Waits for responses being carried out (codes, notifications) and the health computations they caused (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.responding.size > 0) await Promise.allSettled([...this.responding]);
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
    await Promise.all(
      [...byUser.values()].map(async (list) => {
        for (const r of list) {
          try {
            await this.carryOut(r);
          } catch (error) {
            this.deps.onError(`response to event ${r.eventId} for ${r.user} failed`, error);
          }
          this.deps.health.markDirty(r.user);
        }
      }),
    );
  }

  private async carryOut(r: PlannedResponse): Promise<void> {
    await this.deps.locking.announceResponse(r);
    const sendsCode = r.actions.includes('send_unlock_code') && r.locked?.unlockBy === 'code';
    const notifiesUser = r.actions.includes('notify_user');
    // The account is read for its contact only when a code or a notice goes to the owner: most
    // responses (a lock without a code, a note for the admins) need none, and a read per response
    // was the main connection's busiest query under load.
    const contact = sendsCode || notifiesUser ? ((await this.deps.accounts.get(r.user))?.contact ?? {}) : {};
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
