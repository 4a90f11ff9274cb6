import pg from 'pg';

/**
 * PostgreSQL runs give every test a schema of its own. They are dropped here, once, before and
 * after the whole run, never while tests run: Kysely's migrator lists the tables of every schema,
 * and a schema dropped under that query makes another test's migration fail.
 */
async function dropTestSchemas(): Promise<void> {
  const url = process.env.VIGIL_TEST_DATABASE_URL;
  if (!url?.startsWith('postgres')) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>("select nspname from pg_namespace where nspname ~ '^t_[0-9a-f]{12}$'");
    for (const { nspname } of rows) await client.query(`DROP SCHEMA ${nspname} CASCADE`);
  } finally {
    await client.end();
  }
}

export async function setup(): Promise<void> {
  await dropTestSchemas();
}

export async function teardown(): Promise<void> {
  await dropTestSchemas();
}
