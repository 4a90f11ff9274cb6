import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseTarget } from '../../src/store/database.js';

/** A real, empty database of a test's own. */
export interface TestDatabase {
  readonly target: DatabaseTarget;
  /** The same database as a VIGIL_DATABASE_URL, for child processes. */
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * A fresh SQLite file, whichever database the suite runs on: for the tests whose subject is not the
 * store (the browser tests drive the dashboard, whose routes the API tests check on both databases),
 * so that they run on CI's SQLite leg only (scripts/test-legs.ts). The suite's own choice is
 * `freshDatabase()` in database.ts.
 */
export async function freshSqliteDatabase(): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-test-'));
  const file = path.join(dir, 'vigil.db');
  return {
    target: { dialect: 'sqlite', file, synchronous: 'normal' },
    url: `sqlite:${file}`,
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
