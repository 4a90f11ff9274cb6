import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../domain/activity-event.js';
import { GroupCommitWriter } from './group-commit.js';
import { type CommitReceipt, type EventStore, NO_OCCURRENCES } from './ports.js';

/** A store whose inserts finish when the test says so, recording what each one was given. */
function slowStore(orderedInserts: number) {
  const inserts: Array<{ ids: string[]; finish(error?: Error): void }> = [];
  let underWay = 0;
  let mostUnderWay = 0;
  const store = {
    orderedInserts,
    insert(events: readonly StoredEvent[]) {
      underWay++;
      mostUnderWay = Math.max(mostUnderWay, underWay);
      return new Promise<CommitReceipt>((resolve, reject) => {
        inserts.push({
          ids: events.map((e) => e.id),
          finish: (error) => {
            underWay--;
            if (error) reject(error);
            else resolve({ duplicates: new Set(), alertOccurrences: NO_OCCURRENCES });
          },
        });
      });
    },
  } as unknown as EventStore;
  return { store, inserts, mostUnderWay: () => mostUnderWay };
}

const event = (id: string) => ({ id }) as unknown as StoredEvent;
/** Lets setImmediate callbacks and the promise jobs they start run. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 5));

function track(p: Promise<unknown>) {
  const state = { settled: false as boolean | 'rejected' };
  p.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = 'rejected';
    },
  );
  return state;
}

describe('group commit', () => {
  it('writes what is asked for in the same turn in one insert, and answers once it is committed', async () => {
    const { store, inserts } = slowStore(1);
    const writer = new GroupCommitWriter(store);
    const a = track(writer.write([event('a')], []));
    const b = track(writer.write([event('b'), event('c')], []));
    await turn();
    expect(inserts.map((i) => i.ids)).toEqual([['a', 'b', 'c']]);
    expect([a.settled, b.settled]).toEqual([false, false]);
    inserts[0]?.finish();
    await turn();
    expect([a.settled, b.settled]).toEqual([true, true]);
  });

  it('with a store that commits one insert at a time, waits for it before the next group', async () => {
    const { store, inserts, mostUnderWay } = slowStore(1);
    const writer = new GroupCommitWriter(store);
    void writer.write([event('a')], []);
    await turn();
    void writer.write([event('b')], []);
    void writer.write([event('c')], []);
    await turn();
    expect(inserts.map((i) => i.ids)).toEqual([['a']]);
    inserts[0]?.finish();
    await turn();
    expect(inserts.map((i) => i.ids)).toEqual([['a'], ['b', 'c']]);
    inserts[1]?.finish();
    await writer.flushed();
    expect(mostUnderWay()).toBe(1);
  });

  it('with a store that keeps inserts in order, hands over the next group while one commits, never more than it takes', async () => {
    const { store, inserts, mostUnderWay } = slowStore(2);
    const writer = new GroupCommitWriter(store);
    const a = track(writer.write([event('a')], []));
    await turn();
    const b = track(writer.write([event('b')], []));
    await turn();
    const c = track(writer.write([event('c')], []));
    const d = track(writer.write([event('d')], []));
    await turn();
    // a and b are under way; c and d wait for one of them.
    expect(inserts.map((i) => i.ids)).toEqual([['a'], ['b']]);
    inserts[0]?.finish();
    await turn();
    expect([a.settled, b.settled, c.settled]).toEqual([true, false, false]);
    expect(inserts.map((i) => i.ids)).toEqual([['a'], ['b'], ['c', 'd']]);
    inserts[1]?.finish();
    inserts[2]?.finish();
    await writer.flushed();
    expect([b.settled, c.settled, d.settled]).toEqual([true, true, true]);
    expect(mostUnderWay()).toBe(2);
  });

  it('sends a full group at once, without waiting for the turn to end, while there is room for it', async () => {
    const { store, inserts } = slowStore(2);
    const writer = new GroupCommitWriter(store);
    const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => event(`${prefix}${i}`));
    void writer.write(many('a', 300), []);
    // Sent in the same turn: the writer starts on it while the caller goes on scoring.
    expect(inserts.map((i) => i.ids.length)).toEqual([300]);
    void writer.write(many('b', 10), []);
    void writer.write(many('c', 10), []);
    expect(inserts.length).toBe(1);
    await turn();
    // Small writes still wait for the end of the turn, and go together.
    expect(inserts.map((i) => i.ids.length)).toEqual([300, 20]);
    // No place left: even a full group waits for one of the two to finish.
    void writer.write(many('d', 300), []);
    await turn();
    expect(inserts.length).toBe(2);
    inserts[0]?.finish();
    await turn();
    expect(inserts.map((i) => i.ids.length)).toEqual([300, 20, 300]);
    inserts[1]?.finish();
    inserts[2]?.finish();
    await writer.flushed();
  });

  it('fails the writes of a failed insert only, and goes on with the next', async () => {
    const { store, inserts } = slowStore(2);
    const writer = new GroupCommitWriter(store);
    const a = track(writer.write([event('a')], []));
    await turn();
    const b = track(writer.write([event('b')], []));
    await turn();
    inserts[0]?.finish(new Error('disk full'));
    inserts[1]?.finish();
    await turn();
    expect([a.settled, b.settled]).toEqual(['rejected', true]);
    const c = track(writer.write([event('c')], []));
    await turn();
    inserts[2]?.finish();
    await writer.flushed();
    expect(c.settled).toBe(true);
  });

  it('flushed() waits for the groups under way and the one about to start', async () => {
    const { store, inserts } = slowStore(2);
    const writer = new GroupCommitWriter(store);
    const a = track(writer.write([event('a')], []));
    let flushed = false;
    const flushing = writer.flushed().then(() => {
      flushed = true;
    });
    await turn();
    expect(flushed).toBe(false);
    inserts[0]?.finish();
    await flushing;
    expect(a.settled).toBe(true);
  });
});
