import { connect, type Msg, type NatsConnection } from 'nats';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterNames, partitionOf } from '../src/cluster/partitions.js';
import type { StoredEvent } from '../src/domain/activity-event.js';
import type { IngestReport } from '../src/ingest/ingest-service.js';
import type { System } from '../src/system.js';
import { fixedClock } from './support/clock.js';
import { dropNatsPrefix, freshNatsPrefix, freshPgSchema, NATS_URL, startRole } from './support/cluster.js';
import { ADMIN_KEY, INGEST_KEY } from './support/credentials.js';

/**
 * Across a NATS cluster, a worker's share of what it stored and the api's next request reach another
 * worker by different routes, and the share may come second: that request would be judged without
 * the events before it. On one NATS server that never happens, so the routes are played here by the
 * test: it shares as another worker would, and sends requests as an api would, in the order it likes.
 */
const clock = fixedClock('2026-03-10T12:00:00Z');
const prefix = freshNatsPrefix();
const names = new ClusterNames(prefix);
const PARTITIONS = 16;
const env = { VIGIL_INGEST_KEY: INGEST_KEY, VIGIL_ADMIN_KEY: ADMIN_KEY, VIGIL_RESPONSE_POLICY: '[]' };
const running: System[] = [];
const connections: NatsConnection[] = [];
const prefixes = [prefix];

afterAll(async () => {
  for (const nc of connections.splice(0)) await nc.close().catch(() => {});
  for (const s of running.splice(0).reverse()) await s.close().catch(() => {});
  for (const p of prefixes) await dropNatsPrefix(p).catch(() => {});
});

async function until(what: string, done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 20_000; !done(); await new Promise((r) => setTimeout(r, 50)))
    if (Date.now() > deadline) throw new Error(`not within 20 s: ${what}`);
}

/** Failed logins on nine accounts from `ip`, as another worker stored them (one short of credential stuffing). */
const nineFailures = (ip: string): StoredEvent[] =>
  Array.from({ length: 9 }, (_, i) => {
    const id = `evt_${ip.replaceAll('.', '')}_${i}`;
    const at = clock.now() - 300_000 + i * 1000;
    return {
      id,
      type: 'login.failed',
      user: `elsewhere-${i}`,
      ip,
      occurredAt: at,
      receivedAt: at,
      enrichment: { novelty: { newDevice: false, newCountry: false, newNetwork: false } },
      result: { id, decision: 'allow', risk: 0, severity: 'none', reasons: [] },
    } as unknown as StoredEvent;
  });

describe('distributed mode: a request is scored after the shares its api has heard of', () => {
  it('waits for another worker’s share named in the request before scoring, and says where its own stand', async () => {
    const databaseUrl = await freshPgSchema();
    const worker = await startRole('worker', {
      databaseUrl,
      prefix,
      clock,
      env,
      timings: { leaseMs: 2000, tickMs: 200, shareWaitMs: 15_000 },
    });
    running.push(worker);
    await until('the worker owns every partition', () => worker.cluster?.partitions().length === PARTITIONS);
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    const encoder = new TextEncoder();
    let seq = 0;
    /** Shares as a worker `elsewhere` would: its next message. */
    const share = async (events: readonly StoredEvent[]) => {
      nc.publish(names.sourcesSubject, encoder.encode(JSON.stringify({ origin: 'elsewhere', seq: ++seq, events })));
      await nc.flush();
    };
    /** The tenth account's failed login from `ip`, sent as an api sends it, with the marks it names. */
    const tenth = async (ip: string, after: Record<string, number>) => {
      const user = `tenth-of-${ip}`;
      const reply = await nc.request(
        names.ingestSubject(partitionOf(user, PARTITIONS)),
        encoder.encode(
          JSON.stringify({
            events: [{ type: 'login.failed', user, ip, timestamp: new Date(clock.now() - 200_000).toISOString() }],
            atomic: false,
            after,
          }),
        ),
        { timeout: 20_000 },
      );
      return JSON.parse(new TextDecoder().decode(reply.data)) as { report: IngestReport; shared?: { origin: string; seq: number } };
    };
    const rules = (answer: { report: IngestReport }) => {
      const outcome = answer.report.outcomes[0];
      return outcome?.status === 'stored' ? outcome.result.reasons.map((r) => r.rule) : [];
    };

    // Without a mark, the request is judged with what has come: the share that comes after it is not
    // among the IP's failures, and the tenth account is judged the first.
    const unmarked = await tenth('198.51.100.7', {});
    expect(unmarked.report.outcomes[0]?.status).toBe('stored');
    expect(rules(unmarked)).not.toContain('credential-stuffing');
    await share(nineFailures('198.51.100.7'));

    // Named in the request, a share that comes later is waited for: ten accounts failed from the IP.
    const marked = tenth('203.0.113.50', { elsewhere: seq + 1 });
    await new Promise((r) => setTimeout(r, 300));
    await share(nineFailures('203.0.113.50'));
    const answer = await marked;
    expect(rules(answer)).toContain('credential-stuffing');
    // Its answer says where its own shares stand (this event was shared before the answer).
    expect(answer.shared).toMatchObject({ origin: expect.stringMatching(/^worker-/), seq: expect.any(Number) });
    expect(answer.shared?.seq).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('the api sends with each request the highest share number each worker answered with', async () => {
    const databaseUrl = await freshPgSchema();
    const apiPrefix = freshNatsPrefix();
    prefixes.push(apiPrefix);
    const api = await startRole('api', { databaseUrl, prefix: apiPrefix, clock, env });
    running.push(api);
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    // A stand-in owner of every partition: it stores nothing, answers allow, and says it is worker
    // `a` or `b` with the share number the test gives it.
    const heard: Array<Record<string, number> | undefined> = [];
    let answerAs = { origin: 'a', seq: 7 };
    nc.subscribe(`${apiPrefix}.ingest.*`, {
      callback: (_error, message) => {
        const request = JSON.parse(new TextDecoder().decode(message.data)) as {
          events: Array<{ id: string }>;
          after?: Record<string, number>;
        };
        heard.push(request.after);
        const outcomes = request.events.map((e) => ({
          status: 'stored',
          result: { id: e.id, decision: 'allow', risk: 0, severity: 'none', reasons: [] },
        }));
        message.respond(
          new TextEncoder().encode(JSON.stringify({ report: { outcomes, accepted: outcomes.length, rejected: 0 }, shared: answerAs })),
        );
      },
    });
    await nc.flush();
    const login = (user: string) => ({ type: 'login.succeeded', user, ip: '81.2.69.160', timestamp: '2026-03-10T11:59:00Z' });

    await api.ingest.ingest([login('ann')]);
    answerAs = { origin: 'b', seq: 4 };
    await api.ingest.ingest([login('bob')]);
    // An older number than one had (an answer overtaken by a later one) does not lower the mark.
    answerAs = { origin: 'a', seq: 5 };
    await api.ingest.ingest([login('cid')]);
    await api.ingest.ingest([login('dan')]);
    expect(heard).toEqual([{}, { a: 7 }, { a: 7, b: 4 }, { a: 7, b: 4 }]);
  }, 60_000);

  it('with VIGIL_SHARE_ACKS=on, answers only once the other workers alive say they have kept its share', async () => {
    const databaseUrl = await freshPgSchema();
    const ackPrefix = freshNatsPrefix();
    prefixes.push(ackPrefix);
    const ackNames = new ClusterNames(ackPrefix);
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    const encoder = new TextEncoder();
    // Another worker, played by the test: alive (its heartbeats come), and it says it has each share
    // 300 ms after it comes, as a worker across a slow route would.
    const acked: number[] = [];
    let workerHeard = false;
    let beatsSinceWorker = 0;
    nc.subscribe(ackNames.sourcesSubject, {
      callback: (_error, message) => {
        const envelope = JSON.parse(new TextDecoder().decode(message.data)) as { origin: string; seq: number };
        if (envelope.origin !== 'peer') workerHeard = true;
        else if (workerHeard) beatsSinceWorker++;
        if (envelope.origin === 'peer' || !message.reply) return;
        setTimeout(() => {
          acked.push(performance.now());
          nc.publish(message.reply as string, encoder.encode(JSON.stringify({ origin: 'peer', seq: envelope.seq })));
        }, 300);
      },
    });
    const beat = setInterval(() => nc.publish(ackNames.sourcesSubject, encoder.encode('{"origin":"peer","seq":0}')), 200);
    try {
      const worker = await startRole('worker', {
        databaseUrl,
        prefix: ackPrefix,
        clock,
        env: { ...env, VIGIL_SHARE_ACKS: 'on' },
        timings: { leaseMs: 2000, tickMs: 200, shareWaitMs: 15_000 },
      });
      running.push(worker);
      await until('the worker owns every partition', () => worker.cluster?.partitions().length === PARTITIONS);
      // The worker has had a heartbeat of the other since it listens: it counts it alive.
      await until('two heartbeats since the worker listens', () => beatsSinceWorker >= 2);
      const user = 'acked-user';
      const request = encoder.encode(
        JSON.stringify({
          events: [{ type: 'login.failed', user, ip: '198.51.100.20', timestamp: new Date(clock.now() - 1000).toISOString() }],
          atomic: false,
        }),
      );
      // The lease may be taken a moment before its subject is listened to: asked again, as an api does.
      let sent = performance.now();
      let reply: Msg | undefined;
      for (let tries = 0; reply === undefined; tries++) {
        sent = performance.now();
        reply = await nc.request(ackNames.ingestSubject(partitionOf(user, PARTITIONS)), request, { timeout: 20_000 }).catch((error) => {
          if ((error as { code?: string }).code !== '503' || tries > 100) throw error;
          return new Promise<undefined>((r) => setTimeout(() => r(undefined), 50));
        });
      }
      const answeredAt = performance.now();
      const answer = JSON.parse(new TextDecoder().decode(reply.data)) as { report: IngestReport };
      expect(answer.report.outcomes[0]?.status).toBe('stored');
      // The share went out, the other worker said it had it, and only then the answer.
      expect(acked.length).toBeGreaterThanOrEqual(1);
      expect(answeredAt).toBeGreaterThanOrEqual(acked[0] as number);
      expect(answeredAt - sent).toBeGreaterThanOrEqual(290);
      const counted = await worker.metrics.shareAcks.get();
      expect(counted.values.find((v) => v.labels.what === 'share' && v.labels.outcome === 'acked')?.value).toBe(1);
    } finally {
      clearInterval(beat);
    }
  }, 60_000);
});
