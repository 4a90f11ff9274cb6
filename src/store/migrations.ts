import { type Kysely, type MigrationProvider, Migrator } from 'kysely';
import { MIGRATIONS } from './migrations/index.js';

// Migrations are code, one file each in migrations/, in order, and never edited once released: add
// a new one instead (and list it in migrations/index.ts). Only portable DDL is used, so one list
// serves SQLite and PostgreSQL.

const provider: MigrationProvider = { getMigrations: async () => ({ ...MIGRATIONS }) };

/** Applies every pending migration; returns the names applied. Throws with the failing one's name. */
export async function migrateToLatest(db: Kysely<any>, schema?: string): Promise<string[]> {
  if (await everyMigrationApplied(db, schema)) return [];
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

/**
 * Whether the database has applied exactly the migrations this code knows: one read, where Kysely's
 * migrator introspects the schema, takes its lock and reads (about 140 ms on PostgreSQL). Most opens
 * find a migrated database: every start of Vigil, every test on PostgreSQL (its schema comes from a
 * dump of a migrated one). Anything else (no table yet, a migration missing, one this code does not
 * know) goes to the migrator, which applies or refuses as before.
 */
async function everyMigrationApplied(db: Kysely<any>, schema?: string): Promise<boolean> {
  try {
    const rows: { name: string }[] = await (schema === undefined ? db : db.withSchema(schema))
      .selectFrom('vigil_migrations')
      .select('name')
      .execute();
    const applied = new Set(rows.map((r) => r.name));
    const known = Object.keys(MIGRATIONS);
    return applied.size === known.length && known.every((name) => applied.has(name));
  } catch {
    return false;
  }
}
