import { describe, expect, it } from 'vitest';
import { partitionOf } from './partitions.js';

describe('partitionOf', () => {
  it('is stable: the same user, the same partition, on every process', () => {
    // Fixed expectations: a change of hash would move every user to another worker on upgrade.
    expect(partitionOf('alice', 64)).toBe(39);
    expect(partitionOf('', 64)).toBe(0x811c9dc5 % 64);
    expect(partitionOf('zoë', 1)).toBe(0);
  });

  it('spreads users evenly over partitions', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[partitionOf(`user-${i}`, 16)]++;
    for (const n of counts) expect(n).toBeGreaterThan(800);
    for (const n of counts) expect(n).toBeLessThan(1200);
  });
});
