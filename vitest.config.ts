import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Children a test file started are killed after it, however its tests ended (test/support/process.ts).
    setupFiles: ['test/support/children.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/browser/global-setup.ts'],
    // A bound for a hung test, not a speed target: on a machine busy with other work a start of Vigil
    // (tsx, the 65 MB geo-IP database, a browser) has taken over 30 s. A test that hangs still fails,
    // and what it started is stopped after its file (test/support/children.ts).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // expect.poll waits up to 1 s by default: too short for a page beside a busy suite.
    expect: { poll: { timeout: 15_000 } },
    // Two workers match the two cores.
    maxWorkers: 2,
    // A worker imports Vigil once for all the files it runs, not once per file: importing the test
    // modules cost 84 s of a 302 s run isolated, 9 s of 226 s not. Every test builds its own Vigil
    // (fresh database, clock, geo-IP answers shared read-only), none mocks modules or changes the
    // environment, and the two tests with fake timers restore them in `finally`, so a file finds
    // nothing of the file before it but the module cache. `--isolate` brings isolation back.
    isolate: false,
  },
});
