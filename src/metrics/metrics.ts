import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds, from a fast in-memory score (50 µs) to a slow database commit (2.5 s). */
const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Events per group commit: from one request on an idle server to full groups (256) and NDJSON batches. */
const GROUP_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/**
 * What an operator watches, in Prometheus's format (`GET /metrics`). One registry per running Vigil,
 * never prom-client's global one: tests start several systems in one process, and each must count
 * its own events. Updated on the hot path with counters and histograms only (no allocation per
 * event beyond prom-client's label lookup), so counting costs less than a microsecond an event.
 */
export class VigilMetrics {
  readonly registry = new Registry();
  /** Events received for scoring, by how they ended: stored, duplicate, rejected, not_stored. */
  readonly eventsIn: Counter<'outcome'>;
  /** Decisions of stored events, by kind (allow, challenge, block). */
  readonly decisions: Counter<'decision'>;
  /** Detection of one event: the rules, scoring and alert de-duplication, in memory. */
  readonly scoringSeconds: Histogram;
  /** POST /v1/events from request to answer, as the client sees it (after the commit). */
  readonly requestSeconds: Histogram<'route'>;
  /** Events per group commit (one transaction). */
  readonly groupCommitEvents: Histogram;
  /** One group commit's transaction, from the insert asked for to its commit. */
  readonly databaseSeconds: Histogram<'operation'>;
  /** Distributed mode: partitions this worker owns now. */
  readonly partitionsOwned: Gauge;
  /** Distributed mode: partitions taken or given up by this worker since start. */
  readonly rebalances: Counter<'change'>;
  /** Distributed mode: events sent to this worker and not answered yet. */
  readonly consumerLag: Gauge;
  /** Distributed mode (api): events sent to a partition's owner, by outcome (answered, no_owner, timeout). */
  readonly forwarded: Counter<'outcome'>;
  /** Distributed mode (worker): requests that waited for other workers' shares, by outcome (arrived, late). */
  readonly shareWaits: Counter<'outcome'>;
  readonly shareAcks: Counter<'what' | 'outcome'>;
  /** Open alerts held in memory to merge repeats into (detect/alert-book.ts), read when scraped. */
  readonly openAlertsHeld: Gauge;
  private heldAlerts: () => number = () => 0;

  constructor(labels: { readonly role: string }) {
    this.registry.setDefaultLabels({ role: labels.role });
    // CPU, memory, event-loop lag and GC of this process, under the conventional `process_`/`nodejs_` names.
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.eventsIn = new Counter({ name: 'vigil_events_in_total', help: 'Events received, by outcome', labelNames: ['outcome'], registers });
    this.decisions = new Counter({
      name: 'vigil_decisions_total',
      help: 'Decisions of stored events, by kind',
      labelNames: ['decision'],
      registers,
    });
    this.scoringSeconds = new Histogram({
      name: 'vigil_scoring_seconds',
      help: 'Detection time of one event',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'vigil_ingest_request_seconds',
      help: 'End-to-end time of an ingest request, until answered after its commit',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.groupCommitEvents = new Histogram({
      name: 'vigil_group_commit_events',
      help: 'Events per group commit',
      buckets: GROUP_BUCKETS,
      registers,
    });
    this.databaseSeconds = new Histogram({
      name: 'vigil_database_seconds',
      help: 'Database write latency, by operation',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.partitionsOwned = new Gauge({ name: 'vigil_partitions_owned', help: 'Partitions this worker owns', registers });
    this.rebalances = new Counter({
      name: 'vigil_rebalances_total',
      help: 'Partitions taken (acquired) or given up (released, lost) by this worker',
      labelNames: ['change'],
      registers,
    });
    this.consumerLag = new Gauge({ name: 'vigil_consumer_lag_events', help: 'Events sent to this worker and not answered yet', registers });
    this.forwarded = new Counter({
      name: 'vigil_forwarded_events_total',
      help: "Events an api process sent to their partition's owner, by outcome",
      labelNames: ['outcome'],
      registers,
    });
    this.shareWaits = new Counter({
      name: 'vigil_share_waits_total',
      help: "Requests a worker held until other workers' shares their api had heard of came (arrived), or went on without them (late)",
      labelNames: ['outcome'],
      registers,
    });
    this.shareAcks = new Counter({
      name: 'vigil_share_acks_total',
      help: 'Answers held until every worker alive said it had what was shared or changed (acked), or sent without after the wait (late): NATS clusters, VIGIL_SHARE_ACKS',
      labelNames: ['what', 'outcome'],
      registers,
    });
    const held = () => this.heldAlerts();
    this.openAlertsHeld = new Gauge({
      name: 'vigil_open_alerts_held',
      help: 'Open alerts held in memory to merge repeats into (in the distributed mode: those of the partitions this worker owns)',
      registers,
      collect() {
        this.set(held());
      },
    });
  }

  /** What `vigil_open_alerts_held` reads at each scrape. */
  countOpenAlertsHeld(count: () => number): void {
    this.heldAlerts = count;
  }

  /** The text exposition format, for `GET /metrics`. */
  async text(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
