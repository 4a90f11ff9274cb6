/**
 * Builders for the anomaly tests (not used at run time): a month of ordinary stored events for many
 * accounts, enriched as Vigil would have enriched them, and a training source over them.
 */

import type { TrainingSource } from '../detect/model-trainer.js';
import type { GeoInfo, StoredEvent } from '../domain/activity-event.js';
import type { EventType } from '../domain/event-schema.js';
import { seededRandom } from './random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const CITIES: ReadonlyArray<GeoInfo & { readonly network: string }> = [
  { country: 'GB', city: 'London', latitude: 51.51, longitude: -0.09, accuracyKm: 50, network: '81.2.69.0/24' },
  { country: 'DE', city: 'Bamberg', latitude: 49.9, longitude: 10.9, accuracyKm: 50, network: '91.64.10.0/24' },
  { country: 'FR', city: 'Paris', latitude: 48.87, longitude: 2.32, accuracyKm: 50, network: '62.210.16.0/24' },
  { country: 'SE', city: 'Linkoping', latitude: 58.41, longitude: 15.63, accuracyKm: 50, network: '77.111.247.0/24' },
  { country: 'ES', city: 'Madrid', latitude: 40.42, longitude: -3.7, accuracyKm: 50, network: '88.1.2.0/24' },
];
export const RIO: GeoInfo & { readonly network: string } = {
  country: 'BR',
  city: 'Rio de Janeiro',
  latitude: -22.91,
  longitude: -43.17,
  accuracyKm: 50,
  network: '200.147.35.0/24',
};
export const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36';
export const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1';

export interface Shopper {
  readonly user: string;
  readonly home: GeoInfo & { readonly network: string };
  readonly usualHour: number;
  readonly basket: number;
}

/** Enriches like the ingest path: novelty against what each user did before, failed logins teaching nothing. */
export class Enrich {
  private readonly seen = new Map<string, { devices: Set<string>; countries: Set<string>; networks: Set<string> }>();
  private n = 0;

  event(
    type: EventType,
    user: string,
    occurredAt: number,
    place: GeoInfo & { readonly network: string },
    fields: { device?: string; userAgent?: string; amount?: number; currency?: string; merchant?: string } = {},
  ): StoredEvent {
    let known = this.seen.get(user);
    const hasHistory = known !== undefined;
    if (!known) {
      known = { devices: new Set(), countries: new Set(), networks: new Set() };
      this.seen.set(user, known);
    }
    const { network, ...geo } = place;
    const novelty = {
      hasHistory,
      newDevice: fields.device === undefined ? null : !known.devices.has(fields.device),
      newCountry: geo.country === undefined ? null : !known.countries.has(geo.country),
      newNetwork: !known.networks.has(network),
    };
    if (type !== 'login.failed') {
      if (fields.device !== undefined) known.devices.add(fields.device);
      if (geo.country !== undefined) known.countries.add(geo.country);
      known.networks.add(network);
    } else if (!hasHistory) this.seen.delete(user);
    return {
      id: `e${++this.n}`,
      type,
      user,
      occurredAt,
      receivedAt: occurredAt,
      ...fields,
      enrichment: { geo, network, novelty },
      result: { id: `e${this.n}`, decision: 'allow', risk: 0, severity: 'none', reasons: [] },
    };
  }
}

/**
 * `days` of ordinary behaviour before `end` for `accounts` shoppers: most days a login near the
 * shopper's usual hour from home on their laptop; now and then the phone, a mobile network, a typo
 * before logging in, two days abroad for one in ten; purchases around their usual basket at a few
 * favourite shops, sometimes a new one.
 */
export function ordinaryMonth(options: { accounts: number; days: number; end: number; seed?: number }): {
  events: StoredEvent[];
  shoppers: Shopper[];
  enrich: Enrich;
} {
  const random = seededRandom(options.seed ?? 7);
  const enrich = new Enrich();
  const shoppers: Shopper[] = Array.from({ length: options.accounts }, (_, i) => ({
    user: `shopper${i}`,
    home: CITIES[i % CITIES.length] as Shopper['home'],
    usualHour: 7 + (i % 13),
    basket: 20 + ((i * 37) % 180),
  }));
  const raw: Array<() => StoredEvent> = [];
  const at: number[] = [];
  const push = (t: number, make: () => StoredEvent) => {
    at.push(t);
    raw.push(make);
  };
  const start = Math.floor(options.end / DAY) * DAY - options.days * DAY;
  for (const [i, s] of shoppers.entries()) {
    for (let d = 0; d < options.days; d++) {
      if (random() < 0.2) continue;
      const t = start + d * DAY + (s.usualHour + (random() - 0.5) * 3) * HOUR;
      const onPhone = random() < 0.08;
      const device = onPhone ? `${s.user}-phone` : `${s.user}-laptop`;
      const userAgent = onPhone ? IPHONE : CHROME;
      // One shopper in ten spends two days in another country; others sometimes use a mobile network.
      const away = i % 10 === 3 && (d === 12 || d === 13);
      const place = away
        ? (CITIES[(i + 2) % CITIES.length] as Shopper['home'])
        : random() < 0.05
          ? { ...s.home, network: `10.${d}.0.0/24` }
          : s.home;
      if (random() < 0.04) push(t - 2 * 60_000, () => enrich.event('login.failed', s.user, t - 2 * 60_000, place, { device }));
      push(t, () => enrich.event('login.succeeded', s.user, t, place, { device, userAgent }));
      if (random() < 0.35) {
        const amount = Math.round(s.basket * (0.5 + random()) * 100) / 100;
        const merchant = random() < 0.1 ? `shop-${Math.floor(random() * 50)}` : `fav-${Math.floor(random() * 3)}`;
        const tx = t + (5 + random() * 30) * 60_000;
        push(tx, () => enrich.event('transaction', s.user, tx, place, { device, amount, currency: 'EUR', merchant }));
      }
    }
  }
  // Built in time order, so novelty is what the ingest path would have found.
  const order = at.map((t, i) => [t, i] as const).sort((a, b) => a[0] - b[0]);
  const events = order.map(([, i]) => (raw[i] as () => StoredEvent)());
  return { events, shoppers, enrich };
}

/** A TrainingSource over events in memory, with the store's contract: [from, to), time order, pages. */
export function memorySource(events: readonly StoredEvent[]): TrainingSource {
  return {
    async *scan(from, to, options = {}) {
      const page = events.filter((e) => e.occurredAt >= from && e.occurredAt < to && (!options.types || options.types.includes(e.type)));
      for (let i = 0; i < page.length; i += 500) yield page.slice(i, i + 500);
    },
  };
}
