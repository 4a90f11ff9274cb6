import fs from 'node:fs';
import path from 'node:path';
import type SqliteDatabase from 'better-sqlite3';

export interface BackupOutcome {
  readonly file: string;
  readonly bytes: number;
  readonly pages: number;
}

/**
 * Copies a live SQLite database with SQLite's online backup API. Copying the .db file is not a backup:
 * with WAL the recent commits (often nearly all of them) live in the -wal file until a checkpoint. The
 * backup API reads a consistent snapshot through a connection, WAL included, page batch by page batch,
 * so a running server keeps writing meanwhile; a batch that a write changed is copied again.
 */
export async function backupSqlite(source: SqliteDatabase.Database, destination: string): Promise<BackupOutcome> {
  const file = path.resolve(destination);
  // Never over an existing file: a backup that replaces yesterday's by mistake is a lost backup.
  if (fs.existsSync(file)) throw new Error(`${destination} exists; choose a new file name.`);
  // Into a temporary name first, renamed when complete: a half-written copy never carries the name.
  const partial = `${file}.partial`;
  fs.rmSync(partial, { force: true });
  try {
    const { totalPages } = await source.backup(partial);
    fs.renameSync(partial, file);
    return { file, bytes: fs.statSync(file).size, pages: totalPages };
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
}
