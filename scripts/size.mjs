// What a browser downloads: `npm run size` prints, raw and gzip (-9), the browser entry
// (dist/browser.js) plus the one .wasm it fetches, and simdnet/inline (dist/inline.js, the builds
// embedded), and the playground page (examples/playground/) as it is served. JS is shown as shipped and minified by esbuild, as an app's bundler would; the whole
// API is counted (an app that imports less gets less after tree-shaking).
import { transform } from 'esbuild';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlayground } from '../examples/playground/build.mjs';
import { gzipSync } from 'node:zlib';

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

async function js(file) {
  const source = await readFile(file, 'utf8');
  const { code } = await transform(source, { minify: true, format: 'esm', target: 'es2022', legalComments: 'none' });
  const min = Buffer.from(code);
  return { file, raw: Buffer.byteLength(source), gzip: gz(Buffer.from(source)), min: min.length, minGzip: gz(min) };
}

async function wasm(variant) {
  const bytes = await readFile(`dist/simdnet-${variant}.wasm`);
  return { file: `dist/simdnet-${variant}.wasm`, raw: bytes.length, gzip: gz(bytes) };
}

const browser = await js('dist/browser.js');
const inline = await js('dist/inline.js');
const builds = await Promise.all(['relaxed', 'simd', 'scalar'].map(wasm));

const rows = [
  ['file', 'raw', 'gzip', 'minified', 'minified + gzip'],
  ...[browser, inline].map((f) => [f.file, kb(f.raw), kb(f.gzip), kb(f.min), kb(f.minGzip)]),
  ...builds.map((w) => [w.file, kb(w.raw), kb(w.gzip), '', '']),
];
const [relaxed, simd, scalar] = builds;
const largest = relaxed.gzip >= simd.gzip ? relaxed : simd;
const totals = [
  ['download', 'raw', 'gzip'],
  ['browser entry (minified) + the one .wasm it fetches (relaxed or simd)', kb(browser.min + largest.raw), kb(browser.minGzip + largest.gzip)],
  ['browser entry (minified) + scalar .wasm (engines without SIMD)', kb(browser.min + scalar.raw), kb(browser.minGzip + scalar.gzip)],
  ['simdnet/inline (minified, all three builds inside)', kb(inline.min), kb(inline.minGzip)],
];
const table = (t) => [
  `| ${t[0].join(' | ')} |`,
  `| ${t[0].map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
  ...t.slice(1).map((r) => `| ${r.join(' | ')} |`),
].join('\n');
console.log(table(rows));
console.log();
console.log(table(totals));

// The playground as a browser loads it: page, styles, page script, training Worker (with
// simdnet bundled in) and the build the Worker fetches in Chromium: relaxed, or where the page is
// cross-origin isolated (it is, served by npm run playground) the relaxed threads build plus the
// thread workers' script. MNIST data loads only when picked and is not counted.
const out = await mkdtemp(join(tmpdir(), 'simdnet-size-'));
try {
  await buildPlayground(out);
  const size = async (f) => {
    const bytes = await readFile(join(out, f)).catch(() => null);
    return bytes && [f, bytes.length, gz(bytes)];
  };
  const page = await Promise.all(['index.html', 'style.css', 'main.js', 'worker.js'].map(size));
  const single = [await size('simdnet-relaxed.wasm')];
  const threaded = (await Promise.all(['simdnet-relaxed-threads.wasm', 'simdnet-worker.js'].map(size))).filter(Boolean);
  const sum = (rows, i) => rows.reduce((s, r) => s + r[i], 0);
  const rows = [...page, ...single, ...threaded];
  console.log();
  console.log(table([
    ['playground (npm run playground:build)', 'raw', 'gzip'],
    ...rows.map(([f, raw, g]) => [f, kb(raw), kb(g)]),
    ['total, one thread: page + relaxed build', kb(sum([...page, ...single], 1)), kb(sum([...page, ...single], 2))],
    ...(threaded.length ? [['total, cross-origin isolated: page + threads build + thread worker', kb(sum([...page, ...threaded], 1)), kb(sum([...page, ...threaded], 2))]] : []),
  ]));
} finally {
  await rm(out, { recursive: true, force: true });
}
