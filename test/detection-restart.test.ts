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
