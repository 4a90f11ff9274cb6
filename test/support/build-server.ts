import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** What `npm start` runs, and what the tests that start Vigil as a process run. */
export const BUILT_CLI = path.join(ROOT, 'dist/cli/main.js');

/** The newest file under `dir`, tests and the dashboard's build (dist/web, built on its own) left out. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (full !== path.join(ROOT, 'dist/web')) newest = Math.max(newest, newestMtime(full));
    } else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Tests that start `vigil` as a process (the CLI, a server to kill -9) run the build, as users do:
 * a start through tsx costs twice the CPU, and there are over a hundred such starts in the suite.
 * `npm install` builds dist/; this rebuilds it only when a file under src/, or the bundling script,
 * is newer than the build (an edit since), so those tests never run stale code.
 */
export function ensureServerBuild(): void {
  const built = fs.existsSync(BUILT_CLI) ? newestMtime(path.join(ROOT, 'dist')) : 0;
  const sources = Math.max(newestMtime(path.join(ROOT, 'src')), fs.statSync(path.join(ROOT, 'scripts/bundle-server.ts')).mtimeMs);
  if (built > sources) return;
  process.stdout.write('Building the server (src/ or its bundling changed since the last build)…\n');
  execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: ROOT, stdio: 'inherit' });
}
