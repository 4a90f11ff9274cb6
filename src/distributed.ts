import { hostname } from 'node:os';
import { connect } from 'nats';
import { BusRelay } from './cluster/bus-relay.js';
import { ForwardingIngest } from './cluster/forwarding-ingest.js';
import { PartitionLeases } from './cluster/partition-leases.js';
import { PartitionWorker } from './cluster/partition-worker.js';
import { ClusterNames, partitionOf } from './cluster/partitions.js';
import { fanOut, SourceShare, wantsShareAcks } from './cluster/source-share.js';
import { newId } from './core/ids.js';
import { PENDING_EFFECTS_RESUME_MS } from './ingest/pending-effects.js';
import { measuredIngest } from './metrics/instrument.js';
import { MONITOR_EFFECTS_USER } from './monitor/batch-judge.js';
import { PartitionFence } from './store/postgres/partition-fence.js';
import type { Logger, System } from './system.js';

/**
 * The partition whose owner also counts every stored event for the volume monitor: its lease already
 * has exactly one holder, taken over within seconds when that worker dies.
 */
const MONITOR_PARTITION = 0;

export interface ClusterTimings {
  /** Lease TTL and check interval (cluster/partition-leases.ts); tests may shorten them. */
  readonly leaseMs?: number;
  readonly tickMs?: number;
  /** How long an api keeps asking for an owner before answering 503 (cluster/forwarding-ingest.ts). */
  readonly deadlineMs?: number;
  readonly attemptTimeoutMs?: number;
  /** How long a worker holds a request for other workers' shares its api has heard of (cluster/source-share.ts). */
  readonly shareWaitMs?: number;
}

/**
 * Joins a built system to the distributed mode of its config's role. `all`: the system unchanged.
 * `api`: events go over NATS to their partition's owner. `worker`: the same for events it is sent
 * over HTTP, and it holds leases on a fair share of partitions and serves them with its pipeline.
 */
export async function joinCluster(system: System, logger: Logger, timings: ClusterTimings = {}): Promise<System> {
  const { config } = system;
  if (config.role === 'all') return system;
  if (config.natsUrl === undefined) throw new Error('VIGIL_NATS_URL is required by the api and worker roles.');
  const names = new ClusterNames(config.natsPrefix);
  // Reconnect for ever: a NATS restart must not end the process; requests meanwhile get 503.
  const nc = await connect({ servers: config.natsUrl, name: `vigil-${config.role}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  // Across a NATS cluster a message and a client's next request may take different routes: what
  // must be had everywhere before an answer goes is acknowledged (source-share.ts, bus-relay.ts).
  const acks = wantsShareAcks(config.shareAcks, nc.info);
  if (acks) logger.info('answers wait for the workers to say they have what was shared or changed (VIGIL_SHARE_ACKS)');
  const relay = await BusRelay.open({
    nc,
    names,
    origin: `${config.role}-${hostname()}-${process.pid}-${newId('p')}`,
    show: (topic, message) => system.feed.receive(topic, message),
    refresh: (change) => system.refresh(change),
    onError: (message, error) => logger.error(message, error),
    acks,
    scores: config.role === 'worker',
    onDelivered: (outcome, waitedMs) => {
      system.metrics.shareAcks.inc({ what: 'change', outcome });
      if (outcome === 'late')
        logger.warn(`a change waited ${Math.round(waitedMs)} ms for the workers to say they had it, and was answered without`);
    },
  });
  system.bus.relayTo(relay);
  const forwarding = new ForwardingIngest(
    nc,
    names,
    {
      partitions: config.partitions,
      ...(timings.deadlineMs !== undefined && { deadlineMs: timings.deadlineMs }),
      ...(timings.attemptTimeoutMs !== undefined && { attemptTimeoutMs: timings.attemptTimeoutMs }),
    },
    system.clock,
    system.metrics,
  );
  if (config.role === 'api') {
    // An api scores nobody: the alerts announced to it are not kept for merging repeats.
    system.scoreOnly(() => false);
    // With acks, the workers alive are known before anyone is answered.
    await relay.listening();
    return {
      ...system,
      ingest: measuredIngest(forwarding, system.metrics),
      cluster: { partitions: () => [], lag: () => 0 },
      async close() {
        await relay.close();
        await nc.drain();
        await system.close();
      },
    };
  }

  // What this worker stores, and its IP and device alerts, go to every other worker; theirs come here.
  const sources = new SourceShare({
    nc,
    names,
    origin: `worker-${hostname()}-${process.pid}-${newId('s')}`,
    into: system.sharedSources,
    onError: (message, error) => logger.error(message, error),
    onWaited: (outcome, waitedMs) => {
      system.metrics.shareWaits.inc({ outcome });
      if (outcome === 'late')
        logger.warn(`a request waited ${Math.round(waitedMs)} ms for other workers' shares its api had heard of, and went on without them`);
    },
    ...(timings.shareWaitMs !== undefined && { waitMs: timings.shareWaitMs }),
    acks,
    onDelivered: (outcome, waitedMs) => {
      system.metrics.shareAcks.inc({ what: 'share', outcome });
      if (outcome === 'late')
        logger.warn(`an answer waited ${Math.round(waitedMs)} ms for other workers to say they had its shares, and went without`);
    },
  });
  system.bus.relayTo(fanOut(sources, relay));
  // A batch answered: if this worker counts for the volume monitor, the minutes it completed are judged.
  const answered = nc.subscribe(names.answeredSubject, {
    callback: () => {
      void system.eventCounting.batchAnswered()?.catch((error: unknown) => logger.error('judging the monitor’s minutes failed', error));
    },
  });
  const workerId = `${hostname()}-${process.pid}-${newId('w')}`;
  // Commits of events pass the fencing tokens of this worker's partitions (store/postgres/partition-fence.ts).
  const fence = new PartitionFence(system.database.db, (user) => partitionOf(user, config.partitions), workerId);
  system.fenceWrites(fence);
  // Whose open alerts this worker keeps, to merge repeats into: its partitions' users, from the start
  // of a takeover's catch-up to the end of the partition's release. Not the leases it owns: a
  // partition leaves those as its release begins, while its requests under way are still to be
  // scored; when several are given up at once, another's release ending then would drop the alerts
  // those requests merge into, and each would raise a second alert.
  const alertsKept = new Set<number>();
  const scoresUser = (user: string) => alertsKept.has(partitionOf(user, config.partitions));
  const worker = new PartitionWorker({
    nc,
    names,
    pipeline: system.ingest,
    catchUp: async (partitions) => {
      for (const partition of partitions) alertsKept.add(partition);
      // First the tokens: the previous owner's commits under way are waited for, later ones refused.
      await fence.claim([...partitions]);
      const replayed = await system.catchUp((user) => partitions.has(owedPartition(user)));
      if (replayed > 0)
        logger.info(`partitions ${[...partitions].join(',')}: ${replayed} events replayed from the database before serving them`);
      // The volume monitor's minutes are judged by one worker, over all events: the holder of this lease.
      if (partitions.has(MONITOR_PARTITION)) await system.eventCounting.take();
    },
    releasedPartition: (partition) => {
      if (partition === MONITOR_PARTITION) system.eventCounting.give();
    },
    changesSettled: () => relay.settled(),
    shares: sources,
    // Not while its lease may have run out: see PartitionLeases.current.
    current: (partition) => leases.current(partition),
    metrics: system.metrics,
    onError: (message, error) => logger.error(message, error),
  });
  // What a commit owes is carried out by its user's partition's owner; the volume monitor's (no
  // user's) by the counting worker, the holder of partition 0.
  const owedPartition = (user: string) => (user === MONITOR_EFFECTS_USER ? MONITOR_PARTITION : partitionOf(user, config.partitions));
  /** Whether a user (or the monitor's rows) is in the partitions this worker holds now. */
  const ownsNow = () => {
    const owned = new Set(leases.partitions());
    return (user: string) => owned.has(owedPartition(user));
  };
  // A worker keeps the open alerts of its partitions' users only, and lets go of a partition's when
  // it has given the partition up (the next owner loads them from the store when it takes it over).
  system.scoreOnly(scoresUser);
  const ownership = {
    acquired: (partitions: readonly number[]) => worker.acquired(partitions),
    released: async (partition: number) => {
      await worker.released(partition);
      fence.release(partition);
      // What its committed batches owe is carried out here before the next owner may take it up.
      await system.effects.settled((user) => owedPartition(user) === partition);
      alertsKept.delete(partition);
      system.scoreOnly(scoresUser);
    },
  };
  const leases: PartitionLeases = await PartitionLeases.open(
    nc,
    names,
    {
      partitions: config.partitions,
      workerId,
      ...(timings.leaseMs !== undefined && { leaseMs: timings.leaseMs }),
      ...(timings.tickMs !== undefined && { tickMs: timings.tickMs }),
    },
    ownership,
    system.metrics,
    (error) => logger.error('renewing partition leases failed', error),
  );
  // With acks, the others alive are known before a partition is served (source-share.ts).
  await Promise.all([sources.listening(), relay.listening()]);
  await leases.start();
  // Rows left by a step that failed here are taken up again while their partition is still ours.
  system.effects.start(PENDING_EFFECTS_RESUME_MS, ownsNow);
  // Shared sources sent while this worker was cut off from NATS are lost to it: read again from
  // PostgreSQL when it is back (those it holds are skipped), as the changes are (bus-relay.ts).
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type !== 'reconnect') continue;
      await system.catchUp(ownsNow()).catch((error: unknown) => logger.error('catching up after NATS came back failed', error));
    }
  })();
  return {
    ...system,
    // Events sent to a worker over HTTP go to their owner too: only the owner may score a user.
    ingest: forwarding,
    cluster: { partitions: () => leases.partitions(), lag: () => worker.lag },
    async close() {
      // Partitions first, so the other workers take them over at once; then what is under way.
      await leases.stop();
      await worker.settled();
      sources.close();
      answered.unsubscribe();
      await relay.close();
      await nc.drain();
      await system.close();
    },
  };
}
