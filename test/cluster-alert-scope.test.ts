import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../src/cluster/partitions.js';
import { buildApp } from '../src/http/app.js';
import type { System } from '../src/system.js';
import { fixedClock } from './support/clock.js';
import { dropNatsPrefix, freshNatsPrefix, freshPgSchema, startRole } from './support/cluster.js';
import { ADMIN_KEY, INGEST_KEY } from './support/credentials.js';

/**
 * Every process hears of every alert a person moves on or a worker updates (cluster/bus-relay.ts),
 * but only the worker that scores the alert's user needs it in memory, to merge repeats into. On the
 * machine's NATS and PostgreSQL: an api keeps none, and a worker lets go of a partition's alerts when
 * it gives the partition up, while the worker taking it over loads them and merges into them.
 */
const clock = fixedClock('2026-03-10T12:00:00Z');
const prefix = freshNatsPrefix();
/** The second test's cluster: its own leases and schema, apart from the first's workers. */
const racePrefix = freshNatsPrefix();
const PARTITIONS = 16;
const USERS = ['scope-a', 'scope-b', 'scope-c', 'scope-d', 'scope-e', 'scope-f', 'scope-g', 'scope-h'];
const running: System[] = [];
let databaseUrl = '';
const env = { VIGIL_INGEST_KEY: INGEST_KEY, VIGIL_ADMIN_KEY: ADMIN_KEY, VIGIL_RESPONSE_POLICY: '[]' };
const timings = { leaseMs: 2000, tickMs: 200 };

async function start(role: 'api' | 'worker'): Promise<System> {
  const system = await startRole(role, { databaseUrl, prefix, clock, env, timings });
  running.push(system);
  return system;
}

beforeAll(async () => {
  databaseUrl = await freshPgSchema();
}, 60_000);

afterAll(async () => {
  for (const s of running.splice(0).reverse()) await s.close().catch(() => {});
  await dropNatsPrefix(prefix).catch(() => {});
  await dropNatsPrefix(racePrefix).catch(() => {});
});

/** What `GET /metrics` says of the open alerts the process holds. */
async function heldAlerts(system: System): Promise<number> {
  return (await system.metrics.openAlertsHeld.get()).values[0]?.value ?? Number.NaN;
}

/** Sends one failed login of a user through an api, a tenth of a second after the last one sent. */
function failedLogins(api: Awaited<ReturnType<typeof buildApp>>): (user: string) => Promise<{ alertId?: string }> {
  let sent = 0;
  return async (user) => {
    const res = await api.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${INGEST_KEY}` },
      payload: {
        type: 'login.failed',
        user,
        ip: '81.2.69.160',
        device: 'laptop',
        timestamp: new Date(clock.now() - 120_000 + sent++ * 100).toISOString(),
      },
    });
    expect(res.statusCode).toBe(200);
    return res.json() as { alertId?: string };
  };
}

async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 20_000; !(await done()); await new Promise((r) => setTimeout(r, 50)))
    if (Date.now() > deadline) throw new Error(`not within 20 s: ${what}`);
}

describe('distributed mode: open alerts are held where their user is scored', () => {
  it('none in an api; a worker lets go of the partitions it gives up, and the next owner merges into them', async () => {
    const first = await start('worker');
    await until('the first worker owns every partition', () => first.cluster?.partitions().length === PARTITIONS);
    const apiSystem = await start('api');
    const api = await buildApp(apiSystem, { checkResponses: true });
    try {
      const send = failedLogins(api);
      // Five failed logins each: one failed-login-burst alert per user.
      const alertOf = new Map<string, string>();
      for (const user of USERS) {
        let answer: { alertId?: string } = {};
        for (let i = 0; i < 5; i++) answer = await send(user);
        expect(answer.alertId).toBeDefined();
        alertOf.set(user, answer.alertId as string);
      }
      // A person acknowledges one through the api: still open, announced to every process.
      const acknowledged = await api.inject({
        method: 'POST',
        url: `/v1/alerts/${alertOf.get('scope-a')}/acknowledge`,
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(acknowledged.statusCode).toBe(200);

      expect(await heldAlerts(first)).toBe(USERS.length);
      expect(await heldAlerts(apiSystem)).toBe(0);

      // A second worker joins: the first gives up half of the partitions, the second takes them.
      const second = await start('worker');
      await until(
        'the partitions are shared',
        () => first.cluster?.partitions().length === PARTITIONS / 2 && second.cluster?.partitions().length === PARTITIONS / 2,
      );
      const ownedBySecond = (user: string) => second.cluster?.partitions().includes(partitionOf(user, PARTITIONS)) ?? false;
      const moved = USERS.filter(ownedBySecond);
      // The users' partitions were drawn, not chosen: both workers must hold some for the test to say anything.
      expect(moved.length).toBeGreaterThan(0);
      expect(moved.length).toBeLessThan(USERS.length);
      // The second loads its partitions' open alerts from the store as it takes them over.
      await until('the second worker has loaded the alerts of its partitions', async () => (await heldAlerts(second)) === moved.length);
      expect(await heldAlerts(first)).toBe(USERS.length - moved.length);
      expect(await heldAlerts(apiSystem)).toBe(0);

      // A repeat for a user whose partition moved is merged into that user's alert by its new owner.
      const user = moved[0] as string;
      const repeat = await send(user);
      expect(repeat.alertId).toBe(alertOf.get(user));
    } finally {
      await api.close();
    }
  });
});

describe('distributed mode: a worker giving several partitions up at once', () => {
  it('merges a request still under way into its user’s open alert, whichever of the releases ends first', async () => {
    // A second worker joining makes the first give up its upper half of the partitions, all at once.
    // Two users there, in two partitions, each with an open alert; a third user below, kept.
    const upper = (user: string) => partitionOf(user, PARTITIONS) >= PARTITIONS / 2;
    const candidates = Array.from({ length: 64 }, (_, i) => `race-${i}`);
    const held = candidates.find(upper) as string;
    const other = candidates.find((u) => upper(u) && partitionOf(u, PARTITIONS) !== partitionOf(held, PARTITIONS)) as string;
    const newcomer = candidates.find((u) => !upper(u)) as string;

    const databaseUrl = await freshPgSchema();
    const startIn = async (role: 'api' | 'worker') => {
      const system = await startRole(role, { databaseUrl, prefix: racePrefix, clock, env, timings });
      running.push(system);
      return system;
    };
    const first = await startIn('worker');
    await until('the first worker owns every partition', () => first.cluster?.partitions().length === PARTITIONS);
    const api = await buildApp(await startIn('api'), { checkResponses: true });
    const blocker = new pg.Client({ connectionString: databaseUrl });
    await blocker.connect();
    let second: Promise<System> | undefined;
    try {
      const send = failedLogins(api);
      const alertOf = new Map<string, string | undefined>();
      for (const user of [held, other]) {
        let answer: { alertId?: string } = {};
        for (let i = 0; i < 5; i++) answer = await send(user);
        alertOf.set(user, answer.alertId);
      }
      expect(alertOf.get(held)).toBeDefined();
      expect(alertOf.get(other)).toBeDefined();

      // The newcomer's first event reads what the store knows of them before it is scored: held up
      // here by a lock on that table, and the held user's next event waits behind it to be scored.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE user_seen IN ACCESS EXCLUSIVE MODE');
      const newcomerAnswer = send(newcomer);
      const heldAnswer = send(held);
      await until('both requests are under way in the first worker', () => first.cluster?.lag() === 2);

      second = startIn('worker');
      // The other user's partition has nothing under way: its release ends, and with it its alerts go.
      await until('the first worker let go of the other user’s alert', async () => (await heldAlerts(first)) < 2);
      // The held user's stays until its own partition's release ends, after the request under way.
      expect(await heldAlerts(first)).toBe(1);
      await blocker.query('COMMIT');

      expect((await newcomerAnswer).alertId).toBeUndefined();
      // Scored once its turn came, while its partition was still being given up: the same alert grows.
      expect((await heldAnswer).alertId).toBe(alertOf.get(held));
      const rows = await blocker.query('SELECT count(*)::int AS n FROM alerts WHERE user_id = $1', [held]);
      expect(rows.rows[0].n).toBe(1);
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      await blocker.end();
      await second?.catch(() => {});
      await api.close();
    }
  });
});
