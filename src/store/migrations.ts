import { type Kysely, type MigrationProvider, Migrator } from 'kysely';
import { MIGRATIONS } from './migrations/index.js';

// Migrations are code, one file each in migrations/, in order, and never edited once released: add
// a new one instead (and list it in migrations/index.ts). Only portable DDL is used, so one list
// serves SQLite and PostgreSQL.

const provider: MigrationProvider = { getMigrations: async () => ({ ...MIGRATIONS }) };

/** Applies every pending migration; returns the names applied. Throws with the failing one's name. */
export async function migrateToLatest(db: Kysely<any>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'vigil_migrations',
    migrationLockTableName: 'vigil_migrations_lock',
    // On PostgreSQL, Kysely looks for its tables in every schema unless told which one: name the
    // current schema, so two Vigils in two schemas of one database never mistake each other's.
    ...(schema !== undefined && { migrationTableSchema: schema }),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
