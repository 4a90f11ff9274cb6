import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Children a test file started are killed after it, however its tests ended (test/support/process.ts).
    setupFiles: ['test/support/children.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/browser/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each test file opens the 65 MB geo-IP database once; two workers match the two cores.
    maxWorkers: 2,
  },
});
