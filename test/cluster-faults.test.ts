import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import type { System } from '../src/system.js';
import { freshNatsPrefix, freshPgSchema, type PrivateNats, startPrivateNats, startRole } from './support/cluster.js';
import { INGEST_KEY, TEST_SECRET_KEY } from './support/credentials.js';
import { Load, storedOnce, until } from './support/fault-load.js';
import { PROCESS_TEST_TIMEOUT_MS, type RunningServer, startServer, stopChildren } from './support/process.js';

/**
 * The distributed mode under faults other than a worker's death (cluster-failover.test.ts): an api
 * process killed with SIGKILL under load and started again, then the NATS server itself killed and
 * started again under load. NATS here is a server of the test's own (the machine's binary, another
 * port and directory): the machine's is shared with other tests. Everything started is stopped after
 * the file, whatever happened.
 */
const running: System[] = [];
let nats: PrivateNats | undefined;
afterAll(async () => {
  await stopChildren();
  for (const s of running.splice(0).reverse()) await s.close().catch(() => {});
  await nats?.stop();
});

describe('distributed mode: an api killed, then NATS restarted, under load', () => {
  it(
    'answers no 2xx for an event it did not store, 503 with retry-after while NATS is away, and serves again after each',
    async () => {
      nats = await startPrivateNats();
      const databaseUrl = await freshPgSchema();
      const prefix = freshNatsPrefix();
      const clock = { now: () => Date.now() };
      const natsUrl = nats.url;
      const env = {
        VIGIL_ROLE: 'api',
        VIGIL_DATABASE_URL: databaseUrl,
        VIGIL_NATS_URL: natsUrl,
        VIGIL_NATS_PREFIX: prefix,
        VIGIL_PARTITIONS: '16',
        VIGIL_INGEST_KEY: INGEST_KEY,
        VIGIL_SECRET_KEY: TEST_SECRET_KEY,
        VIGIL_DEMO: 'false',
      };

      // The api process starts (the slow part: half of this test) while the worker starts here.
      const apiStarting = startServer(env);
      // Awaited below; until then a failed start must not be an unhandled rejection.
      apiStarting.catch(() => {});
      // Short leases, so that the worker holds its partitions again soon after NATS comes back.
      const worker = await startRole('worker', { databaseUrl, prefix, clock, natsUrl, timings: { leaseMs: 2000, tickMs: 200 } });
      running.push(worker);
      // The api of part 2 (in this process, to shorten its deadline) is built now too, while the other starts.
      const inProcessApi = await startRole('api', { databaseUrl, prefix, clock, natsUrl, env, timings: { deadlineMs: 1000 } });
      running.push(inProcessApi);
      await until('the worker owns every partition', () => (worker.cluster?.partitions().length === 16 ? true : undefined), 20_000);

      // 1. The api process killed with SIGKILL mid-load, then started again (on another port).
      let api: RunningServer = await apiStarting;
      const overHttp = new Load(async (id, n) => {
        const user = `fault-user-${n % 53}`;
        const res = await fetch(`${api.url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ id, type: 'login.succeeded', user, ip: '81.2.69.160', device: 'laptop' }),
        });
        await res.arrayBuffer();
        return { status: res.status, retryAfter: res.headers.get('retry-after') };
      });
      await overHttp.more('load through the api process', 200, 30);
      await api.kill9();
      await overHttp.more('clients find the api gone', 0, 1);
      api = await startServer(env);
      await overHttp.more('load through the restarted api process', 200, 30);
      await overHttp.stop();
      await api.stop();

      // 2. NATS killed mid-load and started again: the api answers 503 with retry-after meanwhile,
      // and 200 again once it and the worker are back.
      const app = await buildApp(inProcessApi);
      // Ids of their own: the same id as an event of part 1 would be that event's repeat, answered from the store.
      const throughNats = new Load(
        async (id, n) => {
          const user = `fault-user-${n % 53}`;
          const res = await app.inject({
            method: 'POST',
            url: '/v1/events',
            headers: { authorization: `Bearer ${INGEST_KEY}` },
            payload: { id, type: 'login.succeeded', user, ip: '81.2.69.160', device: 'laptop' },
          });
          return {
            status: res.statusCode,
            retryAfter: res.headers['retry-after'] === undefined ? null : String(res.headers['retry-after']),
          };
        },
        { idPrefix: 'evt_nats' },
      );
      try {
        await throughNats.more('load through NATS', 200, 30);
        await nats.kill9();
        await throughNats.more('503 while NATS is away', 503, 3);
        await nats.start();
        await throughNats.more('load after NATS is back', 200, 30, 30_000);
      } finally {
        await throughNats.stop();
        await app.close();
      }
      await until('the worker owns every partition again', () => (worker.cluster?.partitions().length === 16 ? true : undefined), 10_000);

      const all = new Map([...overHttp.answered, ...throughNats.answered]);
      // No answer at all (the killed api), 503 (no worker reachable), or 200: never another failure.
      expect([...all.values()].filter((s) => s !== 0 && s !== 200 && s !== 503)).toEqual([]);
      expect(overHttp.count(503) + throughNats.count(503)).toBeGreaterThanOrEqual(3);
      expect(overHttp.missingRetryAfter + throughNats.missingRetryAfter).toBe(0);
      const ok = [...all].filter(([, s]) => s === 200).map(([id]) => id);
      expect(ok.length).toBeGreaterThanOrEqual(90);
      await storedOnce(databaseUrl, ok);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
