import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/support/database.js';
import type { StoredEvent } from '../domain/activity-event.js';
import { type DatabaseHandle, openDatabase } from '../store/database.js';
import { SqlMonitorStore } from '../store/monitor-store.js';
import { MINUTE_MS } from './minute-counts.js';
import { VolumeMonitor } from './monitor-service.js';
import type { MonitorStore, MonitorWrite } from './ports.js';

// The monitor counting Vigil's own events, on the suite's database.
let db: TestDatabase;
let handle: DatabaseHandle;
let writes: MonitorWrite[];
let monitor: VolumeMonitor;
const START = Date.UTC(2026, 10, 1, 10, 0);

beforeEach(async () => {
  db = await freshDatabase();
  handle = await openDatabase(db.target, { migrate: true });
  const store = new SqlMonitorStore(handle);
  writes = [];
  const counted: MonitorStore = Object.assign(Object.create(store) as MonitorStore, {
    write: (w: MonitorWrite) => {
      writes.push(w);
      return store.write(w);
    },
  });
  monitor = new VolumeMonitor({
    store: counted,
    bus: { publish: async () => {} },
    clock: { now: () => START + 30 * MINUTE_MS },
    audit: { record: async () => undefined },
  });
});
afterEach(async () => {
  await handle.close();
  await db.drop();
});

let n = 0;
const transaction = (minute: number): StoredEvent =>
  ({
    id: `evt_${++n}`,
    type: 'transaction',
    user: `u${n}`,
    occurredAt: START + minute * MINUTE_MS + 1000,
    receivedAt: START,
    amount: 10,
    currency: 'EUR',
    enrichment: { novelty: { newDevice: false, newCountry: false, newNetwork: false } },
    result: { id: `evt_${n}`, decision: 'allow', risk: 0, severity: 'none', reasons: [] },
  }) as unknown as StoredEvent;

const countsOf = async (status: string) =>
  (await monitor.series({ from: START, to: START + 10 * MINUTE_MS, source: 'events', statuses: [status] })).map((p) => p.count);
const approvedCounts = () => countsOf('approved');

describe("the volume monitor on Vigil's own events", () => {
  it('adds events that come late to the minute they belong to, those arriving meanwhile in one write', async () => {
    // Minutes 0 to 2, judged once minute 4 is seen.
    await monitor.onEventsStored([transaction(0), transaction(1), transaction(1), transaction(2), transaction(4)]);
    expect(await approvedCounts()).toEqual([1, 2, 1]);
    const before = writes.length;

    // Five groups of events stored one after the other, each with a late transaction for minute 1.
    const late = Array.from({ length: 5 }, () => monitor.onEventsStored([transaction(1)]));
    await Promise.all(late);
    expect(writes.length - before).toBe(1);
    expect(writes.at(-1)?.lateCounts).toEqual([
      { minute: START + MINUTE_MS, status: 'approved', count: 5 },
      { minute: START + MINUTE_MS, status: 'total', count: 5 },
    ]);
    expect(await approvedCounts()).toEqual([1, 7, 1]);
    // A minute's total is the sum of its statuses, late events included.
    await monitor.onEventsStored([{ ...transaction(2), type: 'payment.failed' }]);
    expect(await countsOf('failed')).toEqual([1]);
    expect(await countsOf('total')).toEqual([1, 7, 2]);
  });
});
