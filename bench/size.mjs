// Bundle size: the bytes a browser downloads to run each library's WebAssembly path, raw and
// gzip (node:zlib, level 9), read from the files on disk when the bench runs.
//   simdnet:   the package's "browser" export (dist/browser.js as of writing) + the SIMD .wasm
//   tfjs-wasm: tfjs-core's tf-core.min.js + tfjs-backend-wasm's tf-backend-wasm.min.js + its SIMD .wasm
//   ort-web:   onnxruntime-web's wasm-only ESM bundle (ort.wasm.bundle.min.mjs, glue included) + its .wasm
// A JavaScript file not shipped minified is also minified with esbuild (what the user's bundler
// would do), so the 'min + gzip' column compares like with like; the ratio uses that column.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { packageDir as pkgDir } from './platform.mjs';

const root = new URL('../', import.meta.url);

/** The package's browser entry from its exports map (falls back to dist/browser.js, then main). */
function simdnetFiles() {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
  const dot = pkg.exports?.['.'];
  const pick = (e) => (typeof e === 'string' ? e : e && (pick(e.browser) ?? pick(e.import) ?? pick(e.default)));
  let entry = pick(dot) ?? 'dist/browser.js';
  if (!existsSync(new URL(entry, root))) entry = pkg.main;
  const dir = path.dirname(new URL(entry, root).pathname);
  const wasm = [path.join(dir, 'simdnet-simd.wasm'), new URL('dist/simdnet-simd.wasm', root).pathname, new URL('build/simdnet-simd.wasm', root).pathname].find(existsSync);
  return [new URL(entry, root).pathname, wasm];
}

async function measure(files) {
  const { transform } = await import('esbuild');
  let raw = 0, gzip = 0, minGzip = 0;
  const list = [];
  for (const f of files) {
    const bytes = readFileSync(f);
    raw += bytes.length;
    const gz = gzipSync(bytes, { level: 9 }).length;
    gzip += gz;
    let minified = gz;
    if (/\.m?js$/.test(f) && !/\.min\.m?js$/.test(f)) {
      const { code } = await transform(bytes.toString('utf8'), { minify: true, format: 'esm', target: 'es2022' });
      minified = gzipSync(Buffer.from(code), { level: 9 }).length;
    }
    minGzip += minified;
    list.push({ file: path.relative(process.cwd(), f), raw: bytes.length, gzip: gz, minGzip: minified });
  }
  return { raw, gzip, minGzip, files: list };
}

export async function run() {
  const tfCore = pkgDir('@tensorflow/tfjs-core'), tfWasm = pkgDir('@tensorflow/tfjs-backend-wasm'), ort = pkgDir('onnxruntime-web');
  const libs = {
    simdnet: simdnetFiles(),
    'tfjs-wasm': [path.join(tfCore, 'dist/tf-core.min.js'), path.join(tfWasm, 'dist/tf-backend-wasm.min.js'), path.join(tfWasm, 'dist/tfjs-backend-wasm-simd.wasm')],
    'ort-web': [path.join(ort, 'dist/ort.wasm.bundle.min.mjs'), path.join(ort, 'dist/ort-wasm-simd-threaded.wasm')],
  };
  const results = {};
  for (const [name, files] of Object.entries(libs)) {
    const missing = files.filter((f) => !f || !existsSync(f));
    results[name] = missing.length ? { unsupported: `missing ${missing.join(', ')}` } : await measure(files);
  }
  return [{ group: 'size', case: 'browser bundle + SIMD .wasm', unit: 'bytes', higherIsBetter: false, results }];
}
