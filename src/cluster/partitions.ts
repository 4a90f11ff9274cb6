/**
 * The partition of a user id: FNV-1a (32 bits) over its UTF-8 bytes, modulo the partition count.
 * Stable across processes, machines and Node versions (no seed, no platform hash), so every api
 * process sends a user's events to the same partition, and a restart keeps them there.
 */
export function partitionOf(user: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(user, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** NATS names of one Vigil deployment, all under VIGIL_NATS_PREFIX so several share one server. */
export class ClusterNames {
  constructor(readonly prefix: string) {}
  /** The key-value bucket of partition leases and worker heartbeats. */
  get leaseBucket(): string {
    return `${this.prefix}_leases`;
  }
  /** Where the api sends a partition's events; only its owner listens. */
  ingestSubject(partition: number): string {
    return `${this.prefix}.ingest.${partition}`;
  }
  /**
   * Where each worker sends what it stored and the IP and device alerts it raised, for every other
   * worker's rules that read across accounts (core NATS, cluster/source-share.ts).
   */
  get sourcesSubject(): string {
    return `${this.prefix}.sources`;
  }
  /**
   * Where the process that sent a batch to its owners says it was answered, every part of it
   * (core NATS): the worker counting for the volume monitor judges the minutes then.
   */
  get answeredSubject(): string {
    return `${this.prefix}.answered`;
  }
  /** The JetStream stream that carries bus topics between processes. */
  get busStream(): string {
    return `${this.prefix}_bus`;
  }
  busSubject(topic: string): string {
    return `${this.prefix}.bus.${topic}`;
  }
  /** Where a process announces what it changed that the others keep in memory (core NATS, cluster/bus-relay.ts). */
  get changesSubject(): string {
    return `${this.prefix}.changes`;
  }
  /** Where each worker says it is alive, for the processes waiting for workers to have their changes (cluster/bus-relay.ts). */
  get workersSubject(): string {
    return `${this.prefix}.workers`;
  }
}
