import { afterEach, describe, expect, it } from 'vitest';
import { freshMigratedPgSchema } from '../../../test/support/cluster.js';
import type { StoredEvent } from '../../domain/activity-event.js';
import type { Alert } from '../../domain/alert.js';
import { SqlAlertStore } from '../alert-store.js';
import { type DatabaseHandle, openDatabase } from '../database.js';
import { SqlEventStore } from '../event-store.js';

const open: DatabaseHandle[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

/** Two workers' stores on one PostgreSQL schema (the cluster tests' database, whatever the leg). */
async function twoWorkers() {
  const url = await freshMigratedPgSchema();
  const [a, b] = await Promise.all([1, 2].map(() => openDatabase({ dialect: 'postgres', url, poolSize: 2 }, { migrate: false })));
  open.push(a as DatabaseHandle, b as DatabaseHandle);
  return { a: a as DatabaseHandle, b: b as DatabaseHandle };
}

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
const stuffing = (occurrences: number, lastSeenAt: number, risk = 80, id = ALERT, severity: Alert['severity'] = 'high'): Alert => ({
  id,
  dedupKey: `credential-stuffing:ip:${IP}`,
  ruleId: 'credential-stuffing',
  ruleIds: ['credential-stuffing'],
  subject: { kind: 'ip', value: IP },
  user: 'u1',
  ip: IP,
  summary: 'Credential stuffing from one address',
  type: 'security',
  severity,
  risk,
  decision: 'block',
  status: 'new',
  reasons: [],
  events: [],
  relatedEventIds: [],
  suggestedActions: [],
  occurrences,
  firstSeenAt: T,
  lastSeenAt,
  createdAt: T,
  updatedAt: lastSeenAt,
  acknowledgedAt: null,
  resolvedAt: null,
});

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
});
