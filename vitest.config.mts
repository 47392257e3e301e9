import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The SDK's notice that its 2027 releases need Node 22; this project runs on Node 20 by design.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // Generous: a synth took over 60 s on a machine with a load average of 9. Tests wait on
    // conditions, never on time, so room costs nothing when the machine is quiet.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // Synth bundles Lambda code with esbuild; two workers keep a 2-core machine responsive.
    maxWorkers: 2,
    // CI never rewrites snapshots: a missing or changed one fails the run.
    update: false,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-artifacts/vitest.json' },
  },
});
