import { ensureWebBuild } from './build-web.js';

/** Once per test run, before any worker starts: the browser tests need dist/web. */
export function setup(): void {
  ensureWebBuild();
}
