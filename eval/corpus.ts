import { planStories, type Story } from './attacks.js';
import type { GeoTable } from './geo-table.js';
import type { CorpusParams } from './params.js';
import { AddressBook, buildShoppers, generateBenign } from './population.js';
import { Rng } from './rng.js';
import { EventSink, type LabelledEvent } from './world.js';

/** A labelled corpus: every event in time order, the stories, and which ordinary events count as ordinary. */
export interface Corpus {
  readonly params: CorpusParams;
  readonly events: readonly LabelledEvent[];
  readonly stories: readonly Story[];
  readonly users: readonly string[];
  /**
   * Per account an attack touched, the moment from which its ordinary events are no longer counted
   * as ordinary: a lock or an attacker's device learnt by then is the attack's doing, not a false positive.
   */
  readonly attackedFrom: ReadonlyMap<string, number>;
}

/** Countries the corpus needs addresses for (shoppers, routes and attackers). */
export function corpusCountries(params: CorpusParams): string[] {
  return [...new Set([...params.countries.map(([c]) => c), ...params.routes.flatMap((r) => [r.from, r.to])])].sort();
}

export function generateCorpus(params: CorpusParams, geo: GeoTable): Corpus {
  const rng = new Rng(params.seed);
  const addresses = new AddressBook(geo);
  const sink = new EventSink();
  const shoppers = buildShoppers(params, rng.fork('shoppers'), addresses);
  generateBenign(params, rng.fork('benign'), shoppers, addresses, sink);
  const benign = [...sink.events];
  const stories = planStories(params, rng.fork('stories'), shoppers, benign, addresses, sink);

  const end = Date.parse(params.start) + params.days * 24 * 3_600_000;
  const attackedFrom = new Map<string, number>();
  for (const s of stories) for (const u of s.users) attackedFrom.set(u, Math.min(attackedFrom.get(u) ?? Number.POSITIVE_INFINITY, s.start));
  const events = sink.events.filter((e) => e.at < end).sort((a, b) => a.at - b.at || a.seq - b.seq);
  return { params, events, stories, users: shoppers.map((s) => s.id), attackedFrom };
}
