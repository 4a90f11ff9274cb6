import { describe, expect, it } from 'vitest';
import type { EventResult } from '../domain/event-schema.js';
import { Deduplicator, type Pending } from './deduplicator.js';

const result = (id: string): EventResult => ({ id, decision: 'allow', risk: 0, severity: 'none', reasons: [] });
const pending = (index: number, id?: string): Pending =>
  ({ index, event: { type: 'login.succeeded', user: 'alice', ...(id !== undefined && { id }) } }) as Pending;

describe('Deduplicator', () => {
  it('processes new ids and events without one, answers stored ids with their first answer', async () => {
    const d = new Deduplicator({ findResults: async (ids) => new Map(ids.filter((id) => id === 'old').map((id) => [id, result(id)])) });
    const claim = await d.claim([pending(0, 'new'), pending(1), pending(2, 'old')]);
    expect(claim.fresh.map((p) => p.index)).toEqual([0, 1]);
    expect(claim.storedBefore).toEqual([{ pending: pending(2, 'old'), result: result('old') }]);
    claim.settle(new Map());
  });

  it("answers a repeat within a request, and one in a concurrent request, with the first copy's answer", async () => {
    const d = new Deduplicator({ findResults: async () => new Map() });
    const first = await d.claim([pending(0, 'x'), pending(1, 'x')]);
    const second = await d.claim([pending(0, 'x')]);
    expect(first.fresh.map((p) => p.index)).toEqual([0]);
    expect(second.fresh).toEqual([]);
    const answers = new Map([['x', result('x')]]);
    const secondRepeats = second.repeats(new Map());
    first.settle(answers);
    expect(await first.repeats(answers)).toEqual([{ index: 1, id: 'x', result: result('x') }]);
    expect(await secondRepeats).toEqual([{ index: 0, id: 'x', result: result('x') }]);
    // Released: a later request claims the id afresh (and would find it stored).
    expect((await d.claim([pending(0, 'x')])).fresh).toHaveLength(1);
  });

  it('does not look up ids Vigil made for a first try, but still answers their repeats in flight once', async () => {
    const lookedUp: string[][] = [];
    const d = new Deduplicator({
      findResults: async (ids) => {
        lookedUp.push([...ids]);
        return new Map();
      },
    });
    const first = await d.claim([pending(0, 'made-1'), pending(1, 'made-2')], new Set(['made-1', 'made-2']));
    expect(lookedUp).toEqual([]);
    expect(first.fresh.map((p) => p.index)).toEqual([0, 1]);
    // A client's id in the same request is still looked up.
    const mixed = await d.claim([pending(0, 'made-3'), pending(1, 'client-1')], new Set(['made-3']));
    expect(lookedUp).toEqual([['client-1']]);
    mixed.settle(new Map());
    // A retry of a made id (no longer new) while the first try runs waits for its answer.
    const retry = await d.claim([pending(0, 'made-1')]);
    expect(retry.fresh).toEqual([]);
    const answers = new Map([['made-1', result('made-1')]]);
    const repeats = retry.repeats(new Map());
    first.settle(answers);
    expect(await repeats).toEqual([{ index: 0, id: 'made-1', result: result('made-1') }]);
  });

  it('releases its claims when the store cannot be read, so the id is not stuck', async () => {
    let fail = true;
    const d = new Deduplicator({
      findResults: async () => {
        if (fail) throw new Error('database down');
        return new Map();
      },
    });
    await expect(d.claim([pending(0, 'y')])).rejects.toThrow('database down');
    fail = false;
    expect((await d.claim([pending(0, 'y')])).fresh).toHaveLength(1);
  });
});
