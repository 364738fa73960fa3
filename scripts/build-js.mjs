// Bundles bindings/ into dist/index.js (ESM) and writes .d.ts files with tsc.
// dist/ sits one level below the package root, like bindings/, so the runtime's
// `new URL('../build/…wasm', import.meta.url)` resolves the same from source and from the bundle.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';

await build({
  entryPoints: ['bindings/index.ts'],
  outfile: 'dist/index.js',
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: ['node:*'],
  sourcemap: true,
  logLevel: 'warning',
});
if (!process.argv.includes('--no-types')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
