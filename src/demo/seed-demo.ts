import type { FastifyBaseLogger } from 'fastify';
import { generateKey } from '../auth/api-keys.js';
import { MINUTE_MS, minuteOf, toSeedRows } from '../monitor/minute-counts.js';
import { DAY_MS, type Incident, SYNTHETIC_STATUSES, syntheticMinutes } from '../monitor/synthetic.js';
import type { System } from '../system.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const CHROME_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const CURL = 'curl/8.4.0';

/**
 * On the first start of an empty database, with no keys configured, creates one ingest and one admin
 * key (printed once, stored hashed) and two weeks of history for three shoppers, so that a newcomer
 * has something to query. Production sets VIGIL_DEMO=false or configures keys, and gets nothing.
 */
export async function seedDemo(system: System, log: FastifyBaseLogger): Promise<void> {
  if (system.config.ingestKey || system.config.adminKey) return;
  if ((await system.apiKeys.count()) > 0 || (await system.events.countEvents()) > 0) return;

  const ingest = generateKey('ingest', 'demo ingest key', system.clock);
  const admin = generateKey('admin', 'demo admin key', system.clock);
  await system.apiKeys.ensure({ ...ingest.key, source: 'demo' }, ingest.secretHash);
  await system.apiKeys.ensure({ ...admin.key, source: 'demo' }, admin.secretHash);
  for (const { key } of [ingest, admin]) {
    await system.audit.record('vigil', 'key.created', `key:${key.id}`, { keyId: key.id, role: key.role, prefix: key.prefix });
  }

  // Contacts first, so that the response to carol's attack can send her a code (to the outbox, without SMTP).
  for (const user of ['alice', 'bob', 'carol']) await system.accountService.setContact(user, { email: `${user}@example.com` }, 'demo');
  const report = await system.ingest.ingest(demoHistory(system.clock.now()));
  const volume = await seedDemoVolumes(system);
  log.info({ events: report.accepted, volumeAlerts: volume.alerts }, 'demo history loaded');
  // Printed once, to the terminal rather than the structured log: only the hash is kept.
  process.stdout.write(
    [
      '',
      'Vigil demo: this database was empty, so demo keys and two weeks of history were created.',
      'These keys are shown once; only their hashes are stored.',
      `  ingest key: ${ingest.secret}`,
      `  admin key:  ${admin.secret}`,
      'Try:',
      `  curl -s -H 'Authorization: Bearer ${admin.secret}' http://${system.config.host}:${system.config.port}/v1/users/alice/events?limit=5`,
      `  curl -s -H 'Authorization: Bearer ${admin.secret}' http://${system.config.host}:${system.config.port}/v1/accounts/carol   # locked by the attack`,
      `  curl -s -H 'Authorization: Bearer ${admin.secret}' http://${system.config.host}:${system.config.port}/v1/outbox          # her unlock code, without SMTP`,
      '',
    ].join('\n'),
  );
}

/** Minutes of the demo's volume monitor reported as live, ending at the time the demo is seeded. */
export const DEMO_LIVE_MINUTES = 6 * 60;

/**
 * The last live hours of the demo's volume monitor: a failed spike, then approved payments stopping
 * (checkout broken). They stop outright because the demo may start at night, when the synthetic shop
 * approves about 19 payments a minute and only a few other outcomes show that the approval share
 * fell: stopping outright is found within 3 minutes at every hour (seed-demo.test.ts).
 */
export function demoIncidents(liveStart: number): Incident[] {
  const at = (minutesIn: number) => liveStart + minutesIn * MINUTE_MS;
  return [
    { label: 'failed spike', status: 'failed', start: at(4 * 60 + 25), minutes: 4, factor: 5, extra: 20 },
    { label: 'approved payments stop', status: 'approved', start: at(5 * 60 + 20), minutes: 6, factor: 0, extra: 0 },
  ];
}

/**
 * The transaction-volume monitor's demo: two days of per-minute counts learned as history (no alert),
 * then the last six hours reported as live minutes with two incidents, which raise transaction alerts
 * and show in red on the monitor page.
 */
async function seedDemoVolumes(system: System): Promise<{ alerts: number }> {
  const liveStart = minuteOf(system.clock.now()) - DEMO_LIVE_MINUTES * MINUTE_MS;
  await system.monitor.train(syntheticMinutes({ from: liveStart - 2 * DAY_MS, minutes: 2 * 1440, seed: 7 }), 'vigil');
  const live = syntheticMinutes({ from: liveStart, minutes: DEMO_LIVE_MINUTES, seed: 8, incidents: demoIncidents(liveStart) });
  const perMinute = SYNTHETIC_STATUSES.length;
  const alerts = new Set<string>();
  // Minute by minute, as a live feed sends them: an alert repeats while its incident lasts.
  for (let i = 0; i < live.length; i += perMinute) {
    const answer = await system.monitor.submit(toSeedRows(live.slice(i, i + perMinute)));
    if (answer.ok) for (const a of answer.value.anomalies) if (a.alertId) alerts.add(a.alertId);
  }
  return { alerts: alerts.size };
}

/** Three shoppers: Alice at home in Berlin, Bob in London who flies to New York, Carol under attack. */
export function demoHistory(now: number): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  const at = (ms: number) => new Date(now - ms).toISOString();
  for (let day = 14; day >= 1; day--) {
    const base = day * DAY;
    events.push(
      {
        type: 'login.succeeded',
        user: 'alice',
        timestamp: at(base - 9 * HOUR),
        ip: '91.64.10.20',
        device: 'alice-laptop',
        userAgent: CHROME_WIN,
        session: `a-${day}`,
      },
      {
        type: 'page.viewed',
        user: 'alice',
        timestamp: at(base - 9 * HOUR - 60_000),
        ip: '91.64.10.20',
        device: 'alice-laptop',
        path: '/shop/shoes',
        session: `a-${day}`,
      },
      {
        type: 'login.succeeded',
        user: 'bob',
        timestamp: at(base - 19 * HOUR),
        ip: day > 3 ? '81.2.69.160' : '3.80.0.10',
        device: 'bob-iphone',
        userAgent: SAFARI_IPHONE,
        session: `b-${day}`,
      },
    );
    if (day % 3 === 0) {
      events.push({
        type: 'transaction',
        user: 'alice',
        timestamp: at(base - 9 * HOUR - 300_000),
        ip: '91.64.10.20',
        device: 'alice-laptop',
        amount: 40 + day,
        currency: 'EUR',
        merchant: 'shoes',
        session: `a-${day}`,
      });
    }
    if (day % 4 === 0) {
      events.push({
        type: 'transaction',
        user: 'bob',
        timestamp: at(base - 19 * HOUR - 120_000),
        ip: '81.2.69.160',
        device: 'bob-iphone',
        amount: 25,
        currency: 'GBP',
        merchant: 'books',
        session: `b-${day}`,
      });
    }
    events.push({
      type: 'login.succeeded',
      user: 'carol',
      timestamp: at(base - 12 * HOUR),
      ip: '151.101.1.1',
      device: 'carol-pc',
      userAgent: FIREFOX_LINUX,
      session: `c-${day}`,
    });
  }
  for (let i = 0; i < 8; i++) {
    events.push({
      type: 'login.failed',
      user: 'carol',
      timestamp: at(2 * HOUR - i * 20_000),
      ip: '185.220.101.4',
      device: `bot-${i}`,
      userAgent: CURL,
      attributes: { reason: 'bad_password' },
    });
  }
  events.push(
    {
      type: 'login.succeeded',
      user: 'carol',
      timestamp: at(2 * HOUR - 200_000),
      ip: '185.220.101.4',
      device: 'bot-9',
      userAgent: CURL,
      session: 'c-x',
    },
    { type: 'password.changed', user: 'carol', timestamp: at(2 * HOUR - 260_000), ip: '185.220.101.4', device: 'bot-9', session: 'c-x' },
    {
      type: 'transaction',
      user: 'carol',
      timestamp: at(2 * HOUR - 320_000),
      ip: '185.220.101.4',
      device: 'bot-9',
      amount: 1899,
      currency: 'EUR',
      merchant: 'electronics',
      paymentMethod: 'card_new_0007',
      session: 'c-x',
    },
  );
  return events.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
}
