import { defineConfig } from 'vitest/config';

// Unit tests: pure logic, fakes of the Engine interface, no Docker daemon needed.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    // GitHub's workflow parser imports its JSON schema without import attributes, which Node
    // refuses; vite transforms it instead.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
