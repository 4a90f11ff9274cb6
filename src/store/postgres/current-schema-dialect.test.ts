import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { freshPgSchema } from '../../../test/support/cluster.js';
import { type DatabaseHandle, openDatabase } from '../database.js';
import { MIGRATIONS } from '../migrations/index.js';
import { migrateToLatest } from '../migrations.js';

// PostgreSQL on both legs of CI (as the distributed mode's tests): the point is a database that holds
// other schemas than Vigil's own, which only PostgreSQL has.
const opened: DatabaseHandle[] = [];
afterEach(async () => {
  for (const handle of opened.splice(0)) await handle.close();
});

async function vigilIn(url: string): Promise<DatabaseHandle> {
  const handle = await openDatabase({ dialect: 'postgres', url, poolSize: 2 }, { migrate: true });
  opened.push(handle);
  return handle;
}

describe('Vigil on a PostgreSQL database shared with other schemas', () => {
  it('sees only the tables of its own schema, with their columns', async () => {
    const ours = await vigilIn(await freshPgSchema());
    const otherUrl = await freshPgSchema();
    const other = await vigilIn(otherUrl);
    await sql`create table someone_elses (id integer primary key, note text)`.execute(other.db);

    const tables = await ours.db.introspection.getTables({ withInternalKyselyTables: true });
    const schemas = new Set(tables.map((t) => t.schema));
    expect(schemas.size).toBe(1);
    expect(tables.map((t) => t.name)).toContain('vigil_migrations');
    expect(tables.map((t) => t.name)).not.toContain('someone_elses');
    const alerts = tables.find((t) => t.name === 'alerts');
    expect(alerts?.columns.map((c) => c.name)).toContain('id');
    expect((await other.db.introspection.getTables()).map((t) => t.name)).toContain('someone_elses');
  });

  it('starts again without re-running a migration, however many other Vigils share the database', async () => {
    const url = await freshPgSchema();
    const first = await vigilIn(url);
    for (let i = 0; i < 3; i++) await vigilIn(await freshPgSchema());
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(first.db)).rows[0]?.s;
    expect(await migrateToLatest(first.db, schema)).toEqual([]);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from vigil_migrations`.execute(first.db);
    expect(rows[0]?.n).toBe(Object.keys(MIGRATIONS).length);
  });
});
