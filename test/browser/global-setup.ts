import fs from 'node:fs';
import { type BrowserServer, chromium } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { ensureWebBuild } from './build-web.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared Chromium (playwright's browser server); '' when it could not be started. */
    chromiumEndpoint: string;
  }
}

let server: BrowserServer | undefined;

/**
 * Once per test run, before any worker starts: the browser tests need dist/web, and one Chromium
 * serves every browser test file of the run. Each file connects to it and works in contexts of its
 * own (separate cookies and storage), so sharing the process isolates them as launching one per file
 * did, without paying a browser start per file (tens of seconds a CI leg on a busy machine).
 */
export async function setup(project: TestProject): Promise<void> {
  ensureWebBuild();
  let endpoint = '';
  if (fs.existsSync(CHROMIUM_PATH)) {
    server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    endpoint = server.wsEndpoint();
  }
  project.provide('chromiumEndpoint', endpoint);
}

export async function teardown(): Promise<void> {
  await server?.close();
}
