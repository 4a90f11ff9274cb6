import type { KV, NatsConnection } from 'nats';
import type { VigilMetrics } from '../metrics/metrics.js';
import { ConnectionWatch } from './connection-watch.js';
import { type ClusterNames, partitionOf } from './partitions.js';

export interface LeaseSettings {
  readonly partitions: number;
  /** This worker's id, unique among the running workers (e.g. `host:pid:random`). */
  readonly workerId: string;
  /**
   * How long a lease (and a worker's heartbeat) lives without renewal: the bucket's TTL, enforced by
   * the NATS server's clock, so a worker's clock drift cannot keep a dead worker's partitions.
   * Default 6 s: with a check every second, a dead worker's partitions are taken within 10 s.
   */
  readonly leaseMs?: number;
  /** How often leases are renewed and free partitions looked for. Default 1 s. */
  readonly tickMs?: number;
}

/** What a worker does as it gains and loses partitions. */
export interface OwnershipListener {
  /**
   * Called with the partitions just taken, before they are served: rebuild their users' state (one
   * pass over the store for all of them: a worker starting takes dozens at once), then listen.
   */
  acquired(partitions: readonly number[]): Promise<void>;
  /**
   * Stop listening; called when the lease is given up or was lost (another worker may hold it now).
   * A lease given up is deleted only once this resolves: the requests of the partition under way are
   * committed first, so that the next owner's catch-up from the store sees all of them.
   */
  released(partition: number): Promise<void> | void;
}

/**
 * Partition ownership through a JetStream key-value bucket of leases. A partition's key holds its
 * owner; it is taken with `create` (fails if anyone holds it), renewed with `update` at the revision
 * this worker last wrote (compare-and-swap: fails if anyone else wrote since), given up with a
 * delete at that revision, and lost to the bucket's TTL when its owner stops renewing. Each worker
 * also keeps a heartbeat key, so that all of them know how many are alive and take a fair share:
 * at most ⌈partitions / workers⌉ each, giving up the surplus when a worker joins.
 */
export class PartitionLeases {
  /** Owned partitions and the revision of their lease this worker wrote last. */
  private readonly owned = new Map<number, number>();
  /** When the write of each owned lease that NATS last confirmed was sent (performance.now()). */
  private readonly writtenAt = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  /** Partitions being given up: their leases are deleted once their requests under way are done. */
  private readonly givingUp = new Set<Promise<void>>();
  /**
   * Partitions whose `released` is under way. Not taken again until it is done: a lease lost (NATS
   * away) is found free at once, and taking it back meanwhile would let the end of that release
   * stop the new listening and drop its fencing token.
   */
  private readonly lettingGo = new Map<number, Promise<void>>();
  /** What this worker held when NATS went away, and when it came back (performance.now()). */
  private heldBeforeOutage: ReadonlySet<number> = new Set();
  private backAt: number | undefined;
  private stopped = false;
  private readonly leaseMs: number;
  private readonly tickMs: number;

  private readonly link: ConnectionWatch;

  private constructor(
    nc: NatsConnection,
    private readonly kv: KV,
    private readonly settings: LeaseSettings,
    private readonly listener: OwnershipListener,
    private readonly metrics: VigilMetrics,
    private readonly onError: (error: unknown) => void,
  ) {
    this.leaseMs = settings.leaseMs ?? 6000;
    this.tickMs = settings.tickMs ?? 1000;
    this.link = new ConnectionWatch(nc);
    // Back from an outage: renew and take partitions at once rather than at the next tick (which
    // the leases of the outage, expired meanwhile, would wait for).
    this.link.onReconnect(() => {
      if (this.stopped) return;
      // No round ran while NATS was away: what is owned here is what was held before the outage.
      this.heldBeforeOutage = new Set(this.owned.keys());
      this.backAt = performance.now();
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.runTick(), 0);
    });
  }

  static async open(
    nc: NatsConnection,
    names: ClusterNames,
    settings: LeaseSettings,
    listener: OwnershipListener,
    metrics: VigilMetrics,
    onError: (error: unknown) => void,
  ): Promise<PartitionLeases> {
    const leaseMs = settings.leaseMs ?? 6000;
    // history 1: only the current holder matters. File storage: a NATS restart keeps the leases,
    // so a restart of NATS alone does not move every partition.
    const kv = await nc.jetstream().views.kv(names.leaseBucket, { ttl: leaseMs, history: 1 });
    return new PartitionLeases(nc, kv, settings, listener, metrics, onError);
  }

  /** Partitions owned now, in order. */
  partitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  owns(user: string): boolean {
    return this.owned.has(partitionOf(user, this.settings.partitions));
  }

  /**
   * Whether this worker may serve the partition now: it owns it, and its lease cannot have run out at
   * NATS yet. NATS counts a lease's time from when it stored the write, after this worker sent it;
   * a worker that could not renew (NATS away, its event loop held up) stops serving a third of a
   * lease before that, so it never scores beside the worker that takes the partition once the lease
   * expires (both would get the partition's requests until its next tick noticed the loss).
   */
  current(partition: number): boolean {
    const at = this.writtenAt.get(partition);
    return this.owned.has(partition) && at !== undefined && performance.now() < at + (this.leaseMs * 2) / 3;
  }

  /** Claims a first share at once, then keeps renewing and rebalancing every tick. */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.runTick(), this.tickMs);
  }

  private runTick(): void {
    // One round at a time: a reconnection may ask for one while another is under way.
    this.ticking = this.ticking
      .then(() => this.tick())
      .catch(this.onError)
      .finally(() => {
        clearTimeout(this.timer);
        this.schedule();
      });
  }

  /** One round: heartbeat, renew, give up the surplus, take free partitions up to the fair share. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    // While NATS is away a request would be held until it is back and then wait out its whole
    // timeout (connection-watch.ts), holding up the round that should renew and take partitions
    // the moment it is back. Meanwhile `current` stops this worker serving what it can't renew.
    if (!this.link.isUp) return;
    await this.kv.put(memberKey(this.settings.workerId), encode({ at: Date.now() }));
    const members = await this.liveMembers();
    let share = Math.ceil(this.settings.partitions / Math.max(1, members));
    // Right after NATS comes back every lease has expired, and so may have the other workers'
    // heartbeats: each worker would count itself alone, take every partition, and give most of them
    // back a round later, each move a takeover with its catch-up from PostgreSQL. For one lease
    // period each takes back what it held, and no more than it held; then the fair share again.
    const settling = this.backAt !== undefined && performance.now() - this.backAt < this.leaseMs;
    if (settling) share = Math.min(share, Math.max(1, this.heldBeforeOutage.size));

    for (const [partition, revision] of [...this.owned]) {
      try {
        const sentAt = performance.now();
        this.owned.set(partition, await this.kv.update(partitionKey(partition), this.value(), revision));
        this.writtenAt.set(partition, sentAt);
      } catch (error) {
        // NATS did not answer (it went away, or is slow): the lease may still be ours; the next round
        // renews it, and `current` fences it meanwhile.
        if (!writtenSinceByOthers(error)) continue;
        // Someone else wrote the lease since (it expired and was taken): it is theirs now.
        // Lost already: nothing to wait for before anyone may take it.
        void this.lose(partition, 'lost');
      }
    }
    while (this.owned.size > share) {
      const surplus = this.partitions().at(-1) as number;
      // In the background: its requests under way are committed before its lease is deleted, and
      // this worker's other leases must be renewed meanwhile.
      const giving = this.release(surplus).finally(() => this.givingUp.delete(giving));
      this.givingUp.add(giving);
    }
    // Start the search at a place of this worker's own, so that workers starting together do not
    // all race for partition 0, 1, 2…
    const start = partitionOf(this.settings.workerId, this.settings.partitions);
    const order = [
      ...(settling ? this.heldBeforeOutage : []),
      ...Array.from({ length: this.settings.partitions }, (_, i) => (start + i) % this.settings.partitions),
    ];
    const taken: number[] = [];
    for (const partition of order) {
      if (this.owned.size >= share) break;
      if (this.owned.has(partition) || this.lettingGo.has(partition) || this.stopped) continue;
      try {
        const sentAt = performance.now();
        this.owned.set(partition, await this.kv.create(partitionKey(partition), this.value()));
        this.writtenAt.set(partition, sentAt);
        taken.push(partition);
      } catch {
        // held by another worker
      }
    }
    if (taken.length === 0) return;
    this.metrics.rebalances.inc({ change: 'acquired' }, taken.length);
    this.metrics.partitionsOwned.set(this.owned.size);
    try {
      await this.listener.acquired(taken);
    } catch (error) {
      // Not ready to serve them: give them back for another worker rather than serve them half-built.
      this.onError(error);
      for (const partition of taken) await this.release(partition);
    }
  }

  /** Gives every partition back at once (graceful stop): the others take them on their next tick. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.all([...this.givingUp, ...this.partitions().map((partition) => this.release(partition))]);
    await this.kv.delete(memberKey(this.settings.workerId)).catch(this.onError);
  }

  private async release(partition: number): Promise<void> {
    const revision = this.owned.get(partition);
    // Not ours to serve from here; still ours until what was under way is committed.
    await this.lose(partition, 'released');
    if (revision === undefined) return;
    // At our revision only: a lease that already moved on is not ours to delete.
    await this.kv.delete(partitionKey(partition), { previousSeq: revision }).catch(() => {});
  }

  private async lose(partition: number, change: 'released' | 'lost'): Promise<void> {
    if (!this.owned.delete(partition)) return;
    this.writtenAt.delete(partition);
    this.metrics.rebalances.inc({ change });
    this.metrics.partitionsOwned.set(this.owned.size);
    const lettingGo = (async () => {
      try {
        await this.listener.released(partition);
      } catch (error) {
        this.onError(error);
      }
    })();
    this.lettingGo.set(partition, lettingGo);
    await lettingGo;
    if (this.lettingGo.get(partition) === lettingGo) this.lettingGo.delete(partition);
  }

  private async liveMembers(): Promise<number> {
    let count = 0;
    for await (const _key of await this.kv.keys('member.>')) count++;
    return count;
  }

  private value(): Uint8Array {
    return encode({ worker: this.settings.workerId, at: Date.now() });
  }
}

/**
 * Whether an update failed because the key changed since the revision given (JetStream's "wrong last
 * sequence", 10071: another write, or the lease expired and was purged), not for want of an answer.
 */
function writtenSinceByOthers(error: unknown): boolean {
  return (error as { api_error?: { err_code?: number } } | undefined)?.api_error?.err_code === 10071;
}

const partitionKey = (partition: number) => `partition.${partition}`;
const memberKey = (workerId: string) => `member.${workerId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
