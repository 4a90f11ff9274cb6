import { LRUCache } from 'lru-cache';

/**
 * A least-recently-used cache of at most `maxEntries` entries whose storage grows with use.
 * `new LRUCache({ max })` allocates and fills its arrays for `max` entries up front: 35 ms and a few
 * megabytes per 100,000, for each of the dozen caches a Vigil holds (the suite builds a Vigil per
 * test, and most caches stay nearly empty). Bounded by size instead, each entry counting 1, the
 * cache evicts the same way at the same bound and allocates only what it holds.
 */
export function boundedCache<K extends {}, V extends {}>(
  maxEntries: number,
  options: Omit<LRUCache.Options<K, V, unknown>, 'max' | 'maxSize' | 'sizeCalculation'> = {},
): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: maxEntries, sizeCalculation: () => 1 } as LRUCache.Options<K, V, unknown>);
}
