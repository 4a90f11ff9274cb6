import type { ActivityEvent, Enrichment } from '../ingest/activity-event.js';
import type { GeoIp } from './geoip.js';
import { ipFacts } from './ip-network.js';
import type { NoveltyTracker, SeenRecord } from './novelty.js';
import type { UserAgentParser } from './user-agent.js';

export interface EnrichedBatch {
  readonly enrichments: readonly Enrichment[];
  /** Newly learnt facts, to be stored in the same transaction as the events. */
  readonly learnt: readonly SeenRecord[];
}

/** Adds geo-IP, user-agent and novelty facts to events, in order, so novelty follows arrival order. */
export class Enricher {
  constructor(
    private readonly geoIp: GeoIp,
    private readonly userAgents: UserAgentParser,
    private readonly novelty: NoveltyTracker,
  ) {}

  async enrich(events: readonly ActivityEvent[]): Promise<EnrichedBatch> {
    const batch = await this.novelty.prepare(events.map((e) => e.user));
    const learnt: SeenRecord[] = [];
    const enrichments = events.map((event): Enrichment => {
      const ip = event.ip === undefined ? undefined : ipFacts(event.ip);
      const geo = ip?.scope === 'public' ? this.geoIp.lookup(ip.lookupAddress, ip.version) : undefined;
      const novelty = batch.assess(
        event.user,
        { device: event.device, country: geo?.country, network: ip?.scope === 'public' ? ip.network : undefined },
        event.type !== 'login.failed',
        event.occurredAt,
        learnt,
      );
      const enrichment: { -readonly [K in keyof Enrichment]: Enrichment[K] } = { novelty };
      if (ip) {
        enrichment.ipScope = ip.scope;
        enrichment.network = ip.network;
      }
      if (geo) enrichment.geo = geo;
      if (event.userAgent !== undefined) enrichment.userAgent = this.userAgents.parse(event.userAgent);
      return enrichment;
    });
    return { enrichments, learnt };
  }

  /** See NoveltyTracker.forget: called when the batch's write failed. */
  forget(users: Iterable<string>): void {
    this.novelty.forget(users);
  }
}
