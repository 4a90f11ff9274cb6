import { Worker } from 'node:worker_threads';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import { type LoginRole, readLoginCsv } from './login-csv.js';
import { type Contamination, type LoginScoring, scoreLogins } from './login-scoring.js';

/** A login file read and scored: plain data, so that it can cross from a worker thread. */
export interface ScoredFile {
  readonly uploadId: string;
  readonly scoring: LoginScoring;
  /** Column index of each role found in the header. */
  readonly columns: Readonly<Partial<Record<LoginRole, number>>>;
}

/** Reads and scores a login file. */
export interface UploadScorer {
  score(text: string, contamination: Contamination, now: number): Promise<Result<ScoredFile, Problem>>;
  close(): Promise<void>;
}

/** Reads and scores in the caller's thread: what the worker runs, and the CLI, which has nothing else to do. */
export function scoreFile(text: string, contamination: Contamination, now: number): Result<ScoredFile, Problem> {
  const table = readLoginCsv(text);
  if (!table.ok) return err(table.error);
  return ok({ uploadId: newId('upl', now), scoring: scoreLogins(table.value, contamination), columns: table.value.mapped });
}

export class InlineUploadScorer implements UploadScorer {
  async score(text: string, contamination: Contamination, now: number): Promise<Result<ScoredFile, Problem>> {
    return scoreFile(text, contamination, now);
  }

  async close(): Promise<void> {}
}

interface Task {
  readonly id: number;
  readonly text: string;
  readonly contamination: Contamination;
  readonly now: number;
}

/** What the thread answers: a task's result, or the error it threw. */
export type TaskAnswer =
  | { readonly id: number; readonly result: Result<ScoredFile, Problem> }
  | { readonly id: number; readonly crash: string };

interface Waiting {
  readonly task: Task;
  resolve(result: Result<ScoredFile, Problem>): void;
  reject(error: Error): void;
}

/** Files waiting for the thread beyond the one it scores; more are refused with 503 `busy`. */
export const MAX_WAITING_UPLOADS = 4;

/**
 * Fitting a forest on a file of tens of thousands of rows takes seconds of CPU: on the main thread,
 * every event waited behind it (8.3 s for a 4 MB file). Files are scored one at a time in a worker
 * thread of their own, started on the first upload and kept; events keep flowing on the main
 * thread and on the other core meanwhile. The queue is short and bounded: an admin who sends more
 * files than that at once is told to come back, rather than holding memory for all of them.
 */
export class WorkerUploadScorer implements UploadScorer {
  private worker: Worker | undefined;
  private readonly queue: Waiting[] = [];
  private current: Waiting | undefined;
  private nextId = 0;
  private closed = false;

  async score(text: string, contamination: Contamination, now: number): Promise<Result<ScoredFile, Problem>> {
    if (this.closed) throw new Error('the login scorer is closed');
    if (this.queue.length >= MAX_WAITING_UPLOADS) {
      return err({
        code: 'busy',
        message: `${MAX_WAITING_UPLOADS + 1} login files are being scored already; send this one again in a minute.`,
      });
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { id: this.nextId++, text, contamination, now }, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    const stopped = new Error('the server is stopping');
    for (const w of this.queue.splice(0)) w.reject(stopped);
    this.current?.reject(stopped);
    this.current = undefined;
    if (worker) await worker.terminate();
  }

  private pump(): void {
    if (this.current !== undefined) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    this.current = next;
    const worker = this.thread();
    // Held while it scores (the answer is awaited); idle, it does not keep the process alive.
    worker.ref();
    worker.postMessage(next.task);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = startThread();
    worker.on('message', (answer: TaskAnswer) => {
      const waiting = this.current;
      if (waiting === undefined || waiting.task.id !== answer.id) return;
      this.current = undefined;
      if ('crash' in answer) waiting.reject(new Error(`scoring the login file failed: ${answer.crash}`));
      else waiting.resolve(answer.result);
      if (this.queue.length === 0) worker.unref();
      this.pump();
    });
    // A thread that dies (out of memory on a huge file) fails its task; the next upload starts another.
    worker.on('error', (error) => this.lose(worker, error));
    worker.on('exit', (code) => this.lose(worker, new Error(`the login scoring thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private lose(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const waiting = this.current;
    this.current = undefined;
    waiting?.reject(error);
    if (!this.closed) this.pump();
  }
}

/**
 * The thread runs upload-scorer-thread, compiled to .js beside this file; under the test runner and
 * `npm run dev`, the sources are TypeScript and the thread loads them through tsx, as they do.
 */
function startThread(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./upload-scorer-thread.js', import.meta.url));
  // A worker does not inherit the test runner's TypeScript loader: it registers tsx's first.
  const source = new URL('./upload-scorer-thread.ts', import.meta.url).href;
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`, {
    eval: true,
  });
}
