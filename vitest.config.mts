import { defineConfig } from 'vitest/config';

// Unit tests: pure logic, fakes of the Engine interface, no Docker daemon needed.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
  },
});
