import fs from 'node:fs';
import path from 'node:path';
import type { ImportGraph } from './import-graph.js';

/**
 * The two legs of CI (.ci/run) and their check, for scripts/test-legs.ts, which chooses the legs with
 * vitest and checks them here against an independent reading of the code. The variable that chooses
 * the suite's database is passed in, never named here: a module that names it is one the PostgreSQL
 * leg follows, and this one's own test does not depend on the database.
 */

const CODE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
export const TEST_FILE = /\.(test|spec)\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
/** Folders that hold no source of the project: dependencies, builds, VCS. */
const NOT_SOURCE = new Set(['node_modules', 'dist', '.git']);

/** The project's code files, walked from the disk rather than found by vitest's patterns. */
export class SourceTree {
  readonly files: readonly string[];

  constructor(readonly root: string) {
    this.files = walk(root).filter((file) => CODE.test(file));
  }

  /** Test files by their name, wherever they are: each must run in a leg. */
  testFiles(): string[] {
    return this.files.filter((file) => TEST_FILE.test(file));
  }

  /** Modules that name `variable`: read it, or say in a comment that they depend on it. */
  naming(variable: string): string[] {
    const word = new RegExp(`\\b${variable}\\b`);
    return this.files.filter((file) => word.test(fs.readFileSync(file, 'utf8')));
  }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (NOT_SOURCE.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Absolute paths of the test files each leg runs. */
export interface Legs {
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
  /** The modules naming the variable: the PostgreSQL leg is the test files that reach them. */
  readonly roots: readonly string[];
  /** Vitest's setup files, run before every test file. */
  readonly setupFiles: readonly string[];
}

/**
 * What is wrong with the legs, read against `tree` and `graph`; empty when nothing is:
 *   - a test file on disk that the SQLite leg does not run (vitest's include patterns miss it);
 *   - a setup file that reaches a root (every test file would then depend on the variable);
 *   - a test file reaching a root that the PostgreSQL leg does not run, or one it runs that reaches
 *     none (the two readings of the import graph disagree: one of them misses an import).
 */
export function legProblems(legs: Legs, tree: SourceTree, graph: ImportGraph, variable: string): string[] {
  const found: string[] = [];
  const name = (file: string): string => path.relative(tree.root, file);
  const roots = new Set(legs.roots);
  const sqlite = new Set(legs.sqlite);
  const postgres = new Set(legs.postgres);

  for (const file of tree.testFiles()) if (!sqlite.has(file)) found.push(`${name(file)} is a test file no leg runs`);
  for (const setup of legs.setupFiles) {
    if (graph.reaches(setup, roots)) found.push(`the setup file ${name(setup)} reaches ${variable}: every test file depends on it`);
  }
  const expected = new Set(legs.sqlite.filter((file) => graph.reaches(file, roots)));
  for (const file of expected) {
    if (!postgres.has(file)) found.push(`${name(file)} reaches ${variable} but the PostgreSQL leg does not run it`);
  }
  for (const file of postgres) {
    if (!expected.has(file))
      found.push(`${name(file)} is in the PostgreSQL leg, but its imports read by TypeScript do not reach ${variable}`);
  }
  if (roots.size > 0 && postgres.size === 0) found.push('the PostgreSQL leg is empty');
  return found;
}
