import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../src/store/database.js';
import { BUILT_CLI, ensureServerBuild } from './build-server.js';
import { templateSchema, testRun } from './test-run.js';
import { removeLeftNamespaces } from './virtual-network.js';

/**
 * PostgreSQL runs give every test a schema of its own, named after the run (database.ts). A run drops
 * its own once, after all its tests, never while they run: Kysely's migrator lists the tables of every
 * schema, and a schema dropped under that query makes another test's migration fail. At its start it
 * also drops what runs that died left behind (their process is gone), but never the schemas of a run
 * still going on beside it (another checkout's suite on the same database).
 */
async function dropTestSchemas(which: 'own' | 'abandoned'): Promise<void> {
  const url = process.env.VIGIL_TEST_DATABASE_URL;
  if (!url?.startsWith('postgres')) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      `select nspname from pg_namespace where nspname ~ '^t_[0-9]+_[0-9a-f]{12}$' or nspname ~ '^vigil_test_template_[0-9]+$'`,
    );
    for (const { nspname } of rows) {
      const run = /^(?:t_|vigil_test_template_)([0-9]+)/.exec(nspname)?.[1] as string;
      const drop = which === 'own' ? run === testRun() : run !== testRun() && !isAlive(Number(run));
      if (drop) await client.query(`DROP SCHEMA IF EXISTS ${nspname} CASCADE`);
    }
  } finally {
    await client.end();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Where test/support/process.ts writes the pid of every child it starts, and removes it at the child's
 * exit. A worker killed outright (vitest ends a worker that does not stop in time) cannot kill its own
 * children: what is left here at the end of the run is killed by the teardown.
 */
let childrenDir: string | undefined;

function killLeftChildren(): void {
  if (!childrenDir) return;
  for (const name of fs.readdirSync(childrenDir)) {
    const pid = Number(name);
    // A pid outlives its process here only if the worker died before the child's exit removed it;
    // the number may since belong to another program. Only a Vigil CLI of this checkout is killed.
    if (!isVigilChild(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  fs.rmSync(childrenDir, { recursive: true, force: true });
}

function isVigilChild(pid: number): boolean {
  try {
    const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // A Vigil, or a test's own NATS server (support/cluster.ts: its store in a `vigil-nats-` folder).
    return command.includes(BUILT_CLI) || (command.startsWith('/usr/sbin/nats-server\0') && command.includes('/vigil-nats-'));
  } catch {
    // Gone already, or no /proc: nothing to kill.
    return false;
  }
}

/**
 * PostgreSQL runs: migrate one template schema and dump it (schema and rows: Kysely's own tables say
 * every migration is applied) as SQL, which each test replays under its own schema's name
 * (database.ts). A test's Vigil then finds nothing to migrate. Dropped with the other test schemas.
 */
async function dumpTemplateSchema(): Promise<void> {
  const url = process.env.VIGIL_TEST_DATABASE_URL;
  if (!url?.startsWith('postgres')) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${templateSchema()} CASCADE`);
    await admin.query(`CREATE SCHEMA ${templateSchema()}`);
  } finally {
    await admin.end();
  }
  const schemaUrl = new URL(url);
  schemaUrl.searchParams.set('options', `-c search_path=${templateSchema()}`);
  const handle = await openDatabase({ dialect: 'postgres', url: schemaUrl.toString(), poolSize: 1 }, { migrate: true });
  await handle.close();
  const sql = execFileSync('pg_dump', ['--schema', templateSchema(), '--inserts', '--no-owner', '--no-privileges', url], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  dumpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-test-schema-'));
  process.env.VIGIL_TEST_SCHEMA_DUMP = path.join(dumpDir, 'schema.sql');
  // Recent pg_dump releases frame the dump in psql meta-commands (`\restrict`): not SQL, dropped.
  fs.writeFileSync(
    process.env.VIGIL_TEST_SCHEMA_DUMP,
    sql
      .split('\n')
      .filter((line) => !line.startsWith('\\'))
      .join('\n'),
  );
}
let dumpDir: string | undefined;

/**
 * Where test/support/virtual-network.ts writes the name of every network namespace it makes, and
 * removes it when it deletes it: what is left at the end (a worker killed before its `afterAll`) is
 * deleted by the teardown, after the processes in it were killed.
 */
let namespacesDir: string | undefined;

export async function setup(): Promise<void> {
  ensureServerBuild();
  childrenDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-test-children-'));
  process.env.VIGIL_TEST_CHILDREN_DIR = childrenDir;
  process.env.VIGIL_TEST_RUN = String(process.pid);
  namespacesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-test-netns-'));
  process.env.VIGIL_TEST_NETNS_DIR = namespacesDir;
  await dropTestSchemas('abandoned');
  await dumpTemplateSchema();
}

export async function teardown(): Promise<void> {
  if (dumpDir) fs.rmSync(dumpDir, { recursive: true, force: true });
  killLeftChildren();
  if (namespacesDir) {
    removeLeftNamespaces(namespacesDir);
    fs.rmSync(namespacesDir, { recursive: true, force: true });
  }
  await dropTestSchemas('own');
}
