/**
 * Which test files each leg of CI runs (.ci/run), chosen from the code, not from a list kept by hand.
 *
 * The SQLite leg runs every test file. The PostgreSQL leg runs the test files whose behaviour depends
 * on VIGIL_TEST_DATABASE_URL: those that name it, or import, directly or through other modules, a
 * module that names it (test/support/database.ts, through which a test gets the suite's database).
 * The others would give the same result a second time: pure unit tests, SQLite-only ones, and the
 * tests that use PostgreSQL and NATS whatever the variable says (the distributed mode's,
 * test/support/cluster.ts).
 *
 * The PostgreSQL leg is chosen by vitest's own reading of the import graph (Vite's, as
 * `vitest related` does) and checked against a second reading, TypeScript's parser's
 * (test/support/import-graph.ts, test/support/test-legs.ts). A failed check exits 1, so CI stops
 * before running anything.
 *
 *   node --import tsx scripts/test-legs.ts          print the PostgreSQL leg's test files
 *   node --import tsx scripts/test-legs.ts DIR      write DIR/sqlite.files and DIR/postgres.files
 */
import fs from 'node:fs';
import path from 'node:path';
import { createVitest, type Vitest } from 'vitest/node';
import { ImportGraph } from '../test/support/import-graph.js';
import { type Legs, legProblems, SourceTree } from '../test/support/test-legs.js';

const ROOT = path.resolve(import.meta.dirname, '..');
/** The variable that chooses the suite's database (test/support/database.ts). */
const DATABASE_VARIABLE = 'VIGIL_TEST_DATABASE_URL';

/** Both legs as vitest sees them: its include patterns, and `related` over Vite's module graph. */
async function vitestLegs(roots: readonly string[]): Promise<Legs> {
  let vitest: Vitest | undefined;
  try {
    vitest = await createVitest('test', { root: ROOT, run: true, watch: false, related: [...roots], reporters: [] });
    const all = (await vitest.globTestSpecifications()).map((spec) => spec.moduleId);
    const related = (await vitest.getRelevantTestSpecifications()).map((spec) => spec.moduleId);
    return { sqlite: sorted(all), postgres: sorted(related), roots, setupFiles: vitest.config.setupFiles };
  } finally {
    await vitest?.close();
  }
}

const sorted = (files: Iterable<string>): string[] => [...new Set(files)].sort();
const relative = (file: string): string => path.relative(ROOT, file);

const tree = new SourceTree(ROOT);
// This script names the variable too, to look for it; nothing imports it.
const roots = tree.naming(DATABASE_VARIABLE).filter((file) => file !== import.meta.filename);
const legs = await vitestLegs(roots);
const problems = legProblems(legs, tree, new ImportGraph(), DATABASE_VARIABLE);

const out = process.argv[2];
if (out !== undefined) {
  fs.writeFileSync(path.join(out, 'sqlite.files'), legs.sqlite.map((file) => `${relative(file)}\n`).join(''));
  fs.writeFileSync(path.join(out, 'postgres.files'), legs.postgres.map((file) => `${relative(file)}\n`).join(''));
} else {
  for (const file of legs.postgres) console.log(relative(file));
}
console.error(
  `test legs: SQLite ${legs.sqlite.length} test files (all); PostgreSQL ${legs.postgres.length}, ` +
    `those reaching a module that names ${DATABASE_VARIABLE}: ${roots.map(relative).join(', ')}`,
);
for (const problem of problems) console.error(`test legs: ${problem}`);
process.exit(problems.length > 0 ? 1 : 0);
