import {
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type Msg,
  type NatsConnection,
  nanos,
  StorageType,
  type Subscription,
} from 'nats';
import type { BusMessages, SharedChange, Topic } from '../bus/bus.js';
import { sharedChanges } from '../bus/bus.js';
import type { BusOutlet } from '../bus/in-process-bus.js';
import { FEED_TOPICS, type FeedTopic } from '../feed/live-feed.js';
import { Acknowledgements, acknowledge } from './acknowledgements.js';
import type { ClusterNames } from './partitions.js';

export interface BusRelayDependencies {
  readonly nc: NatsConnection;
  readonly names: ClusterNames;
  /** This process, unique among the running ones: what it published itself it already delivered. */
  readonly origin: string;
  /** A feed topic published by another process: to this process's live feed. */
  readonly show: <T extends FeedTopic>(topic: T, message: BusMessages[T]) => void;
  /** Something another process changed that this one keeps in memory: read it again from the store. */
  readonly refresh: (change: SharedChange) => Promise<void>;
  readonly onError: (message: string, error: unknown) => void;
  /**
   * Whether a change is announced as had only once every worker alive says it has it in memory (a
   * NATS cluster, VIGIL_SHARE_ACKS; see the class's comment). Off by default.
   */
  readonly acks?: boolean;
  /** Whether this process scores events (a worker): it says it is alive and that it has each change. */
  readonly scores?: boolean;
  /** How often a worker says it is alive, with acks (1 s by default). */
  readonly heartbeatMs?: number;
  /** A change waited for the workers to say they had it: whether they did within 1 s, and how long it took. */
  readonly onDelivered?: (outcome: 'acked' | 'late', waitedMs: number) => void;
}

/** How long a change may wait for NATS to confirm it has it before the person is answered anyway. */
const FLUSH_TIMEOUT_MS = 1000;

const isFeedTopic = (topic: Topic): topic is FeedTopic => (FEED_TOPICS as readonly Topic[]).includes(topic);

interface FeedEnvelope {
  readonly origin: string;
  readonly topic: FeedTopic;
  readonly message: unknown;
}
interface ChangeEnvelope {
  readonly origin: string;
  /** The announcement's number among its origin's (acknowledged by that number). */
  readonly seq?: number;
  readonly changes: readonly SharedChange[];
}

/**
 * The bus between processes (the distributed mode), in two parts with different promises:
 *
 * - **Feed topics** (`alert.raised`, `alert.updated`, `account.locked`, `account.unlocked`) go to a
 *   JetStream stream, and every process reads it with an ordered consumer from the moment it starts:
 *   in order, without gaps or repeats (it resumes after the last sequence it saw when NATS comes
 *   back), so every dashboard sees every alert of every process once. Each message carries a
 *   `Nats-Msg-Id`, so a publish JetStream stored but whose acknowledgement was lost is not stored
 *   twice. Webhook deliveries and codes are not sent from here: only the process that scored the
 *   event creates them (from its own bus), and their rows are claimed in PostgreSQL.
 * - **Changes** (lists, snoozes, rules, locks, alert transitions) go over core NATS to every process,
 *   which reads them again from PostgreSQL. Core NATS keeps the order of one connection's messages to
 *   a subscriber, and an api sends its events on the same connection: a worker gets a change an api
 *   made before the next event that api sends it, and scores that event only once the change is in
 *   memory (`settled`). A publish waits for NATS to have it (a flush), so the person who made the
 *   change is answered after the other processes can see it. A process that lost NATS reads every
 *   setting again when it is back (`everything`), since it may have missed some.
 *
 * Across a NATS cluster the change and the next event take different routes when they go through
 * different servers, and the change may come second. With `acks` (the distributed mode turns them on
 * when its NATS server is part of a cluster), each worker says every second that it is alive, each
 * announcement asks the workers to say they have it, each worker says so once the change is in its
 * memory, and the person is answered once every worker alive has, or after 1 s (then a worker that
 * did not is not waited for again until it answers in time: cluster/acknowledgements.ts).
 *
 * Neither is a store of record: a 2xx and every alert, lock and setting rest on PostgreSQL's commit,
 * so the stream keeps its messages only for an hour and needs no `sync_interval: always`.
 */
export class BusRelay implements BusOutlet {
  private refreshing: Promise<void> = Promise.resolve();
  private sequence = 0;
  /** The number of the last change announced. */
  private changeSeq = 0;
  private closed = false;
  private readonly changes: Subscription;
  private readonly acks: Acknowledgements | undefined;
  private readonly workers: Subscription | undefined;
  private readonly heartbeat: NodeJS.Timeout | undefined;
  private readonly heartbeatMs: number;

  private constructor(
    private readonly deps: BusRelayDependencies,
    private readonly js: JetStreamClient,
    private readonly feed: ConsumerMessages,
  ) {
    this.changes = deps.nc.subscribe(deps.names.changesSubject, { callback: (error, message) => this.onChange(error, message) });
    this.heartbeatMs = deps.heartbeatMs ?? 1000;
    if (deps.acks) {
      this.acks = new Acknowledgements({
        nc: deps.nc,
        inboxPrefix: deps.names.changesSubject,
        waitMs: FLUSH_TIMEOUT_MS,
        aliveMs: 2.5 * this.heartbeatMs,
        onError: deps.onError,
        ...(deps.onDelivered && { onDelivered: deps.onDelivered }),
      });
      this.workers = deps.nc.subscribe(deps.names.workersSubject, {
        callback: (error, message) => {
          if (error) return deps.onError('the subscription to workers alive failed', error);
          const origin = new TextDecoder().decode(message.data);
          if (origin !== deps.origin) this.acks?.heard(origin);
        },
      });
      if (deps.scores) {
        const beat = () => {
          try {
            deps.nc.publish(deps.names.workersSubject, new TextEncoder().encode(deps.origin));
          } catch {
            // NATS is away: the next beat after it is back says the same.
          }
        };
        beat();
        this.heartbeat = setInterval(beat, this.heartbeatMs);
        this.heartbeat.unref();
      }
    }
    this.readFeed();
    this.watchConnection();
  }

  static async open(deps: BusRelayDependencies): Promise<BusRelay> {
    const { nc, names } = deps;
    const jsm = await nc.jetstreamManager();
    const stream = {
      name: names.busStream,
      subjects: [names.busSubject('>')],
      storage: StorageType.File,
      max_age: nanos(3_600_000),
      max_bytes: 256 * 1024 * 1024,
      duplicate_window: nanos(120_000),
    };
    // Every process asks for the same stream; the first creates it, the others find it there.
    await jsm.streams.add(stream).catch(async (error: unknown) => {
      if ((await jsm.streams.info(names.busStream).catch(() => undefined)) === undefined) throw error;
    });
    const js = nc.jetstream();
    const consumer = await js.consumers.get(names.busStream, { deliver_policy: DeliverPolicy.New });
    return new BusRelay(deps, js, await consumer.consume());
  }

  async publish<T extends Topic>(topic: T, message: BusMessages[T]): Promise<void> {
    if (this.closed) return;
    const encoder = new TextEncoder();
    if (isFeedTopic(topic)) {
      const envelope: FeedEnvelope = { origin: this.deps.origin, topic, message };
      // Not awaited: a dashboard's feed is not worth holding an event's answer for.
      this.js
        .publish(this.deps.names.busSubject(topic), encoder.encode(JSON.stringify(envelope)), {
          msgID: `${this.deps.origin}-${++this.sequence}`,
        })
        .catch((error: unknown) => this.deps.onError(`relaying ${topic} to the other processes failed`, error));
    }
    const changes = sharedChanges(topic, message);
    if (changes.length === 0) return;
    const seq = ++this.changeSeq;
    const envelope: ChangeEnvelope = { origin: this.deps.origin, seq, changes };
    const sentAt = performance.now();
    try {
      const options = this.acks === undefined ? undefined : { reply: this.acks.inbox };
      this.deps.nc.publish(this.deps.names.changesSubject, encoder.encode(JSON.stringify(envelope)), options);
      await within(this.deps.nc.flush(), FLUSH_TIMEOUT_MS);
    } catch (error) {
      // NATS is away: the others read everything again when they reconnect.
      this.deps.onError(`announcing ${topic} to the other processes failed`, error);
      return;
    }
    // An api waits: a person's change is answered once the workers have it. A worker's own changes
    // (its pipeline's alert updates and locks) concern the users it scores, and its source alerts
    // travel with its shares, acknowledged there: its answers do not wait for the others' reading.
    if (!this.deps.scores) await this.acks?.delivered(seq, sentAt);
  }

  /**
   * With acks: resolves once this process has listened for a heartbeat and a half, so that it knows
   * which workers are alive before it answers anyone. At once without.
   */
  async listening(): Promise<void> {
    await this.acks?.peersKnown();
  }

  /** The workers heard from lately (with acks; none without). */
  aliveWorkers(): readonly string[] {
    return this.acks?.alive() ?? [];
  }

  /** Resolves once every change announced to this process so far is in its memory. */
  settled(): Promise<void> {
    return this.refreshing;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.changes.unsubscribe();
    clearInterval(this.heartbeat);
    this.workers?.unsubscribe();
    this.acks?.close();
    this.feed.stop();
    await this.refreshing;
  }

  private onChange(error: Error | null, message: Msg): void {
    if (error) {
      this.deps.onError('the subscription to changes failed', error);
      return;
    }
    let envelope: ChangeEnvelope;
    try {
      envelope = JSON.parse(new TextDecoder().decode(message.data)) as ChangeEnvelope;
    } catch (e) {
      this.deps.onError('an unreadable change message was ignored', e);
      return;
    }
    if (envelope.origin === this.deps.origin) return;
    const read = envelope.changes.map((change) => this.enqueue(change));
    // A worker says it has the change once it is in memory (the person who made it is answered then);
    // not if it failed to read it, so that the sender counts it late.
    const { reply } = message;
    const { seq } = envelope;
    if (this.deps.scores && reply && typeof seq === 'number') {
      void Promise.all(read).then((done) => {
        if (done.every(Boolean)) acknowledge(this.deps.nc, reply, this.deps.origin, seq);
      });
    }
  }

  /**
   * One at a time, in the order they came: a lock then its unlock must not be read the other way
   * round. Resolves with whether it was read.
   */
  private enqueue(change: SharedChange): Promise<boolean> {
    const read = this.refreshing
      .then(() => this.deps.refresh(change))
      .then(
        () => true,
        (error: unknown) => {
          this.deps.onError(`reading a change (${change.what}) made by another process failed`, error);
          return false;
        },
      );
    this.refreshing = read.then(() => {});
    return read;
  }

  private readFeed(): void {
    void (async () => {
      for await (const m of this.feed) {
        try {
          const envelope = m.json<FeedEnvelope>();
          if (envelope.origin === this.deps.origin || !isFeedTopic(envelope.topic)) continue;
          this.deps.show(envelope.topic, envelope.message as BusMessages[FeedTopic]);
        } catch (error) {
          this.deps.onError('an unreadable feed message was ignored', error);
        }
      }
    })().catch((error: unknown) => {
      if (!this.closed) this.deps.onError('reading the feed of the other processes stopped', error);
    });
  }

  private watchConnection(): void {
    void (async () => {
      for await (const status of this.deps.nc.status()) if (status.type === 'reconnect') this.enqueue({ what: 'everything' });
    })();
  }
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from NATS within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
