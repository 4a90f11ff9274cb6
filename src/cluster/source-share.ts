import type { Msg, NatsConnection, Subscription } from 'nats';
import type { BusMessages, Topic } from '../bus/bus.js';
import type { BusOutlet } from '../bus/in-process-bus.js';
import type { StoredEvent } from '../domain/activity-event.js';
import type { Alert, SourceAlert } from '../domain/alert.js';
import { Acknowledgements, acknowledge } from './acknowledgements.js';
import type { ClusterNames } from './partitions.js';

/** Where a worker keeps what the other workers share (system.ts: the detection engine and the alert book). */
export interface SharedSources {
  /** Events another worker stored, in the order it stored them, with their answers (the volume monitor counts by them). */
  events(events: readonly StoredEvent[]): void;
  /** Alerts about an IP or a device another worker raised or updated, in their latest state. */
  alerts(alerts: readonly SourceAlert[]): void;
}

export interface SourceShareDependencies {
  readonly nc: NatsConnection;
  readonly names: ClusterNames;
  /** This process's id among those on the subject, unique to this start: its own messages come back to it and are skipped. */
  readonly origin: string;
  readonly into: SharedSources;
  readonly onError: (message: string, error: unknown) => void;
  /** A request waited for shares (`arrived`): whether they came, and how long it waited. */
  readonly onWaited?: (outcome: 'arrived' | 'late', waitedMs: number) => void;
  /** How long a request waits for shares its api has heard of (2 s by default). */
  readonly waitMs?: number;
  /** How often a worker says where its shares stand, shares or not (1 s by default). */
  readonly heartbeatMs?: number;
  /**
   * Whether every share asks the other workers to say they have it, and `delivered` waits for them
   * (a NATS cluster: see the class's comment). Off by default.
   */
  readonly acks?: boolean;
  /** An answer waited for the other workers to say they had its shares (`delivered`): whether they did, and how long it took. */
  readonly onDelivered?: (outcome: 'acked' | 'late', waitedMs: number) => void;
}

/**
 * Where one worker's shares stood when it answered: the number of its last message. An api passes
 * the highest it has had from each worker with every request it sends (`ForwardRequest.after`).
 */
export type ShareMarks = Readonly<Record<string, number>>;

interface SourceEnvelope {
  readonly origin: string;
  /** The message's number among its origin's; a heartbeat repeats the last one. */
  readonly seq: number;
  readonly events?: readonly StoredEvent[];
  readonly alerts?: readonly SourceAlert[];
}

interface Waiter {
  /** The other workers' numbers it waits for. */
  readonly after: ReadonlyArray<readonly [string, number]>;
  readonly done: (outcome: 'arrived' | 'late' | 'closed') => void;
}

/**
 * State across accounts in the distributed mode. A worker holds its own partitions' users, yet some
 * rules read other accounts' events: credential stuffing counts the accounts one IP failed on, card
 * testing the failed payments of one device or IP, large transactions compare with every account's
 * amounts, and the volume monitor counts every event. So every worker tells every other what it
 * stored and which IP and device alerts it raised or updated, and each keeps them where those rules
 * read (`SharedSources`): every worker's IP and device timelines, population amounts and open source
 * alerts are the one process's, and the worker that counts for the monitor counts them all.
 *
 * Why every worker keeps all of it rather than an owner per IP asked before each batch: that would
 * put two NATS round trips on the scoring path of every batch (fetch the timelines, then append), a
 * second set of leases and a second takeover; this costs none, and a worker's memory for sources is
 * what one process holds today (bounded by the same byte budget).
 *
 * Order: it is sent from this process's bus outlet, which the pipeline awaits after the commit and
 * before it answers, on the connection that then carries the answer. On one NATS server, that is
 * enough: the server passes this connection's messages on in order, so the next worker the api sends
 * an event to has this one before that event. Across a NATS cluster it is not: the share and the
 * api's next request reach that worker by different routes, and a large share may come second. So
 * each message is numbered, the answer says the number of the last one sent (`mark`), the api sends
 * the highest number it has had from each worker with every request, and a worker scores a request
 * only once it has had those (`arrived`), or after `waitMs`, when it goes on without (counted and
 * logged). A heartbeat repeats the last number every `heartbeatMs`, so a worker that started after a
 * message was sent (it read that message's events from PostgreSQL instead) learns it need not wait
 * for it; and a worker not heard from at all within two heartbeats of this one's start is gone (an
 * api may still name its last number): not waited for. The api sends a batch's events that share an
 * IP or device across partitions one run after another (forwarding-ingest.ts), so an event is scored
 * after every earlier event of its source.
 *
 * The numbers cover the events an api was answered for. A client that sends its next event through
 * another api needs more across a NATS cluster: that api has not heard the number, and the share may
 * still be on its way when the event comes. With `acks` (the distributed mode turns them on when its
 * NATS server is part of a cluster), each share asks every other worker to say it has it and keeps
 * it, and the worker answers only once every worker alive has said so (`delivered`), or after
 * `waitMs` (counted and logged; a worker that did not is not waited for again until it answers in
 * time: cluster/acknowledgements.ts).
 * So whatever route the client's next event takes, the worker that scores it has what was shared
 * before the client was answered. On one NATS server that holds without them (above), and they would
 * only cost each answer a round trip.
 *
 * Not a store of record: a worker that missed messages (NATS away, a restart) rebuilds from
 * PostgreSQL at start, like any process.
 */
export class SourceShare implements BusOutlet {
  private readonly subscription: Subscription;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  /** The number of the last message this worker sent, and when (`performance.now()`). */
  private sent = 0;
  private sentAt = 0;
  /** The highest number had from each other worker (or waited for in vain). */
  private readonly heard = new Map<string, number>();
  /**
   * Workers waited for in vain, not waited for again until a message of theirs comes: one that this
   * worker cannot hear (a route between NATS servers down) would otherwise hold every request.
   */
  private readonly givenUp = new Set<string>();
  private readonly waiters = new Set<Waiter>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly heartbeatMs: number;
  /** When this worker started listening: a live worker is heard from within a heartbeat of it. */
  private readonly listeningSince = performance.now();
  private readonly settling: NodeJS.Timeout;
  /** The other workers saying they have this one's shares (`acks` only), and who is alive. */
  private readonly acks: Acknowledgements | undefined;

  constructor(private readonly deps: SourceShareDependencies) {
    this.subscription = deps.nc.subscribe(deps.names.sourcesSubject, {
      callback: (error, message) => {
        if (error) return deps.onError('the subscription to shared sources failed', error);
        this.receive(message);
      },
    });
    this.heartbeatMs = deps.heartbeatMs ?? 1000;
    if (deps.acks) {
      this.acks = new Acknowledgements({
        nc: deps.nc,
        inboxPrefix: deps.names.sourcesSubject,
        waitMs: deps.waitMs ?? 2000,
        // Two heartbeats and a half: one that stopped is not waited for (its partitions' next owner
        // reads what it missed from PostgreSQL as it takes them over).
        aliveMs: 2.5 * this.heartbeatMs,
        onError: deps.onError,
        ...(deps.onDelivered && { onDelivered: deps.onDelivered }),
      });
    }
    const beat = () => {
      try {
        deps.nc.publish(deps.names.sourcesSubject, this.encoder.encode(JSON.stringify({ origin: deps.origin, seq: this.sent })));
      } catch {
        // NATS is away: the next heartbeat after it is back says the same.
      }
    };
    // One at once: the others count this worker alive (and wait for its acknowledgements) before it
    // serves a partition, which it does only after reading the store.
    beat();
    this.heartbeat = setInterval(beat, this.heartbeatMs);
    this.heartbeat.unref();
    // Once every live worker has been heard from, those waiting for one never heard from go on.
    this.settling = setTimeout(() => this.wake(), 2 * this.heartbeatMs + 1);
    this.settling.unref();
  }

  /**
   * With `acks`: resolves once this worker has listened for a heartbeat and a half, so that it knows
   * which other workers are alive (and waits for them) before it serves a partition. At once without.
   */
  async listening(): Promise<void> {
    await this.acks?.peersKnown();
  }

  /** This worker's id on the subject, for its answers. */
  get origin(): string {
    return this.deps.origin;
  }

  /** Where this worker's shares stand: the number of the last one sent, for its answers. */
  mark(): number {
    return this.sent;
  }

  /**
   * Resolves once every other worker's messages up to the numbers in `after` have been had here, or
   * after `waitMs` (those not had are then given up: later requests do not wait for that worker again
   * until a message of its own comes). Undefined when nothing is missing, which is nearly always.
   */
  arrived(after: ShareMarks | undefined): Promise<void> | undefined {
    if (after === undefined || after === null || typeof after !== 'object') return undefined;
    const missing = Object.entries(after).filter(
      (mark): mark is [string, number] => typeof mark[1] === 'number' && this.missing(mark[0], mark[1]),
    );
    if (missing.length === 0) return undefined;
    const started = performance.now();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        after: missing,
        done: (outcome) => {
          clearTimeout(timer);
          if (!this.waiters.delete(waiter)) return;
          if (outcome === 'late') {
            for (const [origin, seq] of missing) {
              if (!this.missing(origin, seq)) continue;
              this.givenUp.add(origin);
              if (seq > (this.heard.get(origin) ?? 0)) this.heard.set(origin, seq);
            }
          }
          if (outcome !== 'closed') this.deps.onWaited?.(outcome, performance.now() - started);
          resolve();
        },
      };
      const timer = setTimeout(() => waiter.done('late'), this.deps.waitMs ?? 2000);
      this.waiters.add(waiter);
    });
  }

  /**
   * Whether number `seq` of worker `origin` is still to come: not this worker's own, nor the number 0
   * (nothing shared yet), nor of a worker given up, nor one had. A worker never heard from is waited
   * for only in this worker's first two heartbeats of listening: past them it is gone.
   */
  private missing(origin: string, seq: number): boolean {
    if (origin === this.deps.origin || seq <= 0 || this.givenUp.has(origin)) return false;
    const heard = this.heard.get(origin);
    if (heard === undefined) return performance.now() - this.listeningSince <= 2 * this.heartbeatMs;
    return seq > heard;
  }

  /** Lets go the requests that no longer wait for anything. */
  private wake(): void {
    for (const waiter of [...this.waiters]) {
      if (!waiter.after.some(([origin, seq]) => this.missing(origin, seq))) waiter.done('arrived');
    }
  }

  /**
   * With `acks`: resolves once every other worker alive has said it has this worker's shares up to
   * number `seq`, or after `waitMs` (those that did not are then not waited for until they answer in time).
   * Undefined when nobody is to be waited for: no acks, nothing shared, or every worker has it.
   */
  delivered(seq: number): Promise<void> | undefined {
    return this.acks?.delivered(seq, this.sentAt);
  }

  /** The other workers heard from lately (with `acks`; none without). */
  alivePeers(): readonly string[] {
    return this.acks?.alive() ?? [];
  }

  async publish<T extends Topic>(topic: T, message: BusMessages[T]): Promise<void> {
    if (topic === 'events.stored') {
      this.sendEvents((message as BusMessages['events.stored']).filter(readAcrossAccounts));
    } else if (topic === 'alert.raised' || topic === 'alert.updated') {
      const alerts = (message as readonly Alert[]).filter(isSourceAlert);
      if (alerts.length > 0) this.send({ origin: this.deps.origin, alerts });
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.settling);
    this.subscription.unsubscribe();
    this.acks?.close();
    // Nothing more will come: the requests waiting go on.
    for (const waiter of [...this.waiters]) waiter.done('closed');
  }

  /**
   * In messages below NATS's payload limit (1 MB by default; an import's batch of a thousand events
   * is more), each event's JSON made once.
   */
  private sendEvents(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    const limit = Math.max(64 * 1024, (this.deps.nc.info?.max_payload ?? 1024 * 1024) - 64 * 1024);
    const origin = JSON.stringify(this.deps.origin);
    // The number is at most 16 digits: counted in the head's size without knowing it yet.
    const headBytes = `{"origin":${origin},"seq":,"events":[`.length + 16;
    const publish = (parts: readonly string[]) => {
      const seq = this.sent + 1;
      if (this.publishText(`{"origin":${origin},"seq":${seq},"events":[${parts.join(',')}]}`)) this.sentNumber(seq);
    };
    let parts: string[] = [];
    let bytes = headBytes;
    for (const e of events) {
      const json = JSON.stringify(e);
      const size = Buffer.byteLength(json);
      if (parts.length > 0 && bytes + size + 1 > limit) {
        publish(parts);
        parts = [];
        bytes = headBytes;
      }
      parts.push(json);
      bytes += size + 1;
    }
    publish(parts);
  }

  private send(envelope: Omit<SourceEnvelope, 'seq'>): void {
    const seq = this.sent + 1;
    if (this.publishText(JSON.stringify({ ...envelope, seq }))) this.sentNumber(seq);
  }

  private sentNumber(seq: number): void {
    this.sent = seq;
    this.sentAt = performance.now();
  }

  /** Whether NATS took the message: a number is used only by a message sent, so none is waited for in vain. */
  private publishText(text: string): boolean {
    try {
      const options = this.acks === undefined ? undefined : { reply: this.acks.inbox };
      this.deps.nc.publish(this.deps.names.sourcesSubject, this.encoder.encode(text), options);
      return true;
    } catch (error) {
      // NATS is away: the events are committed all the same; the other workers miss them (see above).
      this.deps.onError('sharing stored events with the other workers failed', error);
      return false;
    }
  }

  private receive(message: Msg): void {
    let envelope: SourceEnvelope;
    try {
      envelope = JSON.parse(this.decoder.decode(message.data)) as SourceEnvelope;
    } catch (error) {
      this.deps.onError('an unreadable shared-sources message was ignored', error);
      return;
    }
    if (envelope.origin === this.deps.origin || typeof envelope.origin !== 'string') return;
    this.acks?.heard(envelope.origin);
    try {
      if (envelope.events) this.deps.into.events(envelope.events);
      if (envelope.alerts) this.deps.into.alerts(envelope.alerts);
    } catch (error) {
      this.deps.onError('keeping what another worker shared failed', error);
    }
    // Had (or failed to keep, which waiting longer would not mend): requests waiting for it go on, and
    // its sender, if it asked, hears so.
    if (typeof envelope.seq !== 'number') return;
    if (message.reply) acknowledge(this.deps.nc, message.reply, this.deps.origin, envelope.seq);
    this.givenUp.delete(envelope.origin);
    const heard = this.heard.get(envelope.origin);
    if (heard === undefined || envelope.seq > heard) {
      this.heard.set(envelope.origin, envelope.seq);
      this.wake();
    }
  }
}

/**
 * What another worker reads of an event: its IP and device part (rules across accounts, custom rules
 * counting by IP or device), and a payment's amount and status (the population's baseline, the volume
 * monitor). An event with none of them is its user's alone.
 */
function readAcrossAccounts(e: StoredEvent): boolean {
  return e.ip !== undefined || e.device !== undefined || e.type === 'transaction' || e.type === 'payment.failed';
}

function isSourceAlert(a: Alert): a is SourceAlert {
  return a.subject.kind === 'ip' || a.subject.kind === 'device';
}

/**
 * Whether shares are acknowledged (VIGIL_SHARE_ACKS): `auto` when the NATS server this process is
 * connected to says it is part of a cluster (its INFO names one).
 */
export function wantsShareAcks(setting: 'auto' | 'on' | 'off', server: { readonly cluster?: string } | undefined): boolean {
  return setting === 'on' || (setting === 'auto' && server?.cluster !== undefined);
}

/** Several outlets for one bus: each gets every message, in the order given. */
export function fanOut(...outlets: readonly BusOutlet[]): BusOutlet {
  return {
    async publish(topic, message) {
      for (const outlet of outlets) await outlet.publish(topic, message);
    },
  };
}
