// The Chromium run (`npm run bench -- --chromium`): bundles bench/browser/main.mjs with esbuild
// for the browser (bench/browser/platform.mjs and tfjs-load.mjs in place of Node's), serves the
// package root from 127.0.0.1, opens the page in headless Chromium (@sparticuz/chromium through
// playwright-core, as test/runtimes does) and returns the page's { env, rows }. By default the page
// is not cross-origin isolated, so no library can start threads (SharedArrayBuffer is unavailable)
// and performance.now() is coarsened to 0.1 ms, far below the 10 ms minimum sample. The threads
// group asks for `isolated`: the server sends COOP/COEP and Chromium runs without
// --disable-web-security (which @sparticuz/chromium's default args include, and under which no
// page is ever cross-origin isolated).
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { root, packageVersion } from '../platform.mjs';

const here = path.join(root, 'bench', 'browser');
const out = path.join(root, 'node_modules', '.cache', 'simdnet-bench', 'browser');

/** Builds the page (bench.js and index.html under node_modules/.cache/simdnet-bench/browser); test/bench-bundle.test.ts runs it. */
export async function bundle() {
  const { build } = await import('esbuild');
  const swap = {
    name: 'browser-platform',
    setup(b) {
      const to = {
        [path.join(root, 'bench', 'platform.mjs')]: path.join(here, 'platform.mjs'),
        [path.join(root, 'bench', 'peers', 'tfjs-load.mjs')]: path.join(here, 'tfjs-load.mjs'),
      };
      b.onResolve({ filter: /(platform|tfjs-load)\.mjs$/ }, (a) => {
        const target = to[path.resolve(a.resolveDir, a.path)];
        return target ? { path: target } : undefined;
      });
    },
  };
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [path.join(here, 'main.mjs')], outfile: path.join(out, 'bench.js'),
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', plugins: [swap],
    external: ['onnxruntime-node', 'esbuild'], logLevel: 'error',
  });
  const versions = Object.fromEntries(['simdnet', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu', 'onnxruntime-web', 'convnetjs']
    .map((p) => [p, packageVersion(p)]));
  writeFileSync(path.join(out, 'index.html'), `<!doctype html><meta charset="utf-8"><title>simdnet bench</title>
<script>window.__benchVersions = ${JSON.stringify(versions)};</script>
<script type="module" src="./bench.js"></script>\n`);
}

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json' };

function serve(isolated) {
  const headers = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
  const server = createServer(async (req, res) => {
    const file = path.normalize(path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', ...headers }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function launch(isolated) {
  const { default: chromium } = await import('@sparticuz/chromium');
  const { chromium: playwright } = await import('playwright-core');
  const drop = new Set(['--single-process', ...(isolated ? ['--disable-web-security'] : [])]);
  return playwright.launch({
    executablePath: await chromium.executablePath(),
    headless: true,
    args: [...chromium.args.filter((a) => !drop.has(a)), '--no-sandbox', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-background-timer-throttling'],
  });
}

/**
 * Runs the suite in Chromium; resolves to { env, rows } or throws with the reason it could not.
 * isolated: COOP/COEP (threads possible); query: extra page parameters (e.g. BENCH_THREADS);
 * reportCores: the navigator.hardwareConcurrency the page reports (see bench/threads.mjs).
 */
export async function runChromium({ args, verbose, isolated = false, query: extra = {}, reportCores }) {
  await bundle();
  const server = await serve(isolated);
  let browser;
  try {
    browser = await launch(isolated);
    const page = await browser.newPage();
    if (reportCores) await page.addInitScript(`Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => ${Number(reportCores)} })`);
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || verbose || msg.text().startsWith('chromium:')) console.error(`  [chromium] ${msg.text()}`);
    });
    const query = new URLSearchParams({ args: JSON.stringify(args), ...extra, ...(verbose ? { BENCH_VERBOSE: '1' } : {}) });
    await page.goto(`http://127.0.0.1:${server.address().port}/node_modules/.cache/simdnet-bench/browser/index.html?${query}`);
    await page.waitForFunction(() => window.results !== undefined, undefined, { timeout: 15 * 60_000, polling: 1000 });
    const results = await page.evaluate(() => window.results);
    if (results.error) throw new Error(`the page failed: ${results.error}`);
    results.env.browser = browser.version();
    if (errors.length) results.env.pageErrors = errors;
    return results;
  } finally {
    await browser?.close();
    server.close();
  }
}
