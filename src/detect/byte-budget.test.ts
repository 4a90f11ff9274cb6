import { describe, expect, it } from 'vitest';
import { BudgetedMap, ByteBudget, stringBytes } from './byte-budget.js';

describe('ByteBudget', () => {
  it('evicts the least recently written keys first, across maps, until the total fits', () => {
    const budget = new ByteBudget(1000);
    const a = new BudgetedMap<string[]>(budget, 100);
    const b = new BudgetedMap<string[]>(budget, 100);
    const k1 = a.upsert('k1', () => []);
    const k2 = b.upsert('k2', () => []);
    const k3 = a.upsert('k3', () => []);
    expect(budget.usage()).toMatchObject({ keys: 3, bytes: 3 * 100 + 3 * stringBytes('k1'), evictedKeys: 0 });
    a.charge(k1, 200);
    b.charge(k2, 200);
    a.charge(k3, 200);
    // k1 is written again: now k2 is the least recently active.
    a.upsert('k1', () => []);
    budget.enforce();
    expect(budget.usage().bytes).toBeLessThanOrEqual(1000);
    expect([a.get('k1'), b.get('k2'), a.get('k3')].map((v) => v !== undefined)).toEqual([true, true, true]);
    a.upsert('k4', () => []);
    budget.enforce();
    expect(b.get('k2')).toBeUndefined();
    expect(a.get('k1')).toBeDefined();
    expect(a.get('k3')).toBeDefined();
    expect(a.get('k4')).toBeDefined();
    expect(budget.usage()).toMatchObject({ keys: 3, evictedKeys: 1 });
    expect(budget.usage().bytes).toBeLessThanOrEqual(1000);
    expect(k1.bytes + k3.bytes + (a.get('k4') ? 100 + stringBytes('k4') : 0)).toBe(budget.usage().bytes);
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
    expect(budget.usage()).toMatchObject({ keys: 0, bytes: before - e.bytes });
    expect(budget.usage().bytes).toBe(0);
    expect(m.size).toBe(0);
  });

  it('refuses a budget that is not positive', () => {
    expect(() => new ByteBudget(0)).toThrow(RangeError);
    expect(() => new ByteBudget(Number.NaN)).toThrow(RangeError);
  });
});
