import type { NatsConnection, Subscription } from 'nats';
import { FencedOut } from '../ingest/fenced-out.js';
import type { EventIngest } from '../ingest/ingest-service.js';
import type { VigilMetrics } from '../metrics/metrics.js';
import type { ForwardReply, ForwardRequest } from './forwarding-ingest.js';
import type { OwnershipListener } from './partition-leases.js';
import type { ClusterNames } from './partitions.js';
import type { ShareMarks } from './source-share.js';

export interface PartitionWorkerDependencies {
  readonly nc: NatsConnection;
  readonly names: ClusterNames;
  /** This process's pipeline: enrich, detect, respond, commit in PostgreSQL, publish. */
  readonly pipeline: EventIngest;
  /** Brings these partitions' users' detection state up to date from PostgreSQL before they are served. */
  readonly catchUp: (partitions: ReadonlySet<number>) => Promise<void>;
  /**
   * Whether this worker may serve the partition at this moment (PartitionLeases.current): a request
   * that comes while it may not is answered `notOwner` at once, and the api asks again in a moment.
   */
  readonly current?: (partition: number) => boolean;
  /** Called once this worker no longer serves the partition. */
  readonly releasedPartition?: (partition: number) => void;
  /**
   * Resolves once what other processes changed and announced before this request came (a list
   * entry, a lock, …) is in this process's memory (cluster/bus-relay.ts): the request is scored after.
   */
  readonly changesSettled: () => Promise<void>;
  /**
   * Where other workers' shares stand (source-share.ts): `arrived` resolves once those the api has
   * heard of are had here, and `mark` says this worker's, for its answers.
   */
  readonly shares?: {
    arrived(after: ShareMarks | undefined): Promise<void> | undefined;
    mark(): number;
    /** Resolves once the other workers have this worker's shares up to a number (a NATS cluster), or at once. */
    delivered(seq: number): Promise<void> | undefined;
    readonly origin: string;
  };
  readonly metrics: VigilMetrics;
  readonly onError: (message: string, error: unknown) => void;
}

/**
 * The worker role: listens on the subject of each partition it holds a lease on, runs the pipeline
 * on what arrives, and answers with the outcomes once they are committed. NATS delivers a
 * subscription's messages in order, and the pipeline scores batches in arrival order, so a user's
 * events are scored in the order the api sent them.
 */
export class PartitionWorker implements OwnershipListener {
  private readonly subscriptions = new Map<number, Subscription>();
  private inFlight = 0;
  private readonly under = new Set<Promise<void>>();
  /** The same requests, by partition: a partition given up waits for its own only. */
  private readonly underByPartition = new Map<number, Set<Promise<void>>>();
  /** The last request's wait for other workers' shares (`shares.arrived`), which never rejects. */
  private sharesInOrder: Promise<void> = Promise.resolve();

  constructor(private readonly deps: PartitionWorkerDependencies) {}

  async acquired(partitions: readonly number[]): Promise<void> {
    await this.deps.catchUp(new Set(partitions));
    for (const partition of partitions) this.listen(partition);
  }

  private listen(partition: number): void {
    const subject = this.deps.names.ingestSubject(partition);
    this.subscriptions.set(
      partition,
      this.deps.nc.subscribe(subject, {
        callback: (error, message) => {
          if (error) return this.deps.onError(`subscription to ${subject} failed`, error);
          if (this.deps.current && !this.deps.current(partition)) {
            // Said at once rather than left to the api's attempt timeout (5 s): after NATS comes back,
            // every request reaches workers whose leases ran out meanwhile, until they take them again.
            // Should the partition's next owner listen already, it answers this try too; whichever
            // answer comes first, the api's next try carries the same ids and stores nothing twice.
            const reply: ForwardReply = { notOwner: partition };
            message.respond(new TextEncoder().encode(JSON.stringify(reply)));
            return;
          }
          const handled = this.handle(message.data, partition).then((reply) => {
            message.respond(new TextEncoder().encode(JSON.stringify(reply)));
          });
          const mine = this.underByPartition.get(partition) ?? new Set<Promise<void>>();
          this.underByPartition.set(partition, mine);
          this.under.add(handled);
          mine.add(handled);
          void handled.finally(() => {
            this.under.delete(handled);
            mine.delete(handled);
          });
        },
      }),
    );
  }

  /**
   * Stops listening, then waits for the partition's requests under way to be committed and answered:
   * only then may its lease go to another worker, whose catch-up reads the store (an alert committed
   * after that read would be raised again by the next owner).
   */
  async released(partition: number): Promise<void> {
    this.subscriptions.get(partition)?.unsubscribe();
    this.subscriptions.delete(partition);
    const under = this.underByPartition.get(partition);
    while (under !== undefined && under.size > 0) await Promise.allSettled([...under]);
    this.underByPartition.delete(partition);
    this.deps.releasedPartition?.(partition);
  }

  /** Events received and not answered yet. */
  get lag(): number {
    return this.inFlight;
  }

  /** Waits for the requests under way to be answered (graceful stop, after the leases are given back). */
  async settled(): Promise<void> {
    while (this.under.size > 0) await Promise.allSettled([...this.under]);
  }

  private async handle(data: Uint8Array, partition: number): Promise<ForwardReply> {
    let request: ForwardRequest;
    try {
      request = JSON.parse(new TextDecoder().decode(data)) as ForwardRequest;
    } catch (error) {
      return { failed: `unreadable request: ${String(error)}` };
    }
    this.inFlight += request.events.length;
    this.deps.metrics.consumerLag.set(this.inFlight);
    try {
      await this.deps.changesSettled();
      const shares = this.deps.shares;
      // Each request's wait starts now, but they end in the order requests came: one that waits for
      // shares holds back those after it, which would otherwise be scored first.
      const arrived = Promise.all([this.sharesInOrder, shares?.arrived(request.after)]).then(() => {});
      this.sharesInOrder = arrived.catch(() => {});
      await arrived;
      const newIds = request.minted === undefined ? undefined : new Set(request.minted);
      const report = await this.deps.pipeline.ingest(request.events, { atomic: request.atomic, ...(newIds && { newIds }) });
      if (shares === undefined) return { report };
      // Read after the pipeline, which shares what it stored before it returns. Across a NATS cluster
      // the answer also waits for the other workers to have it: the client's next event may come
      // through another api, which has not heard this number.
      const seq = shares.mark();
      await shares.delivered(seq);
      return { report, shared: { origin: shares.origin, seq } };
    } catch (error) {
      // Another worker took the partition over while this request waited (store/postgres/partition-fence.ts):
      // nothing was committed, and the api asks the new owner.
      if (error instanceof FencedOut) return { notOwner: partition };
      this.deps.onError('ingesting forwarded events failed', error);
      // Not committed: the api answers 500 as one process would, and the client may send them again.
      return { failed: error instanceof Error ? error.message : String(error) };
    } finally {
      this.inFlight -= request.events.length;
      this.deps.metrics.consumerLag.set(this.inFlight);
    }
  }
}
