import fs from 'node:fs';
import pg from 'pg';
import type { DatabaseTarget } from '../../src/store/database.js';
import { freshSqliteDatabase, type TestDatabase } from './sqlite-database.js';
import { templateSchema, testSchemaName } from './test-run.js';

export type { TestDatabase } from './sqlite-database.js';

/**
 * The database the suite runs against: SQLite by default; PostgreSQL when VIGIL_TEST_DATABASE_URL is
 * a postgres:// URL (CI runs the suite once each way). No mocks: every test gets a real, empty
 * database of its own: a fresh file, or a fresh schema on PostgreSQL.
 *
 * The one module a test reaches the variable through (the global setup reads it too, for the schemas
 * it prepares and drops): CI's PostgreSQL leg runs exactly the test files whose imports reach a module
 * that names the variable (scripts/test-legs.ts). A test that needs the suite's database gets it from
 * here; a helper that does not need it does not import this module, or its tests would run twice.
 */
export const testDialect: DatabaseTarget['dialect'] = process.env.VIGIL_TEST_DATABASE_URL?.startsWith('postgres') ? 'postgres' : 'sqlite';

export async function freshDatabase(): Promise<TestDatabase> {
  if (testDialect === 'sqlite') return freshSqliteDatabase();
  const base = process.env.VIGIL_TEST_DATABASE_URL as string;
  const schema = testSchemaName();
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    // The migrated schema the global setup dumped (global-setup.ts), replayed under this test's name:
    // one round trip instead of Kysely's migrator (tens of them), which the suite pays for each test.
    const template = process.env.VIGIL_TEST_SCHEMA_DUMP;
    if (template) await admin.query(fs.readFileSync(template, 'utf8').replaceAll(templateSchema(), schema));
    else await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    target: { dialect: 'postgres', url: url.toString(), poolSize: 5 },
    url: url.toString(),
    // Dropped by the global teardown, not here: see global-setup.ts.
    drop: async () => {},
  };
}
