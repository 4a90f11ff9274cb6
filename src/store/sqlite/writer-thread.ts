import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';
import type { Insertable } from 'kysely';
import type { StoredEvent } from '../../domain/activity-event.js';
import type { EventsTable } from '../schema.js';
import type { WriteTurn } from './dialect.js';

const require = createRequire(import.meta.url);

/** One group commit: the events, and the other rows as the bound parameters of each statement (see writer.cjs). */
export interface WriteBatch {
  readonly events: readonly StoredEvent[];
  readonly learnt: readonly unknown[][];
  readonly alerts: readonly unknown[][];
  readonly locks: readonly unknown[][];
  readonly owed: readonly unknown[][];
}

export interface WriteStatements {
  readonly insertEvent: string;
  /** The order of insertEvent's parameters. */
  readonly eventColumns: readonly (keyof EventRow)[];
  readonly insertSeen: string;
  readonly upsertAlert: string;
  readonly upsertLock: string;
  readonly insertOwed: string;
}

/** Writes a batch in one transaction; returns the ids of events already stored. */
export type BatchWriter = (batch: WriteBatch) => Promise<readonly string[]>;

type SyncWriter = (batch: WriteBatch) => string[];
type EventRow = Insertable<EventsTable>;

const writer = require('./writer.cjs') as {
  makeWriter(db: SqliteDatabase.Database, sql: WriteStatements): SyncWriter;
  eventRow(event: StoredEvent): EventRow;
};
const { makeWriter } = writer;

/** A stored event's row in the events table (the mapping lives in writer.cjs, for both dialects). */
export const eventRow: (event: StoredEvent) => EventRow = writer.eventRow;

/** The write in the caller's thread: for an in-memory database, which no other thread can open. */
export function inThreadWriter(db: SqliteDatabase.Database, sql: WriteStatements): (batch: WriteBatch) => string[] {
  return makeWriter(db, sql);
}

interface Pending {
  resolve(duplicates: readonly string[]): void;
  reject(error: Error): void;
}

/** How long close() waits for the thread to finish its last transaction before stopping it. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Storing events is the largest part of ingestion on SQLite (half of the server's time in the
 * benchmark): running it in a thread of its own lets the next requests be parsed, enriched and scored
 * on the main thread meanwhile, on the machine's other core. The thread opens its own connection to
 * the same file (WAL: the main thread's reads never wait for it; its few other writes go first
 * between two commits, see store/sqlite/dialect.ts). A batch is answered only once committed, so an
 * acknowledged event is as durable as before. Started on the first write, after migrations have run.
 */
export class SqliteWriterThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly inFlight = new Set<Promise<readonly string[]>>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly options: {
      readonly file: string;
      readonly pragmas: readonly string[];
      readonly sql: WriteStatements;
      /** Shared with the main connection, whose writes the thread lets go first (store/sqlite/dialect.ts). */
      readonly writeTurn?: WriteTurn;
    },
  ) {}

  write(batch: WriteBatch): Promise<readonly string[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('The SQLite writer thread is closed.'));
    const worker = this.worker ?? this.start();
    const id = ++this.nextId;
    const written = new Promise<readonly string[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keeps the process alive only while a write is under way.
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, batch });
    });
    this.inFlight.add(written);
    const forget = () => this.inFlight.delete(written);
    written.then(forget, forget);
    return written;
  }

  /** Waits for the writes under way, then ends the thread and its connection. Safe to call again. */
  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (!worker) return;
    await Promise.allSettled([...this.inFlight]);
    if (this.failure) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ close: true });
    const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private start(): Worker {
    const worker = new Worker(new URL('./writer.cjs', import.meta.url), {
      // The writer is plain CommonJS: none of the parent's loaders (tsx in development) are needed.
      execArgv: [],
      workerData: {
        role: 'vigil-sqlite-writer',
        driver: require.resolve('better-sqlite3'),
        file: this.options.file,
        pragmas: this.options.pragmas,
        sql: this.options.sql,
        writeTurn: this.options.writeTurn,
      },
    });
    worker.unref();
    worker.on('message', (message: { id: number; duplicates?: string[]; error?: { message: string; code?: string } }) => {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.error) p.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
      else p.resolve(message.duplicates ?? []);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`The SQLite writer thread stopped (exit code ${code}).`));
    });
    this.worker = worker;
    return worker;
  }

  /** The thread is gone: every write under way and every later one fails, as a broken disk would. */
  private fail(error: Error): void {
    this.failure = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
