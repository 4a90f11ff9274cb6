import type { GeoIp } from '../src/enrich/geoip.js';
import { Rng } from './rng.js';

/**
 * Addresses per country and city, found by asking the bundled DB-IP database (never guessed): random
 * addresses are drawn from a few first octets where each country's consumer ISPs hold large blocks,
 * looked up, and kept only where the lookup names that country and a city. The cities keep the
 * lookup's own coordinates, which impossible travel measures with.
 */
export interface GeoCity {
  readonly country: string;
  readonly city: string;
  readonly region?: string;
  readonly latitude: number;
  readonly longitude: number;
  /** Every one of these looked up as this country and city (one per /24). */
  readonly addresses: readonly string[];
}

export interface GeoTable {
  /** Per country, its cities with most addresses first. */
  readonly countries: ReadonlyMap<string, readonly GeoCity[]>;
}

/**
 * First octets to probe per country: blocks of the large national ISPs (e.g. 90/86 Orange and SFR in
 * France, 84/79/91/93 Deutsche Telekom and Vodafone in Germany, 126/60/153 SoftBank and NTT in Japan,
 * 73/24/98/71 Comcast, Charter and Verizon in the US). They are only where to look: every address is
 * checked against the database before it is used.
 */
export const PROBE_OCTETS: Readonly<Record<string, readonly number[]>> = {
  FR: [90, 86, 78, 92, 109],
  DE: [84, 79, 91, 87, 93, 217],
  GB: [81, 86, 31, 51, 82],
  US: [73, 24, 98, 71, 68, 76],
  JP: [126, 60, 153, 118, 219],
  AU: [1, 58, 101, 110, 120, 124],
  ES: [79, 80, 83, 88, 95, 213],
  IT: [2, 79, 87, 93, 95, 151],
  NL: [62, 77, 84, 145],
  CA: [24, 70, 99, 142, 174],
  BR: [177, 179, 187, 189, 191, 200],
  PL: [31, 46, 83, 89],
  SE: [78, 83, 90, 213],
  IN: [49, 59, 103, 106, 117, 122],
  PT: [2, 85, 89, 94, 188],
};

const MIN_ADDRESSES_PER_CITY = 6;
const MAX_CITIES_PER_COUNTRY = 12;

/** Probes `probesPerCountry` addresses for each country; the same seed and database give the same table. */
export function buildGeoTable(geoIp: GeoIp, countries: readonly string[], seed: number, probesPerCountry = 6000): GeoTable {
  const result = new Map<string, GeoCity[]>();
  for (const country of [...new Set(countries)].sort()) {
    const octets = PROBE_OCTETS[country];
    if (!octets) throw new Error(`no probe ranges for country ${country}: add it to PROBE_OCTETS`);
    const rng = new Rng(`geo:${seed}:${country}`);
    const byCity = new Map<string, { city: string; region?: string; latitude: number; longitude: number; addresses: string[] }>();
    const networks = new Set<string>();
    for (let i = 0; i < probesPerCountry; i++) {
      const o1 = rng.pick(octets);
      const network = `${o1}.${rng.int(0, 255)}.${rng.int(0, 255)}`;
      const ip = `${network}.${rng.int(2, 250)}`;
      if (networks.has(network)) continue;
      const found = geoIp.lookup(ip, 4);
      if (found?.country !== country || !found.city || found.latitude === undefined || found.longitude === undefined) continue;
      networks.add(network);
      const key = `${found.city}|${found.region ?? ''}`;
      let entry = byCity.get(key);
      if (!entry) {
        entry = {
          city: found.city,
          ...(found.region !== undefined && { region: found.region }),
          latitude: found.latitude,
          longitude: found.longitude,
          addresses: [],
        };
        byCity.set(key, entry);
      }
      entry.addresses.push(ip);
    }
    const cities = [...byCity.values()]
      .filter((c) => c.addresses.length >= MIN_ADDRESSES_PER_CITY)
      .sort((a, b) => b.addresses.length - a.addresses.length || a.city.localeCompare(b.city))
      .slice(0, MAX_CITIES_PER_COUNTRY)
      .map((c) => ({ country, ...c }));
    if (cities.length === 0) throw new Error(`the geo-IP database gave no city with enough addresses for ${country}`);
    result.set(country, cities);
  }
  return { countries: result };
}

/** Great-circle distance in km. */
export function distanceKm(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}
