import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { createSystem, type System } from '../src/system.js';
import { ADMIN_KEY, INGEST_KEY, sharedGeoIp } from './support/app.js';
import { runningClock, TEST_NOW } from './support/clock.js';
import { freshDatabase, type TestDatabase } from './support/database.js';

let db: TestDatabase | undefined;
let system: System | undefined;
// Both starts run from the same fixed instant: what the restart replays (its 25 h) never depends on the hour of the run.
const clock = runningClock(TEST_NOW);
afterEach(async () => {
  await system?.close();
  await db?.drop();
});

async function start(database: TestDatabase) {
  system = await createSystem(
    loadConfig({ VIGIL_DATABASE_URL: database.url, VIGIL_INGEST_KEY: INGEST_KEY, VIGIL_ADMIN_KEY: ADMIN_KEY, VIGIL_DEMO: 'false' }),
    { clock, geoIp: await sharedGeoIp(), logger: { info() {}, warn() {}, error() {} } },
  );
  const app = await buildApp(system);
  return {
    send: async (body: unknown) =>
      (
        await app.inject({
          method: 'POST',
          url: '/v1/events',
          headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        })
      ).json(),
    alert: async (id: string) =>
      (await app.inject({ method: 'GET', url: `/v1/alerts/${id}`, headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json(),
    stop: async () => {
      await app.close();
      await system?.close();
      system = undefined;
    },
  };
}

describe('detection state across a restart', () => {
  it('keeps the windows: failures before a restart count towards a burst after it', async () => {
    db = await freshDatabase();
    const t = TEST_NOW - 5 * 60_000;
    const failure = (i: number) => ({
      type: 'login.failed',
      user: 'erin',
      ip: '203.0.113.7',
      timestamp: new Date(t + i * 10_000).toISOString(),
    });

    const first = await start(db);
    for (let i = 0; i < 4; i++) expect((await first.send(failure(i))).reasons).toEqual([]);
    await first.stop();

    const second = await start(db);
    const fifth = await second.send(failure(4));
    expect(fifth.reasons.map((r: { rule: string }) => r.rule)).toContain('failed-login-burst');
    expect(fifth.reasons[0].message).toContain('5 failed logins');
    // The open alert is remembered too: the sixth failure updates it instead of raising another.
    const sixth = await second.send(failure(5));
    expect(sixth.alertId).toBe(fifth.alertId);
    await second.stop();
  });

  it('grows the alerts open before the restart, about an account and about an IP, keeping their events', async () => {
    db = await freshDatabase();
    const t = TEST_NOW - 5 * 60_000;
    const failure = (user: string, i: number, ip = '198.51.100.20') => ({
      id: `evt-${user}-${i}`,
      type: 'login.failed',
      user,
      ip,
      timestamp: new Date(t + i * 1_000).toISOString(),
    });
    const first = await start(db);
    // A burst on frank's account, and ten accounts failing from one IP: an alert about each.
    let aboutFrank = '';
    for (let i = 0; i < 5; i++) aboutFrank = (await first.send(failure('frank', i))).alertId ?? aboutFrank;
    let aboutIp = '';
    for (let i = 0; i < 10; i++) aboutIp = (await first.send(failure(`guest${i}`, 10 + i, '203.0.113.50'))).alertId ?? aboutIp;
    expect((await first.alert(aboutIp)).subject).toEqual({ kind: 'ip', value: '203.0.113.50' });
    const ipBefore = (await first.alert(aboutIp)).occurrences;
    await first.stop();

    const second = await start(db);
    expect((await second.send(failure('frank', 5))).alertId).toBe(aboutFrank);
    const frank = await second.alert(aboutFrank);
    expect(frank.occurrences).toBe(2);
    expect(frank.events.map((e: { id: string }) => e.id)).toEqual(['evt-frank-4', 'evt-frank-5']);
    // An eleventh account from the IP, a user with no alert of its own: the IP's alert grows.
    expect((await second.send(failure('guest10', 20, '203.0.113.50'))).alertId).toBe(aboutIp);
    const ip = await second.alert(aboutIp);
    expect(ip.occurrences).toBe(ipBefore + 1);
    expect(ip.events.at(-1).id).toBe('evt-guest10-20');
    expect(ip.events.length).toBeGreaterThan(1);
    await second.stop();
  });

  it("keeps an account's spending baseline from before the windows: a large purchase after a restart is still unusual", async () => {
    db = await freshDatabase();
    const daysAgo = (d: number, i: number) => new Date(TEST_NOW - d * 86_400_000 + i * 60_000).toISOString();
    const first = await start(db);
    for (let i = 0; i < 6; i++) {
      expect(
        (await first.send({ type: 'transaction', user: 'fay', amount: 90 + i * 5, currency: 'EUR', timestamp: daysAgo(3, i) })).decision,
      ).toBe('allow');
    }
    await first.stop();

    const second = await start(db);
    const big = await second.send({ type: 'transaction', user: 'fay', amount: 900, currency: 'EUR' });
    expect(big.reasons.map((r: { rule: string }) => r.rule)).toContain('large-transaction');
    expect(big.reasons[0].message).toMatch(/median/);
    await second.stop();
  });
});
