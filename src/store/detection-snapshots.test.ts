import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
    expect(await snapshotsOf(file).load()).toEqual({ problem: 'format version 99, this Vigil reads 6' });
  });
});
