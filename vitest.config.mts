import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Synth bundles Lambda code with esbuild; two workers keep a 2-core machine responsive.
    maxWorkers: 2,
    // CI never rewrites snapshots: a missing or changed one fails the run.
    update: false,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-artifacts/vitest.json' },
  },
});
