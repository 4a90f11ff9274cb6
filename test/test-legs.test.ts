/**
 * CI's two legs (scripts/test-legs.ts): the PostgreSQL leg runs the test files whose imports reach a
 * module naming the suite's database variable. Checked here: the independent reading of imports that
 * the script checks vitest's choice against, the check itself, and the layout of test/support/ that
 * keeps the tests which do not use the suite's database out of that leg.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportGraph } from './support/import-graph.js';
import { type Legs, legProblems, SourceTree } from './support/test-legs.js';

const REPO = path.resolve(import.meta.dirname, '..');
/** A made-up variable for the fixture project: this file must not name the real one. */
const VARIABLE = 'FIXTURE_DB_URL';

const FIXTURE: Record<string, string> = {
  'support/db.ts': `export const dialect = process.env.${VARIABLE} ? 'postgres' : 'sqlite';\nexport type Dialect = string;\n`,
  'support/app.ts': `import { dialect } from './db.js';\nexport const app = () => dialect;\n`,
  'support/keys.ts': `export const KEY = 'k';\n`,
  'support/types-only.ts': `import type { Dialect } from './db.js';\nexport type Named = Dialect;\n`,
  'support/inline-type.ts': `import { type Dialect } from './db.js';\nexport const x: Dialect = '';\n`,
  'support/re-export.ts': `export { dialect } from './db.js';\nexport type { Dialect } from './db.js';\n`,
  'support/type-re-export.ts': `export type { Dialect } from './db.js';\n`,
  'support/lazy.ts': `export const later = () => import('./db.js');\n`,
  'support/index.ts': `export { app } from './app.js';\n`,
  'a.test.ts': `import { app } from './support/app.js';\napp();\n`,
  'b.test.ts': `import { KEY } from './support/keys.js';\nimport type { Named } from './support/types-only.js';\nimport pg from 'pg';\n`,
  'c.test.ts': `import './support/types-only.js';\nimport './support/type-re-export.js';\n`,
  'd.test.ts': `import { dialect } from './support/re-export.js';\n`,
  'e.test.ts': `import { later } from './support/lazy.js';\n`,
  'f.test.ts': `// Runs on the suite's database (${VARIABLE}).\n`,
  'g.test.ts': `import { x } from './support/inline-type.js';\n`,
  'h.test.ts': `import { app } from './support';\n`,
  'nested/i.test.ts': `import { KEY } from '../support/keys.js';\n`,
  'setup.ts': `import { KEY } from './support/keys.js';\n`,
};

let root: string;
const at = (file: string) => path.join(root, file);
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-test-legs-'));
  for (const [file, text] of Object.entries(FIXTURE)) {
    fs.mkdirSync(path.dirname(at(file)), { recursive: true });
    fs.writeFileSync(at(file), text);
  }
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const TEST_FILES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'nested/i'].map((name) => `${name}.test.ts`);
/** The fixture's files whose behaviour depends on the variable. */
const REACHING = ['a', 'd', 'e', 'f', 'g', 'h'].map((name) => `${name}.test.ts`);

describe('the import graph read with TypeScript', () => {
  it('follows value imports, re-exports, literal dynamic imports and folder indexes; not types or packages', () => {
    const tree = new SourceTree(root);
    const roots = new Set(tree.naming(VARIABLE));
    expect([...roots].map((f) => path.relative(root, f)).sort()).toEqual(['f.test.ts', 'support/db.ts']);

    const graph = new ImportGraph();
    const reaching = TEST_FILES.filter((file) => graph.reaches(at(file), roots));
    expect(reaching).toEqual(REACHING);
    expect([...graph.reachableFrom(at('b.test.ts'))].map((f) => path.relative(root, f)).sort()).toEqual(['support/keys.ts']);
    expect([...graph.reachableFrom(at('h.test.ts'))].map((f) => path.relative(root, f)).sort()).toEqual([
      'support/app.ts',
      'support/db.ts',
      'support/index.ts',
    ]);
  });
});

describe('the check of the legs', () => {
  const legs = (change: Partial<Legs> = {}): Legs => ({
    sqlite: TEST_FILES.map(at),
    postgres: REACHING.map(at),
    roots: [at('support/db.ts'), at('f.test.ts')],
    setupFiles: [at('setup.ts')],
    ...change,
  });
  const problems = (change?: Partial<Legs>) => legProblems(legs(change), new SourceTree(root), new ImportGraph(), VARIABLE);

  it('finds nothing wrong with legs that agree with the imports', () => {
    expect(problems()).toEqual([]);
  });

  it('reports a test file that reaches the variable but is missing from the PostgreSQL leg', () => {
    expect(problems({ postgres: REACHING.filter((f) => f !== 'd.test.ts').map(at) })).toEqual([
      `d.test.ts reaches ${VARIABLE} but the PostgreSQL leg does not run it`,
    ]);
  });

  it('reports a file in the PostgreSQL leg that does not reach the variable', () => {
    expect(problems({ postgres: [...REACHING, 'b.test.ts'].map(at) })).toEqual([
      `b.test.ts is in the PostgreSQL leg, but its imports read by TypeScript do not reach ${VARIABLE}`,
    ]);
  });

  it('reports a test file on disk that no leg runs', () => {
    expect(problems({ sqlite: TEST_FILES.filter((f) => f !== 'nested/i.test.ts').map(at) })).toEqual([
      'nested/i.test.ts is a test file no leg runs',
    ]);
  });

  it('reports a setup file that reaches the variable, and an empty PostgreSQL leg', () => {
    expect(problems({ setupFiles: [at('support/app.ts')], postgres: [] })).toEqual([
      `the setup file support/app.ts reaches ${VARIABLE}: every test file depends on it`,
      ...REACHING.map((file) => `${file} reaches ${VARIABLE} but the PostgreSQL leg does not run it`),
      'the PostgreSQL leg is empty',
    ]);
  });
});

describe("Vigil's tests and the suite's database (test/support/database.ts)", () => {
  const tree = new SourceTree(REPO);
  const graph = new ImportGraph();
  const database = new Set([path.join(REPO, 'test/support/database.ts')]);
  const reachesDatabase = (file: string) => graph.reaches(path.join(REPO, file), database);
  const testFiles = tree.testFiles().map((file) => path.relative(REPO, file));

  it('is not reached by the tests that use PostgreSQL and NATS whatever the leg, nor by the pure ones', () => {
    const independent = [
      ...testFiles.filter((file) => /^test\/cluster.*\.test\.ts$/.test(file)),
      'src/store/postgres/current-schema-dialect.test.ts',
      'src/enrich/enricher.test.ts',
      'test/eval-corpus.test.ts',
      'src/detect/engine.test.ts',
    ];
    expect(independent.length).toBeGreaterThanOrEqual(10);
    expect(independent.filter(reachesDatabase)).toEqual([]);
  });

  it('is reached by every test file that starts a Vigil on it', () => {
    const users = testFiles.filter((file) =>
      /^import [^;]* from '(\.\.?\/)+(test\/)?support\/(database|app)\.js';$/m.test(fs.readFileSync(path.join(REPO, file), 'utf8')),
    );
    expect(users).toContain('src/store/alert-store.test.ts');
    expect(users).toContain('test/events-api.test.ts');
    expect(users.filter((file) => !reachesDatabase(file))).toEqual([]);
  });

  // The browser tests run on SQLite only (test/browser/support.ts): they check the dashboard, and the
  // store under each route it calls is checked on both databases by the API tests.
  const browserTests = testFiles.filter((file) => file.startsWith('test/browser/'));

  it('is not reached by the browser tests', () => {
    expect(browserTests.length).toBeGreaterThanOrEqual(10);
    expect(browserTests.filter(reachesDatabase)).toEqual([]);
  });

  it('is reached by a test of every API path the dashboard calls, besides the browser tests', () => {
    // The fixed part of each path the dashboard's code names: `/v1/alerts/${id}/comments` → /v1/alerts/, /comments.
    const dashboardPaths = new Set<string>();
    for (const file of new SourceTree(path.join(REPO, 'web/src')).files) {
      const code = fs.readFileSync(file, 'utf8');
      // A quoted path, or a template whose `${…}` may hold one level of braces (`${query({ … })}`).
      const literals = code.matchAll(/'(\/v1\/[^']*)'|"(\/v1\/[^"]*)"|`(\/v1\/(?:[^`$]|\$\{(?:[^{}]|\{[^{}]*\})*\})*)`/g);
      for (const [, single, double, template] of literals) {
        for (const part of ((single ?? double ?? template) as string).split(/\$\{(?:[^{}]|\{[^{}]*\})*\}/)) {
          const fixed = part.split('?')[0] as string;
          if (fixed.replace(/\//g, '') !== '') dashboardPaths.add(fixed.replace(/\/$/, ''));
          if (part.includes('?')) break; // the query string: not part of the path
        }
      }
    }
    expect(dashboardPaths.size).toBeGreaterThanOrEqual(20);
    const apiTests = testFiles
      .filter((file) => !file.startsWith('test/browser/') && reachesDatabase(file))
      .map((file) => fs.readFileSync(path.join(REPO, file), 'utf8'))
      .join('\n');
    expect([...dashboardPaths].filter((p) => !apiTests.includes(p))).toEqual([]);
  });
});
