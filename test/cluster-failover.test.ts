import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { System } from '../src/system.js';
import { dropNatsPrefix, freshNatsPrefix, freshPgSchema, NATS_URL, startRole } from './support/cluster.js';
import { INGEST_KEY, TEST_SECRET_KEY } from './support/credentials.js';
import { PROCESS_TEST_TIMEOUT_MS, type RunningServer, startServer, stopChildren } from './support/process.js';

/**
 * The distributed mode as it runs: `vigil serve --role worker` and `--role api` as real processes on
 * the machine's NATS JetStream and PostgreSQL, and a second worker in this process (a process start
 * costs half a minute on a loaded 2-core machine). The child worker is killed with SIGKILL under
 * load. Every child is killed after the file even if a test fails (support/children.ts, and here).
 */
const prefix = freshNatsPrefix();
let survivor: System | undefined;
afterAll(async () => {
  await stopChildren();
  await survivor?.close().catch(() => {});
  await dropNatsPrefix(prefix).catch(() => {});
});

async function health(server: RunningServer): Promise<{ role: string; cluster?: { partitions: number[]; lag: number } }> {
  return (await fetch(`${server.url}/healthz`)).json() as Promise<{ role: string; cluster?: { partitions: number[]; lag: number } }>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Event times of the load: 10 s apart, from two hours ago, so the volume monitor judges minutes as it goes. */
const LOAD_FROM = Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000;
const MINUTE = 60_000;

describe('distributed mode: kill -9 of a worker under load', () => {
  it(
    'stores every 2xx exactly once, answers 503 with retry-after meanwhile, owns every partition again within 10 s, and counts every payment once for the volume monitor',
    async () => {
      const databaseUrl = await freshPgSchema();
      const env = {
        VIGIL_DATABASE_URL: databaseUrl,
        VIGIL_NATS_URL: NATS_URL,
        VIGIL_NATS_PREFIX: prefix,
        VIGIL_PARTITIONS: '16',
        VIGIL_INGEST_KEY: INGEST_KEY,
        VIGIL_SECRET_KEY: TEST_SECRET_KEY,
        VIGIL_DEMO: 'false',
      };
      // The first worker creates the schema before the others start, so they do not race to migrate it.
      const doomed = await startServer({ ...env, VIGIL_ROLE: 'worker' });
      const api = await startServer({ ...env, VIGIL_ROLE: 'api' });
      survivor = await startRole('worker', { databaseUrl, prefix, clock: { now: () => Date.now() } });
      const owned = () => survivor?.cluster?.partitions().length;
      expect((await health(api)).role).toBe('api');
      await until(
        'a fair share each',
        async () => ((await health(doomed)).cluster?.partitions.length === 8 && owned() === 8 ? true : undefined),
        30_000,
      );

      // The doomed worker started alone and kept the lower half when the survivor joined: it holds
      // partition 0, so it counts for the volume monitor until it is killed.
      expect((await health(doomed)).cluster?.partitions).toContain(0);
      expect(survivor.eventCounting.counting).toBe(false);

      // Load: four clients sending events of many users, each event with an id of its own: logins and
      // payments (approved or failed), their event times 10 s apart.
      const answered = new Map<string, number>();
      /** Each payment sent, by id: the minute and status the volume monitor counts it under. */
      const payments = new Map<string, { minute: number; status: string }>();
      let sent = 0;
      let loading = true;
      let missingRetryAfter = 0;
      const client = async (c: number) => {
        while (loading) {
          const n = sent++;
          const id = `evt_load_${c}_${n}`;
          const user = `load-user-${n % 97}`;
          const timestamp = LOAD_FROM + n * 10_000;
          const status = n % 3 === 0 ? 'failed' : 'approved';
          if (n % 2 === 0) payments.set(id, { minute: timestamp - (timestamp % MINUTE), status });
          const event =
            n % 2 === 0
              ? { id, type: 'transaction', user, ip: '81.2.69.160', amount: 20 + (n % 50), currency: 'EUR', attributes: { status } }
              : { id, type: 'login.succeeded', user, ip: '81.2.69.160', device: 'laptop' };
          const res = await fetch(`${api.url}/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ ...event, timestamp: new Date(timestamp).toISOString() }),
          });
          answered.set(id, res.status);
          if (res.status === 503 && res.headers.get('retry-after') === null) missingRetryAfter++;
          await res.arrayBuffer();
        }
      };
      const clients = [0, 1, 2, 3].map(client);
      await until('some load', async () => (answered.size >= 40 ? true : undefined), 60_000);

      await doomed.kill9();
      const killedAt = Date.now();
      const tookOver = await until(
        'the survivor owns every partition',
        async () => (owned() === 16 ? Date.now() - killedAt : undefined),
        30_000,
      );
      // Load goes on a little after the takeover, then stops.
      const after = answered.size;
      await until('load after the takeover', async () => (answered.size >= after + 40 ? true : undefined), 60_000);
      loading = false;
      await Promise.all(clients);

      expect(tookOver).toBeLessThan(10_000);
      const statuses = [...answered.values()];
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
      expect(missingRetryAfter).toBe(0);
      const ok = [...answered].filter(([, s]) => s === 200).map(([id]) => id);
      expect(ok.length).toBeGreaterThan(80);

      // Every event answered 2xx is in PostgreSQL, once.
      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query<{ id: string; n: string }>('select id, count(*) as n from events where id = any($1) group by id', [
          ok,
        ]);
        expect(rows.length).toBe(ok.length);
        expect(rows.every((r) => Number(r.n) === 1)).toBe(true);

        // The volume monitor: the survivor took the counting over from the last minute the killed worker
        // judged. Every minute judged holds each stored payment once: none lost with the killed
        // worker's memory, none counted twice by the two.
        expect(survivor.eventCounting.counting).toBe(true);
        const stored = await db.query<{ id: string }>('select id from events where id = any($1)', [[...payments.keys()]]);
        const expected = new Map<string, number>();
        for (const { id } of stored.rows) {
          const { minute, status } = payments.get(id) as { minute: number; status: string };
          // Each status, and the minute's total: the sum of them all.
          for (const key of [`${minute} ${status}`, `${minute} total`]) expected.set(key, (expected.get(key) ?? 0) + 1);
        }
        // Minutes are judged a minute after their end; the last two of the load may still be open.
        const lastMinute = LOAD_FROM + Math.floor((sent * 10_000) / MINUTE) * MINUTE;
        const judged = await survivor.monitor.series({ from: LOAD_FROM, to: lastMinute - 2 * MINUTE, source: 'events' });
        const counted = new Map(judged.filter((m) => m.count > 0).map((m) => [`${m.minute} ${m.status}`, m.count]));
        const expectedJudged = new Map([...expected].filter(([key]) => Number(key.split(' ')[0]) < lastMinute - 2 * MINUTE));
        expect(expectedJudged.size).toBeGreaterThan(10);
        expect(counted).toEqual(expectedJudged);
      } finally {
        await db.end();
      }
      await api.stop();
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
