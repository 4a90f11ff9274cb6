/**
 * A byte budget shared by keyed pieces of detection state (users', IPs' and devices' timelines,
 * amounts, profiles, story marks). Counts alone do not bound memory: a key's timeline can hold one
 * event or three hundred, so a cap of keys allows tens of gigabytes. Every kept key carries an
 * estimate of its bytes; when the total passes the budget, the least recently active keys go first,
 * whatever their kind, as one list across all the maps.
 *
 * "Active" means written: reads happen while scoring an event whose keys are written a moment later,
 * so touching on write alone keeps the same order at half the cost.
 *
 * The kept keys are rows of columns (a slot each): their key, value, map, estimate, and neighbours in
 * the list of activity. An object per key with the same fields took 72 bytes; a row takes 33, and
 * there are millions of keys (an account has a timeline, a profile, and one or two addresses' and
 * devices' timelines). The columns are counted in the total as they are (`columnBytes`), room for rows
 * to come and rows given back included, and are made smaller again when most of their rows are free,
 * or when many are and that is what is over the budget (see enforce): a restore into a smaller budget,
 * or a load that moves from many small keys to fewer large ones, leaves them longer than the keys
 * kept, which the objects did not (the collector took them).
 */
export class ByteBudget {
  private keys: Array<string | undefined> = [];
  private values: unknown[] = [];
  /** Each slot's map, by its number in `maps`. */
  private owners = new Uint8Array(INITIAL_SLOTS);
  private readonly maps: BudgetedMap<unknown>[] = [];
  private bytes = new Float64Array(INITIAL_SLOTS);
  /** The list of activity, the least recent first; NONE ends it. A freed slot's `next` is the next free one. */
  private prev = new Int32Array(INITIAL_SLOTS);
  private next = new Int32Array(INITIAL_SLOTS);
  private head = NONE;
  private tail = NONE;
  /** Slots given back, to be taken again before new ones. */
  private free = NONE;
  /** Slots ever used: the next new one. */
  private used = 0;
  private total = 0;
  private count = 0;
  private evicted = 0;

  constructor(readonly limitBytes: number) {
    if (!(limitBytes > 0)) throw new RangeError(`a byte budget must be positive, got ${limitBytes}`);
  }

  /** Bytes estimated for everything kept, keys kept, and keys evicted to stay within the budget. */
  usage(): BudgetUsage {
    const columnBytes = this.columnBytes();
    return { limitBytes: this.limitBytes, bytes: this.total + columnBytes, columnBytes, keys: this.count, evictedKeys: this.evicted };
  }

  /**
   * What the columns take: the typed ones as allocated, and the two arrays at most as V8 grows them
   * (a full array's backing store grows by half, and 16 slots).
   */
  private columnBytes(): number {
    return this.bytes.length * TYPED_ROW_BYTES + 2 * 8 * (Math.ceil(1.5 * this.keys.length) + 16);
  }

  /** Every kept key, the least recently active first: the order a snapshot keeps. */
  *entries(): IterableIterator<KeptKey> {
    for (let slot = this.head; slot !== NONE; slot = this.next[slot] as number) {
      yield {
        owner: this.maps[this.owners[slot] as number] as BudgetedMap<unknown>,
        key: this.keys[slot] as string,
        value: this.values[slot],
        bytes: this.bytes[slot] as number,
      };
    }
  }

  /** @internal A map of this budget: its number in the slots' owners column. */
  register(map: BudgetedMap<unknown>): number {
    if (this.maps.length > 255) throw new RangeError('a byte budget serves at most 256 maps');
    return this.maps.push(map) - 1;
  }

  /** @internal A new key, the most recently active, with its first estimate. */
  add(owner: number, key: string, value: unknown, bytes: number): Slot {
    let slot = this.free;
    if (slot !== NONE) {
      this.free = this.next[slot] as number;
      this.keys[slot] = key;
      this.values[slot] = value;
    } else {
      slot = this.used++;
      if (slot === this.bytes.length) this.grow();
      this.keys.push(key);
      this.values.push(value);
    }
    this.owners[slot] = owner;
    this.bytes[slot] = bytes;
    this.total += bytes;
    this.count++;
    this.link(slot);
    return slot;
  }

  /** @internal Makes the key the most recently active. */
  touch(slot: Slot): void {
    if (this.tail === slot) return;
    this.unlink(slot);
    this.link(slot);
  }

  /** @internal The key's estimate changed by delta bytes. */
  charge(slot: Slot, delta: number): void {
    this.bytes[slot] = (this.bytes[slot] as number) + delta;
    this.total += delta;
  }

  /** @internal Forgets the key (its map drops it): takes back its estimate and frees its slot. */
  remove(slot: Slot): void {
    this.unlink(slot);
    this.total -= this.bytes[slot] as number;
    this.count--;
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.next[slot] = this.free;
    this.free = slot;
  }

  /** @internal */
  keyAt(slot: Slot): string {
    return this.keys[slot] as string;
  }

  /** @internal */
  valueAt(slot: Slot): unknown {
    return this.values[slot];
  }

  /** @internal Replaces the key's value (a value kept exactly sized is copied when it grows). */
  setValueAt(slot: Slot, value: unknown): void {
    this.values[slot] = value;
  }

  /** @internal */
  bytesAt(slot: Slot): number {
    return this.bytes[slot] as number;
  }

  /**
   * Evicts the least recently active keys until the total fits. The most recent key is never
   * evicted: it is the one being written, and one key alone is bounded by the per-key caps. Slots
   * may move (see compact): none held from before is valid after.
   */
  enforce(): void {
    while (this.total + this.columnBytes() > this.limitBytes && this.head !== NONE && this.head !== this.tail) {
      // Rows given back may be what is over (a restore adds every key of its snapshot before the
      // budget is enforced; a load may move from many small keys to fewer large ones): when many are
      // free and the keys kept fit with columns made to their number, the columns shrink instead of
      // more keys going. Not for a few free rows, which ordinary eviction leaves behind at every
      // event: a compaction is a pass over every key.
      if (this.used - this.count >= this.used / MANY_FREE && this.total + this.columnBytesFor(this.count) <= this.limitBytes) {
        this.compact();
        break;
      }
      const victim = this.head;
      const map = this.maps[this.owners[victim] as number] as BudgetedMap<unknown>;
      const key = this.keys[victim] as string;
      const value = this.values[victim];
      this.remove(victim);
      this.evicted++;
      map.dropEvicted(key, value);
      // Within the loop: the columns shrink with the keys, or a budget smaller than they are would
      // evict every key.
      this.compactIfSparse();
    }
    this.compactIfSparse();
  }

  /** Compacts the columns (see compact) when fewer than half their rows are in use. */
  compactIfSparse(): void {
    if (this.used > INITIAL_SLOTS && this.count * 2 < this.used) this.compact();
  }

  /** What the columns would take, compacted around this many keys. */
  private columnBytesFor(keys: number): number {
    return compactedSize(keys) * TYPED_ROW_BYTES + 2 * 8 * (Math.ceil(1.5 * keys) + 16);
  }

  /**
   * Moves the kept keys to the first rows, in their order of activity, into columns twice their
   * number (compactedSize). Compacted when half their rows or more are free (compactIfSparse), the
   * columns stay within four rows a key; compacted earlier only by enforce, with an eighth of them free
   * at least: each compaction is a pass over the keys, and the next needs as many evictions again as
   * an eighth of the keys. Their maps are told of each key's new slot.
   */
  private compact(): void {
    const size = compactedSize(this.count);
    const keys: Array<string | undefined> = [];
    const values: unknown[] = [];
    const owners = new Uint8Array(size);
    const bytes = new Float64Array(size);
    const prev = new Int32Array(size);
    const next = new Int32Array(size);
    let at = 0;
    for (let slot = this.head; slot !== NONE; slot = this.next[slot] as number, at++) {
      const key = this.keys[slot] as string;
      const owner = this.owners[slot] as number;
      keys.push(key);
      values.push(this.values[slot]);
      owners[at] = owner;
      bytes[at] = this.bytes[slot] as number;
      prev[at] = at - 1;
      next[at] = at + 1;
      (this.maps[owner] as BudgetedMap<unknown>).relocate(key, at);
    }
    if (at > 0) next[at - 1] = NONE;
    this.keys = keys;
    this.values = values;
    this.owners = owners;
    this.bytes = bytes;
    this.prev = prev;
    this.next = next;
    this.head = at > 0 ? 0 : NONE;
    this.tail = at - 1;
    this.free = NONE;
    this.used = at;
  }

  private link(slot: Slot): void {
    this.prev[slot] = this.tail;
    this.next[slot] = NONE;
    if (this.tail !== NONE) this.next[this.tail] = slot;
    else this.head = slot;
    this.tail = slot;
  }

  private unlink(slot: Slot): void {
    const before = this.prev[slot] as number;
    const after = this.next[slot] as number;
    if (before !== NONE) this.next[before] = after;
    else this.head = after;
    if (after !== NONE) this.prev[after] = before;
    else this.tail = before;
  }

  /** Doubles the typed columns (the others are arrays, grown by V8 as they are pushed). */
  private grow(): void {
    const size = this.bytes.length * 2;
    this.owners = widened(this.owners, new Uint8Array(size));
    this.bytes = widened(this.bytes, new Float64Array(size));
    this.prev = widened(this.prev, new Int32Array(size));
    this.next = widened(this.next, new Int32Array(size));
  }
}

/** `into`, a longer column, starting with `column`'s rows. */
function widened<C extends Uint8Array | Int32Array | Float64Array>(column: C, into: C): C {
  into.set(column);
  return into;
}

/** A kept key's row in its budget's columns; valid until the key is forgotten. */
export type Slot = number;

const NONE = -1;
/** The first columns' rows: small, since a small budget pays for them too. */
const INITIAL_SLOTS = 16;
/** enforce() compacts rather than evicts only when at least this share (one in MANY_FREE) of the rows is free. */
const MANY_FREE = 8;
/** The columns' rows after a compaction around this many keys: room for as many again. */
const compactedSize = (keys: number): number => Math.max(INITIAL_SLOTS, 2 * keys);
/** A row of the typed columns: owner (1), estimate (8), neighbours (4 + 4). */
const TYPED_ROW_BYTES = 17;

export interface BudgetUsage {
  readonly limitBytes: number;
  /** The keys' estimates and the columns (columnBytes). */
  readonly bytes: number;
  /** What the budget's own columns take, included in `bytes`. */
  readonly columnBytes: number;
  readonly keys: number;
  readonly evictedKeys: number;
}

/** One kept key as ByteBudget.entries() lists it: its map, key, value and estimated bytes. */
export interface KeptKey {
  readonly owner: BudgetedMap<unknown>;
  readonly key: string;
  readonly value: unknown;
  readonly bytes: number;
}

/**
 * A map of one kind of state (say, timelines per IP) whose keys count against a shared ByteBudget.
 * The caller estimates: `upsert` returns the key's slot, the caller changes the value and charges the
 * difference, then asks the budget to `enforce` once the whole event is recorded. A slot is valid
 * until the next `enforce` or `delete` (either may move keys to other rows).
 */
export class BudgetedMap<V> {
  private readonly slots = new Map<string, Slot>();
  private readonly id: number;

  constructor(
    private readonly budget: ByteBudget,
    /** Bytes of an empty value and of the key's place in the map, charged when the key is added. */
    private readonly overheadBytes: number,
    /**
     * Called with the value of a key that is forgotten (evicted or deleted), after the budget took
     * back its estimate: what it shared with other keys can move its charge to them.
     */
    private readonly onDrop?: (value: V) => void,
  ) {
    this.id = budget.register(this as BudgetedMap<unknown>);
  }

  get size(): number {
    return this.slots.size;
  }

  /** The value kept for a key, without making it more recently active. */
  get(key: string): V | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : (this.budget.valueAt(slot) as V);
  }

  /** The key's slot, created with `create` if absent, now the most recently active. */
  upsert(key: string, create: () => V): Slot {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.budget.add(this.id, key, create(), this.overheadBytes + stringBytes(key));
      this.slots.set(key, slot);
    } else this.budget.touch(slot);
    return slot;
  }

  /** The key of a slot: the map's own string, which what it keeps can share. */
  keyAt(slot: Slot): string {
    return this.budget.keyAt(slot);
  }

  valueAt(slot: Slot): V {
    return this.budget.valueAt(slot) as V;
  }

  /** Replaces a key's value (the caller charges any difference in bytes). */
  setValueAt(slot: Slot, value: V): void {
    this.budget.setValueAt(slot, value);
  }

  /** The key's estimated bytes. */
  bytesAt(slot: Slot): number {
    return this.budget.bytesAt(slot);
  }

  /** Adds delta bytes to the estimate of the key in this slot. */
  charge(slot: Slot, delta: number): void {
    if (delta !== 0) this.budget.charge(slot, delta);
  }

  /** Adds delta bytes to the estimate of a key, if it is kept, without making it more recently active. */
  chargeKey(key: string, delta: number): void {
    const slot = this.slots.get(key);
    if (slot !== undefined && delta !== 0) this.budget.charge(slot, delta);
  }

  /** Forgets the key. Slots may move (see ByteBudget.compactIfSparse): none held from before is valid after. */
  delete(key: string): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    const value = this.budget.valueAt(slot) as V;
    this.budget.remove(slot);
    this.slots.delete(key);
    this.onDrop?.(value);
    this.budget.compactIfSparse();
  }

  /** @internal Called by the budget when it has evicted this key. */
  dropEvicted(key: string, value: unknown): void {
    this.slots.delete(key);
    this.onDrop?.(value as V);
  }

  /** @internal Called by the budget when it moves a key to another row. */
  relocate(key: string, slot: Slot): void {
    this.slots.set(key, slot);
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
