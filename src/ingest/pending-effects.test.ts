import { describe, expect, it } from 'vitest';
import type { Bus } from '../bus/bus.js';
import type { Alert } from '../domain/alert.js';
import type { OwedEffects } from '../domain/owed-effects.js';
import type { PlannedResponse } from '../domain/response.js';
import { PendingEffects, type PendingEffectsStore } from './pending-effects.js';

const NOW = Date.parse('2026-12-06T10:00:00Z');

/** The table, in memory: rows are "committed" by the test, as the group commit would. */
class MemoryStore implements PendingEffectsStore {
  readonly rows = new Map<string, OwedEffects>();
  async list(after: string | undefined, limit: number): Promise<readonly OwedEffects[]> {
    return [...this.rows.values()]
      .filter((r) => after === undefined || r.id > after)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, limit);
  }
  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.rows.delete(id);
  }
}

const alert = (id: string, user: string) => ({ id, user }) as unknown as Alert;
const lockOf = (user: string): PlannedResponse => ({
  user,
  eventId: `evt_${user}`,
  alertId: `alr_${user}`,
  severity: 'high',
  actions: ['lock_sensitive', 'send_unlock_code'],
});

function setUp() {
  const store = new MemoryStore();
  const announced: string[] = [];
  const carried: Array<{ user: string; again: boolean }> = [];
  /** Users whose next response fails once. */
  const failing = new Set<string>();
  let hold: Promise<void> | undefined;
  const carry = (again: boolean) => async (responses: readonly PlannedResponse[]) => {
    await hold;
    let all = true;
    for (const r of responses) {
      carried.push({ user: r.user, again });
      if (failing.delete(r.user)) all = false;
    }
    return all;
  };
  const effects = new PendingEffects({
    store,
    alert: async (id) => alert(id, 'stored'),
    bus: {
      deliver: async (_topic: string, alerts: readonly Alert[]) => {
        for (const a of alerts) announced.push(a.id);
      },
    } as unknown as Bus,
    responses: { onResponsePlanned: carry(false), resume: carry(true) },
    clock: { now: () => NOW },
    onError: () => {},
  });
  /** A batch scored, written and committed: as the ingest pipeline does it. */
  const commit = (user: string, raised: Alert[], responses: PlannedResponse[]) => {
    const owed = effects.owe(user, raised, responses, NOW) as OwedEffects;
    store.rows.set(owed.id, owed);
    return owed;
  };
  return {
    store,
    effects,
    announced,
    carried,
    commit,
    failNextResponseOf: (user: string) => failing.add(user),
    holdResponses: (until: Promise<void>) => {
      hold = until;
    },
  };
}

describe('PendingEffects', () => {
  it('owes nothing for a batch that raised no alert and planned no response', () => {
    const { effects } = setUp();
    expect(effects.owe('ana', [], [], NOW)).toBeUndefined();
  });

  it('deletes a row once all of it is carried out, and keeps one whose response failed for the next pass', async () => {
    const { store, effects, announced, carried, commit, failNextResponseOf } = setUp();
    const ok = commit('ana', [alert('alr_ana', 'ana')], [lockOf('ana')]);
    effects.carryOut(ok, [alert('alr_ana', 'ana')]);
    failNextResponseOf('ben');
    const failing = commit('ben', [], [lockOf('ben')]);
    effects.carryOut(failing, []);
    await effects.settled();
    await effects.close();
    expect(announced).toEqual(['alr_ana']);
    expect([...store.rows.keys()]).toEqual([failing.id]);

    // A pass carries the failed one out again, as owed from before (`resume`), and then deletes it.
    expect(await effects.resume()).toBe(1);
    await effects.close();
    expect(carried).toEqual([
      { user: 'ana', again: false },
      { user: 'ben', again: false },
      { user: 'ben', again: true },
    ]);
    expect(store.rows.size).toBe(0);
  });

  it('takes up rows left by a process that died, announcing their alerts as stored now, but not those under way here or of other partitions', async () => {
    const { store, effects, announced, carried, commit } = setUp();
    // Left by an earlier run: in the table, unknown to this process.
    const left: OwedEffects = { id: 'fx_0001', user: 'ana', createdAt: NOW, raised: ['alr_ana'], responses: [lockOf('ana')] };
    const otherPartition: OwedEffects = { id: 'fx_0002', user: 'zed', createdAt: NOW, raised: [], responses: [lockOf('zed')] };
    store.rows.set(left.id, left);
    store.rows.set(otherPartition.id, otherPartition);
    // Committed here a moment ago, its carrying out not begun yet.
    const mine = commit('ben', [], [lockOf('ben')]);

    expect(await effects.resume((user) => user !== 'zed')).toBe(1);
    await effects.settled((user) => user === 'ana');
    expect(announced).toEqual(['alr_ana']);
    expect(carried).toEqual([{ user: 'ana', again: true }]);

    effects.carryOut(mine, []);
    await effects.close();
    expect(carried).toEqual([
      { user: 'ana', again: true },
      { user: 'ben', again: false },
    ]);
    expect([...store.rows.keys()]).toEqual([otherPartition.id]);
  });

  it('leaves to a later pass the rows written after the moment it is given', async () => {
    const { store, effects, carried } = setUp();
    store.rows.set('fx_0001', { id: 'fx_0001', user: 'old', createdAt: NOW - 180_000, raised: [], responses: [lockOf('old')] });
    store.rows.set('fx_0002', { id: 'fx_0002', user: 'new', createdAt: NOW - 30_000, raised: [], responses: [lockOf('new')] });
    expect(await effects.resume(() => true, NOW - 120_000)).toBe(1);
    await effects.close();
    expect(carried).toEqual([{ user: 'old', again: true }]);
    expect([...store.rows.keys()]).toEqual(['fx_0002']);
  });

  it('waits, for a partition given up, for its own rows only', async () => {
    const { effects, commit, holdResponses } = setUp();
    let release = () => {};
    holdResponses(
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    effects.carryOut(commit('ana', [], [lockOf('ana')]), []);
    // Ben's row is not Ana's partition's: settling for another user is immediate.
    await effects.settled((user) => user === 'ben');
    let settled = false;
    const waiting = effects
      .settled((user) => user === 'ana')
      .then(() => {
        settled = true;
      });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    release();
    await waiting;
    expect(settled).toBe(true);
    await effects.close();
  });

  it('forgets a row whose batch was never written', async () => {
    const { effects } = setUp();
    const owed = effects.owe('ana', [], [lockOf('ana')], NOW) as OwedEffects;
    effects.cancel(owed);
    // Nothing is under way: settling returns at once.
    await effects.settled();
  });
});
