// Bundles bindings/ into dist/ (ESM), next to the .wasm builds that scripts/build-wasm.mjs writes
// there, and writes the .d.ts files with tsc. Three bundles of one source, chosen by the package's
// exports conditions:
//
//   dist/index.js    node (Node, Deno, Bun): reads the .wasm beside it with node:fs
//   dist/browser.js  browser, worker, workerd, default: fetches the .wasm beside it; every node:*
//                    import is replaced by a module that throws, so app bundlers never see node:
//   dist/inline.js   simdnet/inline: the browser bundle with the three builds embedded as base64
//                    (and the two threads builds, and the worker script as text)
//   dist/simdnet-worker.js  the thread pool's worker (bindings/threads/worker.ts), on its own: every
//                    bundle finds it by `new URL('./simdnet-worker.js', import.meta.url)`; a module
//                    Worker everywhere but Node, which runs its text as a classic script
//
// bindings/wasm-url.ts names the builds as '../dist/simdnet-<variant>.wasm' (right for the source,
// which tests run); bundled into dist/ that becomes './simdnet-<variant>.wasm'.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Script } from 'node:vm';

const variants = ['relaxed', 'simd', 'scalar'];
const threadVariants = ['relaxed', 'simd'];
/** Files bindings/wasm-url.ts names: every build and the worker script. */
const urlCount = variants.length + threadVariants.length + 1;

/** Rewrites bindings/wasm-url.ts for a bundle in dist/, or (inline) to a module with no URLs at all. */
const wasmUrlPlugin = (inline) => ({
  name: 'simdnet-wasm-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]bindings[\\/]wasm-url\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (inline) {
        // No `new URL('./x.wasm', import.meta.url)` left for an app's bundler to copy files for.
        return {
          loader: 'ts',
          contents: "import type { Variant } from './runtime.js';\n"
            + 'export function wasmUrl(variant: Variant, threads = false): URL {\n'
            + "  throw new Error(`init: simdnet/inline has no .wasm files beside it to load the ${variant}${threads ? ' threads' : ''} build from; pass { url } or { bytes }`);\n"
            + '}\n'
            + 'export function workerUrl(): URL {\n'
            + "  throw new Error('init: simdnet/inline has no worker script beside it');\n"
            + '}\n',
        };
      }
      const contents = source.replaceAll("new URL('../dist/simdnet-", "new URL('./simdnet-");
      const count = source.split("new URL('../dist/simdnet-").length - 1;
      if (count !== urlCount) throw new Error(`build-js: expected ${urlCount} URLs in ${args.path}, found ${count}`);
      return { loader: 'ts', contents };
    });
  },
});

/** Browsers and workers have no node:*; a module that throws when loaded stands in for each. */
const noNodePlugin = {
  name: 'simdnet-no-node',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'simdnet-no-node' }));
    b.onLoad({ filter: /.*/, namespace: 'simdnet-no-node' }, (args) => ({
      loader: 'js',
      contents: `throw new Error(${JSON.stringify(`simdnet: ${args.path} is not available in the browser/worker build`)});`,
    }));
  },
};

/** Fills bindings/embedded.ts with the .wasm builds as base64. */
const embedPlugin = {
  name: 'simdnet-embed',
  setup(b) {
    b.onLoad({ filter: /[\\/]bindings[\\/]embedded\.ts$/ }, async () => {
      const base64 = async (file) => (await readFile(`dist/${file}`).catch(() => {
        throw new Error(`build-js: dist/${file} is missing; run npm run build:wasm first`);
      })).toString('base64');
      const entries = await Promise.all(variants.map(async (v) => `  ${v}: ${JSON.stringify(await base64(`simdnet-${v}.wasm`))},`));
      const threadEntries = await Promise.all(threadVariants.map(async (v) => `  ${v}: ${JSON.stringify(await base64(`simdnet-${v}-threads.wasm`))},`));
      const worker = await readFile('dist/simdnet-worker.js', 'utf8');
      return {
        loader: 'ts',
        contents: "import type { Variant } from './runtime.js';\n"
          + `export const embedded: Partial<Record<Variant, string>> = {\n${entries.join('\n')}\n};\n`
          + `export const embeddedThreads: Partial<Record<Variant, string>> = {\n${threadEntries.join('\n')}\n};\n`
          + `export const embeddedWorker = ${JSON.stringify(worker)};\n`,
      };
    });
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
};

// Last build's JS, maps and .d.ts go, so a source file deleted since leaves nothing behind in the
// package; the .wasm builds (build-wasm.mjs) stay.
for (const entry of await readdir('dist', { recursive: true, withFileTypes: true }).catch(() => [])) {
  if (entry.isFile() && /\.(js|map|d\.ts)$/.test(entry.name)) await rm(`${entry.parentPath ?? entry.path}/${entry.name}`);
}

// The worker first: the inline bundle embeds it. node:worker_threads stays an import (Node); a
// Web Worker never reaches it.
// Node runs it as a classic script (bindings/threads/pool.ts spawner): the banner keeps it strict
// there as a module is, and it must parse as a script (no import/export statement, no import.meta).
await build({ ...common, sourcemap: false, entryPoints: ['bindings/threads/worker.ts'], outfile: 'dist/simdnet-worker.js', external: ['node:*'], banner: { js: "'use strict';" } });
try {
  new Script(await readFile('dist/simdnet-worker.js', 'utf8'), { filename: 'dist/simdnet-worker.js' });
} catch (err) {
  throw new Error(`build-js: dist/simdnet-worker.js must be a classic script (Node evaluates it as one): ${err.message}`);
}
await Promise.all([
  build({ ...common, entryPoints: ['bindings/index.ts'], outfile: 'dist/index.js', external: ['node:*'], plugins: [wasmUrlPlugin(false)] }),
  build({ ...common, entryPoints: ['bindings/index.ts'], outfile: 'dist/browser.js', plugins: [wasmUrlPlugin(false), noNodePlugin] }),
  // No source map: it would repeat browser.js's and the three builds' base64 in sourcesContent.
  build({ ...common, sourcemap: false, entryPoints: ['bindings/inline.ts'], outfile: 'dist/inline.js', plugins: [wasmUrlPlugin(true), noNodePlugin, embedPlugin] }),
]);
if (!process.argv.includes('--no-types')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  // The published types show the API only: tsc keeps `private x;` and `#private;` lines in class
  // declarations (stripInternal drops what is marked @internal), so they go here.
  for (const entry of await readdir('dist', { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = `${entry.parentPath ?? entry.path}/${entry.name}`;
    const text = await readFile(file, 'utf8');
    const kept = text.replace(/^[ \t]*(private\b[^\n]*|#private);\n/gm, '');
    if (kept !== text) await writeFile(file, kept);
  }
}
