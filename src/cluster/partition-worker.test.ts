import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateNats } from '../../test/support/cluster.js';
import type { Clock } from '../core/clock.js';
import { FencedOut } from '../ingest/fenced-out.js';
import type { EventIngest, IngestReport } from '../ingest/ingest-service.js';
import { VigilMetrics } from '../metrics/metrics.js';
import { ForwardingIngest } from './forwarding-ingest.js';
import { PartitionWorker } from './partition-worker.js';
import { ClusterNames } from './partitions.js';

/** The machine's NATS (CI starts it); subjects of this run's own. */
const NATS_URL = process.env.VIGIL_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const names = new ClusterNames(`t_${randomBytes(5).toString('hex')}`);
const PARTITIONS = 1;
const clock: Clock = { now: () => Date.UTC(2026, 11, 6, 12) };

let nc: NatsConnection;
beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
});
afterAll(async () => {
  await nc.close();
});

/** A pipeline that stores nothing and answers every event `stored` with an allow. */
const pipeline: EventIngest = {
  async ingest(raws): Promise<IngestReport> {
    return {
      // The api passes the worker's outcomes on as they are: only their status is read here.
      outcomes: raws.map(() => ({ status: 'stored' })) as unknown as IngestReport['outcomes'],
      accepted: raws.length,
      rejected: 0,
    };
  },
};

function workerServing(
  current: () => boolean,
  metrics: VigilMetrics,
  on: NatsConnection = nc,
  through: EventIngest = pipeline,
): PartitionWorker {
  return new PartitionWorker({
    nc: on,
    names,
    pipeline: through,
    catchUp: async () => {},
    current: () => current(),
    changesSettled: async () => {},
    metrics,
    onError: (message, error) => {
      throw new Error(`${message}: ${String(error)}`);
    },
  });
}

describe('a worker whose lease may have run out', () => {
  it('says so at once, and the api asks again until the partition is served, long before its attempt timeout', async () => {
    let current = false;
    const workerMetrics = new VigilMetrics({ role: 'worker' });
    const worker = workerServing(() => current, workerMetrics);
    await worker.acquired([0]);
    await nc.flush();

    const apiMetrics = new VigilMetrics({ role: 'api' });
    const api = patientApi(nc, apiMetrics);
    const answered = api.ingest([{ id: 'evt_fenced', type: 'login.succeeded', user: 'alice', ip: '81.2.69.160' }]);

    // The worker refused at least one try as not its own; then its lease is renewed.
    for (let waited = 0; ((await tries(apiMetrics)).no_owner ?? 0) < 1; waited += 20) {
      if (waited > 30_000) throw new Error('the api was never told the worker is not the owner');
      await new Promise((r) => setTimeout(r, 20));
    }
    current = true;

    const report = await answered;
    expect(report.outcomes.map((o) => (o as { status: string }).status)).toEqual(['stored']);
    const byOutcome = await tries(apiMetrics);
    expect(byOutcome.timeout).toBeUndefined();
    expect(byOutcome.answered).toBe(1);
    await worker.released(0);
  }, 60_000);
});

/**
 * An api whose attempt timeout and deadline are longer than a test's own timeout: one left without an
 * answer would wait out the test; one told "not the owner" asks again within a quarter second.
 */
function patientApi(connection: NatsConnection, metrics: VigilMetrics): ForwardingIngest {
  return new ForwardingIngest(
    connection,
    names,
    { partitions: PARTITIONS, attemptTimeoutMs: 600_000, deadlineMs: 600_000 },
    clock,
    metrics,
  );
}

/** The api's forwarded tries by outcome (answered, no_owner, timeout, disconnected). */
async function tries(metrics: VigilMetrics): Promise<Record<string, number>> {
  const values = (await metrics.registry.getSingleMetric('vigil_forwarded_events_total')?.get())?.values ?? [];
  return Object.fromEntries(values.map((v) => [v.labels.outcome, v.value]));
}

describe('a worker whose commit is refused by the fence', () => {
  it('says it is not the owner, and the api asks again: nothing fails', async () => {
    // The first try is refused at commit (another worker took the partition over while it waited);
    // the next is served (by that worker, in the cluster).
    let calls = 0;
    const fenced: EventIngest = {
      ingest: async (raws, options) => {
        if (++calls === 1) throw new FencedOut([0]);
        return pipeline.ingest(raws, options);
      },
    };
    const worker = workerServing(() => true, new VigilMetrics({ role: 'worker' }), nc, fenced);
    await worker.acquired([0]);
    await nc.flush();
    const apiMetrics = new VigilMetrics({ role: 'api' });
    const api = patientApi(nc, apiMetrics);
    const report = await api.ingest([{ id: 'evt_fenced_commit', type: 'login.succeeded', user: 'alice' }]);
    expect(report.outcomes.map((o) => (o as { status: string }).status)).toEqual(['stored']);
    expect(calls).toBe(2);
    expect(await tries(apiMetrics)).toMatchObject({ no_owner: 1, answered: 1 });
    await worker.released(0);
  }, 60_000);
});

describe('an api whose NATS is away when an event comes', () => {
  it('asks as soon as NATS is back, not after its attempt timeout', async () => {
    const nats = await startPrivateNats();
    const options = { servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 };
    const [apiConnection, workerConnection] = await Promise.all([connect(options), connect(options)]);
    try {
      const worker = workerServing(() => true, new VigilMetrics({ role: 'worker' }), workerConnection);
      await worker.acquired([0]);
      await workerConnection.flush();
      const apiMetrics = new VigilMetrics({ role: 'api' });
      // An api that sent its try while NATS was away would wait out the test.
      const api = patientApi(apiConnection, apiMetrics);
      expect((await api.ingest([{ id: 'evt_before', type: 'login.succeeded', user: 'alice' }])).accepted).toBe(1);

      const disconnected = (async () => {
        for await (const status of apiConnection.status()) if (status.type === 'disconnect') return;
      })();
      await nats.kill9();
      await disconnected;
      const answered = api.ingest([{ id: 'evt_while_away', type: 'login.succeeded', user: 'alice' }]);
      await nats.start();

      const report = await answered;
      expect(report.outcomes.map((o) => (o as { status: string }).status)).toEqual(['stored']);
      expect((await tries(apiMetrics)).timeout).toBeUndefined();
    } finally {
      await Promise.all([apiConnection.close(), workerConnection.close()]);
      await nats.stop();
    }
  }, 60_000);
});

describe('a worker holding a request for other workers’ shares', () => {
  it('holds back the requests after it, so that they are scored in the order they came', async () => {
    const scored: string[] = [];
    const recording: EventIngest = {
      ingest: async (raws, options) => {
        for (const raw of raws) scored.push((raw as { id: string }).id);
        return pipeline.ingest(raws, options);
      },
    };
    let letGo: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const worker = new PartitionWorker({
      nc,
      names,
      pipeline: recording,
      catchUp: async () => {},
      changesSettled: async () => {},
      // The first request names a share not had yet; the second names none.
      shares: {
        origin: 'this',
        mark: () => 3,
        arrived: (after) => (after?.elsewhere === 9 ? held : undefined),
        delivered: () => undefined,
      },
      metrics: new VigilMetrics({ role: 'worker' }),
      onError: (message, error) => {
        throw new Error(`${message}: ${String(error)}`);
      },
    });
    await worker.acquired([0]);
    await nc.flush();
    const request = (id: string, after: Record<string, number>) =>
      nc.request(
        names.ingestSubject(0),
        new TextEncoder().encode(JSON.stringify({ events: [{ id, type: 'login.succeeded', user: 'alice' }], atomic: false, after })),
        { timeout: 30_000 },
      );
    const first = request('evt_waits', { elsewhere: 9 });
    await nc.flush();
    const second = request('evt_after_it', {});
    await new Promise((r) => setTimeout(r, 200));
    expect(scored).toEqual([]);
    letGo();
    const answers = await Promise.all([first, second]);
    expect(scored).toEqual(['evt_waits', 'evt_after_it']);
    // Each answer says where this worker's shares stand.
    for (const answer of answers)
      expect(JSON.parse(new TextDecoder().decode(answer.data))).toMatchObject({ shared: { origin: 'this', seq: 3 } });
    await worker.released(0);
  }, 60_000);

  it('answers only once the other workers have its shares, when it must wait for them (a NATS cluster)', async () => {
    let letGo: () => void = () => {};
    const delivering = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const asked: number[] = [];
    const worker = new PartitionWorker({
      nc,
      names,
      pipeline,
      catchUp: async () => {},
      changesSettled: async () => {},
      shares: {
        origin: 'this',
        mark: () => 5,
        arrived: () => undefined,
        delivered: (seq) => {
          asked.push(seq);
          return delivering;
        },
      },
      metrics: new VigilMetrics({ role: 'worker' }),
      onError: (message, error) => {
        throw new Error(`${message}: ${String(error)}`);
      },
    });
    await worker.acquired([0]);
    await nc.flush();
    let answered = false;
    const answer = nc
      .request(
        names.ingestSubject(0),
        new TextEncoder().encode(JSON.stringify({ events: [{ id: 'evt_shared', type: 'login.succeeded', user: 'alice' }], atomic: false })),
        { timeout: 30_000 },
      )
      .then((reply) => {
        answered = true;
        return reply;
      });
    for (let i = 0; i < 100 && asked.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    // Stored and shared up to number 5: the answer waits until the others have number 5.
    expect(asked).toEqual([5]);
    await new Promise((r) => setTimeout(r, 200));
    expect(answered).toBe(false);
    letGo();
    expect(JSON.parse(new TextDecoder().decode((await answer).data))).toMatchObject({ shared: { origin: 'this', seq: 5 } });
    await worker.released(0);
  }, 60_000);
});
