import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DUPLICATE_CLOSER } from '../src/alerts/duplicate-alerts.js';
import { partitionOf } from '../src/cluster/partitions.js';
import type { Alert } from '../src/domain/alert.js';
import { buildApp } from '../src/http/app.js';
import type { System } from '../src/system.js';
import { fixedClock } from './support/clock.js';
import { dropNatsPrefix, freshNatsPrefix, freshPgSchema, startRole } from './support/cluster.js';
import { ADMIN_KEY, INGEST_KEY } from './support/credentials.js';

/**
 * Two workers that score events of one IP at the same moment, each before the other's alert reached
 * it, each raise an alert about the IP, where one process raises one and grows it. On the machine's
 * NATS and PostgreSQL, with the moment made exact: a lock on the alerts table holds both commits, so
 * neither worker shares its alert before the other has raised its own.
 */
const clock = fixedClock('2026-03-10T12:00:00Z');
const prefix = freshNatsPrefix();
const PARTITIONS = 16;
const IP = '81.2.69.160';
const running: System[] = [];
const env = { VIGIL_INGEST_KEY: INGEST_KEY, VIGIL_ADMIN_KEY: ADMIN_KEY, VIGIL_RESPONSE_POLICY: '[]' };
const timings = { leaseMs: 2000, tickMs: 200 };

afterAll(async () => {
  for (const s of running.splice(0).reverse()) await s.close().catch(() => {});
  await dropNatsPrefix(prefix).catch(() => {});
});

async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 20_000; !(await done()); await new Promise((r) => setTimeout(r, 50)))
    if (Date.now() > deadline) throw new Error(`not within 20 s: ${what}`);
}

describe('distributed mode: an alert about an IP raised by two workers at the same moment', () => {
  it('is kept once: every worker grows the one raised first, and the other is resolved, naming it', async () => {
    const databaseUrl = await freshPgSchema();
    const start = async (role: 'api' | 'worker') => {
      const system = await startRole(role, { databaseUrl, prefix, clock, env, timings });
      running.push(system);
      return system;
    };
    const one = await start('worker');
    await until('the first worker owns every partition', () => one.cluster?.partitions().length === PARTITIONS);
    const two = await start('worker');
    await until('the partitions are shared', () => one.cluster?.partitions().length === 8 && two.cluster?.partitions().length === 8);
    const ownedBy = (worker: System) => (user: string) => worker.cluster?.partitions().includes(partitionOf(user, PARTITIONS)) ?? false;
    const candidates = Array.from({ length: 200 }, (_, i) => `stuffed-${i}`);
    const ofOne = candidates.filter(ownedBy(one));
    const ofTwo = candidates.filter(ownedBy(two));
    const api = await buildApp(await start('api'), { checkResponses: true });
    const blocker = new pg.Client({ connectionString: databaseUrl });
    await blocker.connect();
    try {
      let sent = 0;
      const failedLogin = async (user: string) => {
        const res = await api.inject({
          method: 'POST',
          url: '/v1/events',
          headers: { authorization: `Bearer ${INGEST_KEY}` },
          payload: { type: 'login.failed', user, ip: IP, timestamp: new Date(clock.now() - 300_000 + sent++ * 1000).toISOString() },
        });
        expect(res.statusCode).toBe(200);
        return res.json() as { alertId?: string; reasons: Array<{ rule: string }> };
      };
      // Nine accounts failed from the IP, of both workers: one account short of credential stuffing.
      for (const user of [...ofOne.slice(0, 5), ...ofTwo.slice(0, 4)]) {
        expect((await failedLogin(user)).reasons.map((r) => r.rule)).not.toContain('credential-stuffing');
      }

      // The tenth and eleventh accounts at the same moment, one on each worker: both are scored, and
      // both raise an alert, before either commit can end.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE alerts IN EXCLUSIVE MODE');
      const first = failedLogin(ofOne[5] as string);
      const second = failedLogin(ofTwo[4] as string);
      await until('both commits wait for the alerts table', async () => {
        const { rows } = await blocker.query(`select count(*)::int as n from pg_locks where relation = 'alerts'::regclass and not granted`);
        return rows[0].n === 2;
      });
      // The second worker scores one more from the IP meanwhile: it grows its own alert before it
      // hears of the other's, and that update reaches the first worker by both ways (the shared
      // sources and the change relay), which must both keep the same one.
      const third = failedLogin(ofTwo[5] as string);
      await until('the second worker has both of its requests under way', () => two.cluster?.lag() === 2);
      await blocker.query('COMMIT');
      const [a, b, c] = await Promise.all([first, second, third]);
      expect(c.alertId).toBe(b.alertId);
      for (const answer of [a, b]) expect(answer.reasons.map((r) => r.rule)).toContain('credential-stuffing');
      expect(a.alertId).toBeDefined();
      expect(b.alertId).toBeDefined();
      // The race itself: two alerts, as each worker raised its own.
      expect(a.alertId).not.toBe(b.alertId);

      const aboutIp = async () => (await one.alerts.list({ limit: 50 })).filter((x: Alert) => x.subject.kind === 'ip');
      const raised = await aboutIp();
      expect(raised).toHaveLength(2);
      const [kept, duplicate] = [...raised].sort((x, y) => x.createdAt - y.createdAt || (x.id < y.id ? -1 : 1)) as [Alert, Alert];

      // The one raised second is resolved by Vigil, its note naming the one kept; the other stays open.
      await until('the duplicate is resolved', async () => (await one.alerts.get(duplicate.id))?.status === 'resolved');
      expect((await one.alerts.get(kept.id))?.status).toBe('new');
      const transitions = await one.alerts.transitions(duplicate.id);
      expect(transitions).toEqual([expect.objectContaining({ from: 'new', to: 'resolved', actor: DUPLICATE_CLOSER })]);
      expect(transitions[0]?.note).toContain(kept.id);

      // Later repeats, through both workers, grow the one kept.
      for (const user of [ofOne[6] as string, ofTwo[6] as string, ofOne[7] as string, ofTwo[7] as string]) {
        expect((await failedLogin(user)).alertId).toBe(kept.id);
      }
      const after = await aboutIp();
      expect(after.filter((x) => x.status === 'new').map((x) => x.id)).toEqual([kept.id]);
      // And it counts what one process would: the tenth account raised it, the eleventh and twelfth
      // grew it (the duplicate's two sightings, taken into it as it was closed), then four repeats.
      expect((await one.alerts.get(kept.id))?.occurrences).toBe(7);
    } finally {
      await blocker.end();
      await api.close();
    }
  }, 120_000);
});
