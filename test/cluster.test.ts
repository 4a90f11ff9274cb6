import { connect } from 'nats';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusCountries, generateCorpus } from '../eval/corpus.js';
import { buildGeoTable } from '../eval/geo-table.js';
import { type CorpusParams, TUNING } from '../eval/params.js';
import { ClusterNames, partitionOf } from '../src/cluster/partitions.js';
import type { Clock } from '../src/core/clock.js';
import type { EventResult } from '../src/domain/event-schema.js';
import { buildApp } from '../src/http/app.js';
import type { System } from '../src/system.js';
import { acrossAccounts, dropNatsPrefix, freshNatsPrefix, freshPgSchema, NATS_URL, startRole } from './support/cluster.js';
import { INGEST_KEY } from './support/credentials.js';
import { sharedGeoIp } from './support/geoip.js';

/**
 * The distributed mode on the machine's real NATS JetStream and PostgreSQL, its processes in this
 * process (one system each, sharing the database and a NATS prefix of the test's own): the same
 * corpus through one process and through one api and two workers.
 */
const running: System[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  for (const s of running.splice(0).reverse()) await s.close().catch(() => {});
  for (const p of prefixes) await dropNatsPrefix(p).catch(() => {});
});

async function role(r: 'all' | 'api' | 'worker', o: Parameters<typeof startRole>[1]): Promise<System> {
  const system = await startRole(r, o);
  running.push(system);
  return system;
}

/**
 * An api of a cluster of its own (its schema and NATS prefix), behind app.inject(), that asks the
 * partitions' owners for 1.5 s before it answers 503; no worker yet.
 */
async function apiOverHttp() {
  const databaseUrl = await freshPgSchema();
  const prefix = freshNatsPrefix();
  prefixes.push(prefix);
  const clock = { now: () => Date.parse('2026-03-10T12:00:00Z') };
  const api = await role('api', { databaseUrl, prefix, clock, env: { VIGIL_INGEST_KEY: INGEST_KEY }, timings: { deadlineMs: 1500 } });
  const app = await buildApp(api, { checkResponses: true });
  const send = (body: unknown) =>
    app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${INGEST_KEY}` }, payload: body as object });
  return { databaseUrl, prefix, clock, app, send };
}

/** A small corpus of the detection issue's eval: ordinary shoppers and one story of every kind (stories begin from the sixth day). */
const params: CorpusParams = { ...TUNING, users: 100, days: 7, storiesPerKind: 1 };
interface Replay {
  readonly results: EventResult[];
  readonly alerts: Map<string, unknown>;
  /**
   * The volume monitor's counts of stored events per minute and status, and the minutes it found
   * anomalous, once the monitors of `counters` have written what they judged.
   */
  readonly monitor?: () => Promise<unknown>;
}

/** The corpus in time order, 50 events a batch, the clock moved to each batch's last event. */
async function replay(systemFor: (clock: Clock) => Promise<System>, counters: () => System[]): Promise<Replay> {
  const corpus = generateCorpus(params, buildGeoTable(await sharedGeoIp(), corpusCountries(params), params.seed, 1500));
  let now = Date.parse(params.start);
  const clock: Clock = { now: () => now };
  const system = await systemFor(clock);
  const results: EventResult[] = [];
  for (let first = 0; first < corpus.events.length; first += 50) {
    const batch = corpus.events.slice(first, first + 50);
    now = Math.max(now, (batch.at(-1) as (typeof batch)[number]).at + 1000);
    const report = await system.ingest.ingest(batch.map((e) => e.event));
    for (const o of report.outcomes) {
      if (o.status !== 'stored') throw new Error(`not stored: ${JSON.stringify(o)}`);
      results.push(o.result);
    }
  }
  const alerts = new Map<string, unknown>();
  for (const r of results) {
    if (r.alertId === undefined || alerts.has(r.alertId)) continue;
    const a = await system.alerts.get(r.alertId);
    if (a)
      alerts.set(r.alertId, { user: a.user, subject: a.subject, severity: a.severity, ruleIds: a.ruleIds, occurrences: a.occurrences });
  }
  const window = { from: Date.parse(params.start), to: now + 60_000, source: 'events' as const };
  const monitor = async () => {
    for (const counter of counters()) await counter.monitor.settled();
    return {
      minutes: (await system.monitor.series(window)).map((m) => ({ minute: m.minute, status: m.status, count: m.count })),
      anomalies: (await system.monitor.anomalies({ ...window, limit: 1000 })).map((a) => ({
        minute: a.minute,
        status: a.status,
        direction: a.direction,
      })),
    };
  };
  return { results, alerts, monitor };
}

/** What a client and an analyst see of a replay, without the ids, which each run draws afresh. */
function outcome(r: Replay) {
  const alertIndex = new Map([...r.alerts.keys()].map((id, i) => [id, i]));
  return {
    decisions: r.results.map((e) => ({
      decision: e.decision,
      risk: e.risk,
      severity: e.severity,
      rules: e.reasons.map((x) => x.rule),
      alert: e.alertId === undefined ? undefined : alertIndex.get(e.alertId),
    })),
    alerts: [...r.alerts.values()],
  };
}

describe('distributed mode (real NATS JetStream and PostgreSQL)', () => {
  it('gives the same decisions and alerts through one api and two workers as through one process', async () => {
    let one: System[] = [];
    const single = await replay(
      async (clock) => {
        one = [await role('all', { databaseUrl: await freshPgSchema(), prefix: freshNatsPrefix(), clock })];
        return one[0] as System;
      },
      () => one,
    );

    const databaseUrl = await freshPgSchema();
    const prefix = freshNatsPrefix();
    prefixes.push(prefix);
    let workers: System[] = [];
    const distributed = await replay(
      async (clock) => {
        workers = [await role('worker', { databaseUrl, prefix, clock }), await role('worker', { databaseUrl, prefix, clock })];
        // Each worker holds its fair share once both have seen each other.
        for (let i = 0; i < 100 && workers.some((w) => w.cluster?.partitions().length !== 8); i++)
          await new Promise((r) => setTimeout(r, 100));
        expect(workers.map((w) => w.cluster?.partitions().length)).toEqual([8, 8]);
        return role('api', { databaseUrl, prefix, clock });
      },
      () => workers,
    );

    expect(distributed.results.length).toBeGreaterThan(800);
    expect(single.alerts.size).toBeGreaterThan(3);
    // The stories that read other accounts' events are in the corpus, and fire.
    const rules = new Set(single.results.flatMap((r) => r.reasons.map((x) => x.rule)));
    expect(rules).toContain('credential-stuffing');
    expect(rules).toContain('card-testing');
    expect(outcome(distributed)).toEqual(outcome(single));
    // The volume monitor: the same minutes, counts and anomalies. The counting worker judges a
    // batch's minutes when the api announces the batch answered, which reaches it a moment after
    // the api's answer: polled for.
    const expected = (await single.monitor?.()) as { minutes: unknown[]; anomalies: unknown[] };
    expect(expected.minutes.length).toBeGreaterThan(1000);
    expect(expected.anomalies.length).toBeGreaterThan(0);
    // A minute of margin: on a loaded machine the judging of the last batches took over 10 s.
    await expect.poll(() => distributed.monitor?.(), { timeout: 60_000, interval: 250 }).toEqual(expected);
    // Exactly one worker counts for the volume monitor.
    expect(workers.filter((w) => w.eventCounting.counting)).toHaveLength(1);
  }, 180_000);

  it('judges one IP and one device across accounts of both workers as one process does, each source alert raised once', async () => {
    // Users of both workers' partitions (16 partitions, 8 each once both run).
    const users = [...Array(12).keys()].map((i) => `across-${i}`);
    const { failedLogins, failedPayments } = acrossAccounts(users, 'evt');
    // Credential stuffing: one request per failed login, 12 accounts from one IP (the rule fires from 10).
    // Card testing from one device over 6 accounts, in one batch: the api sends it in order, run by run.
    const requests = [...failedLogins.map((e) => [e]), failedPayments];
    let now = Date.parse('2026-03-10T12:00:00Z');
    const clock: Clock = { now: () => now };
    const send = async (system: System): Promise<Replay> => {
      const results: EventResult[] = [];
      for (const batch of requests) {
        now += 1000;
        for (const o of (await system.ingest.ingest(batch)).outcomes) {
          if (o.status !== 'stored') throw new Error(`not stored: ${JSON.stringify(o)}`);
          results.push(o.result);
        }
      }
      const alerts = new Map<string, unknown>();
      for (const r of results) {
        if (r.alertId === undefined || alerts.has(r.alertId)) continue;
        const a = await system.alerts.get(r.alertId);
        if (a) alerts.set(r.alertId, { subject: a.subject, severity: a.severity, ruleIds: a.ruleIds, occurrences: a.occurrences });
      }
      return { results, alerts };
    };

    const single = await send(await role('all', { databaseUrl: await freshPgSchema(), prefix: freshNatsPrefix(), clock }));
    const databaseUrl = await freshPgSchema();
    const prefix = freshNatsPrefix();
    prefixes.push(prefix);
    const workers = [await role('worker', { databaseUrl, prefix, clock }), await role('worker', { databaseUrl, prefix, clock })];
    for (let i = 0; i < 100 && workers.some((w) => w.cluster?.partitions().length !== 8); i++) await new Promise((r) => setTimeout(r, 100));
    // The sequence is worth something only if both workers hold some of its users.
    for (const w of workers) expect(users.some((u) => w.cluster?.partitions().includes(partitionOf(u, 16)))).toBe(true);
    expect(users.slice(0, 6).filter((u) => workers[0]?.cluster?.partitions().includes(partitionOf(u, 16))).length).toBeGreaterThan(0);
    expect(users.slice(0, 6).filter((u) => workers[1]?.cluster?.partitions().includes(partitionOf(u, 16))).length).toBeGreaterThan(0);
    const distributed = await send(await role('api', { databaseUrl, prefix, clock }));

    const rulesOf = (r: Replay) => r.results.map((e) => e.reasons.map((x) => x.rule));
    expect(rulesOf(single).slice(9, 12)).toEqual([['credential-stuffing'], ['credential-stuffing'], ['credential-stuffing']]);
    expect(rulesOf(single).slice(16)).toEqual([['card-testing'], ['card-testing']]);
    // One alert about the IP and one about the device, each raised once and grown by every repeat.
    expect([...single.alerts.values()]).toEqual([
      expect.objectContaining({ subject: { kind: 'ip', value: '81.2.69.160' }, occurrences: 3 }),
      expect.objectContaining({ subject: { kind: 'device', value: 'tester-phone' }, occurrences: 2 }),
    ]);
    expect(outcome(distributed)).toEqual(outcome(single));
    const stored = await workers[0]?.alerts.list({ limit: 50 });
    expect(stored?.map((a) => a.subject.kind).sort()).toEqual(['device', 'ip']);
  }, 120_000);

  it('counts a shadow rule’s alerts about one IP once across workers, as one process does', async () => {
    let now = Date.parse('2026-03-10T12:00:00Z');
    const clock: Clock = { now: () => now };
    const databaseUrl = await freshPgSchema();
    const prefix = freshNatsPrefix();
    prefixes.push(prefix);
    const workers = [await role('worker', { databaseUrl, prefix, clock }), await role('worker', { databaseUrl, prefix, clock })];
    for (let i = 0; i < 100 && workers.some((w) => w.cluster?.partitions().length !== 8); i++) await new Promise((r) => setTimeout(r, 100));
    const ownerOf = (user: string) => workers.findIndex((w) => w.cluster?.partitions().includes(partitionOf(user, 16)));
    // Twelve accounts failing from one IP, the 10th and the 11th (the rule's first two findings) of
    // different workers, so that each worker judges one of them.
    const names = [...Array(200).keys()].map((i) => `shadow-${i}`);
    const tenth = names.find((u) => ownerOf(u) === 0) as string;
    const eleventh = names.find((u) => ownerOf(u) === 1) as string;
    const others = names.filter((u) => u !== tenth && u !== eleventh);
    const users = [...others.slice(0, 9), tenth, eleventh, others[9] as string];
    const at = (second: number) => new Date(Date.parse('2026-03-10T11:40:00Z') + second * 1000).toISOString();
    const failures = users.map((user, i) => ({
      type: 'login.failed',
      user,
      ip: '81.2.69.170',
      id: `evt_shadow_${i}`,
      timestamp: at(i * 20),
    }));
    /** Through `system`, the rule in shadow on it and on the others of its database (`alongside`). */
    const send = async (system: System, alongside: readonly System[]) => {
      const shadowed = await system.rules.setMode('credential-stuffing', 'shadow', 'admin:test', null);
      expect(shadowed.ok).toBe(true);
      for (const w of [system, ...alongside])
        for (let i = 0; i < 100 && w.rules.ruleSet.get('credential-stuffing')?.mode !== 'shadow'; i++)
          await new Promise((r) => setTimeout(r, 50));
      const suppressed = [];
      for (const event of failures) {
        now += 1000;
        const [o] = (await system.ingest.ingest([event])).outcomes;
        if (o?.status !== 'stored') throw new Error(`not stored: ${JSON.stringify(o)}`);
        suppressed.push(o.result.suppressed ?? []);
      }
      return suppressed;
    };
    const shadowFigures = async (systems: readonly System[]) => {
      for (const s of systems) await s.ruleStats.flush();
      return (await (systems[0] as System).ruleStats.figuresOf('credential-stuffing')).shadow.last7Days;
    };

    const single = await role('all', { databaseUrl: await freshPgSchema(), prefix: freshNatsPrefix(), clock });
    const inOne = await send(single, []);
    // The findings name the IP they are about.
    expect(inOne.slice(9).map((s) => s.map((r) => ({ rule: r.rule, suppressedBy: r.suppressedBy, subject: r.subject })))).toEqual(
      Array(3).fill([{ rule: 'credential-stuffing', suppressedBy: 'shadow', subject: { kind: 'ip', value: '81.2.69.170' } }]),
    );
    expect(await shadowFigures([single])).toEqual({ hits: 3, alerts: 1 });

    const api = await role('api', { databaseUrl, prefix, clock });
    expect([ownerOf(tenth), ownerOf(eleventh)]).toEqual([0, 1]);
    expect(await send(api, workers)).toEqual(inOne);
    expect(await shadowFigures(workers)).toEqual({ hits: 3, alerts: 1 });
  }, 120_000);

  it('the volume monitor counts each event once when the counting worker stops and another takes its lease', async () => {
    const at = (minute: number) => new Date(Date.parse('2026-03-10T09:00:00Z') + minute * 60_000).toISOString();
    // Two batches of purchases by 40 accounts over 20 minutes each; the counting worker stops between them.
    const batch = (part: number) =>
      [...Array(40).keys()].map((i) => ({
        type: 'transaction',
        user: `counted-${i}`,
        ip: `81.2.69.${(i % 50) + 100}`,
        amount: 20 + i,
        currency: 'EUR',
        id: `evt_count_${part}_${i}`,
        timestamp: at(part * 20 + i / 2),
      }));
    let now = 0;
    const clock: Clock = { now: () => now };
    const send = async (system: System, part: number) => {
      const events = batch(part);
      now = Date.parse(events.at(-1)?.timestamp as string) + 1000;
      const report = await system.ingest.ingest(events);
      expect(report.outcomes.every((o) => o.status === 'stored')).toBe(true);
    };
    const window = { from: Date.parse(at(0)), to: Date.parse(at(60)), source: 'events' as const };
    const minutes = async (system: System, counters: System[]) => {
      for (const c of counters) await c.monitor.settled();
      return (await system.monitor.series(window)).map((m) => ({ minute: m.minute, status: m.status, count: m.count }));
    };

    const one = await role('all', { databaseUrl: await freshPgSchema(), prefix: freshNatsPrefix(), clock });
    await send(one, 0);
    await send(one, 1);
    const expected = await minutes(one, [one]);
    expect(expected.filter((m) => m.count > 0).length).toBeGreaterThan(20);

    const databaseUrl = await freshPgSchema();
    const prefix = freshNatsPrefix();
    prefixes.push(prefix);
    const timings = { leaseMs: 2000, tickMs: 200 };
    // The first worker starts alone: it holds partition 0, and keeps it when the second joins.
    const first = await startRole('worker', { databaseUrl, prefix, clock, timings });
    const second = await role('worker', { databaseUrl, prefix, clock, timings });
    for (let i = 0; i < 100 && first.cluster?.partitions().length !== 8; i++) await new Promise((r) => setTimeout(r, 100));
    expect(first.eventCounting.counting).toBe(true);
    expect(second.eventCounting.counting).toBe(false);
    const api = await role('api', { databaseUrl, prefix, clock });
    await send(api, 0);
    await first.close();
    for (let i = 0; i < 150 && !second.eventCounting.counting; i++) await new Promise((r) => setTimeout(r, 100));
    expect(second.eventCounting.counting).toBe(true);
    await send(api, 1);
    await expect.poll(() => minutes(api, [second]), { timeout: 15_000, interval: 250 }).toEqual(expected);
  }, 120_000);

  it('answers over HTTP with the owner’s decision, and 503 with retry-after when no worker owns the partition', async () => {
    const { databaseUrl, prefix, clock, app, send } = await apiOverHttp();
    const login = { type: 'login.succeeded', user: 'hop-alice', ip: '81.2.69.160', id: 'evt_hop_1', timestamp: '2026-03-10T11:59:00Z' };

    const refused = await send(login);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json().error.code).toBe('busy');
    // A client mistake is answered by the api itself, with no worker at all.
    expect((await send({ ...login, user: '' })).statusCode).toBe(400);

    const worker = await role('worker', { databaseUrl, prefix, clock });
    const stored = await send(login);
    expect(stored.statusCode).toBe(200);
    expect(stored.json()).toMatchObject({ id: 'evt_hop_1', decision: 'allow' });
    // The same id again: the first answer, stored once.
    expect((await send(login)).json()).toEqual(stored.json());
    expect(await worker.events.countEvents()).toBe(1);
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toMatchObject({ role: 'api', cluster: { partitions: [], lag: 0 } });
    expect(worker.cluster?.partitions()).toHaveLength(16);
    await app.close();
  }, 120_000);

  it('answers a batch only partly served with 207: the stored events’ answers, busy with an id for the rest, stored once when sent again', async () => {
    const { databaseUrl, prefix, clock, app, send } = await apiOverHttp();
    // Two users of different partitions: the first one's is served, the second one's has no owner.
    const served = 'part-alice';
    const unserved = ['part-bob', 'part-carol', 'part-dave', 'part-erin'].find(
      (u) => partitionOf(u, 16) !== partitionOf(served, 16),
    ) as string;
    const login = (user: string) => ({ type: 'login.succeeded', user, ip: '81.2.69.160', timestamp: '2026-03-10T11:59:00Z' });

    let id = '';
    let seenByOwner = 0;
    // A stand-in owner of the first partition that stores nothing and answers allow.
    const nc = await connect({ servers: NATS_URL });
    try {
      const owner = nc.subscribe(new ClusterNames(prefix).ingestSubject(partitionOf(served, 16)), {
        callback: (_err, msg) => {
          const { events } = JSON.parse(new TextDecoder().decode(msg.data)) as { events: Array<{ id: string }> };
          seenByOwner += events.length;
          const outcomes = events.map((e) => ({
            status: 'stored',
            result: { id: e.id, decision: 'allow', risk: 0, severity: 'none', reasons: [] },
          }));
          msg.respond(new TextEncoder().encode(JSON.stringify({ report: { outcomes, accepted: events.length, rejected: 0 } })));
        },
      });
      await nc.flush();

      // Without ids, as a client may send them: a 503 would have the client send alice's login again
      // under a new id, so it would be stored twice.
      // Addresses of their own: each partition's part goes at once, side by side.
      const partly = await send({
        events: [
          { ...login(served), ip: '81.2.69.161' },
          { ...login(unserved), ip: '81.2.69.162' },
        ],
      });
      expect(partly.statusCode).toBe(207);
      expect(partly.headers['retry-after']).toBe('1');
      const body = partly.json();
      expect(body).toMatchObject({ accepted: 1, rejected: 1 });
      expect(body.results[0]).toMatchObject({ decision: 'allow' });
      expect(body.results[1].error).toMatchObject({ code: 'busy' });
      id = body.results[1].error.id as string;
      expect(id).toMatch(/^evt_/);
      expect(body.results[1].error.message).toContain(id);

      // One IP across both partitions goes run by run, in the batch's order; after the run nobody
      // answered, the rest is not sent (it would be judged without the events before it).
      seenByOwner = 0;
      const ordered = await send({ events: [login(served), login(unserved), { ...login(served), type: 'logout' }] });
      expect(ordered.statusCode).toBe(207);
      expect(ordered.json().results.map((r: { error?: { code: string } }) => r.error?.code ?? 'answered')).toEqual([
        'answered',
        'busy',
        'busy',
      ]);
      expect(seenByOwner).toBe(1);

      // An NDJSON stream in chunks of 1,000: the served user's, the unserved user's, the served
      // user's again (sent while the second waits), then 500 more. The second chunk is not answered:
      // its lines come back busy with their ids, and the stream is not sent on after the chunks under way.
      seenByOwner = 0;
      const lines = [
        ...Array.from({ length: 1000 }, () => login(served)),
        ...Array.from({ length: 1000 }, () => login(unserved)),
        ...Array.from({ length: 1500 }, () => login(served)),
      ].map((e, i) => JSON.stringify({ ...e, ip: `81.2.${i % 200}.${i % 250}` }));
      const stream = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/x-ndjson' },
        // An unparsable first line: with it, 1,001 lines are in errors, past their usual limit of 1,000.
        payload: `{"type":\n${lines.join('\n')}\n`,
      });
      expect(stream.statusCode).toBe(207);
      expect(stream.headers['retry-after']).toBe('1');
      const summary = stream.json();
      expect(summary).toMatchObject({ accepted: 2000, rejected: 1001, notSentFromLine: 3002 });
      expect(summary.errors).toHaveLength(1001);
      expect(summary.errors[0]).toMatchObject({ line: 1, code: 'invalid_ndjson' });
      expect(summary.errors[1]).toMatchObject({ line: 1002, code: 'busy', id: expect.stringMatching(/^evt_/) });
      expect(summary.errors.at(-1)).toMatchObject({ line: 2001, code: 'busy' });
      expect(new Set(summary.errors.slice(1).map((e: { id: string }) => e.id)).size).toBe(1000);
      expect(seenByOwner).toBe(2000);

      // Neither part answered: a 503, as before, nothing of it known stored.
      const none = await send({ events: [login(unserved), { ...login(unserved), type: 'logout' }] });
      expect(none.statusCode).toBe(503);
      expect(none.json().error.code).toBe('busy');
      owner.unsubscribe();
      await nc.flush();
    } finally {
      await nc.close();
    }

    // The owner is back: the event sent again with its id is stored, once however often it is sent.
    const worker = await role('worker', { databaseUrl, prefix, clock });
    const again = await send({ events: [{ ...login(unserved), id }] });
    expect(again.statusCode).toBe(200);
    expect((await send({ events: [{ ...login(unserved), id }] })).json()).toEqual(again.json());
    expect(await worker.events.countEvents()).toBe(1);
    await app.close();
  }, 120_000);

  it('a worker taking a partition over scores its users with the events its previous owner stored', async () => {
    const databaseUrl = await freshPgSchema();
    const prefix = freshNatsPrefix();
    prefixes.push(prefix);
    let now = Date.parse('2026-03-10T12:00:00Z');
    const clock: Clock = { now: () => now };
    const timings = { leaseMs: 2000, tickMs: 200 };
    const first = await startRole('worker', { databaseUrl, prefix, clock, timings });
    // The second worker starts on the same (empty) database: all it will know of the user is what it replays at takeover.
    const second = await role('worker', { databaseUrl, prefix, clock, timings });
    const api = await role('api', { databaseUrl, prefix, clock });
    for (let i = 0; i < 100 && first.cluster?.partitions().length !== 8; i++) await new Promise((r) => setTimeout(r, 100));
    const user = [...Array(200).keys()].map((i) => `takeover-${i}`).find((u) => first.cluster?.partitions().includes(partitionOf(u, 16)));
    expect(user).toBeDefined();

    const failed = (minute: number) => ({
      type: 'login.failed',
      user,
      ip: '81.2.69.160',
      device: 'd1',
      timestamp: new Date(Date.parse('2026-03-10T11:50:00Z') + minute * 10_000).toISOString(),
    });
    // Four failures on the first worker: below the burst rule's five.
    for (let i = 0; i < 4; i++) expect((await api.ingest.ingest([failed(i)])).outcomes[0]).toMatchObject({ status: 'stored' });
    // The first worker stops; the second takes its partitions and replays the four failures first.
    await first.close();
    for (let i = 0; i < 100 && second.cluster?.partitions().length !== 16; i++) await new Promise((r) => setTimeout(r, 100));
    expect(second.cluster?.partitions()).toHaveLength(16);
    now += 1000;
    const fifth = (await api.ingest.ingest([failed(5)])).outcomes[0];
    expect(fifth).toMatchObject({ status: 'stored', result: { reasons: [expect.objectContaining({ rule: 'failed-login-burst' })] } });
  }, 120_000);
});
