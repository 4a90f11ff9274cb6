import { createInbox, type NatsConnection, type Subscription } from 'nats';

export interface AcknowledgementsOptions {
  readonly nc: NatsConnection;
  /** The subject this process's inbox for acknowledgements is made under (its messages' subject). */
  readonly inboxPrefix: string;
  /** How long a message waits for the others to say they have it; the silent are then given up. */
  readonly waitMs: number;
  /** A process not heard from for this long is gone: not waited for. */
  readonly aliveMs: number;
  readonly onError: (message: string, error: unknown) => void;
  /** A message waited for the others (`delivered`): whether they all said they had it, and how long it took. */
  readonly onDelivered?: (outcome: 'acked' | 'late', waitedMs: number) => void;
}

/** A message waiting for the processes alive when it was sent to say they have it. */
interface Waiter {
  readonly seq: number;
  readonly peers: readonly string[];
  readonly done: (outcome: 'acked' | 'late' | 'closed') => void;
}

interface Peer {
  /** When it was first heard from: a message sent before that never reached it. */
  readonly firstHeard: number;
  lastHeard: number;
  /** The highest number it said it had. */
  acked: number;
  /** Not waited for since it let a wait for this number pass, until it says in time that it has the latest. */
  givenUpAt: number | undefined;
}

/** Peers not heard from for this long are forgotten (a process restarted has another origin). */
const FORGET_MS = 10 * 60_000;

/**
 * Delivery confirmed by every other process alive, for what must be had everywhere before an answer
 * goes out across a NATS cluster (shares between workers, changes people make). Core NATS keeps the
 * order of one connection's messages; across the servers of a cluster, a message and a client's next
 * request sent through another server take different routes, and the message may come second. So the
 * sender numbers its messages and asks for acknowledgements at `inbox`; each receiver answers once
 * the message is in its memory (`acknowledge`), and the sender waits (`delivered`) until every process
 * alive that was heard from before the message was sent has, or `waitMs` has passed. One that did not
 * answer in time is not waited for again until it says it has the latest message within `waitMs` of
 * its sending: a route that lost it, or a process held up, costs one answer the wait, not every answer.
 */
export class Acknowledgements {
  readonly inbox: string;
  private readonly subscription: Subscription;
  private readonly peers = new Map<string, Peer>();
  private readonly waiters = new Set<Waiter>();
  private readonly decoder = new TextDecoder();
  private closed = false;
  /** The latest number waited for, and when it was sent. */
  private latest = { seq: 0, sentAt: 0 };
  /** When this process began to listen for the others. */
  private readonly since = performance.now();

  constructor(private readonly options: AcknowledgementsOptions) {
    this.inbox = createInbox(options.inboxPrefix);
    this.subscription = options.nc.subscribe(this.inbox, {
      callback: (error, message) => {
        if (error) return options.onError(`the subscription to acknowledgements at ${options.inboxPrefix} failed`, error);
        this.acknowledged(message.data);
      },
    });
    this.watchConnection();
  }

  /** Another process is alive (any message or heartbeat of its own). */
  heard(origin: string): void {
    const now = performance.now();
    const peer = this.peers.get(origin);
    if (peer) peer.lastHeard = now;
    else this.peers.set(origin, { firstHeard: now, lastHeard: now, acked: 0, givenUpAt: undefined });
  }

  /**
   * Resolves once this process has listened for three fifths of `aliveMs` (a heartbeat and a half,
   * when `aliveMs` is two and a half): every other process alive has been heard from by then, so
   * that it waits for them before it answers anyone.
   */
  async peersKnown(): Promise<void> {
    const left = this.since + 0.6 * this.options.aliveMs - performance.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }

  /** The other processes heard from within `aliveMs`. */
  alive(): string[] {
    const now = performance.now();
    const alive: string[] = [];
    for (const [origin, peer] of this.peers) {
      if (peer.lastHeard >= now - this.options.aliveMs) alive.push(origin);
      else if (peer.lastHeard < now - FORGET_MS) this.peers.delete(origin);
    }
    return alive;
  }

  /**
   * Resolves once every other process alive, heard from before `sentAt` (a `performance.now()`), has
   * said it has this one's messages up to number `seq`, or after `waitMs`. Undefined when there is
   * nobody to wait for.
   */
  delivered(seq: number, sentAt: number): Promise<void> | undefined {
    if (seq <= 0 || this.closed) return undefined;
    if (seq > this.latest.seq) this.latest = { seq, sentAt };
    const peers = this.alive().filter((origin) => (this.peers.get(origin)?.firstHeard ?? Infinity) <= sentAt && this.missing(origin, seq));
    if (peers.length === 0) return undefined;
    const started = performance.now();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        seq,
        peers,
        done: (outcome) => {
          clearTimeout(timer);
          if (!this.waiters.delete(waiter)) return;
          if (outcome === 'late') {
            for (const origin of peers) {
              const peer = this.peers.get(origin);
              if (peer && this.missing(origin, seq)) peer.givenUpAt = Math.max(peer.givenUpAt ?? 0, seq);
            }
          }
          if (outcome !== 'closed') this.options.onDelivered?.(outcome, performance.now() - started);
          resolve();
        },
      };
      const timer = setTimeout(() => waiter.done('late'), this.options.waitMs);
      this.waiters.add(waiter);
    });
  }

  close(): void {
    this.closed = true;
    this.subscription.unsubscribe();
    for (const waiter of [...this.waiters]) waiter.done('closed');
  }

  private missing(origin: string, seq: number): boolean {
    const peer = this.peers.get(origin);
    return peer !== undefined && peer.givenUpAt === undefined && peer.acked < seq;
  }

  private acknowledged(data: Uint8Array): void {
    let ack: { origin?: unknown; seq?: unknown };
    try {
      ack = JSON.parse(this.decoder.decode(data)) as typeof ack;
    } catch (error) {
      this.options.onError('an unreadable acknowledgement was ignored', error);
      return;
    }
    if (typeof ack.origin !== 'string' || typeof ack.seq !== 'number') return;
    const peer = this.peers.get(ack.origin);
    if (!peer || ack.seq <= peer.acked) return;
    peer.acked = ack.seq;
    // Waited for again once it says it has the latest message within the wait of its sending: one that
    // is always a little late would otherwise make every answer wait the whole time.
    const { latest } = this;
    if (peer.givenUpAt !== undefined && ack.seq >= latest.seq && performance.now() - latest.sentAt <= this.options.waitMs) {
      peer.givenUpAt = undefined;
    }
    for (const waiter of [...this.waiters]) {
      if (!waiter.peers.some((origin) => this.missing(origin, waiter.seq))) waiter.done('acked');
    }
  }

  /**
   * After NATS was away, nobody's heartbeat came for a while: every process known is taken as alive
   * again (those that died drop out after `aliveMs`), so that the answers right after the return wait
   * for them rather than for nobody.
   */
  private watchConnection(): void {
    void (async () => {
      for await (const status of this.options.nc.status()) {
        if (this.closed) return;
        if (status.type !== 'reconnect') continue;
        const now = performance.now();
        for (const peer of this.peers.values()) peer.lastHeard = Math.max(peer.lastHeard, now);
      }
    })().catch(() => {});
  }
}

const encoder = new TextEncoder();

/** Says at `reply` that process `origin` has the sender's message number `seq`. */
export function acknowledge(nc: NatsConnection, reply: string, origin: string, seq: number): void {
  try {
    nc.publish(reply, encoder.encode(JSON.stringify({ origin, seq })));
  } catch {
    // NATS is away: the sender goes on after its wait.
  }
}
