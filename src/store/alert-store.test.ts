import { CompiledQuery } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/support/database.js';
import type { Alert } from '../domain/alert.js';
import { OPEN_STATUSES } from '../domain/vocabulary.js';
import { openHeadsQuery, SqlAlertStore, upsertAlerts } from './alert-store.js';
import { type DatabaseHandle, openDatabase } from './database.js';

// The real store on the suite's database (SQLite, or PostgreSQL when VIGIL_TEST_DATABASE_URL is set).
let db: TestDatabase;
let handle: DatabaseHandle;
let store: SqlAlertStore;
beforeEach(async () => {
  db = await freshDatabase();
  handle = await openDatabase(db.target, { migrate: true });
  store = new SqlAlertStore(handle);
});
afterEach(async () => {
  await handle.close();
  await db.drop();
});

const T = Date.parse('2026-11-24T10:00:00Z');
const alert = (id: string, ruleIds: readonly string[], summary = `alert ${id}`): Alert => ({
  id,
  dedupKey: `${ruleIds[0]}:user:u1`,
  ruleId: ruleIds[0] as string,
  ruleIds,
  subject: { kind: 'user', value: 'u1' },
  user: 'u1',
  summary,
  type: 'security',
  severity: 'high',
  risk: 65,
  decision: 'challenge',
  status: 'new',
  reasons: [],
  events: [],
  relatedEventIds: [],
  suggestedActions: [],
  occurrences: 1,
  firstSeenAt: T,
  lastSeenAt: T,
  createdAt: T,
  updatedAt: T,
  acknowledgedAt: null,
  resolvedAt: null,
});

describe('SqlAlertStore.list by rule', () => {
  it('finds alerts of a rule whose id has `_`, `%` or `\\` in it, and only those', async () => {
    await upsertAlerts(handle.db, [
      alert('alrt_1', ['custom_rule_ab12']),
      alert('alrt_2', ['velocity', 'custom_rule_ab12']),
      // Would match if `_` or `%` were wildcards.
      alert('alrt_3', ['customXruleXab12']),
      alert('alrt_4', ['custom_rule_ab123']),
      alert('alrt_5', ['50%_off']),
      alert('alrt_6', ['50x_off']),
      alert('alrt_7', ['back\\slash']),
      alert('alrt_8', ['backslash']),
    ]);
    const ids = async (rule: string) => (await store.list({ rule, limit: 50 })).map((a) => a.id).sort();
    expect(await ids('custom_rule_ab12')).toEqual(['alrt_1', 'alrt_2']);
    expect(await ids('50%_off')).toEqual(['alrt_5']);
    expect(await ids('back\\slash')).toEqual(['alrt_7']);
    expect(await ids('velocity')).toEqual(['alrt_2']);
    expect(await ids('custom')).toEqual([]);
  });

  it('takes `%` and `_` in a text search literally too', async () => {
    await upsertAlerts(handle.db, [alert('alrt_1', ['r1'], 'path /a_b hit'), alert('alrt_2', ['r1'], 'path /axb hit')]);
    expect((await store.list({ q: '/a_b', limit: 50 })).map((a) => a.id)).toEqual(['alrt_1']);
  });
});

describe('SqlAlertStore.listOpenHeads (what a start reads of the open alerts)', () => {
  it('reads the heads of open alerts seen since the time given, and no other', async () => {
    const at = (a: Alert, patch: Partial<Alert>): Alert => ({ ...a, ...patch }) as Alert;
    await upsertAlerts(handle.db, [
      at(alert('alrt_new', ['r1']), { dedupKey: 'r1:user:u1', occurrences: 3, firstSeenAt: T - 5_000, lastSeenAt: T }),
      at(alert('alrt_ack', ['r2']), { dedupKey: 'r2:ip:1.2.3.4', subject: { kind: 'ip', value: '1.2.3.4' }, status: 'acknowledged' }),
      at(alert('alrt_esc', ['r3']), { dedupKey: 'r3:user:u1', status: 'escalated' }),
      at(alert('alrt_resolved', ['r4']), { dedupKey: 'r4:user:u1', status: 'resolved', resolvedAt: T }),
      at(alert('alrt_fp', ['r5']), { dedupKey: 'r5:user:u1', status: 'false_positive', resolvedAt: T }),
      at(alert('alrt_old', ['r6']), { dedupKey: 'r6:user:u1', lastSeenAt: T - 1 }),
    ]);
    const heads = await store.listOpenHeads(T);
    expect(heads.map((h) => h.id).sort()).toEqual(['alrt_ack', 'alrt_esc', 'alrt_new']);
    expect(heads.find((h) => h.id === 'alrt_new')).toEqual({
      id: 'alrt_new',
      dedupKey: 'r1:user:u1',
      status: 'new',
      subject: { kind: 'user', value: 'u1' },
      occurrences: 3,
      firstSeenAt: T - 5_000,
      lastSeenAt: T,
      createdAt: T,
    });
    expect(heads.find((h) => h.id === 'alrt_ack')?.subject).toEqual({ kind: 'ip', value: '1.2.3.4' });
  });

  it('is answered on SQLite from the open heads index alone, with or without statistics; PostgreSQL has no such index', async () => {
    await upsertAlerts(handle.db, [alert('alrt_1', ['r1']), { ...alert('alrt_2', ['r2']), status: 'resolved', resolvedAt: T }]);
    const { sql: text, parameters } = openHeadsQuery(handle.db, T).compile();
    const plan = async () =>
      JSON.stringify((await handle.db.executeQuery(CompiledQuery.raw(`explain query plan ${text}`, [...parameters]))).rows);
    if (handle.dialect === 'sqlite') {
      expect(await plan()).toContain('USING COVERING INDEX alerts_open_heads');
      // A running server's connection gathers statistics (PRAGMA optimize); the planner must still choose it.
      await handle.db.executeQuery(CompiledQuery.raw('analyze'));
      expect(await plan()).toContain('USING COVERING INDEX alerts_open_heads');
      return;
    }
    // PostgreSQL reads the heads without the large columns anyway (TOAST), and the index would make
    // every repeat of an open alert a non-HOT update (migration 0025).
    const indexes = await handle.db.executeQuery<{ indexname: string }>(
      CompiledQuery.raw("select indexname from pg_indexes where tablename = 'alerts'"),
    );
    expect(indexes.rows.map((r) => r.indexname)).toContain('alerts_status_severity');
    expect(indexes.rows.map((r) => r.indexname)).not.toContain('alerts_open_heads');
  });

  it('names the open statuses word for word as the domain does', () => {
    // The query's condition is a literal (a partial index needs it): it must not drift from OPEN_STATUSES.
    const { sql: text } = openHeadsQuery(handle.db, T).compile();
    const listed = /status in \(([^)]*)\)/
      .exec(text)?.[1]
      ?.split(',')
      .map((s) => s.trim().replace(/'/g, ''));
    expect(new Set(listed)).toEqual(OPEN_STATUSES);
  });
});
