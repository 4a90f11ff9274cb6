import { randomBytes } from 'node:crypto';
import { assertExhaustive } from '../core/result.js';
import type { SCENARIOS } from '../domain/vocabulary.js';

/**
 * The member's simulator: each scenario is a short burst of real events for the member's own user,
 * sent through the same ingest path as the client app's, so detection, locks and codes happen for
 * real. Public addresses are used so that geo-IP places them (Tor exit in Germany, São Paulo).
 */
export type Scenario = (typeof SCENARIOS)[number];

const BOT_IP = '185.220.101.4';
const BRAZIL_IP = '200.160.2.3';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';

/** The events of one scenario, oldest first, ending `now`. */
export function scenarioEvents(scenario: Scenario, user: string, now: number): Record<string, unknown>[] {
  const tag = randomBytes(3).toString('hex');
  const at = (msAgo: number) => new Date(now - msAgo).toISOString();
  switch (scenario) {
    case 'failed-logins':
      // Six wrong passwords in a minute: over the failed-login burst rule's 5 in 10 minutes.
      return Array.from({ length: 6 }, (_, i) => ({
        type: 'login.failed',
        user,
        timestamp: at((5 - i) * 10_000),
        ip: BOT_IP,
        device: `sim-bot-${tag}`,
        userAgent: 'python-requests/2.31',
        attributes: { reason: 'bad_password', simulated: true },
      }));
    case 'large-purchase-new-device':
      // An unknown phone logs in (the account had logged in weeks before), and three minutes later
      // spends above the EUR limit: large transaction from a device first seen minutes before, high.
      return [
        {
          // Only so that an account with no history has some: no device or address, so it teaches
          // nothing and raises nothing on an account that has its own.
          type: 'login.succeeded',
          user,
          timestamp: at(20 * 86_400_000),
          attributes: { simulated: true },
        },
        {
          type: 'login.succeeded',
          user,
          timestamp: at(180_000),
          ip: BRAZIL_IP,
          device: `sim-device-${tag}`,
          userAgent: ANDROID,
          session: `sim-${tag}`,
          attributes: { simulated: true },
        },
        {
          type: 'transaction',
          user,
          timestamp: at(0),
          ip: BRAZIL_IP,
          device: `sim-device-${tag}`,
          userAgent: ANDROID,
          amount: 6500,
          currency: 'EUR',
          merchant: 'electronics',
          paymentMethod: `card_sim_${tag}`,
          session: `sim-${tag}`,
          attributes: { simulated: true },
        },
      ];
    case 'password-change':
      return [
        {
          type: 'password.changed',
          user,
          timestamp: at(0),
          device: `sim-laptop-${tag}`,
          userAgent: CHROME,
          attributes: { simulated: true },
        },
      ];
    case 'browsing-burst':
      // 70 pages in under a minute in one session, two of them probes for secrets.
      return Array.from({ length: 70 }, (_, i) => ({
        type: 'page.viewed',
        user,
        timestamp: at((69 - i) * 700),
        ip: BOT_IP,
        device: `sim-crawler-${tag}`,
        userAgent: 'Mozilla/5.0 (compatible; crawler)',
        session: `sim-${tag}`,
        path: i === 30 ? '/.env' : i === 50 ? '/admin' : `/shop/item/${i}`,
        attributes: { simulated: true },
      }));
    case 'login-abroad':
      return [
        {
          type: 'login.succeeded',
          user,
          timestamp: at(0),
          ip: BRAZIL_IP,
          device: `sim-phone-${tag}`,
          userAgent: ANDROID,
          session: `sim-${tag}`,
          attributes: { simulated: true },
        },
      ];
    default:
      return assertExhaustive(scenario, 'scenario');
  }
}
