import fs from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../core/clock.js';
import { type DecodedSnapshot, decodeSnapshot, encodeSnapshotInSlices, SNAPSHOT_HASHED_FROM } from '../detect/history-snapshot.js';
import type { MemoryHistory } from '../detect/memory-history.js';
import { ChargeFreeze } from '../detect/stored-event.js';
import type { StoredEventsMark } from '../ingest/ports.js';
import { readSnapshotFile, type SnapshotFileRead } from './snapshot-file-reader.js';

export interface DetectionSnapshotsDependencies {
  readonly file: string;
  readonly history: MemoryHistory;
  readonly clock: Clock;
  /**
   * Where the stored events end now (EventStore.storedMark), read just before the state: an event
   * stored by then was scored before it was written, so it is in the state; any other is stored past it.
   */
  readonly storedMark?: () => StoredEventsMark | undefined;
  /** When the oldest batch received and not yet scored was received (ingest/ingest-service.ts), if any. */
  readonly oldestUnscored?: () => number | undefined;
  readonly onError: (message: string, error: unknown) => void;
  /** Each snapshot written, with what it cost. */
  readonly onSaved?: (saved: SnapshotSaved) => void;
  /**
   * The file, already being read (readSnapshotFile, started by `vigil serve` before it loads the
   * server): `load` takes it instead of reading the file again.
   */
  readonly readAhead?: Promise<SnapshotFileRead>;
}

/** A load's wall times: its wait for the thread that reads the file, then its decoding. */
export interface SnapshotLoadTimes {
  readonly waitedMs: number;
  readonly decodedMs: number;
}

/** What one save cost. Neither holds the event loop but for the copy of the state, taken in one turn. */
export interface SnapshotSaved {
  readonly bytes: number;
  /** From the copy of the state to the last slice of the encoding, events scored in between included. */
  readonly encodeMs: number;
  readonly writeMs: number;
}

/**
 * Keeps the detection snapshot file (detect/history-snapshot.ts) of a running server: taken at an
 * interval and at shutdown, written atomically (a temporary file, fsync, rename, fsync of the folder),
 * so that a crash at any moment leaves the previous snapshot or the new one, never half of one.
 * The encoding runs on the main thread in one go (the state must not move while it is read); the
 * file is written from libuv's thread pool, off the event loop.
 */
export class DetectionSnapshots {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<SnapshotSaved | undefined> | undefined;
  private readonly deps: Omit<DetectionSnapshotsDependencies, 'readAhead'>;
  /** Taken by the first `load` and let go: the file's bytes (150 MB in the bench) are garbage once restored. */
  private readAheadOnce: Promise<SnapshotFileRead> | undefined;

  constructor({ readAhead, ...deps }: DetectionSnapshotsDependencies) {
    this.deps = deps;
    this.readAheadOnce = readAhead;
  }

  /** Starts reading and hashing the file in a thread of its own, for `readAhead`. */
  static readAhead(file: string): Promise<SnapshotFileRead> {
    return readSnapshotFile(file, SNAPSHOT_HASHED_FROM);
  }

  private lastLoadTimes: SnapshotLoadTimes | undefined;

  /**
   * The last `load`'s wall times, for the start's log line: how long it waited for the thread that
   * reads the file (nothing once the file was read before the start needed it), then decoded it.
   * Undefined when the last load had no file to decode.
   */
  get lastLoad(): SnapshotLoadTimes | undefined {
    return this.lastLoadTimes;
  }

  /** The snapshot in the file, or why there is none to use. Read and hashed off the main thread. */
  async load(): Promise<DecodedSnapshot | { readonly problem: string }> {
    const reading = this.readAheadOnce ?? DetectionSnapshots.readAhead(this.deps.file);
    this.readAheadOnce = undefined;
    this.lastLoadTimes = undefined;
    const asked = performance.now();
    const read = await reading;
    if ('missing' in read) return { problem: 'no snapshot yet' };
    if ('problem' in read) return read;
    const got = performance.now();
    const decoded = decodeSnapshot(read.bytes, read.digest);
    this.lastLoadTimes = { waitedMs: Math.round(got - asked), decodedMs: Math.round(performance.now() - got) };
    return decoded;
  }

  /** Takes a snapshot now, unless one is being written (then that one's outcome). */
  save(): Promise<SnapshotSaved | undefined> {
    this.saving ??= this.write().finally(() => {
      this.saving = undefined;
    });
    return this.saving;
  }

  /** Takes one every intervalMs (0: none until close). */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.save(), intervalMs);
    this.timer.unref();
  }

  /** At shutdown, once every event in flight is scored: the last snapshot. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.saving;
    await this.save();
  }

  private async write(): Promise<SnapshotSaved | undefined> {
    const { history, clock, file } = this.deps;
    const encodeStarted = performance.now();
    let bytes: Buffer;
    // The mark, the state (a copy) and the events' charges, in one turn of the event loop: nothing is
    // scored in between. The encoding then runs a slice at a time, while events go on being scored.
    const charges = new ChargeFreeze();
    try {
      const storedUpTo = this.deps.storedMark?.();
      const takenAt = clock.now();
      const meta = {
        takenAt,
        ...(storedUpTo !== undefined && { storedUpTo }),
        replayFrom: Math.min(takenAt, this.deps.oldestUnscored?.() ?? takenAt),
        anchorEventId: history.lastRecordedId,
        retentionMs: history.limits.retentionMs,
        maxEventsPerKey: history.limits.maxEventsPerKey,
      };
      bytes = await encodeSnapshotInSlices(meta, history.exportState(), (e) => charges.chargedTo(e));
    } catch (error) {
      this.deps.onError('encoding the detection snapshot failed; the previous one is kept', error);
      return undefined;
    } finally {
      charges.close();
    }
    const encodeMs = performance.now() - encodeStarted;
    const writeStarted = performance.now();
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      const handle = await fs.open(temporary, 'w', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temporary, file);
      await syncFolder(path.dirname(file));
    } catch (error) {
      await fs.rm(temporary, { force: true }).catch(() => {});
      this.deps.onError(`writing the detection snapshot to ${file} failed; the previous one is kept`, error);
      return undefined;
    }
    const saved = { bytes: bytes.length, encodeMs, writeMs: performance.now() - writeStarted };
    this.deps.onSaved?.(saved);
    return saved;
  }
}

/** The rename is durable once the folder's entry is on disk. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
