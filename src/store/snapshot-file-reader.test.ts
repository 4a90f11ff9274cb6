import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSnapshotFile } from './snapshot-file-reader.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-snapshot-reader-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('readSnapshotFile (the snapshot read and hashed in a thread of its own)', () => {
  it('gives the file as it is and the SHA-256 of its bytes from the offset on, small and large', async () => {
    for (const size of [100, 5_000_000]) {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 7919) % 251;
      const file = path.join(dir, `snapshot-${size}`);
      fs.writeFileSync(file, bytes);
      const read = await readSnapshotFile(file, 48);
      if (!('bytes' in read)) throw new Error(`not read: ${JSON.stringify(read)}`);
      expect(read.bytes.equals(bytes)).toBe(true);
      expect(read.digest.equals(createHash('sha256').update(bytes.subarray(48)).digest())).toBe(true);
    }
  });

  it('says a missing file is missing, and any other failure is a problem, without rejecting', async () => {
    expect(await readSnapshotFile(path.join(dir, 'none'), 48)).toEqual({ missing: true });
    const read = await readSnapshotFile(dir, 48);
    expect(read).toEqual({ problem: expect.stringMatching(/^cannot be read \(.*EISDIR/) });
  });
});
