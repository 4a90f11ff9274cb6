import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stuffingAlert } from '../../../test/support/alerts.js';
import type { Alert } from '../../domain/alert.js';
import { SqlAlertStore } from '../alert-store.js';
import { type DatabaseHandle, openDatabase } from '../database.js';
import { SqliteBatchWriter } from './batch-writer.js';

let handle: DatabaseHandle;
beforeEach(async () => {
  // In memory: the write runs on the handle's own connection, whose change count it then shows.
  handle = await openDatabase({ dialect: 'sqlite', file: ':memory:', synchronous: 'normal' }, { migrate: true });
});
afterEach(async () => {
  await handle.close();
});

const T = Date.parse('2026-12-07T10:00:00Z');
const version = (id: string, occurrences: number): Alert =>
  stuffingAlert({
    id,
    ip: '203.0.113.9',
    dedupKey: `credential-stuffing:ip:${id}`,
    summary: `${occurrences} failed logins from 203.0.113.9`,
    risk: 70,
    occurrences,
    firstSeenAt: T,
    lastSeenAt: T + occurrences,
  });

const changes = () => {
  if (!handle.sqlite) throw new Error('an in-memory SQLite handle has its connection');
  return (handle.sqlite.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
};

describe('SqliteBatchWriter', () => {
  it('writes an alert that several events of one commit grew once, in its latest state', async () => {
    const writer = new SqliteBatchWriter(handle);
    const before = changes();
    // An attack burst: the events of one commit grow one alert again and again.
    await writer.write([], [], [version('alrt_a', 1), version('alrt_b', 1), version('alrt_a', 2), version('alrt_a', 3)], [], []);
    expect(changes() - before).toBe(2);
    const alerts = new SqlAlertStore(handle);
    expect(await alerts.get('alrt_a')).toMatchObject({ occurrences: 3, summary: '3 failed logins from 203.0.113.9', lastSeenAt: T + 3 });
    expect(await alerts.get('alrt_b')).toMatchObject({ occurrences: 1 });
  });
});
