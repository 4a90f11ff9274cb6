import type { LRUCache } from 'lru-cache';
import { boundedCache } from '../core/bounded-cache.js';
import type { ActivityEvent, Enrichment, GeoInfo } from '../domain/activity-event.js';
import type { GeoIp } from './geoip.js';
import { type IpFacts, ipFacts } from './ip-network.js';
import type { NoveltyTracker, SeenRecord } from './novelty.js';
import type { UserAgentParser } from './user-agent.js';

export interface EnrichedBatch {
  readonly enrichments: readonly Enrichment[];
  /** Newly learnt facts, to be stored in the same transaction as the events. */
  readonly learnt: readonly SeenRecord[];
}

/** What an address tells, the same for every event that comes from it. */
interface Place {
  readonly ip: IpFacts;
  readonly geo: GeoInfo | undefined;
}

/**
 * Adds geo-IP, user-agent, novelty and familiarity facts to events, in order, so novelty follows
 * arrival order.
 */
export class Enricher {
  /**
   * Addresses recently seen. A user keeps one address for a session, so most events repeat one:
   * a hit skips parsing the address and walking the geo-IP tree (several microseconds together, a
   * tenth of enrichment). The entries are shared between events, as the user-agent cache's are.
   */
  private readonly places: LRUCache<string, Place>;

  constructor(
    private readonly geoIp: GeoIp,
    private readonly userAgents: UserAgentParser,
    private readonly novelty: NoveltyTracker,
    maxAddresses = 50_000,
  ) {
    this.places = boundedCache(maxAddresses);
  }

  async enrich(events: readonly ActivityEvent[]): Promise<EnrichedBatch> {
    const batch = await this.novelty.prepare(events.map((e) => e.user));
    const learnt: SeenRecord[] = [];
    const enrichments = events.map((event): Enrichment => {
      const place = event.ip === undefined ? undefined : this.place(event.ip);
      const ip = place?.ip;
      const geo = place?.geo;
      // The assessment ({ novelty, familiarity }) is the enrichment object itself: no copy per event.
      const enrichment: { -readonly [K in keyof Enrichment]: Enrichment[K] } = batch.assess(
        event.user,
        {
          device: event.device,
          country: geo?.country,
          network: ip?.scope === 'public' ? ip.network : undefined,
          paymentMethod: event.paymentMethod,
        },
        event.type === 'login.failed' ? 'nothing' : event.type === 'login.succeeded' ? 'login' : 'event',
        event.occurredAt,
        learnt,
      );
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

  private place(address: string): Place {
    const known = this.places.get(address);
    if (known) return known;
    const ip = ipFacts(address);
    const geo = ip.scope === 'public' ? this.geoIp.lookup(ip.lookupAddress, ip.version) : undefined;
    const place = Object.freeze({ ip: Object.freeze(ip), geo: geo && Object.freeze(geo) });
    this.places.set(address, place);
    return place;
  }

  /** See NoveltyTracker.forget: called when the batch's write failed. */
  forget(users: Iterable<string>): void {
    this.novelty.forget(users);
  }
}
