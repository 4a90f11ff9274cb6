import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import type { HistoryState } from '../src/detect/memory-history.js';
import { DetectionSnapshots } from '../src/store/detection-snapshots.js';
import { createSystem, type System } from '../src/system.js';
import { ADMIN_KEY, INGEST_KEY, sharedGeoIp, TEST_SECRET_KEY } from './support/app.js';
import { fixedClock, TEST_NOW } from './support/clock.js';
import { freshDatabase, type TestDatabase } from './support/database.js';

const MIN = 60_000;
let db: TestDatabase | undefined;
let dir: string | undefined;
const running: System[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  db = dir = undefined;
});

// Received times are the clock's: each start and batch below is at an instant the test chooses.
const clock = fixedClock(TEST_NOW);

async function start(options: { snapshots: boolean }) {
  const messages: string[] = [];
  const system = await createSystem(
    loadConfig({
      VIGIL_DATABASE_URL: (db as TestDatabase).url,
      VIGIL_INGEST_KEY: INGEST_KEY,
      VIGIL_ADMIN_KEY: ADMIN_KEY,
      VIGIL_SECRET_KEY: TEST_SECRET_KEY,
      VIGIL_DEMO: 'false',
      VIGIL_DETECTION_SNAPSHOT_FILE: snapshotFile(),
      VIGIL_DETECTION_SNAPSHOT_MINUTES: '0',
    }),
    {
      clock,
      geoIp: await sharedGeoIp(),
      detectionSnapshots: options.snapshots,
      logger: { info: (m) => messages.push(m), warn: (m) => messages.push(m), error: (m) => messages.push(m) },
    },
  );
  running.push(system);
  return {
    system,
    messages,
    send: async (events: unknown[]) => {
      const report = await system.ingest.ingest(events);
      expect(report.rejected).toBe(0);
    },
    stop: async () => {
      running.splice(running.indexOf(system), 1);
      await system.close();
    },
  };
}

const snapshotFile = () => path.join(dir as string, 'detection.snapshot');

/** A shop's traffic in event time before TEST_NOW: logins, a new country, failures, purchases. */
function events(from: number, count: number) {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const odd = i % 13 === 0;
    const type = i % 11 === 0 ? 'login.failed' : i % 4 === 0 ? 'transaction' : 'login.succeeded';
    return {
      id: `evt_snapshot_${i}`,
      type,
      user: `user${i % 12}`,
      timestamp: new Date(TEST_NOW - 20 * 60 * MIN + i * MIN).toISOString(),
      ip: odd ? '200.147.67.142' : `81.2.69.${160 + (i % 12)}`,
      device: odd ? `stranger-${i}` : `laptop-${i % 12}`,
      session: `s${Math.floor(i / 5)}`,
      ...(type === 'transaction' && { amount: i % 40 === 0 ? 3000 : 20 + (i % 30), currency: 'EUR', merchant: `m${i % 5}` }),
    };
  });
}

/** What scoring reads, without what only the order of a live run decides (a median computed earlier). */
function comparable(state: HistoryState) {
  return { keys: state.keys, population: state.population.map(({ key, ring, count }) => ({ key, ring, count })) };
}

describe('detection snapshot across restarts', () => {
  it('a start from the snapshot and the events after it has the state of a full replay', async () => {
    db = await freshDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-snapshot-'));
    clock.set(TEST_NOW);
    const first = await start({ snapshots: true });
    await first.send(events(0, 200));
    // Stored just before the snapshot: on PostgreSQL (by receipt, a minute before it) read again after
    // it and skipped as held; on SQLite before its mark of the stored events, not read again.
    clock.advance(10 * MIN);
    await first.send(events(200, 100));
    clock.advance(30_000);
    await first.stop();
    expect(fs.existsSync(snapshotFile())).toBe(true);

    // Another process (as `vigil import` would) stores events while the server is down.
    clock.advance(MIN);
    const importer = await start({ snapshots: false });
    await importer.send(events(300, 150));
    await importer.stop();

    clock.advance(MIN);
    const fromSnapshot = await start({ snapshots: true });
    expect(fromSnapshot.messages.join('\n')).toContain('and 150 events after it');
    const state = fromSnapshot.system.history.exportState();
    await fromSnapshot.stop();

    const full = await start({ snapshots: false });
    const replayed = full.system.history.exportState();
    expect(replayed.keys.some((k) => k.kind === 'story')).toBe(true);
    expect(comparable(state)).toEqual(comparable(replayed));
    await full.stop();
  });

  it('a batch still under way when the snapshot was taken is read again after a crash, however long it waited', async () => {
    db = await freshDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-snapshot-'));
    clock.set(TEST_NOW);
    // No snapshot of its own at shutdown: the one taken below is the last, as after a kill -9.
    const first = await start({ snapshots: false });
    await first.send(events(0, 150));
    clock.advance(5 * MIN);
    const snapshots = new DetectionSnapshots({
      file: snapshotFile(),
      history: first.system.history,
      clock,
      oldestUnscored: () => first.system.pipeline.oldestUnscored(),
      onError: (message, error) => {
        throw new Error(`${message}: ${String(error)}`);
      },
    });
    expect(first.system.pipeline.oldestUnscored()).toBeUndefined();
    // Received now, not scored yet (it waits for the store first), and still not when the snapshot is
    // taken two minutes later, well past any fixed margin before the snapshot.
    const underWay = first.system.pipeline.ingest(events(150, 50));
    expect(first.system.pipeline.oldestUnscored()).toBe(clock.now());
    clock.advance(2 * MIN);
    const saved = snapshots.save();
    expect((await underWay).accepted).toBe(50);
    expect(first.system.pipeline.oldestUnscored()).toBeUndefined();
    expect(await saved).toBeDefined();
    await first.stop();

    clock.advance(MIN);
    const fromSnapshot = await start({ snapshots: true });
    expect(fromSnapshot.messages.join('\n')).toContain('and 50 events after it');
    const state = fromSnapshot.system.history.exportState();
    await fromSnapshot.stop();
    const full = await start({ snapshots: false });
    expect(comparable(state)).toEqual(comparable(full.system.history.exportState()));
    await full.stop();
  });

  it('a batch of another process received before the snapshot and stored after it is replayed after a crash', async () => {
    db = await freshDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-snapshot-'));
    clock.set(TEST_NOW);
    const server = await start({ snapshots: false });
    await server.send(events(0, 150));
    // `vigil import` beside the server: its batches are received and scored there, not in the server's
    // pipeline, so the server's snapshot cannot know when the one under way was received.
    const importer = await start({ snapshots: false });
    const underWay = importer.system.pipeline.ingest(events(150, 50));
    // Thirty seconds: past the second allowed for a stepped clock, within PostgreSQL's minute.
    clock.advance(30_000);
    const snapshots = new DetectionSnapshots({
      file: snapshotFile(),
      history: server.system.history,
      clock,
      oldestUnscored: () => server.system.pipeline.oldestUnscored(),
      storedMark: () => server.system.events.storedMark(),
      onError: (message, error) => {
        throw new Error(`${message}: ${String(error)}`);
      },
    });
    expect(server.system.pipeline.oldestUnscored()).toBeUndefined();
    const saved = snapshots.save();
    expect((await underWay).accepted).toBe(50);
    expect(await saved).toBeDefined();
    await importer.stop();
    await server.stop();

    clock.advance(MIN);
    const fromSnapshot = await start({ snapshots: true });
    expect(fromSnapshot.messages.join('\n')).toContain('and 50 events after it');
    const state = fromSnapshot.system.history.exportState();
    await fromSnapshot.stop();
    const full = await start({ snapshots: false });
    expect(comparable(state)).toEqual(comparable(full.system.history.exportState()));
    await full.stop();
  });

  it('a damaged snapshot, or one of another database, is not used: the stored events are replayed', async () => {
    db = await freshDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-snapshot-'));
    clock.set(TEST_NOW);
    const first = await start({ snapshots: true });
    await first.send(events(0, 120));
    await first.stop();
    const full = await start({ snapshots: false });
    const expected = comparable(full.system.history.exportState());
    await full.stop();

    const bytes = fs.readFileSync(snapshotFile());
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0x55;
    fs.writeFileSync(snapshotFile(), bytes);
    const damaged = await start({ snapshots: true });
    expect(damaged.messages.join('\n')).toContain('Detection snapshot not used (checksum mismatch (damaged file))');
    expect(comparable(damaged.system.history.exportState())).toEqual(expected);
    await damaged.stop();

    // The snapshot now on disk is good, but the database is another one: it names an event not in it.
    await db.drop();
    db = await freshDatabase();
    const other = await start({ snapshots: true });
    expect(other.messages.join('\n')).toContain('Detection snapshot not used (taken against another database)');
    expect(other.system.history.memory().keys).toBe(0);
    await other.stop();
  });
});
