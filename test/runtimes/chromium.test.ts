// Chromium (headless, the binary in @sparticuz/chromium): a plain page with <script type=module>,
// a module Web Worker, an app bundled by esbuild that imports 'simdnet' by name, simdnet/inline,
// and Chromium with WebAssembly SIMD switched off. Files come from a node:http server on 127.0.0.1.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { build } from 'esbuild';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  ROOT, nodeReference, expectTrainsAndFrees, expectMatchesNode, expectClearErrors, makeProject, removeDir,
  copyWasm, serve, launchChromium, pageResults, unavailable, training, requireBuilt,
  type StaticServer, type Training, type Variant,
} from './harness';

const FIX = '/test/runtimes/fixtures';
const ref: Partial<Record<Variant, Training>> = {};
let browser: Browser | string;
let server: StaticServer;
let app: string | undefined;

beforeAll(async () => {
  requireBuilt();
  for (const v of ['simd', 'scalar'] as const) ref[v] = await nodeReference(v);
  // An app project: app.mjs imports 'simdnet'; esbuild bundles it as a browser app would be.
  app = await makeProject('chromium-app', ['app.mjs', 'run-all.mjs', 'spiral.mjs', 'app.html']);
  const out = join(app, 'public');
  await mkdir(out);
  await build({
    entryPoints: [join(app, 'app.mjs')], outfile: join(out, 'app.js'),
    bundle: true, format: 'esm', platform: 'browser', minify: true, logLevel: 'error',
  });
  await copyWasm(join(app, 'node_modules', 'simdnet', 'dist'), out);
  await copyFile(join(app, 'app.html'), join(out, 'app.html'));
  server = await serve({ '/': ROOT, '/app/': out });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  if (typeof browser === 'object') await browser.close();
  await server?.close();
  await removeDir(app);
});

function chromium(ctx: { skip(note?: string): never }): Browser {
  if (typeof browser === 'string') unavailable(ctx, 'Chromium', browser);
  return browser;
}

describe('Chromium', () => {
  it('a plain page (<script type=module> importing dist/browser.js) picks relaxed SIMD, trains, matches Node', async (ctx) => {
    const results = await pageResults(chromium(ctx), `${server.origin}${FIX}/page.html`);
    const def = expectTrainsAndFrees(results.runs.default, 'page default');
    expect(def.info.variant, 'Chromium validates relaxed SIMD, so init() picks it').toBe('relaxed');
    expect(def.info.source).toBe(`${server.origin}/dist/simdnet-relaxed.wasm`);
    expectMatchesNode(results.runs.simd, ref.simd!, 'page simd');
    expectMatchesNode(results.runs.scalar, ref.scalar!, 'page scalar');
    expectClearErrors(results, 'page');
    expect(results.badUrl).toBe(`init: could not read a build from ${server.origin}/dist/simdnet-missing.wasm: HTTP 404 Not Found`);
  });

  it('a module Web Worker trains and matches Node', async (ctx) => {
    const results = await pageResults(chromium(ctx), `${server.origin}${FIX}/worker.html`);
    expect(training(results.runs.default, 'worker default').info.variant).toBe('relaxed');
    expectTrainsAndFrees(results.runs.default, 'worker default');
    expectMatchesNode(results.runs.simd, ref.simd!, 'worker simd');
    expectMatchesNode(results.runs.scalar, ref.scalar!, 'worker scalar');
    expectClearErrors(results, 'worker');
  });

  it("an esbuild-bundled app importing 'simdnet' finds the .wasm beside its bundle, trains, matches Node", async (ctx) => {
    const bundle = await readFile(join(app!, 'public', 'app.js'), 'utf8');
    expect(bundle, 'the browser build has no node: imports for a bundler to trip on').not.toMatch(/["']node:/);
    const results = await pageResults(chromium(ctx), `${server.origin}/app/app.html`);
    const def = expectTrainsAndFrees(results.runs.default, 'bundle default');
    expect(def.info).toMatchObject({ variant: 'relaxed', source: `${server.origin}/app/simdnet-relaxed.wasm` });
    expectMatchesNode(results.runs.simd, ref.simd!, 'bundle simd');
    expectMatchesNode(results.runs.scalar, ref.scalar!, 'bundle scalar');
    expectClearErrors(results, 'bundle');
  });

  it('simdnet/inline fetches no .wasm and matches Node', async (ctx) => {
    const before = server.requests.length;
    const results = await pageResults(chromium(ctx), `${server.origin}${FIX}/inline.html`);
    const fetched = server.requests.slice(before).filter((p) => p.endsWith('.wasm'));
    expect(fetched, 'only the deliberately wrong URL').toEqual(['/dist/simdnet-missing.wasm']);
    const def = expectTrainsAndFrees(results.runs.default, 'inline default');
    expect(def.info).toMatchObject({ variant: 'relaxed', source: 'inline' });
    expectMatchesNode(results.runs.simd, ref.simd!, 'inline simd');
    expectClearErrors(results, 'inline');
  });

  it('with WebAssembly SIMD switched off (--js-flags=--no-enable-sse4-1), init() loads the scalar build and says so', async (ctx) => {
    if (process.arch !== 'x64') unavailable(ctx, 'Chromium without SIMD', `--no-enable-sse4-1 only disables WebAssembly SIMD on x64, this is ${process.arch}`);
    const noSimd = await launchChromium(['--js-flags=--no-enable-sse4-1']);
    if (typeof noSimd === 'string') unavailable(ctx, 'Chromium', noSimd);
    try {
      const results = await pageResults(noSimd, `${server.origin}${FIX}/page.html`);
      const def = training(results.runs.default, 'no-SIMD page');
      expect(def.info).toMatchObject({ variant: 'scalar', simd: false, relaxedSimd: false, supported: ['scalar'], source: `${server.origin}/dist/simdnet-scalar.wasm` });
      expectMatchesNode(def, ref.scalar!, 'no-SIMD page default');
      expect(results.runs.simd).toEqual({ error: "init: the 'simd' build needs WebAssembly features this engine lacks (it supports scalar)" });
      expectClearErrors(results, 'no-SIMD page');
    } finally {
      await noSimd.close();
    }
  });
});
