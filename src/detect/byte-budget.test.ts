import { describe, expect, it } from 'vitest';
import { BudgetedMap, ByteBudget, stringBytes } from './byte-budget.js';

/** What a budget's own columns take with n keys (they are counted in its total). */
function columnsWith(n: number): number {
  const budget = new ByteBudget(1e12);
  const map = new BudgetedMap<number>(budget, 0);
  for (let i = 0; i < n; i++) map.upsert(`c${i}`, () => i);
  return budget.usage().columnBytes;
}
/** A budget's estimate of its keys alone. */
const keyBytes = (budget: ByteBudget) => budget.usage().bytes - budget.usage().columnBytes;

describe('ByteBudget', () => {
  it('evicts the least recently written keys first, across maps, until the total fits', () => {
    // 1,000 bytes for the keys, and what the columns take with four.
    const budget = new ByteBudget(1000 + columnsWith(4));
    const a = new BudgetedMap<string[]>(budget, 100);
    const b = new BudgetedMap<string[]>(budget, 100);
    const k1 = a.upsert('k1', () => []);
    const k2 = b.upsert('k2', () => []);
    const k3 = a.upsert('k3', () => []);
    expect(budget.usage()).toMatchObject({ keys: 3, evictedKeys: 0 });
    expect(keyBytes(budget)).toBe(3 * 100 + 3 * stringBytes('k1'));
    a.charge(k1, 200);
    b.charge(k2, 200);
    a.charge(k3, 200);
    // k1 is written again: now k2 is the least recently active.
    a.upsert('k1', () => []);
    budget.enforce();
    expect(keyBytes(budget)).toBeLessThanOrEqual(1000);
    expect([a.get('k1'), b.get('k2'), a.get('k3')].map((v) => v !== undefined)).toEqual([true, true, true]);
    a.upsert('k4', () => []);
    budget.enforce();
    expect(b.get('k2')).toBeUndefined();
    expect(a.get('k1')).toBeDefined();
    expect(a.get('k3')).toBeDefined();
    expect(a.get('k4')).toBeDefined();
    expect(budget.usage()).toMatchObject({ keys: 3, evictedKeys: 1 });
    expect(budget.usage().bytes).toBeLessThanOrEqual(budget.limitBytes);
    expect(a.bytesAt(a.upsert('k1', () => [])) + a.bytesAt(a.upsert('k3', () => [])) + 100 + stringBytes('k4')).toBe(keyBytes(budget));
  });

  it('never evicts the key being written, even when it alone is over the budget', () => {
    const budget = new ByteBudget(100);
    const m = new BudgetedMap<number[]>(budget, 10);
    m.upsert('old', () => []);
    const big = m.upsert('big', () => []);
    m.charge(big, 500);
    budget.enforce();
    expect(m.get('old')).toBeUndefined();
    expect(m.get('big')).toBeDefined();
    expect(budget.usage().keys).toBe(1);
  });

  it('gives back what a deleted key was charged', () => {
    const budget = new ByteBudget(10_000);
    const m = new BudgetedMap<number[]>(budget, 10);
    const e = m.upsert('x', () => []);
    m.charge(e, 90);
    const before = budget.usage().bytes;
    m.delete('x');
    expect(budget.usage().keys).toBe(0);
    expect(budget.usage().bytes).toBe(before - 10 - stringBytes('x') - 90);
    expect(keyBytes(budget)).toBe(0);
    expect(m.size).toBe(0);
  });

  it('keeps every key, its value and its estimate across thousands of keys, deletions and evictions, in the order of activity', () => {
    // Past the columns' first size (they grow), with freed rows taken again by new keys.
    const budget = new ByteBudget(3000 * 100);
    const maps = [new BudgetedMap<string>(budget, 0), new BudgetedMap<string>(budget, 0)];
    const dropped: string[] = [];
    const watched = new BudgetedMap<string>(budget, 0, (v) => dropped.push(v));
    maps.push(watched);
    const expected = new Map<string, { map: number; value: string; bytes: number }>();
    let evictions = 0;
    let peakKeys = 0;
    let highestSlot = 0;
    let x = 7;
    const next = () => {
      // xorshift32: deterministic, no wall clock.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) >>> 8;
    };
    for (let n = 0; n < 20_000; n++) {
      const m = next() % 3;
      const key = `k${next() % 6000}`;
      const map = maps[m] as BudgetedMap<string>;
      if (next() % 10 === 0) {
        const had = map.get(key);
        map.delete(key);
        if (had !== undefined) expect(expected.delete(`${m}:${key}`)).toBe(true);
        continue;
      }
      const slot = map.upsert(key, () => `v${n}`);
      highestSlot = Math.max(highestSlot, slot);
      peakKeys = Math.max(peakKeys, budget.usage().keys);
      const bytes = 1 + (next() % 150);
      map.charge(slot, bytes - map.bytesAt(slot));
      const id = `${m}:${key}`;
      const known = expected.get(id);
      expect(map.valueAt(slot)).toBe(known?.value ?? `v${n}`);
      expect(map.keyAt(slot)).toBe(key);
      if (known === undefined) map.setValueAt(slot, `w${n}`);
      expected.delete(id);
      expected.set(id, { map: m, value: known?.value ?? `w${n}`, bytes });
      const before = budget.usage().evictedKeys;
      budget.enforce();
      // The evicted are the least recently written: the first of the insertion order kept here.
      for (let k = before; k < budget.usage().evictedKeys; k++) {
        const [oldest] = expected.keys();
        expected.delete(oldest as string);
        evictions++;
      }
    }
    expect(evictions).toBeGreaterThan(1000);
    // Rows of forgotten keys are taken again: no more rows than keys ever kept at once.
    expect(highestSlot).toBeLessThan(peakKeys);
    const kept = [...budget.entries()].map((e) => `${maps.indexOf(e.owner as BudgetedMap<string>)}:${e.key}=${String(e.value)}/${e.bytes}`);
    expect(kept).toEqual([...expected].map(([id, v]) => `${id}=${v.value}/${v.bytes}`));
    expect(budget.usage().keys).toBe(expected.size);
    expect(keyBytes(budget)).toBe([...expected.values()].reduce((sum, v) => sum + v.bytes, 0));
    expect(budget.usage().bytes).toBeLessThanOrEqual(budget.limitBytes);
    for (const [id, v] of expected) expect((maps[v.map] as BudgetedMap<string>).get(id.slice(2))).toBe(v.value);
    expect(maps.reduce((sum, m) => sum + m.size, 0)).toBe(expected.size);
    // The watched map's forgotten values went to its onDrop, deleted or evicted.
    expect(dropped.length).toBeGreaterThan(0);
    for (const v of dropped) expect(v).toMatch(/^w/);
  });

  it('shrinks its columns when most keys are gone, so that a budget smaller than they were still keeps keys', () => {
    // A restore adds every key of a snapshot before it enforces the budget: 20,000 keys, then a budget
    // that holds about a tenth of them.
    const budget = new ByteBudget(200_000);
    const map = new BudgetedMap<number>(budget, 0);
    for (let i = 0; i < 20_000; i++)
      map.charge(
        map.upsert(`k${i}`, () => i),
        10 - stringBytes(`k${i}`),
      );
    const grown = budget.usage().columnBytes;
    expect(grown).toBeGreaterThan(20_000 * 33);
    budget.enforce();
    const { keys, bytes, columnBytes } = budget.usage();
    expect(bytes).toBeLessThanOrEqual(200_000);
    // Without shrinking, the columns alone were over the budget and every key but one would go.
    expect(keys).toBeGreaterThan(2_000);
    expect(columnBytes).toBeLessThan(grown / 4);
    // The most recent keys are the ones kept, each with its value, and new keys still come in order.
    for (const i of [19_999, 19_000, 20_000 - keys]) expect(map.get(`k${i}`)).toBe(i);
    expect(map.get(`k${19_999 - keys}`)).toBeUndefined();
    map.upsert('new', () => -1);
    budget.enforce();
    expect([...budget.entries()].at(-1)?.key).toBe('new');
    expect([...budget.entries()].map((e) => e.key).slice(-3, -1)).toEqual(['k19998', 'k19999']);
    // Deleting most of what is left shrinks them again.
    for (let i = 20_000 - keys; i < 19_990; i++) map.delete(`k${i}`);
    expect(budget.usage().keys).toBe(11);
    expect(budget.usage().columnBytes).toBeLessThan(columnBytes / 4);
    expect([...budget.entries()].map((e) => [e.key, e.value])).toEqual([
      ...Array.from({ length: 10 }, (_, k) => [`k${19_990 + k}`, 19_990 + k]),
      ['new', -1],
    ]);
  });

  it('after a restore larger than the budget, keeps as many keys as fit in columns made to their number', () => {
    // 20,000 keys of 10 bytes each, then a budget that holds 15,000 of them with columns for 15,000:
    // their columns, made for 20,000, are most of it. Shrinking them only once half the rows were
    // free (the first version) kept under 10,000.
    const fits = 15_000;
    const columnsFor = (keys: number) => 2 * keys * 17 + 2 * 8 * (Math.ceil(1.5 * keys) + 16);
    const budget = new ByteBudget(10 * fits + columnsFor(fits));
    const map = new BudgetedMap<number>(budget, 0);
    for (let i = 0; i < 20_000; i++)
      map.charge(
        map.upsert(`k${i}`, () => i),
        10 - stringBytes(`k${i}`),
      );
    budget.enforce();
    expect(budget.usage().bytes).toBeLessThanOrEqual(budget.limitBytes);
    expect(budget.usage().keys).toBe(fits);
    expect(budget.usage().columnBytes).toBe(columnsFor(fits));
    expect(map.get('k4999')).toBeUndefined();
    expect([5_000, 12_345, 19_999].map((i) => map.get(`k${i}`))).toEqual([5_000, 12_345, 19_999]);
  });

  it('does not compact its columns at every eviction while its keys grow and fewer fit', () => {
    // 10,000 keys fill the budget; then the newest key grows by 20 bytes at a time, each step evicting
    // an old key and freeing its row. Compacting as soon as the freed rows would make room would be a
    // pass over every key at every step, once the columns are no larger than the keys need.
    const columnsFor = (keys: number) => 2 * keys * 17 + 2 * 8 * (Math.ceil(1.5 * keys) + 16);
    const budget = new ByteBudget(10 * 10_000 + columnsFor(10_000));
    const map = new BudgetedMap<number>(budget, 0);
    for (let i = 0; i < 10_000; i++)
      map.charge(
        map.upsert(`k${i}`, () => i),
        10 - stringBytes(`k${i}`),
      );
    budget.enforce();
    let moved = 0;
    const relocate = map.relocate.bind(map);
    map.relocate = (key, slot) => {
      moved++;
      relocate(key, slot);
    };
    map.upsert('growing', () => -1);
    for (let step = 0; step < 20_000; step++) {
      map.chargeKey('growing', 20);
      budget.enforce();
    }
    expect(map.get('growing')).toBe(-1);
    expect(budget.usage().keys).toBeLessThan(6_000);
    expect(budget.usage().bytes).toBeLessThanOrEqual(budget.limitBytes);
    // A few compactions over the whole run, each moving every kept key once.
    expect(moved).toBeLessThan(10 * 10_000);
  });

  it('refuses a budget that is not positive', () => {
    expect(() => new ByteBudget(0)).toThrow(RangeError);
    expect(() => new ByteBudget(Number.NaN)).toThrow(RangeError);
  });
});
