import { MmdbGeoIp } from '../../src/enrich/geoip.js';

let geoIp: Promise<MmdbGeoIp> | undefined;
/**
 * One geo-IP reader per test file: it holds ~65 MB per IP version. A module of its own, not app.ts's,
 * so that tests which enrich without the suite's database do not import it (see database.ts).
 */
export function sharedGeoIp(): Promise<MmdbGeoIp> {
  geoIp ??= MmdbGeoIp.openBoth();
  return geoIp;
}
