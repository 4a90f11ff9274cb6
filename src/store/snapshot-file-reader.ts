import { Worker } from 'node:worker_threads';

/** A snapshot file read off the main thread, with the SHA-256 of its bytes from `hashFrom` on. */
export type SnapshotFileRead =
  | { readonly bytes: Buffer; readonly digest: Buffer }
  | { readonly missing: true }
  | { readonly problem: string };

/**
 * The thread's whole program. Plain CommonJS given as text (`eval`), so that the same code runs from
 * dist/ and under tsx, and the thread loads nothing but fs and crypto. The file's bytes are moved to
 * the main thread, not copied, when they fill their own memory (a large file's always do).
 */
const READER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
try {
  const bytes = fs.readFileSync(workerData.file);
  const digest = createHash('sha256').update(bytes.subarray(Math.min(workerData.hashFrom, bytes.length))).digest();
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  parentPort.postMessage({ bytes, digest }, whole ? [bytes.buffer] : []);
} catch (error) {
  parentPort.postMessage({ code: error && error.code, message: String(error && error.message) });
}
`;

/**
 * Reads a detection snapshot and checks its hash in a thread of its own: `vigil serve` starts it
 * before it loads its modules and opens the database, which it would otherwise wait for (about a
 * second for 150 MB here, half of it reading, a tenth to a third hashing) on the main thread, with
 * the second core idle. Never rejects: a failure is a `problem`, and the start replays instead.
 */
export function readSnapshotFile(file: string, hashFrom: number): Promise<SnapshotFileRead> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      // No execArgv: under tsx (npm run dev) the thread would load its loader too, for code that needs none.
      worker = new Worker(READER_SOURCE, { eval: true, workerData: { file, hashFrom }, execArgv: [] });
    } catch (error) {
      resolve({ problem: `cannot be read (${(error as Error).message})` });
      return;
    }
    worker.once('message', (message: { bytes?: Uint8Array; digest?: Uint8Array; code?: string; message?: string }) => {
      if (message.bytes !== undefined && message.digest !== undefined)
        resolve({
          bytes: Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength),
          digest: Buffer.from(message.digest.buffer, message.digest.byteOffset, message.digest.byteLength),
        });
      else if (message.code === 'ENOENT') resolve({ missing: true });
      else resolve({ problem: `cannot be read (${message.message ?? 'unknown error'})` });
    });
    worker.once('error', (error) => resolve({ problem: `cannot be read (${error.message})` }));
    // A thread that died without a word (out of memory, say): resolving twice is a no-op.
    worker.once('exit', (code) => resolve({ problem: `cannot be read (the reading thread exited with code ${code})` }));
  });
}
