import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_CLI } from './support/build-server.js';
import { ADMIN_KEY } from './support/credentials.js';
import { PROCESS_TEST_TIMEOUT_MS, type RunningServer, startServer } from './support/process.js';

/**
 * What `npm start` runs is a bundle (scripts/bundle-server.ts): Vigil's compiled modules, Kysely and
 * TypeBox in dist/cli/main.js and chunks beside it, each module's `import.meta.url` rewritten to its
 * compiled file's. These check the bundle's imports, and the files a module finds beside itself: the
 * upload scorer's thread fails without that rewriting (as does the SQLite writer thread, which every
 * server the suite starts runs); the dashboard's folder is found from either place.
 */
const CLI_DIR = path.dirname(BUILT_CLI);

describe('the built command line', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-built-'));
    server = await startServer({
      VIGIL_DATABASE_URL: `sqlite:${path.join(dir, 'vigil.db')}`,
      VIGIL_SECRET_KEY_FILE: path.join(dir, 'secret.key'),
      VIGIL_ADMIN_KEY: ADMIN_KEY,
      VIGIL_DEMO: 'false',
    });
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is bundled: its files import each other, Node and the runtime dependencies only', () => {
    const files = fs.readdirSync(CLI_DIR).filter((f) => f === 'main.js' || /^bundle-[A-Z0-9]+\.js$/.test(f));
    expect(files.length).toBeGreaterThan(1);
    const { dependencies } = JSON.parse(fs.readFileSync(path.join(CLI_DIR, '../../package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const packageOf = (specifier: string) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');
    const imported = new Set<string>();
    for (const file of files) {
      const code = fs.readFileSync(path.join(CLI_DIR, file), 'utf8');
      for (const m of code.matchAll(/^\s*(?:import|export)\b[^;]*?from\s*"([^"]+)"|^\s*import\s*"([^"]+)"|\bimport\("([^"]+)"\)/gm))
        imported.add((m[1] ?? m[2] ?? m[3]) as string);
    }
    for (const specifier of imported) {
      if (specifier.startsWith('.')) {
        // tsc's main.js imports ../config/config.js and the like; the bundle only its ./bundle-… chunks.
        expect(specifier).toMatch(/^\.\/bundle-[A-Z0-9]+\.js$/);
        expect(fs.existsSync(path.join(CLI_DIR, specifier))).toBe(true);
      } else if (!specifier.startsWith('node:')) {
        // Kysely and TypeBox are inside; what is left is installed by `npm ci --omit=dev` (the Docker image).
        expect(['kysely', '@sinclair/typebox']).not.toContain(packageOf(specifier));
        expect(Object.keys(dependencies)).toContain(packageOf(specifier));
      }
    }
  });

  it('scores a login file in its worker thread (found beside the compiled upload scorer)', async () => {
    const csv = fs.readFileSync(path.join(import.meta.dirname, 'fixtures/logins/logins.csv'));
    const res = await fetch(`${server.url}/v1/logins/score?only=flagged`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: number; flagged: number };
    expect(body.rows).toBe(1398);
    expect(body.flagged).toBeGreaterThan(0);
  });

  it('serves the dashboard from dist/web', async () => {
    const page = await fetch(`${server.url}/admin/alerts`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
  });
});
