import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/core/clock.js';
import { type ClusterTimings, joinCluster } from '../../src/distributed.js';
import { type DatabaseHandle, openDatabase } from '../../src/store/database.js';
import { createSystem, type System } from '../../src/system.js';
import { TEST_SECRET_KEY } from './credentials.js';
import { sharedGeoIp } from './geoip.js';
import { freePort, recordForTeardown } from './process.js';
import { testSchemaName } from './test-run.js';
import { onHost, type VirtualHost } from './virtual-network.js';

/**
 * The distributed mode needs PostgreSQL and NATS whichever leg of CI runs, so its tests do not use
 * the suite's database (database.ts): they use the machine's PostgreSQL `test` database, in a schema
 * of their own per test, as they use its NATS. Being the same on both legs, they run on one, the
 * SQLite leg (scripts/test-legs.ts).
 */
export const CLUSTER_DATABASE_URL = process.env.VIGIL_TEST_CLUSTER_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const NATS_URL = process.env.VIGIL_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export async function freshPgSchema(): Promise<string> {
  const schema = testSchemaName();
  const admin = new pg.Client({ connectionString: CLUSTER_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(CLUSTER_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/**
 * A fresh schema with every migration applied, for processes that start together: each would find
 * an empty schema and migrate it, racing the others.
 */
export async function freshMigratedPgSchema(): Promise<string> {
  const url = await freshPgSchema();
  const handle = await openDatabase({ dialect: 'postgres', url, poolSize: 1 }, { migrate: true });
  await handle.close();
  return url;
}

/**
 * Two workers' connections to one fresh migrated schema (the cluster tests' database, whatever the
 * leg), each added to `open` for the caller to close after its test.
 */
export async function twoWorkerDatabases(open: DatabaseHandle[]): Promise<{ a: DatabaseHandle; b: DatabaseHandle }> {
  const url = await freshMigratedPgSchema();
  const [a, b] = await Promise.all([1, 2].map(() => openDatabase({ dialect: 'postgres', url, poolSize: 2 }, { migrate: false })));
  open.push(a as DatabaseHandle, b as DatabaseHandle);
  return { a: a as DatabaseHandle, b: b as DatabaseHandle };
}

/** A NATS prefix of this test's own: its subjects, lease bucket and streams collide with nobody's. */
export const freshNatsPrefix = () => `t_${randomBytes(6).toString('hex')}`;

/** Deletes the streams (the lease bucket's among them) a prefix made. */
export async function dropNatsPrefix(prefix: string, natsUrl = NATS_URL): Promise<void> {
  const { connect } = await import('nats');
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    for await (const name of jsm.streams.names()) if (name.includes(prefix)) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

/** A Vigil of one role in this process, on a shared database and NATS prefix. */
export async function startRole(
  role: 'all' | 'api' | 'worker',
  options: {
    databaseUrl: string;
    prefix: string;
    clock: Clock;
    env?: Record<string, string>;
    timings?: ClusterTimings;
    /** The machine's NATS unless given. */
    natsUrl?: string;
  },
): Promise<System> {
  const config = loadConfig(
    {
      VIGIL_DATABASE_URL: options.databaseUrl,
      VIGIL_DEMO: 'false',
      VIGIL_SECRET_KEY: TEST_SECRET_KEY,
      VIGIL_NATS_URL: options.natsUrl ?? NATS_URL,
      VIGIL_NATS_PREFIX: options.prefix,
      VIGIL_PARTITIONS: '16',
      ...options.env,
    },
    { role },
  );
  const quiet = { info() {}, warn() {}, error: (m: string, e?: unknown) => console.error(m, e) };
  const system = await createSystem(config, { clock: options.clock, geoIp: await sharedGeoIp(), logger: quiet });
  try {
    return await joinCluster(system, quiet, options.timings);
  } catch (error) {
    await system.close();
    throw error;
  }
}

/** A member of a NATS cluster of the test's own: its route port and the other members' routes. */
interface NatsClusterMember {
  readonly name: string;
  /** Where its clients connect, and where its routes do. */
  readonly clientPort: number;
  readonly port: number;
  readonly routes: readonly string[];
  readonly jetstream: boolean;
}

/**
 * NATS servers of the test's own (two by default), routed to each other as one cluster: a message
 * from a client of one reaches a client of another over a route, as between machines. With
 * `jetstream`, they form a JetStream cluster too (three at least, for its quorum to survive nothing
 * but to be formed quickly).
 */
export async function startNatsCluster(options: { servers?: number; jetstream?: boolean } = {}): Promise<PrivateNats[]> {
  const name = `vigil_${randomBytes(4).toString('hex')}`;
  // Every port chosen before any server starts, all different: a port free now may be chosen twice.
  const ports = new Set<number>();
  while (ports.size < 2 * (options.servers ?? 2)) ports.add(await freePort());
  const [clientPorts, routePorts] = [[...ports].filter((_, i) => i % 2 === 0), [...ports].filter((_, i) => i % 2 === 1)];
  const started: PrivateNats[] = [];
  try {
    for (const [i, port] of routePorts.entries()) {
      const routes = routePorts.filter((p) => p !== port).map((p) => `nats://127.0.0.1:${p}`);
      const member = { name, clientPort: clientPorts[i] as number, port, routes, jetstream: options.jetstream ?? false };
      started.push(await startPrivateNats(undefined, member));
    }
    return started;
  } catch (error) {
    for (const server of started) await server.stop();
    throw error;
  }
}

export interface PrivateNats {
  readonly url: string;
  /** SIGKILL, as in a crash; what JetStream stored stays in its directory. */
  kill9(): Promise<void>;
  /** Starts it again on the same port and directory (after `kill9`). */
  start(): Promise<void>;
  /** Kills it and removes its directory. */
  stop(): Promise<void>;
}

/**
 * A NATS server with JetStream of the test's own (the machine's nats-server binary, another port and
 * store directory), for a test that kills and restarts it: the machine's NATS is shared with others.
 * On the machine's loopback, or, given a host of a `VirtualNetwork`, in that host's namespace on its
 * address (port 4222: the namespace's ports are its own).
 */
export async function startPrivateNats(host?: VirtualHost, cluster?: NatsClusterMember): Promise<PrivateNats> {
  const address = host?.address ?? '127.0.0.1';
  const port = host ? 4222 : (cluster?.clientPort ?? (await freePort()));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-nats-'));
  let child: ChildProcess | undefined;
  // A cluster's member routes to the others; with JetStream, each has a name of its own.
  const serverArgs = cluster
    ? [
        ...(cluster.jetstream ? ['-js', '-sd', dir, '--server_name', `${cluster.name}_${cluster.port}`] : []),
        ...['--cluster_name', cluster.name, '--cluster', `nats://127.0.0.1:${cluster.port}`, '--routes', cluster.routes.join(',')],
      ]
    : ['-js', '-sd', dir];
  const start = async () => {
    const [command, args] = onHost(host, ['/usr/sbin/nats-server', '-a', address, '-p', String(port), ...serverArgs]);
    const started = spawn(command, args, { stdio: 'ignore' });
    // Stopped by the test (after the processes using it); by the global teardown should this worker die first.
    recordForTeardown(started);
    child = started;
    for (const deadline = Date.now() + 15_000; ; await new Promise((r) => setTimeout(r, 50))) {
      if (started.exitCode !== null) throw new Error(`nats-server exited with ${started.exitCode}`);
      const up = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, address, () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (up) return;
      if (Date.now() > deadline) throw new Error('nats-server did not listen within 15 s');
    }
  };
  const kill9 = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  process.once('exit', () => child?.kill('SIGKILL'));
  await start();
  return {
    url: `nats://${address}:${port}`,
    kill9,
    start,
    async stop() {
      await kill9();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Events of attacks across accounts, for the distributed mode's parity tests: users of several
 * partitions failing logins from one IP (credential stuffing fires from the 10th account, 20 s
 * apart from 11:40 on 2026-03-10), and the first six failing payments from one device (card testing
 * from the 5th, from 11:46:40), each event with an id of its own starting `idPrefix`.
 */
export function acrossAccounts(users: readonly string[], idPrefix: string) {
  const at = (second: number) => new Date(Date.parse('2026-03-10T11:40:00Z') + second * 1000).toISOString();
  return {
    failedLogins: users.map((user, i) => ({
      type: 'login.failed',
      user,
      ip: '81.2.69.160',
      id: `${idPrefix}_stuff_${i}`,
      timestamp: at(i * 20),
    })),
    failedPayments: users.slice(0, 6).map((user, i) => ({
      type: 'payment.failed',
      user,
      device: 'tester-phone',
      ip: '81.2.69.192',
      amount: 1,
      currency: 'EUR',
      paymentMethod: `card-${i}`,
      id: `${idPrefix}_card_${i}`,
      timestamp: at(400 + i * 10),
    })),
  };
}
