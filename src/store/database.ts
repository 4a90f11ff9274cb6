import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type pgModule from 'pg';
import { DatabaseOpenError } from './database-errors.js';
import { migrateToLatest } from './migrations.js';
import { CurrentSchemaPostgresDialect } from './postgres/current-schema-dialect.js';
import type { Database } from './schema.js';
import { newWriteTurn, SQLITE_BUSY_TIMEOUT_MS, sqliteDialect, type WriteTurn } from './sqlite/dialect.js';

export type DatabaseTarget =
  | {
      readonly dialect: 'sqlite';
      readonly file: string;
      readonly synchronous: 'normal' | 'full';
      /**
       * Create the file's folder when missing. Only for the default ./data: a typo in a configured
       * path must not quietly start a fresh database (with new keys) somewhere else.
       */
      readonly createFolder?: boolean;
    }
  | { readonly dialect: 'postgres'; readonly url: string; readonly poolSize: number };

/**
 * An open database. Kysely serves every query; `sqlite` is the same connection's raw handle, used
 * only by the event write path where better-sqlite3's cached prepared statements matter.
 */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: DatabaseTarget['dialect'];
  readonly sqlite?: SqliteDatabase.Database;
  /**
   * The SQLite file and the settings its connections take: a writer thread opens its own
   * (store/sqlite/writer-thread.ts), and lets this connection's writes go first through the write
   * turn (store/sqlite/dialect.ts).
   */
  readonly sqliteFile?: { readonly path: string; readonly pragmas: readonly string[]; readonly writeTurn: WriteTurn };
  /** Runs `cleanup` (closing a writer thread, say) before the connection closes. */
  onClose(cleanup: () => Promise<void>): void;
  close(): Promise<void>;
}

export { DatabaseOpenError };

const INT8_OID = 20;

/** A postgres:// URL without its password, for messages. */
export function describePostgresTarget(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/** Errors of reaching or signing in to PostgreSQL, as opposed to a failing query. */
const POSTGRES_CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  '28P01',
  '28000',
  '3D000',
]);

export async function openDatabase(target: DatabaseTarget, options: { migrate: boolean }): Promise<DatabaseHandle> {
  const handle = target.dialect === 'sqlite' ? openSqlite(target) : openPostgres(target);
  if (options.migrate) {
    try {
      const schema =
        handle.dialect === 'postgres'
          ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db)).rows[0]?.schema
          : undefined;
      await migrateToLatest(handle.db, schema);
    } catch (error) {
      await handle.close();
      const code = (error as { code?: unknown }).code;
      if (target.dialect === 'postgres' && typeof code === 'string' && POSTGRES_CONNECT_CODES.has(code))
        throw new DatabaseOpenError(`cannot connect to PostgreSQL at ${describePostgresTarget(target.url)}: ${(error as Error).message}`, {
          cause: error,
        });
      throw error;
    }
  }
  return handle;
}

function openSqlite(target: Extract<DatabaseTarget, { dialect: 'sqlite' }>): DatabaseHandle {
  if (target.file !== ':memory:') {
    const folder = path.dirname(path.resolve(target.file));
    if (target.createFolder === true) fs.mkdirSync(folder, { recursive: true });
    else if (!fs.existsSync(folder))
      throw new DatabaseOpenError(`the folder of the SQLite file ${target.file} does not exist (${folder}); create it first.`);
  }
  const sqlite = new SqliteDatabase(target.file);
  const pragmas = sqlitePragmas(target);
  for (const pragma of pragmas) sqlite.pragma(pragma);
  const writeTurn = newWriteTurn();
  const db = new Kysely<Database>({ dialect: sqliteDialect(sqlite, { statements: withStatementCache(sqlite), writeTurn }) });
  const statistics = keepStatistics(sqlite);
  const handle = withCleanups(db);
  handle.onClose(async () => clearInterval(statistics));
  return {
    ...handle,
    dialect: 'sqlite',
    sqlite,
    ...(target.file !== ':memory:' && { sqliteFile: { path: path.resolve(target.file), pragmas, writeTurn } }),
  };
}

/** Closing: the cleanups registered with onClose, in order, then the connection or pool. */
function withCleanups(db: Kysely<Database>): Pick<DatabaseHandle, 'db' | 'onClose' | 'close'> {
  const cleanups: Array<() => Promise<void>> = [];
  return {
    db,
    onClose: (cleanup) => cleanups.push(cleanup),
    close: async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
      await db.destroy();
    },
  };
}

/** The settings of every connection to a Vigil SQLite file. */
function sqlitePragmas(target: Extract<DatabaseTarget, { dialect: 'sqlite' }>): string[] {
  return [
    // WAL lets readers run beside the single writer. With synchronous=NORMAL a commit is in the WAL
    // file before the call returns, so it survives the process being killed; FULL also fsyncs each
    // commit, so it survives power loss too, at the price of one fsync per group commit.
    'journal_mode = WAL',
    `synchronous = ${target.synchronous === 'full' ? 'FULL' : 'NORMAL'}`,
    // A connection that finds the file locked by the other (the writer thread, another process)
    // waits for it rather than failing.
    `busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`,
    'foreign_keys = ON',
    // 64 MB of page cache keeps the hot parts of the event indexes in memory during bursts.
    'cache_size = -65536',
    // Checkpoints: see WRITER_CHECKPOINT_PAGES. This connection's threshold is only a backstop for
    // when nothing else writes; the file keeps at most 256 MB of WAL once checkpointed.
    `wal_autocheckpoint = ${2 * WRITER_CHECKPOINT_PAGES}`,
    `journal_size_limit = ${256 * 1024 * 1024}`,
  ];
}

/**
 * WAL pages after which the event writer's connection copies the WAL back into the database file.
 * SQLite's default, 1,000 pages, made a checkpoint (with its fsync) every second or third group
 * commit: the per-user event index spreads a group's rows over as many pages, and each checkpoint
 * wrote every one of them again. The fewer checkpoints, the more often a page changed by many
 * commits is copied once. Scratch measurements (one core, 500-event transactions, random users):
 * 1,000 to 20,000 pages took storing from 30,500 to 47,300 events/s; with 1,000,000 events already
 * stored, 20,000 to 50,000 pages took it from 37,850 to 46,840 events/s (100,000 pages: 50,900).
 * 50,000 pages is up to 200 MB of WAL, which a restart after a crash reads once. Given to the writer
 * thread only, so that the checkpoint's pause falls on it and not on the thread that answers requests.
 */
export const WRITER_CHECKPOINT_PAGES = 50_000;

/** How often SQLite is asked whether its planner statistics need refreshing. */
const OPTIMIZE_EVERY_MS = 30_000;

/** Analyses the tables whose statistics are missing or out of date (a few ms; nothing when none are). */
export function refreshStatistics(sqlite: SqliteDatabase.Database): void {
  // 0x10002: analyse what would benefit (0x2), looking at every table, not only those this
  // connection has queried since the last run (0x10000).
  sqlite.pragma('optimize = 0x10002');
}

/**
 * SQLite chooses indexes from statistics that only ANALYZE gathers; without them it guesses, and
 * guessed wrong for Security Health's open-alert count (the status index, every open alert read,
 * 17× slower than the account's own partial index). On a new database the guess stayed wrong until
 * the first analysis, so that query now names its index (store/health-facts-store.ts). PRAGMA
 * optimize analyses what grew a lot since it last looked, with a bounded sample (analysis_limit),
 * and does nothing otherwise: cheap to ask every half minute. PostgreSQL's autovacuum does the same
 * on its own.
 */
function keepStatistics(sqlite: SqliteDatabase.Database): NodeJS.Timeout {
  sqlite.pragma('analysis_limit = 1000');
  const optimize = () => {
    try {
      refreshStatistics(sqlite);
    } catch {
      // Busy (another process writes) or closed: the next run tries again.
    }
  };
  optimize();
  const timer = setInterval(optimize, OPTIMIZE_EVERY_MS);
  timer.unref();
  return timer;
}

/** Distinct SQL texts kept prepared: Vigil's queries are a few hundred shapes. */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * Kysely prepares every query afresh, and on SQLite preparing costs as much as running a small
 * query: a tenth of the ingest path's time went to it. Statements are reused by SQL text instead
 * (the parameters are bound per run). Kysely holds the connection for the whole of a stream, so a
 * cached statement is never asked for while it is being iterated; were it still busy, a fresh one
 * is prepared rather than failing.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): Pick<SqliteDatabase.Database, 'prepare' | 'close'> {
  const cache = new LRUCache<string, SqliteDatabase.Statement>({ max: STATEMENT_CACHE_SIZE });
  return {
    prepare(source: string) {
      const cached = cache.get(source);
      if (cached && !cached.busy) return cached;
      const statement = sqlite.prepare(source);
      if (!cached) cache.set(source, statement);
      return statement;
    },
    close() {
      cache.clear();
      return sqlite.close();
    },
  } as Pick<SqliteDatabase.Database, 'prepare' | 'close'>;
}

/** pg, loaded when PostgreSQL is asked for: a process on SQLite starts without it. */
const loadPg = (): typeof pgModule => createRequire(import.meta.url)('pg') as typeof pgModule;

function openPostgres(target: Extract<DatabaseTarget, { dialect: 'postgres' }>): DatabaseHandle {
  const pg = loadPg();
  const pool = new pg.Pool({
    connectionString: target.url,
    max: target.poolSize,
    // Epoch-millisecond columns are bigint; they fit a JS number exactly (below 2^53), so parse
    // them as numbers for this pool only rather than patching pg's global parsers.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  return { ...withCleanups(new Kysely<Database>({ dialect: new CurrentSchemaPostgresDialect({ pool }) })), dialect: 'postgres' };
}
