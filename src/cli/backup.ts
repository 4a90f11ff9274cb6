import type { Config } from '../config/config.js';
import { openDatabase } from '../store/database.js';
import { backupSqlite } from '../store/sqlite/backup.js';

/**
 * `vigil backup FILE`: a consistent copy of the SQLite database while the server runs. PostgreSQL has
 * its own tools (pg_dump), which this does not try to replace: exit 2 with the command to use.
 */
export async function backupDatabase(config: Config, destination: string): Promise<number> {
  if (config.database.dialect === 'postgres') {
    process.stderr.write('vigil backup copies SQLite databases; for PostgreSQL use pg_dump (see README, "Backups").\n');
    return 2;
  }
  if (config.database.file === ':memory:') {
    process.stderr.write('vigil backup: an in-memory database has nothing to back up.\n');
    return 2;
  }
  // No migration: a backup reads the database as it is, and must not change it.
  const handle = await openDatabase(config.database, { migrate: false });
  try {
    if (!handle.sqlite) throw new Error('SQLite handle missing');
    const outcome = await backupSqlite(handle.sqlite, destination);
    process.stdout.write(`vigil: backed up ${config.database.file} to ${outcome.file} (${outcome.pages} pages, ${outcome.bytes} bytes).\n`);
    return 0;
  } finally {
    await handle.close();
  }
}
