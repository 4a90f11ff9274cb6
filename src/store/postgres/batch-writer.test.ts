import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { stuffingAlert } from '../../../test/support/alerts.js';
import { fixedClock } from '../../../test/support/clock.js';
import { freshMigratedPgSchema, twoWorkerDatabases } from '../../../test/support/cluster.js';
import { AlertService } from '../../alerts/alert-service.js';
import { AuditTrail } from '../../audit/audit-trail.js';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { AlertBook } from '../../detect/alert-book.js';
import type { StoredEvent } from '../../domain/activity-event.js';
import type { Alert } from '../../domain/alert.js';
import { SqlAlertStore, upsertSightedAlerts } from '../alert-store.js';
import { SqlAuditStore } from '../audit-store.js';
import { type DatabaseHandle, openDatabase } from '../database.js';
import { eventRow as eventRowOf } from '../event-rows.js';
import { SqlEventStore } from '../event-store.js';

const open: DatabaseHandle[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

const twoWorkers = () => twoWorkerDatabases(open);

const T = Date.parse('2026-12-06T10:00:00Z');
const IP = '203.0.113.9';
const ALERT = 'alrt_stuffing';

/** A failed login of `user` from the attacking IP whose findings grew ALERT (its answer names it). */
const failedLogin = (id: string, user: string, at: number, alertId = ALERT): StoredEvent =>
  ({
    id,
    type: 'login.failed',
    user,
    ip: IP,
    occurredAt: at,
    receivedAt: at,
    enrichment: { novelty: { newDevice: false, newCountry: false, newNetwork: false } },
    result: { id, decision: 'block', risk: 80, severity: 'high', reasons: [], alertId },
  }) as unknown as StoredEvent;

/** ALERT, about the IP, as a worker holds it after `occurrences` sightings, the last at `lastSeenAt`. */
const stuffing = (occurrences: number, lastSeenAt: number, risk = 80, id = ALERT, severity: Alert['severity'] = 'high'): Alert =>
  stuffingAlert({ id, ip: IP, occurrences, firstSeenAt: T, lastSeenAt, risk, severity });

async function storedAlert(handle: DatabaseHandle, id = ALERT) {
  return handle.db
    .selectFrom('alerts')
    .select(['occurrences', 'first_seen_at', 'last_seen_at', 'risk', 'severity', 'status'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

describe('PostgreSQL group commit of alerts several workers grow', () => {
  it('adds each commit’s own repeats to the stored count, so two workers growing one alert at once lose neither', async () => {
    const { a, b } = await twoWorkers();
    const [workerA, workerB] = [new SqlEventStore(a), new SqlEventStore(b)];
    // Raised by worker A with its first sighting; both workers then hold it with one occurrence.
    const raised = await workerA.insert([failedLogin('evt_1', 'u1', T)], [], [stuffing(1, T)]);
    expect(raised.alertOccurrences.size).toBe(0);

    // Each grows it once at the same moment, from what it holds: each writes 2.
    const [fromA, fromB] = await Promise.all([
      workerA.insert([failedLogin('evt_2', 'u2', T + 2_000)], [], [stuffing(2, T + 2_000, 70, ALERT, 'high')]),
      workerB.insert([failedLogin('evt_3', 'u3', T + 1_000)], [], [stuffing(2, T + 1_000, 90, ALERT, 'critical')]),
    ]);
    const stored = await storedAlert(a);
    expect(stored.occurrences).toBe(3);
    // Its sightings' span only widens and its risk and severity only rise, whichever commit came last.
    expect(Number(stored.first_seen_at)).toBe(T);
    expect(Number(stored.last_seen_at)).toBe(T + 2_000);
    expect(stored.risk).toBe(90);
    expect(stored.severity).toBe('critical');
    // The commit that came second says what it stored, so that its worker can follow.
    const reported = [fromA.alertOccurrences.get(ALERT), fromB.alertOccurrences.get(ALERT)];
    expect(reported).toContain(3);
    expect(reported.filter((n) => n !== undefined && n !== 3)).toEqual([]);

    // A later, milder repeat does not lower them.
    await workerA.insert([failedLogin('evt_5', 'u5', T + 500)], [], [stuffing(3, T + 500, 50, ALERT, 'medium')]);
    expect(await storedAlert(a)).toMatchObject({ occurrences: 4, risk: 90, severity: 'critical' });
    expect(Number((await storedAlert(a)).last_seen_at)).toBe(T + 2_000);

    // Sent again (an api's retry after a failover), an event already stored adds nothing.
    const retried = await workerB.insert([failedLogin('evt_3', 'u3', T + 1_000)], [], [stuffing(3, T + 1_000)]);
    expect([...retried.duplicates]).toEqual(['evt_3']);
    expect((await storedAlert(a)).occurrences).toBe(4);
    expect(retried.alertOccurrences.get(ALERT)).toBe(4);
  });

  it('stores an alert raised and grown within one commit as it was written', async () => {
    const { a } = await twoWorkers();
    const store = new SqlEventStore(a);
    const receipt = await store.insert(
      [failedLogin('evt_1', 'u1', T), failedLogin('evt_2', 'u2', T + 1_000)],
      [],
      [stuffing(2, T + 1_000)],
    );
    expect(receipt.alertOccurrences.size).toBe(0);
    expect((await storedAlert(a)).occurrences).toBe(2);
  });

  it('a duplicate closed into the alert kept gives it its occurrences, and the repeats its raiser still had under way', async () => {
    const { a, b } = await twoWorkers();
    const [workerA, workerB] = [new SqlEventStore(a), new SqlEventStore(b)];
    const DUPLICATE = 'alrt_stuffing_second';
    // Each worker raised its own alert about the IP; B's grew once more before B heard of A's.
    await workerA.insert([failedLogin('evt_1', 'u1', T)], [], [stuffing(1, T)]);
    await workerB.insert(
      [failedLogin('evt_2', 'u2', T + 1_000, DUPLICATE), failedLogin('evt_3', 'u3', T + 2_000, DUPLICATE)],
      [],
      [stuffing(2, T + 2_000, 80, DUPLICATE)],
    );

    const closed = await new SqlAlertStore(a).transition(
      { alertId: DUPLICATE, from: 'new', to: 'resolved', actor: 'vigil', note: `duplicate of ${ALERT}`, at: T + 3_000 },
      { resolvedAt: T + 3_000 },
      ALERT,
    );
    expect(closed?.status).toBe('resolved');
    expect(await storedAlert(a)).toMatchObject({ occurrences: 3, status: 'new' });
    expect(Number((await storedAlert(a)).last_seen_at)).toBe(T + 2_000);

    // B's commit of one more repeat of its own alert, scored before it gave way, lands afterwards.
    await workerB.insert([failedLogin('evt_4', 'u4', T + 2_500, DUPLICATE)], [], [stuffing(3, T + 2_500, 80, DUPLICATE)]);
    expect((await storedAlert(a)).occurrences).toBe(4);
    // The duplicate stays closed, whatever its raiser wrote.
    expect((await storedAlert(a, DUPLICATE)).status).toBe('resolved');
  });

  it('a duplicate is not closed into an alert whose commit has not landed: it is tried again once it has', async () => {
    const { a } = await twoWorkers();
    const store = new SqlAlertStore(a);
    const clock = fixedClock('2026-12-06T10:00:05Z');
    const service = new AlertService(
      store,
      new AlertBook(),
      clock,
      new AuditTrail(new SqlAuditStore(a), clock),
      new InProcessBus(() => {}),
    );
    const DUPLICATE = 'alrt_stuffing_second';
    await new SqlEventStore(a).insert(
      [failedLogin('evt_2', 'u2', T + 1_000, DUPLICATE), failedLogin('evt_3', 'u3', T + 2_000, DUPLICATE)],
      [],
      [stuffing(2, T + 2_000, 80, DUPLICATE)],
    );
    const notYet = await service.act(DUPLICATE, 'resolve', 'vigil', 'duplicate', ALERT);
    expect(notYet).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect((await storedAlert(a, DUPLICATE)).status).toBe('new');

    await new SqlEventStore(a).insert([failedLogin('evt_1', 'u1', T)], [], [stuffing(1, T)]);
    expect((await service.act(DUPLICATE, 'resolve', 'vigil', 'duplicate', ALERT)).ok).toBe(true);
    expect((await storedAlert(a)).occurrences).toBe(3);
  });

  it('counts an alert written several times in one call once, in its latest state', async () => {
    const { a } = await twoWorkers();
    await new SqlEventStore(a).insert([failedLogin('evt_1', 'u1', T)], [], [stuffing(1, T)]);
    const events = [failedLogin('evt_2', 'u2', T + 1_000), failedLogin('evt_3', 'u3', T + 2_000)];
    await a.db
      .insertInto('events')
      .values(events.map((e) => ({ ...eventRowOf(e) })))
      .execute();
    await a.db
      .transaction()
      .execute((trx) => upsertSightedAlerts(trx, [stuffing(2, T + 1_000), stuffing(3, T + 2_000)], new Map([[ALERT, 2]])));
    expect((await storedAlert(a)).occurrences).toBe(3);
  });

  it('an alert folded into one later folded into a third sends its late repeats to the third', async () => {
    const { a } = await twoWorkers();
    const store = new SqlAlertStore(a);
    const [first, second, third] = ['alrt_a', 'alrt_b', 'alrt_c'];
    const worker = new SqlEventStore(a);
    await worker.insert([failedLogin('evt_1', 'u1', T, first)], [], [stuffing(1, T, 80, first)]);
    await worker.insert([failedLogin('evt_2', 'u2', T, second)], [], [stuffing(1, T, 80, second)]);
    await worker.insert([failedLogin('evt_3', 'u3', T, third)], [], [stuffing(1, T, 80, third)]);
    const close = (id: string, into: string) =>
      store.transition(
        { alertId: id, from: 'new', to: 'resolved', actor: 'vigil', note: null, at: T + 5_000 },
        { resolvedAt: T + 5_000 },
        into,
      );
    await close(third, second);
    await close(second, first);
    expect((await storedAlert(a, first)).occurrences).toBe(3);
    // A late repeat of the third goes to the first, where the second's went.
    await worker.insert([failedLogin('evt_4', 'u4', T + 9_000, third)], [], [stuffing(2, T + 9_000, 80, third)]);
    expect((await storedAlert(a, first)).occurrences).toBe(4);
    expect(Number((await storedAlert(a, first)).last_seen_at)).toBe(T + 9_000);
  });

  it('a commit that a late repeat of a folded alert led into a deadlock is run again, and counts once', async () => {
    const url = await freshMigratedPgSchema();
    const handle = await openDatabase({ dialect: 'postgres', url, poolSize: 4 }, { migrate: false });
    open.push(handle);
    const worker = new SqlEventStore(handle);
    // Ids in this order: the duplicate, another IP's alert, the alert kept.
    const [duplicate, other, kept] = ['alrt_a_duplicate', 'alrt_b_other', 'alrt_c_kept'];
    await worker.insert([failedLogin('evt_1', 'u1', T, kept)], [], [stuffing(1, T, 80, kept)]);
    await worker.insert([failedLogin('evt_2', 'u2', T, duplicate)], [], [stuffing(1, T, 80, duplicate)]);
    await worker.insert([failedLogin('evt_3', 'u3', T, other)], [], [stuffing(1, T, 80, other)]);
    await new SqlAlertStore(handle).transition(
      { alertId: duplicate, from: 'new', to: 'resolved', actor: 'vigil', note: null, at: T },
      { resolvedAt: T },
      kept,
    );
    // Another worker's commit grows the other alert, then the one kept (in the order of their ids).
    const another = new pg.Client({ connectionString: url });
    await another.connect();
    try {
      const anotherPid = (await another.query('select pg_backend_pid() as pid')).rows[0].pid as number;
      // The commit's session looks for the deadlock first (after 1 s), so it is the one ended.
      await another.query(`set deadlock_timeout = '10s'`);
      await another.query('begin');
      await another.query('update alerts set occurrences = occurrences + 1 where id = $1', [other]);
      // This one: a late repeat of the duplicate (sent on to the one kept) and a repeat of the other.
      const commit = worker.insert(
        [failedLogin('evt_4', 'u4', T + 1_000, duplicate), failedLogin('evt_5', 'u5', T + 1_000, other)],
        [],
        [stuffing(2, T + 1_000, 80, duplicate), stuffing(2, T + 1_000, 80, other)],
      );
      await until(async () => (await blockedBy(url, anotherPid)) > 0);
      // Now each waits for the other: PostgreSQL ends the commit, which is run again once the other is done.
      await another.query('update alerts set occurrences = occurrences + 1 where id = $1', [kept]);
      await another.query('commit');
      await commit;
      // The one kept: its own, the duplicate's, the other worker's and the late repeat, each once.
      expect((await storedAlert(handle, kept)).occurrences).toBe(4);
      expect((await storedAlert(handle, other)).occurrences).toBe(3);
    } finally {
      await another.end();
    }
  }, 30_000);
});

async function until(done: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 15_000; !(await done()); await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() > deadline) throw new Error('not within 15 s');
}

/** Sessions waiting for a lock the session `blocker` holds. */
async function blockedBy(url: string, blocker: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [blocker]);
    return rows[0].n as number;
  } finally {
    await client.end();
  }
}
