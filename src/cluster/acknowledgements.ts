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

/**
 * Delivery confirmed by every other process alive, for what must be had everywhere before an answer
 * goes out across a NATS cluster (shares between workers, changes people make). Core NATS keeps the
 * order of one connection's messages; across the servers of a cluster, a message and a client's next
 * request sent through another server take different routes, and the message may come second. So the
 * sender numbers its messages and asks for acknowledgements at `inbox`; each receiver answers once
 * the message is in its memory (`acknowledge`), and the sender waits (`delivered`) until every process
 * it heard from within `aliveMs` has, or `waitMs` has passed. One that did not answer in time is not
 * waited for again until it answers: a route that lost it, or a process held up, costs one answer
 * the wait, not every answer.
 */
export class Acknowledgements {
  readonly inbox: string;
  private readonly subscription: Subscription;
  /** When each other process was last heard from. */
  private readonly lastHeard = new Map<string, number>();
  /** The highest number each other process said it had. */
  private readonly acked = new Map<string, number>();
  private readonly givenUp = new Set<string>();
  private readonly waiters = new Set<Waiter>();
  private readonly decoder = new TextDecoder();

  constructor(private readonly options: AcknowledgementsOptions) {
    this.inbox = createInbox(options.inboxPrefix);
    this.subscription = options.nc.subscribe(this.inbox, {
      callback: (error, message) => {
        if (error) return options.onError(`the subscription to acknowledgements at ${options.inboxPrefix} failed`, error);
        this.acknowledged(message.data);
      },
    });
  }

  /** Another process is alive (any message or heartbeat of its own). */
  heard(origin: string): void {
    this.lastHeard.set(origin, performance.now());
  }

  /** The other processes heard from within `aliveMs`. */
  alive(): string[] {
    const since = performance.now() - this.options.aliveMs;
    const alive: string[] = [];
    for (const [origin, at] of this.lastHeard) {
      if (at >= since) alive.push(origin);
      else this.lastHeard.delete(origin);
    }
    return alive;
  }

  /**
   * Resolves once every other process alive has said it has this one's messages up to number `seq`,
   * or after `waitMs`. Undefined when there is nobody to wait for.
   */
  delivered(seq: number): Promise<void> | undefined {
    if (seq <= 0) return undefined;
    const peers = this.alive().filter((origin) => this.missing(origin, seq));
    if (peers.length === 0) return undefined;
    const started = performance.now();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        seq,
        peers,
        done: (outcome) => {
          clearTimeout(timer);
          if (!this.waiters.delete(waiter)) return;
          if (outcome === 'late') for (const origin of peers) if (this.missing(origin, seq)) this.givenUp.add(origin);
          if (outcome !== 'closed') this.options.onDelivered?.(outcome, performance.now() - started);
          resolve();
        },
      };
      const timer = setTimeout(() => waiter.done('late'), this.options.waitMs);
      this.waiters.add(waiter);
    });
  }

  close(): void {
    this.subscription.unsubscribe();
    for (const waiter of [...this.waiters]) waiter.done('closed');
  }

  private missing(origin: string, seq: number): boolean {
    return !this.givenUp.has(origin) && (this.acked.get(origin) ?? 0) < seq;
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
    this.givenUp.delete(ack.origin);
    if (ack.seq <= (this.acked.get(ack.origin) ?? 0)) return;
    this.acked.set(ack.origin, ack.seq);
    for (const waiter of [...this.waiters]) {
      if (!waiter.peers.some((origin) => this.missing(origin, waiter.seq))) waiter.done('acked');
    }
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
