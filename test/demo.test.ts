import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { seedDemo } from '../src/demo/seed-demo.js';
import { alertUser } from '../src/domain/alert.js';
import { createSystem, type System } from '../src/system.js';
import { sharedGeoIp, TEST_SECRET_KEY } from './support/app.js';
import { freshDatabase, type TestDatabase } from './support/database.js';

/**
 * What `npm start` shows a newcomer on an empty database: demo keys printed once, shoppers' history
 * with carol under attack and locked, and the volume monitor with incidents in red.
 */
let db: TestDatabase;
let system: System;
const quiet = { info() {}, warn() {}, error() {} };
// A fixed clock, so that this test's counts are the same whatever time it runs; that the demo's
// incidents stand out at every hour of the day is src/demo/seed-demo.test.ts's to show.
const DEMO_NOW = Date.parse('2026-11-24T12:00:00Z');

beforeEach(async () => {
  db = await freshDatabase();
  system = await createSystem(loadConfig({ VIGIL_DATABASE_URL: db.url, VIGIL_DEMO: 'true', VIGIL_SECRET_KEY: TEST_SECRET_KEY }), {
    geoIp: await sharedGeoIp(),
    logger: quiet,
    clock: { now: () => DEMO_NOW },
  });
});
afterEach(async () => {
  await system.close();
  await db.drop();
});

async function seed(): Promise<string> {
  const printed: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => printed.push(String(chunk)) > 0) as typeof process.stdout.write;
  try {
    await seedDemo(system, quiet as never);
    await system.accountService.settled();
  } finally {
    process.stdout.write = write;
  }
  return printed.join('');
}

describe('the demo on a first start', () => {
  it('prints two keys once, loads the shoppers, locks carol with a code in the outbox, and plants monitor incidents', async () => {
    const printed = await seed();
    expect(printed).toMatch(/ingest key: vgl_\S+/);
    expect(printed).toMatch(/admin key: +vgl_\S+/);
    expect(await system.apiKeys.count()).toBe(2);

    expect((await system.accountService.view('carol')).locked).toBe(true);
    expect((await system.outbox.list({ user: 'carol', limit: 10 })).some((m) => /\b\d{6}\b/.test(m.body))).toBe(true);

    // The volume monitor: two days learned, then live hours in which a failed spike and approved
    // payments stopping raise transaction alerts that the monitor page shows in red.
    const baselines = await system.monitor.baselines();
    expect(baselines.map((b) => b.status)).toEqual(expect.arrayContaining(['approved', 'denied', 'failed']));
    const traffic = await system.alerts.list({ type: 'transaction', limit: 20 });
    expect(traffic.map((a) => a.subject)).toEqual(
      expect.arrayContaining([
        { kind: 'status', value: 'failed' },
        { kind: 'status', value: 'approved' },
      ]),
    );
    expect(traffic.map(alertUser)).toEqual(expect.arrayContaining(['status:failed', 'status:approved']));
    const anomalies = await system.monitor.anomalies({ limit: 100 });
    expect(anomalies.filter((a) => a.status === 'failed' && a.direction === 'rise').length).toBe(4);
    expect(anomalies.filter((a) => a.status === 'approved' && a.direction === 'drop').length).toBe(6);
  });

  it('does nothing on a database that already has keys or events', async () => {
    await seed();
    const again = await seed();
    expect(again).toBe('');
    expect(await system.apiKeys.count()).toBe(2);
  });
});
