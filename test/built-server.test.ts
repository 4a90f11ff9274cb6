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
 * compiled file's. These check what would break if that rewriting did not hold: the files a module
 * finds beside itself. (The SQLite writer thread is started by every server the suite runs; the
 * other process tests start this same bundle.)
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

  it('is bundled: the entry imports only its own chunks, packages and Node', () => {
    const entry = fs.readFileSync(BUILT_CLI, 'utf8');
    const specifiers = [...entry.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)].map(
      (m) => m[1] ?? m[2],
    );
    expect(specifiers.length).toBeGreaterThan(0);
    const relative = specifiers.filter((s) => s?.startsWith('.'));
    // tsc's main.js imports ../config/config.js and the like; the bundle only ./bundle-… chunks.
    expect(relative.every((s) => /^\.\/bundle-[A-Z0-9]+\.js$/.test(s ?? ''))).toBe(true);
    for (const chunk of relative) expect(fs.existsSync(path.join(CLI_DIR, chunk as string))).toBe(true);
    // Kysely and TypeBox are inside it, not imported.
    expect(specifiers.some((s) => s === 'kysely' || s?.startsWith('@sinclair/typebox'))).toBe(false);
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
    // `vigil --version` reads package.json the same way (test/cli-config.test.ts).
    const page = await fetch(`${server.url}/admin/alerts`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
  });
});
