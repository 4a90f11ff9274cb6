/**
 * The benchmarks' events: deterministic, varied users, addresses, devices and sessions, the same for
 * the HTTP benchmark (run.ts) and the in-process one (pipeline.ts).
 */
import { seededRandom } from '../src/anomaly/random.js';

export const USERS = 10_000;

/** Public IPv4 /16s from a spread of countries and ISPs; the last two octets vary. */
const NETWORKS = [
  '81.2',
  '2.125',
  '89.160',
  '175.16',
  '216.160',
  '67.43',
  '24.24',
  '95.91',
  '151.38',
  '185.12',
  '46.114',
  '78.46',
  '91.198',
  '109.190',
  '176.9',
  '188.114',
  '203.0',
  '212.58',
  '62.210',
  '84.17',
];

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
];

export interface UserProfile {
  readonly user: string;
  readonly ip: string;
  readonly device: string;
  readonly userAgent: string;
}

const users: readonly UserProfile[] = (() => {
  const rand = seededRandom(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const octet = () => 1 + Math.floor(rand() * 253);
  return Array.from({ length: USERS }, (_, i) => ({
    user: `u${i}`,
    ip: `${pick(NETWORKS)}.${octet()}.${octet()}`,
    device: `d${i}`,
    userAgent: pick(USER_AGENTS),
  }));
})();

/**
 * Event time: event `n` happens EVENT_SPACING_MS after event n − 1, the last numbered one (the
 * stream's last) an hour before the run. Each of the 10,000 users then acts about every
 * seven minutes, as busy shoppers do. Without timestamps every event happened "now", so a run packed
 * each user's hundred logins into a few minutes of event time: every window filled up, ordinary
 * users crossed the failed-login and velocity thresholds, and the run measured an attack storm
 * that grew as it went (alerts rose from 12% to 22% of events) rather than the mix it describes.
 */
const EVENT_SPACING_MS = 43.2;

/**
 * The benchmark's events, numbered up to `lastEventNumber` (which happens an hour before now).
 * Event number `n`: user n mod 10,000; mostly successful logins from the user's usual address and
 * device, sometimes a new address or device (so novelty and geo-velocity have something to do), a
 * few failed logins, page views and transactions.
 */
export function benchEvents(lastEventNumber: number): { users: readonly UserProfile[]; eventJson(n: number): string } {
  const timeZero = Date.now() - 3_600_000 - lastEventNumber * EVENT_SPACING_MS;
  return { users, eventJson: (n) => eventJson(n, timeZero) };
}

function eventJson(n: number, timeZero: number): string {
  const u = users[n % USERS] as UserProfile;
  const h = (Math.imul(n, 2654435761) >>> 0) % 100;
  const ip = h < 5 ? `${NETWORKS[(n >>> 3) % NETWORKS.length]}.${(n >>> 5) % 250}.${(n % 250) + 1}` : u.ip;
  const device = h >= 5 && h < 8 ? `d${u.user}-new${n % 7}` : u.device;
  const session = `s${Math.floor(n / USERS)}-${n % USERS}`;
  const timestamp = new Date(timeZero + n * EVENT_SPACING_MS).toISOString();
  const base = `"user":"${u.user}","timestamp":"${timestamp}","ip":"${ip}","device":"${device}","userAgent":"${u.userAgent}","session":"${session}"`;
  if (h < 80) return `{"type":"login.succeeded",${base}}`;
  if (h < 88) return `{"type":"page.viewed",${base},"path":"/account/orders"}`;
  if (h < 94) return `{"type":"login.failed",${base}}`;
  return `{"type":"transaction",${base},"amount":${((n % 500) + 5).toFixed(2)},"currency":"EUR","merchant":"shop-${n % 13}"}`;
}
