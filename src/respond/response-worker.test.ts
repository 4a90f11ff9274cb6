import { describe, expect, it } from 'vitest';
import type { PlannedResponse } from '../domain/response.js';
import type { AccountLocking } from './account-locking.js';
import type { AccountNotices } from './account-notices.js';
import type { OneTimeCodes } from './one-time-codes.js';
import type { AccountStore, Contact } from './ports.js';
import { ResponseWorker } from './response-worker.js';
import type { SecurityHealth } from './security-health.js';

const CONTACTS = new Map<string, Contact>([
  ['ana', { email: 'ana@example.com' }],
  ['ben', { phone: '+15550100' }],
]);

/** The worker with recording stand-ins for its parts: what it read, and whom it told what. */
function worker() {
  const reads: string[][] = [];
  const told: Array<{ user: string; contact: Contact; what: string }> = [];
  const announced: string[] = [];
  const accounts = {
    contacts: async (users: readonly string[]) => {
      reads.push([...users]);
      return new Map(users.flatMap((u) => (CONTACTS.has(u) ? [[u, CONTACTS.get(u) as Contact] as const] : [])));
    },
    get: async (user: string) => {
      reads.push([user]);
      return undefined;
    },
  } as unknown as AccountStore;
  const deps = {
    accounts,
    locking: { announceResponse: async (r: PlannedResponse) => void announced.push(r.eventId) } as unknown as AccountLocking,
    codes: {
      send: async (user: string, contact: Contact) => {
        told.push({ user, contact, what: 'code' });
        return { ok: true };
      },
    } as unknown as OneTimeCodes,
    notices: {
      notifyUser: async (user: string, contact: Contact) => void told.push({ user, contact, what: 'notice' }),
      notifyAdmins: async () => {},
    } as unknown as AccountNotices,
    health: { markDirty: () => {}, settled: async () => {} } as unknown as SecurityHealth,
    onError: (message: string) => {
      throw new Error(message);
    },
  };
  return { worker: new ResponseWorker(deps), reads, told, announced };
}

const notice = (user: string, eventId: string): PlannedResponse => ({ user, eventId, severity: 'medium', actions: ['notify_user'] });

describe('ResponseWorker', () => {
  it('carries out the responses planned in one turn together: one read of the owners’ contacts, each told at their own', async () => {
    const { worker: w, reads, told, announced } = worker();
    const code: PlannedResponse = {
      user: 'ben',
      eventId: 'evt_3',
      severity: 'high',
      actions: ['lock_sensitive', 'send_unlock_code'],
      locked: { scope: 'sensitive', lockedAt: 1, reason: 'r', lockedBy: 'vigil', unlockBy: 'code' },
    };
    // One publish per request, as single events make them, all in the same turn.
    await Promise.all([
      w.onResponsePlanned([notice('ana', 'evt_1')]),
      w.onResponsePlanned([notice('cyd', 'evt_2')]),
      w.onResponsePlanned([code]),
    ]);
    expect(reads).toEqual([['ana', 'cyd', 'ben']]);
    expect(announced).toEqual(['evt_1', 'evt_2', 'evt_3']);
    expect(told).toEqual([
      { user: 'ana', contact: { email: 'ana@example.com' }, what: 'notice' },
      // No account stored: no contact, as before (the notice finds no one to reach).
      { user: 'cyd', contact: {}, what: 'notice' },
      { user: 'ben', contact: { phone: '+15550100' }, what: 'code' },
    ]);
  });

  it('reads no account for responses that reach no owner, and waits for planned ones when settling', async () => {
    const { worker: w, reads, announced } = worker();
    void w.onResponsePlanned([{ user: 'ana', eventId: 'evt_9', severity: 'critical', actions: ['notify_admins'] }]);
    await w.settled();
    expect(announced).toEqual(['evt_9']);
    expect(reads).toEqual([]);
  });
});
