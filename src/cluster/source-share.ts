import type { NatsConnection, Subscription } from 'nats';
import type { BusMessages, Topic } from '../bus/bus.js';
import type { BusOutlet } from '../bus/in-process-bus.js';
import type { StoredEvent } from '../domain/activity-event.js';
import type { Alert, SourceAlert } from '../domain/alert.js';
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
  /** This process's id among those on the subject: its own messages come back to it and are skipped. */
  readonly origin: string;
  readonly into: SharedSources;
  readonly onError: (message: string, error: unknown) => void;
}

interface SourceEnvelope {
  readonly origin: string;
  readonly events?: readonly StoredEvent[];
  readonly alerts?: readonly SourceAlert[];
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
 * before it answers, on the connection that then carries the answer. NATS delivers one connection's
 * messages in order, so the next worker the api sends an event to has received this one before that
 * event, and keeps it at once (in the subscription's callback) before the event is scored. The api
 * sends a batch's events that share an IP or device across partitions one run after another
 * (forwarding-ingest.ts), so an event is scored after every earlier event of its source.
 *
 * Not a store of record: a worker that missed messages (NATS away, a restart) rebuilds from
 * PostgreSQL at start, like any process.
 */
export class SourceShare implements BusOutlet {
  private readonly subscription: Subscription;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(private readonly deps: SourceShareDependencies) {
    this.subscription = deps.nc.subscribe(deps.names.sourcesSubject, {
      callback: (error, message) => {
        if (error) return deps.onError('the subscription to shared sources failed', error);
        this.receive(message.data);
      },
    });
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
    this.subscription.unsubscribe();
  }

  /**
   * In messages below NATS's payload limit (1 MB by default; an import's batch of a thousand events
   * is more), each event's JSON made once.
   */
  private sendEvents(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    const limit = Math.max(64 * 1024, (this.deps.nc.info?.max_payload ?? 1024 * 1024) - 64 * 1024);
    const head = `{"origin":${JSON.stringify(this.deps.origin)},"events":[`;
    let parts: string[] = [];
    let bytes = head.length;
    for (const e of events) {
      const json = JSON.stringify(e);
      const size = Buffer.byteLength(json);
      if (parts.length > 0 && bytes + size + 1 > limit) {
        this.publishText(`${head}${parts.join(',')}]}`);
        parts = [];
        bytes = head.length;
      }
      parts.push(json);
      bytes += size + 1;
    }
    this.publishText(`${head}${parts.join(',')}]}`);
  }

  private send(envelope: SourceEnvelope): void {
    this.publishText(JSON.stringify(envelope));
  }

  private publishText(text: string): void {
    try {
      this.deps.nc.publish(this.deps.names.sourcesSubject, this.encoder.encode(text));
    } catch (error) {
      // NATS is away: the events are committed all the same; the other workers miss them (see above).
      this.deps.onError('sharing stored events with the other workers failed', error);
    }
  }

  private receive(data: Uint8Array): void {
    let envelope: SourceEnvelope;
    try {
      envelope = JSON.parse(this.decoder.decode(data)) as SourceEnvelope;
    } catch (error) {
      this.deps.onError('an unreadable shared-sources message was ignored', error);
      return;
    }
    if (envelope.origin === this.deps.origin) return;
    try {
      if (envelope.events) this.deps.into.events(envelope.events);
      if (envelope.alerts) this.deps.into.alerts(envelope.alerts);
    } catch (error) {
      this.deps.onError('keeping what another worker shared failed', error);
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

/** Several outlets for one bus: each gets every message, in the order given. */
export function fanOut(...outlets: readonly BusOutlet[]): BusOutlet {
  return {
    async publish(topic, message) {
      for (const outlet of outlets) await outlet.publish(topic, message);
    },
  };
}
