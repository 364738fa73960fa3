import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // test/runtimes/ start browsers, Deno, Bun, workerd and npm in their beforeAll hooks.
    hookTimeout: 120_000,
    // The kernels are single-threaded; two workers match the two cores of the CI machines.
    maxWorkers: 2,
    // Node 20 keeps relaxed SIMD behind a flag; with it the tests cover all three builds.
    poolOptions: { forks: { execArgv: ['--experimental-wasm-relaxed-simd'] } },
  },
});
