import { defineConfig } from 'vitest/config';

// Integration tests use the real Docker engine and the built dist/ bundle. One worker, so
// that tests do not race for the engine and each one's leftovers are attributable.
export default defineConfig({
  test: {
    include: ['test/integration/**/*.itg.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    globalSetup: ['test/integration/global-setup.ts'],
  },
});
