import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VigilMetrics } from '../metrics/metrics.js';
import { type OwnershipListener, PartitionLeases } from './partition-leases.js';
import { ClusterNames } from './partitions.js';

/** The machine's NATS with JetStream (CI starts it); a bucket of each test's own. */
const NATS_URL = process.env.VIGIL_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const PARTITIONS = 8;

let nc: NatsConnection;
/**
 * Each test's own bucket, so that a failed test's workers (their leases still in it) never share
 * partitions with the next test's; and every worker's renewals cut after its test, failed or not.
 */
let names: ClusterNames;
const buckets: ClusterNames[] = [];
const started: PartitionLeases[] = [];
beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
});
beforeEach(() => {
  names = new ClusterNames(`t_${randomBytes(5).toString('hex')}`);
  buckets.push(names);
});
afterEach(() => {
  for (const leases of started.splice(0)) {
    const halted = leases as unknown as { stopped: boolean; timer?: NodeJS.Timeout };
    halted.stopped = true;
    clearTimeout(halted.timer);
  }
});
afterAll(async () => {
  const manager = await nc.jetstreamManager();
  for (const bucket of buckets) await manager.streams.delete(`KV_${bucket.leaseBucket}`).catch(() => {});
  await nc.close();
});

/** A worker's leases, and what it was told it owns; `releasing` holds a partition given up until it resolves. */
async function worker(id: string, leaseMs = 3000, releasing?: (partition: number) => Promise<void>) {
  const serving = new Set<number>();
  const listener: OwnershipListener = {
    acquired: async (taken) => {
      for (const p of taken) serving.add(p);
    },
    released: async (p) => {
      await releasing?.(p);
      serving.delete(p);
    },
  };
  const leases = await PartitionLeases.open(
    nc,
    names,
    { partitions: PARTITIONS, workerId: id, leaseMs, tickMs: 200 },
    listener,
    new VigilMetrics({ role: 'worker' }),
    (e) => {
      throw e;
    },
  );
  started.push(leases);
  return { leases, serving };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

describe('partition leases (real NATS JetStream)', () => {
  it('share partitions fairly, never twice, give them back on stop and take over a dead worker within 10 s', async () => {
    const a = await worker('a');
    await a.leases.start();
    expect(a.leases.partitions()).toHaveLength(PARTITIONS);
    expect([...a.serving].sort()).toEqual(a.leases.partitions());

    const b = await worker('b');
    await b.leases.start();
    // A joins b's count on its next tick and gives up its surplus; b takes it.
    await until(() => a.leases.partitions().length === PARTITIONS / 2 && b.leases.partitions().length === PARTITIONS / 2, 10_000);
    const union = [...a.leases.partitions(), ...b.leases.partitions()].sort((x, y) => x - y);
    expect(union).toEqual([...Array(PARTITIONS).keys()]);

    // Graceful stop: b's partitions are given back and a holds all of them again at once.
    await b.leases.stop();
    expect(b.serving.size).toBe(0);
    await until(() => a.leases.partitions().length === PARTITIONS, 10_000);

    // A crash: c joins, then stops renewing without giving anything back (its timer is cut, as by kill -9).
    const c = await worker('c');
    await c.leases.start();
    await until(() => c.leases.partitions().length === PARTITIONS / 2, 10_000);
    (c.leases as unknown as { stopped: boolean }).stopped = true;
    const tookOver = await until(() => a.leases.partitions().length === PARTITIONS, 10_000);
    expect(tookOver).toBeLessThan(10_000);
    await a.leases.stop();
  }, 60_000);

  it('a partition given up is not taken by another worker before the requests under way on it are done', async () => {
    let finish: () => void = () => {};
    const underWay = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const givenUp: number[] = [];
    const a = await worker('slow-a', 3000, async (p) => {
      givenUp.push(p);
      await underWay;
    });
    await a.leases.start();
    const b = await worker('slow-b');
    await b.leases.start();
    await until(() => givenUp.length > 0, 30_000);
    // a is no longer serving it, but its requests are not committed yet: the lease stays a's.
    await new Promise((r) => setTimeout(r, 1000));
    expect(b.leases.partitions()).not.toContain(givenUp[0]);
    finish();
    await until(() => b.leases.partitions().includes(givenUp[0] as number), 30_000);
    await b.leases.stop();
    await a.leases.stop();
  }, 60_000);

  it('a worker that can no longer renew stops serving before another can take its partitions', async () => {
    const d = await worker('fence-d', 2000);
    await d.leases.start();
    const partitions = d.leases.partitions();
    expect(partitions.every((p) => d.leases.current(p))).toBe(true);
    // Its renewals stop (NATS away, its event loop held up), without its knowing it lost anything.
    (d.leases as unknown as { stopped: boolean }).stopped = true;
    const e = await worker('fence-e', 2000);
    await e.leases.start();
    // Until e holds every partition (d's leases expire at NATS), d never serves one e holds.
    const overlaps: number[] = [];
    await until(() => {
      for (const p of e.leases.partitions()) if (d.leases.current(p)) overlaps.push(p);
      return e.leases.partitions().length === PARTITIONS;
    }, 30_000);
    expect(overlaps).toEqual([]);
    // d still believes it owns them (its next tick would find out): only `current` says no.
    expect(d.leases.partitions()).toEqual(partitions);
    expect(partitions.some((p) => d.leases.current(p))).toBe(false);
    await e.leases.stop();
  }, 60_000);
});
