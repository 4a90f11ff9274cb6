import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SNAPSHOT_FORMAT_VERSION } from '../detect/history-snapshot.js';
import { MemoryHistory } from '../detect/memory-history.js';
import { DetectionSnapshots } from './detection-snapshots.js';
import type { SnapshotFileRead } from './snapshot-file-reader.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-snapshots-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const snapshotsOf = (file: string, readAhead?: Promise<SnapshotFileRead>) =>
  new DetectionSnapshots({
    file,
    history: new MemoryHistory(),
    clock: { now: () => Date.parse('2026-12-06T12:00:00Z') },
    onError: (message, error) => {
      throw new Error(`${message}: ${String(error)}`);
    },
    ...(readAhead !== undefined && { readAhead }),
  });

describe('DetectionSnapshots.load with a read ahead (what `vigil serve` starts before loading the server)', () => {
  it('takes the read started ahead instead of reading the file, once: the next load reads the file', async () => {
    const file = path.join(dir, 'detection.snapshot');
    fs.writeFileSync(file, 'not a snapshot, but the file as it is now');
    const snapshots = snapshotsOf(file, Promise.resolve({ problem: 'the read started ahead' }));
    expect(await snapshots.load()).toEqual({ problem: 'the read started ahead' });
    expect(await snapshots.load()).toEqual({ problem: 'not a detection snapshot' });
  });

  it('reads the file in its own thread when nothing was started ahead; a missing file is no snapshot yet', async () => {
    const file = path.join(dir, 'detection.snapshot');
    expect(await snapshotsOf(file).load()).toEqual({ problem: 'no snapshot yet' });
    const header = Buffer.alloc(48);
    header.write('VIGILDS\n', 0, 'latin1');
    header.writeUInt32LE(99, 8);
    fs.writeFileSync(file, header);
    expect(await snapshotsOf(file).load()).toEqual({ problem: `format version 99, this Vigil reads ${SNAPSHOT_FORMAT_VERSION}` });
  });
});

describe('DetectionSnapshots.lastLoad (the start log line’s split of the snapshot’s time)', () => {
  it('is the last load’s wait for the file and its decoding, and nothing after a load with no file', async () => {
    const file = path.join(dir, 'detection.snapshot');
    expect(await snapshotsOf(file).save()).toMatchObject({ bytes: fs.statSync(file).size });

    // The file's reading is handed over 50 ms after the load asked for it: the load waited that long.
    const read = DetectionSnapshots.readAhead(file);
    let handOver = () => {};
    const snapshots = snapshotsOf(file, new Promise<SnapshotFileRead>((resolve) => (handOver = () => resolve(read))));
    const loading = snapshots.load();
    await new Promise((resolve) => setTimeout(resolve, 50));
    handOver();
    expect(await loading).toHaveProperty('state');
    const { waitedMs, decodedMs } = snapshots.lastLoad ?? { waitedMs: -1, decodedMs: -1 };
    expect(waitedMs).toBeGreaterThanOrEqual(45);
    expect(Number.isInteger(waitedMs) && Number.isInteger(decodedMs) && decodedMs >= 0).toBe(true);

    fs.rmSync(file);
    expect(await snapshots.load()).toEqual({ problem: 'no snapshot yet' });
    expect(snapshots.lastLoad).toBeUndefined();
  });
});
