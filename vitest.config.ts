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
    // Each test file opens the 65 MB geo-IP database once; two workers match the two cores.
    maxWorkers: 2,
  },
});
