import { connect } from 'nats';
import { afterAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../src/cluster/partitions.js';
import type { Clock } from '../src/core/clock.js';
import type { EventResult } from '../src/domain/event-schema.js';
import type { System } from '../src/system.js';
import { acrossAccounts, freshNatsPrefix, freshPgSchema, type PrivateNats, startNatsCluster, startRole } from './support/cluster.js';

/**
 * The distributed mode on a NATS cluster of the test's own (three servers with JetStream, routed to
 * each other on the loopback, as on three machines), each process connected to a server of its
 * own: a client sends each event through the other api, so the event before it was stored by a
 * worker whose share travels another route than the next request. The findings are one process's.
 */
const running: System[] = [];
let servers: PrivateNats[] = [];
afterAll(async () => {
  for (const s of running.splice(0).reverse()) await s.close().catch(() => {});
  for (const s of servers) await s.stop();
});

async function role(r: 'all' | 'api' | 'worker', o: Parameters<typeof startRole>[1]): Promise<System> {
  const system = await startRole(r, o);
  running.push(system);
  return system;
}

/** Resolves once the cluster's JetStream has a leader: streams and buckets can be made. */
async function jetStreamReady(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 200))) {
      try {
        await (await nc.jetstreamManager()).getAccountInfo();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
  } finally {
    await nc.close();
  }
}

describe('distributed mode on a NATS cluster', () => {
  it('judges one IP and one device across workers on different servers as one process does, each event sent through the other api', async () => {
    servers = await startNatsCluster({ servers: 3, jetstream: true });
    const [first, second, third] = servers.map((s) => s.url) as [string, string, string];
    await jetStreamReady(first);

    const users = [...Array(12).keys()].map((i) => `routed-${i}`);
    // 12 accounts failing from one IP, one request each (credential stuffing from the 10th), then a
    // device failing payments on 6 accounts, one request each (card testing from the 5th).
    const { failedLogins, failedPayments } = acrossAccounts(users, 'evt_routed');
    const requests = [...failedLogins, ...failedPayments].map((e) => [e]);
    let now = Date.parse('2026-03-10T12:00:00Z');
    const clock: Clock = { now: () => now };
    const send = async (through: readonly System[]) => {
      const results: EventResult[] = [];
      for (const [i, batch] of requests.entries()) {
        now += 1000;
        for (const o of (await (through[i % through.length] as System).ingest.ingest(batch)).outcomes) {
          if (o.status !== 'stored') throw new Error(`not stored: ${JSON.stringify(o)}`);
          results.push(o.result);
        }
      }
      return results.map((r) => ({ decision: r.decision, rules: r.reasons.map((x) => x.rule) }));
    };

    const single = await send([await role('all', { databaseUrl: await freshPgSchema(), prefix: freshNatsPrefix(), clock })]);
    expect(single.slice(9).map((r) => r.rules)).toEqual([
      ...Array(3).fill(['credential-stuffing']),
      ...Array(4).fill([]),
      ...Array(2).fill(['card-testing']),
    ]);

    const databaseUrl = await freshPgSchema();
    const prefix = freshNatsPrefix();
    const workers = [
      await role('worker', { databaseUrl, prefix, clock, natsUrl: second }),
      await role('worker', { databaseUrl, prefix, clock, natsUrl: third }),
    ];
    for (let i = 0; i < 200 && workers.some((w) => w.cluster?.partitions().length !== 8); i++) await new Promise((r) => setTimeout(r, 100));
    for (const w of workers) expect(users.some((u) => w.cluster?.partitions().includes(partitionOf(u, 16)))).toBe(true);
    const apis = [
      await role('api', { databaseUrl, prefix, clock, natsUrl: first }),
      await role('api', { databaseUrl, prefix, clock, natsUrl: third }),
    ];
    expect(await send(apis)).toEqual(single);

    // The servers said they are a cluster, so the workers asked each other to say they had their
    // shares (VIGIL_SHARE_ACKS=auto), and each answer waited for it.
    for (const w of workers) {
      const acked = (await w.metrics.shareAcks.get()).values.find((v) => v.labels.what === 'share' && v.labels.outcome === 'acked');
      expect(acked?.value ?? 0).toBeGreaterThan(0);
    }
  }, 180_000);
});
