import type SqliteDatabase from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type QueryResult,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';

/** How long a SQLite connection waits for another's write lock before giving up. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** The longest pause between two tries for the write lock. */
const MAX_LOCK_PAUSE_MS = 2;

/**
 * The write turn: an Int32Array over shared memory, above zero while the main connection waits for
 * SQLite's write lock or holds it. The event writer thread (store/sqlite/writer.cjs) reads it before each
 * group commit and lets that write go first. Without it, a thread committing group after group takes
 * the lock again the moment it lets go of it, and a write on the main connection, trying every few
 * milliseconds, waited for a gap through up to 13 commits (1.4 s) in a test, or gave up.
 */
export type WriteTurn = Int32Array;

export function newWriteTurn(): WriteTurn {
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
}

/**
 * Kysely on better-sqlite3, with SQLite's write lock taken without blocking the event loop.
 *
 * Kysely's own driver begins transactions DEFERRED and leaves waiting to busy_timeout, a sleep
 * inside SQLite, in the thread that answers requests. With the event writer thread committing group
 * after group, a Security Health save or a volume-monitor write slept there for as long as a commit
 * took: 12% of the main thread's time during a batch benchmark. Here every write transaction, and
 * every write outside one, begins IMMEDIATE (the write lock first, so no read lock has to be
 * upgraded later, which WAL refuses outright if another connection wrote meanwhile), tries without
 * waiting, and tries again after a pause in which the event loop runs on. The write turn makes the
 * writer thread step aside before its next commit, so the wait is about one commit.
 *
 * Read-only statements run as before: in WAL mode they never wait for a writer.
 */
export function sqliteDialect(
  sqlite: SqliteDatabase.Database,
  options: {
    /** What prepares Kysely's statements: the statement cache in database.ts. */
    readonly statements: Pick<SqliteDatabase.Database, 'prepare' | 'close'>;
    readonly writeTurn?: WriteTurn;
  },
): SqliteDialect {
  const config: SqliteDialectConfig = { database: options.statements as SqliteDatabase.Database };
  return new (class extends SqliteDialect {
    override createDriver() {
      return new NonBlockingSqliteDriver(config, options.statements, new WriteLock(sqlite, options.writeTurn));
    }
  })(config);
}

/** SQLite's write lock as the main connection takes it (Kysely has one connection: one transaction at a time). */
class WriteLock {
  private held = false;
  /**
   * The statements of every take and end, prepared once: `sqlite.pragma()` and `exec()` compile
   * their text on each call, and a main-connection write ran four of them (a tenth of the main
   * thread's SQL time in the single-event benchmark).
   */
  private readonly statements: {
    readonly noWait: SqliteDatabase.Statement;
    readonly wait: SqliteDatabase.Statement;
    readonly begin: SqliteDatabase.Statement;
    readonly commit: SqliteDatabase.Statement;
    readonly rollback: SqliteDatabase.Statement;
  };

  constructor(
    readonly sqlite: SqliteDatabase.Database,
    private readonly turn: WriteTurn | undefined,
  ) {
    this.statements = {
      noWait: sqlite.prepare('PRAGMA busy_timeout = 0'),
      wait: sqlite.prepare(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`),
      begin: sqlite.prepare('BEGIN IMMEDIATE'),
      commit: sqlite.prepare('COMMIT'),
      rollback: sqlite.prepare('ROLLBACK'),
    };
  }

  /** BEGIN IMMEDIATE, retried asynchronously until the lock is free or the busy timeout passes. */
  async take(): Promise<void> {
    if (this.turn) Atomics.add(this.turn, 0, 1);
    try {
      const giveUpAt = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
      for (let pause = 1; !this.beginAtOnce(); pause = Math.min(pause * 2, MAX_LOCK_PAUSE_MS)) {
        if (Date.now() >= giveUpAt) {
          throw Object.assign(new Error('The SQLite database stayed locked by another writer.'), { code: 'SQLITE_BUSY' });
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
      this.held = true;
    } catch (error) {
      this.leaveTurn();
      throw error;
    }
  }

  /** Ends the transaction and hands the turn back. A failed COMMIT leaves it open: Kysely then asks for the ROLLBACK. */
  end(statement: 'COMMIT' | 'ROLLBACK'): void {
    if (!this.held) return;
    try {
      if (statement === 'COMMIT') this.statements.commit.run();
      else if (this.sqlite.inTransaction) this.statements.rollback.run();
    } finally {
      if (!this.sqlite.inTransaction) {
        this.held = false;
        this.leaveTurn();
      }
    }
  }

  private leaveTurn(): void {
    if (!this.turn) return;
    Atomics.sub(this.turn, 0, 1);
    Atomics.notify(this.turn, 0);
  }

  private beginAtOnce(): boolean {
    // A pragma returns its new value as a row: get(), since run() refuses statements that return data.
    this.statements.noWait.get();
    try {
      this.statements.begin.run();
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_BUSY') return false;
      throw error;
    } finally {
      this.statements.wait.get();
    }
  }
}

class NonBlockingSqliteDriver extends SqliteDriver {
  /** Kysely's SQLite driver has one connection; this is it, wrapped. */
  private connection: DatabaseConnection | undefined;

  constructor(
    config: SqliteDialectConfig,
    private readonly statements: Pick<SqliteDatabase.Database, 'prepare'>,
    private readonly lock: WriteLock,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await super.acquireConnection();
    this.connection ??= this.autocommitWrites(inner);
    return this.connection;
  }

  override async beginTransaction(_connection: DatabaseConnection): Promise<void> {
    await this.lock.take();
  }

  override async commitTransaction(): Promise<void> {
    this.lock.end('COMMIT');
  }

  override async rollbackTransaction(): Promise<void> {
    this.lock.end('ROLLBACK');
  }

  /** A write outside a transaction takes the lock the same way, as a transaction of one statement. */
  private autocommitWrites(inner: DatabaseConnection): DatabaseConnection {
    const { statements, lock } = this;
    return {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        if (lock.sqlite.inTransaction || statements.prepare(query.sql).reader) return inner.executeQuery<R>(query);
        await lock.take();
        try {
          const result = await inner.executeQuery<R>(query);
          lock.end('COMMIT');
          return result;
        } catch (error) {
          lock.end('ROLLBACK');
          throw error;
        }
      },
      streamQuery: (query, chunkSize) => inner.streamQuery(query, chunkSize),
    };
  }
}
