// TensorFlow.js as one module, in Node. tfjs-core's Node entry (dist/tf-core.node.js) registers no
// gradients -- the @tensorflow/tfjs union package does that, and only tfjs-core and the two
// backends are installed -- so this bundles tfjs-core's ESM build with its register_all_gradients
// and both backends into one module with esbuild, as a web app's bundler would, cached in
// node_modules/.cache/simdnet-bench/ (the file name carries the versions, so an upgrade rebuilds).
// In Chromium, bench/browser/tfjs-load.mjs imports the same modules and the page bundle does this.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from '../platform.mjs';

export async function loadTfjsModule(v) {
  const dir = path.join(root, 'node_modules', '.cache', 'simdnet-bench');
  const file = path.join(dir, `tfjs-${v.core}-wasm-${v.wasm}-cpu-${v.cpu}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const { build } = await import('esbuild');
    await build({
      stdin: {
        contents: [
          "export * from '@tensorflow/tfjs-core';",
          "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
          "import '@tensorflow/tfjs-backend-cpu';",
          "export * as wasm from '@tensorflow/tfjs-backend-wasm';",
        ].join('\n'),
        resolveDir: root, loader: 'js',
      },
      bundle: true, format: 'esm', platform: 'node', mainFields: ['module', 'main'], outfile: file, logLevel: 'error',
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; " +
          'const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);',
      },
    });
  }
  return import(pathToFileURL(file).href);
}
