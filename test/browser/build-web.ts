import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const webDir = path.join(repo, 'web');
const builtIndex = path.join(repo, 'dist/web/index.html');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * The browser tests drive the built dashboard, as Vigil serves it. `npm install` builds it; this
 * rebuilds it only when a file under web/ is newer than the build (an edit since), so a test run
 * never drives a stale page.
 */
export function ensureWebBuild(): void {
  const built = fs.existsSync(builtIndex) ? fs.statSync(builtIndex).mtimeMs : 0;
  if (built > newestMtime(webDir)) return;
  process.stdout.write('Building the dashboard (web/ changed since the last build)…\n');
  execFileSync(
    process.execPath,
    [path.join(repo, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: repo,
      stdio: 'inherit',
    },
  );
}
