import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { BUILT_CLI, ensureServerBuild } from './build-server.js';

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
    return command.includes(BUILT_CLI);
  } catch {
    // Gone already, or no /proc: nothing to kill.
    return false;
  }
}

export async function setup(): Promise<void> {
  ensureServerBuild();
  childrenDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-test-children-'));
  process.env.VIGIL_TEST_CHILDREN_DIR = childrenDir;
  await dropTestSchemas();
}

export async function teardown(): Promise<void> {
  killLeftChildren();
  await dropTestSchemas();
}
