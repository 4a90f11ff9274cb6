/**
 * A byte budget shared by keyed pieces of detection state (users', IPs' and devices' timelines,
 * amounts, profiles, story marks). Counts alone do not bound memory: a key's timeline can hold one
 * event or three hundred, so a cap of keys allows tens of gigabytes. Every kept key carries an
 * estimate of its bytes; when the total passes the budget, the least recently active keys go first,
 * whatever their kind, as one list across all the maps.
 *
 * "Active" means written: reads happen while scoring an event whose keys are written a moment later,
 * so touching on write alone keeps the same order at half the cost.
 */
export class ByteBudget {
  private head: BudgetEntry<unknown> | undefined;
  private tail: BudgetEntry<unknown> | undefined;
  private total = 0;
  private keys = 0;
  private evicted = 0;

  constructor(readonly limitBytes: number) {
    if (!(limitBytes > 0)) throw new RangeError(`a byte budget must be positive, got ${limitBytes}`);
  }

  /** Bytes estimated for everything kept, keys kept, and keys evicted to stay within the budget. */
  usage(): BudgetUsage {
    return { limitBytes: this.limitBytes, bytes: this.total, keys: this.keys, evictedKeys: this.evicted };
  }

  /** Every kept entry, the least recently active first: the order a snapshot keeps. */
  *entries(): IterableIterator<BudgetEntry<unknown>> {
    for (let entry = this.head; entry !== undefined; entry = entry.next) yield entry;
  }

  /** @internal Makes the entry the most recently active (linking it if new). */
  touch(entry: BudgetEntry<unknown>): void {
    if (this.tail === entry) return;
    if (this.isLinked(entry)) this.unlink(entry);
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    this.keys++;
    this.total += entry.bytes;
  }

  /** @internal The entry's estimate changed by delta bytes. */
  charge(entry: BudgetEntry<unknown>, delta: number): void {
    entry.bytes += delta;
    if (this.isLinked(entry)) this.total += delta;
  }

  /** @internal Removes the entry from the list (its map drops it). */
  unlink(entry: BudgetEntry<unknown>): void {
    if (!this.isLinked(entry)) return;
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = undefined;
    this.keys--;
    this.total -= entry.bytes;
  }

  /** In the list: every entry there but the head has a previous one (no flag of its own: 8 bytes a key). */
  private isLinked(entry: BudgetEntry<unknown>): boolean {
    return entry.prev !== undefined || this.head === entry;
  }

  /**
   * Evicts the least recently active keys until the total fits. The most recent key is never
   * evicted: it is the one being written, and one key alone is bounded by the per-key caps.
   */
  enforce(): void {
    while (this.total > this.limitBytes && this.head !== undefined && this.head !== this.tail) {
      const victim = this.head;
      this.unlink(victim);
      victim.owner.drop(victim.key);
      this.evicted++;
    }
  }
}

export interface BudgetUsage {
  readonly limitBytes: number;
  readonly bytes: number;
  readonly keys: number;
  readonly evictedKeys: number;
}

/** One kept key: its value, its estimated bytes, and its place in the budget's list. */
export class BudgetEntry<V> {
  prev: BudgetEntry<unknown> | undefined;
  next: BudgetEntry<unknown> | undefined;

  constructor(
    readonly owner: BudgetedMap<V>,
    readonly key: string,
    /** Replaceable: a value kept exactly sized is copied when it grows. */
    public value: V,
    public bytes: number,
  ) {}
}

/**
 * A map of one kind of state (say, timelines per IP) whose keys count against a shared ByteBudget.
 * The caller estimates: `upsert` returns the entry, the caller changes the value and charges the
 * difference, then asks the budget to `enforce` once the whole event is recorded.
 */
export class BudgetedMap<V> {
  private readonly entries = new Map<string, BudgetEntry<V>>();

  constructor(
    private readonly budget: ByteBudget,
    /** Bytes of an empty value and of the key's place in the map, charged when the key is added. */
    private readonly overheadBytes: number,
    /**
     * Called with the value of a key that is forgotten (evicted or deleted), after the budget took
     * back its estimate: what it shared with other keys can move its charge to them.
     */
    private readonly onDrop?: (value: V) => void,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value kept for a key, without making it more recently active. */
  get(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** The key's entry, created with `create` if absent, now the most recently active. */
  upsert(key: string, create: () => V): BudgetEntry<V> {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = new BudgetEntry(this, key, create(), this.overheadBytes + stringBytes(key));
      this.entries.set(key, entry);
    }
    this.budget.touch(entry as BudgetEntry<unknown>);
    return entry;
  }

  /** Adds delta bytes to the entry's estimate. */
  charge(entry: BudgetEntry<V>, delta: number): void {
    if (delta !== 0) this.budget.charge(entry as BudgetEntry<unknown>, delta);
  }

  /** Adds delta bytes to the estimate of a key, if it is kept, without making it more recently active. */
  chargeKey(key: string, delta: number): void {
    const entry = this.entries.get(key);
    if (entry !== undefined && delta !== 0) this.budget.charge(entry as BudgetEntry<unknown>, delta);
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.budget.unlink(entry as BudgetEntry<unknown>);
    this.entries.delete(key);
    this.onDrop?.(entry.value);
  }

  /** @internal Called by the budget when it evicts this key. */
  drop(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.onDrop?.(entry.value);
  }
}

/**
 * V8's size of a flat one-byte string of this length: a 16-byte header and the characters, rounded
 * to 8 bytes. Identifiers, addresses and user agents are ASCII; the rare two-byte string is
 * undercounted by its length, which the per-object margins of the callers cover.
 */
export function stringBytes(s: string | undefined): number {
  if (s === undefined) return 0;
  return 16 + ((s.length + 7) & ~7);
}
