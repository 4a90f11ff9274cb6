import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Migrator } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { MIGRATIONS } from './migrations/index.js';
import { migrateToLatest } from './migrations.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function migratedFile() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-migrations-'));
  dirs.push(dir);
  const file = path.join(dir, 'vigil.db');
  const handle = await openDatabase({ dialect: 'sqlite', file, synchronous: 'normal' }, { migrate: true });
  return { file, handle };
}

describe('migrating on open', () => {
  it('applies a migration it finds missing, then nothing', async () => {
    // A database of the previous release: every migration but the last.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-migrations-'));
    dirs.push(dir);
    const handle = await openDatabase({ dialect: 'sqlite', file: path.join(dir, 'vigil.db'), synchronous: 'normal' }, { migrate: false });
    try {
      const all = Object.entries(MIGRATIONS);
      const previous = new Migrator({
        db: handle.db,
        provider: { getMigrations: async () => Object.fromEntries(all.slice(0, -1)) },
        migrationTableName: 'vigil_migrations',
        migrationLockTableName: 'vigil_migrations_lock',
      });
      expect((await previous.migrateToLatest()).error).toBeUndefined();
      expect(await migrateToLatest(handle.db)).toEqual([all.at(-1)?.[0]]);
      expect(await migrateToLatest(handle.db)).toEqual([]);
    } finally {
      await handle.close();
    }
  });

  it('refuses a database that applied a migration this code does not know (a newer Vigil’s)', async () => {
    const { handle } = await migratedFile();
    try {
      await handle.db
        .insertInto('vigil_migrations' as never)
        .values({ name: '9999_from_the_future', timestamp: new Date().toISOString() } as never)
        .execute();
      await expect(migrateToLatest(handle.db)).rejects.toThrow(/9999_from_the_future/);
    } finally {
      await handle.close();
    }
  });
});
