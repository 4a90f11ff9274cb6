import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../src/cluster/partitions.js';
import { freshMigratedPgSchema, freshNatsPrefix, type PrivateNats, startPrivateNats } from './support/cluster.js';
import { INGEST_KEY, TEST_SECRET_KEY } from './support/credentials.js';
import { type Answer, Load, storedOnce, until } from './support/fault-load.js';
import { PROCESS_TEST_TIMEOUT_MS, type RunningServer, startServer, stopChildren } from './support/process.js';
import { TcpRelay, type VirtualHost, VirtualNetwork } from './support/virtual-network.js';

/**
 * The fault test of the distributed mode across hosts: every process on a host of its own, a network
 * namespace with one interface on a private bridge (support/virtual-network.ts), so that the apis,
 * the workers and NATS talk over a network, as on several machines, and nothing relies on sharing
 * one loopback. NATS is a server of the test's own on its own host; PostgreSQL is the machine's (a
 * schema of the test's own), reached through a relay of the test's own on the bridge's gateway,
 * its configuration unchanged.
 *
 * Under load through both apis: `kill -9` of a worker, then of an api, both started again, then the
 * NATS server killed and started again. Everything started (processes, relay, namespaces) is
 * stopped or removed after the file, whatever happened.
 */
const PARTITIONS = 16;
const LONDON = '81.2.69.160';
const NEW_YORK = '3.80.0.10';

let network: VirtualNetwork | undefined;
let relay: TcpRelay | undefined;
let nats: PrivateNats | undefined;
afterAll(async () => {
  await stopChildren();
  await nats?.stop();
  await relay?.close();
  network?.remove();
});

interface Health {
  role: string;
  cluster?: { partitions: number[]; lag: number };
}

/** The partitions each worker says it owns, or undefined until every one is owned by exactly one. */
async function ownedOnce(workers: readonly RunningServer[]): Promise<number[][] | undefined> {
  const views = await Promise.all(
    workers.map(async (w) => ((await (await fetch(`${w.url}/healthz`)).json()) as Health).cluster?.partitions ?? []),
  );
  const all = views.flat();
  return all.length === PARTITIONS && new Set(all).size === PARTITIONS ? views : undefined;
}

/** A user of each partition, for an event that only that partition's owner can answer. */
const userOfEachPartition = (() => {
  const users = new Map<number, string>();
  for (let i = 0; users.size < PARTITIONS; i++) {
    const user = `probe-${i}`;
    const partition = partitionOf(user, PARTITIONS);
    if (!users.has(partition)) users.set(partition, user);
  }
  return [...users.values()];
})();

async function post(api: RunningServer, event: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(`${api.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

describe('distributed mode on several hosts (network namespaces): a worker, an api and NATS killed under load', () => {
  it(
    'stores every 2xx once, doubles no alert or lock, answers 503 with retry-after while NATS is away, and owns every partition again within 10 s',
    async () => {
      network = VirtualNetwork.create();
      const host = (name: string): VirtualHost => (network as VirtualNetwork).addHost(name);
      const natsHost = host('nats');
      const apiHosts = [host('api1'), host('api2')];
      const workerHosts = [host('worker1'), host('worker2'), host('worker3')];

      // PostgreSQL as the hosts see it: the relay on the gateway, in front of the machine's loopback.
      const databaseUrl = await freshMigratedPgSchema();
      const direct = new URL(databaseUrl);
      relay = await TcpRelay.open(network.gateway, { host: direct.hostname, port: Number(direct.port || 5432) });
      const overTheNetwork = new URL(databaseUrl);
      overTheNetwork.host = relay.address;
      nats = await startPrivateNats(natsHost);
      const env = {
        VIGIL_DATABASE_URL: overTheNetwork.toString(),
        VIGIL_NATS_URL: nats.url,
        VIGIL_NATS_PREFIX: freshNatsPrefix(),
        VIGIL_PARTITIONS: String(PARTITIONS),
        VIGIL_INGEST_KEY: INGEST_KEY,
        VIGIL_SECRET_KEY: TEST_SECRET_KEY,
        VIGIL_DEMO: 'false',
      };
      const startWorker = (h: VirtualHost) => startServer({ ...env, VIGIL_ROLE: 'worker' }, h);
      const startApi = (h: VirtualHost) => startServer({ ...env, VIGIL_ROLE: 'api' }, h);
      // All five start together: the schema is migrated already, so none of them races to migrate it.
      const started = await Promise.all([...workerHosts.map(startWorker), ...apiHosts.map(startApi)]);
      const workers = started.slice(0, 3);
      const apis = started.slice(3);
      expect(apis.map((a) => new URL(a.url).hostname)).toEqual(apiHosts.map((h) => h.address));
      await until('the workers own every partition once', () => ownedOnce(workers), 30_000);

      // Load: four clients, two through each api. A user's logins alternate between London and New
      // York, so each of its logins after the first is an impossible travel (high: an alert, and the
      // account's sensitive actions locked): stories that span every fault below.
      const usersInLoad = 37;
      const load = new Load(
        (id, n, client) =>
          post(apis[client % 2] as RunningServer, {
            id,
            type: 'login.succeeded',
            user: `host-user-${n % usersInLoad}`,
            ip: Math.floor(n / usersInLoad) % 2 === 0 ? LONDON : NEW_YORK,
            device: 'laptop',
          }),
        { clients: 4, idPrefix: 'evt_hosts' },
      );
      const probes = new Map<string, number>();
      // When each fault came (ms since the epoch, as the stored rows' times), for a failure to name.
      const faults: Record<string, number> = {};
      try {
        await load.more('load through both apis', 200, 40);

        // 1. A worker killed: the other two own its partitions within 10 s.
        await (workers[0] as RunningServer).kill9();
        const killedAt = Date.now();
        faults.workerKilled = killedAt;
        const tookOver = await until(
          'the other workers own every partition',
          async () => ((await ownedOnce(workers.slice(1))) ? Date.now() - killedAt : undefined),
          20_000,
        );
        expect(tookOver).toBeLessThan(10_000);
        await load.more('load after the takeover', 200, 20);

        // 2. An api killed: its clients find it gone; then both it and the worker start again.
        await (apis[0] as RunningServer).kill9();
        faults.apiKilled = Date.now();
        await load.more('clients find the api gone', 0, 1);
        [workers[0], apis[0]] = await Promise.all([startWorker(workerHosts[0] as VirtualHost), startApi(apiHosts[0] as VirtualHost)]);
        faults.restarted = Date.now();
        const restartedApi = apis[0] as RunningServer;
        expect((await post(restartedApi, { type: 'login.succeeded', user: 'after-restart', ip: LONDON })).status).toBe(200);
        await until(
          'the restarted worker takes its share',
          async () => ((await ownedOnce(workers))?.[0]?.length ?? 0) > 0 || undefined,
          20_000,
        );
        await load.more('load through both apis again', 200, 20);

        // 3. NATS killed: 503 with retry-after (after the api's 12 s of asking again), then started again:
        // every partition answers within 10 s.
        await nats.kill9();
        faults.natsKilled = Date.now();
        await load.more('503 while NATS is away', 503, 3, 30_000);
        await nats.start();
        const backAt = Date.now();
        faults.natsBack = backAt;
        const answers = await Promise.all(
          userOfEachPartition.map(async (user, i) => {
            const id = `evt_probe_${i}`;
            const answer = await post(apis[i % 2] as RunningServer, { id, type: 'login.succeeded', user, ip: LONDON });
            probes.set(id, answer.status);
            return answer.status;
          }),
        );
        const servedAgain = Date.now() - backAt;
        expect(answers).toEqual(Array(PARTITIONS).fill(200));
        expect(servedAgain).toBeLessThan(10_000);
        await until('the workers own every partition once after NATS', () => ownedOnce(workers), 10_000);
        await load.more('load after NATS is back', 200, 20);
      } finally {
        await load.stop();
      }

      // No answer at all (the killed api), 503 (no worker reachable), or 200: never another failure.
      const statuses = [...load.answered.values()];
      expect(statuses.filter((s) => s !== 0 && s !== 200 && s !== 503)).toEqual([]);
      expect(load.count(503)).toBeGreaterThanOrEqual(3);
      expect(load.missingRetryAfter).toBe(0);
      const ok = [...load.answered, ...probes].filter(([, s]) => s === 200).map(([id]) => id);
      expect(ok.length).toBeGreaterThanOrEqual(100);
      await storedOnce(databaseUrl, ok);

      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        // No alert raised twice: one alert per rule and subject (its dedup key) while it is open. A
        // failure lists the alerts of each key raised twice, with when each was made and grew.
        const doubled = await db.query<{ dedup_key: string; id: string; created_at: string; updated_at: string; occurrences: number }>(
          `select dedup_key, id, created_at, updated_at, occurrences from alerts
           where dedup_key in (select dedup_key from alerts group by dedup_key having count(*) > 1) order by dedup_key, created_at`,
        );
        expect(doubled.rows, `faults at ${JSON.stringify(faults)}; raised twice: ${JSON.stringify(doubled.rows)}`).toEqual([]);
        // No lock applied twice: one `account.locked` per account and scope.
        const locks = await db.query<{ subject: string; scope: string; n: string }>(
          `select subject, details_json::json->>'scope' as scope, count(*) as n from audit_log
           where action = 'account.locked' group by subject, scope`,
        );
        expect(locks.rows.length).toBeGreaterThan(0);
        expect(locks.rows.filter((r) => Number(r.n) > 1)).toEqual([]);
        // Nor any lock left unannounced by a worker killed after its commit: what a commit owes is
        // stored with it and carried out by the partition's next owner (ingest/pending-effects.ts).
        await until(
          'nothing committed is still owed',
          async () => (Number((await db.query('select count(*) as n from pending_effects')).rows[0].n) === 0 ? true : undefined),
          30_000,
        );
        const unannounced = await db.query<{ user_id: string }>(
          `select a.user_id from accounts a where a.lock_scope is not null and a.locked_by = 'vigil' and not exists
             (select 1 from audit_log l where l.action = 'account.locked' and l.subject = 'account:' || a.user_id)`,
        );
        expect(unannounced.rows).toEqual([]);
        // Every user whose stored logins came from both cities has its impossible travel alert.
        const travellers = await db.query<{ user_id: string }>(
          `select user_id from events where user_id like 'host-user-%' group by user_id having count(distinct ip) = 2`,
        );
        const alerted = await db.query<{ user_id: string }>(
          `select distinct user_id from alerts where rule_ids_json like '%"impossible-travel"%'`,
        );
        expect(travellers.rows.length).toBeGreaterThan(usersInLoad / 2);
        expect(alerted.rows.map((r) => r.user_id).sort()).toEqual(travellers.rows.map((r) => r.user_id).sort());
      } finally {
        await db.end();
      }
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
