// The published package: `npm pack`, installed from the tarball (offline) into a scratch project,
// imported and trained there in Node, type-checked as a TypeScript user would, and bundled by
// esbuild for the browser and trained in Chromium.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { build } from 'esbuild';
import { copyFile, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  ROOT, FIXTURES, nodeReference, expectTrainsAndFrees, expectMatchesNode, expectClearErrors, removeDir, copyWasm,
  run, parseResults, serve, launchChromium, pageResults, unavailable, requireBuilt, type Training, type Variant,
} from './harness';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const ref: Partial<Record<Variant, Training>> = {};
let tmp: string | undefined;
let app: string;
let packed: { filename: string; files: { path: string }[] };

beforeAll(async () => {
  requireBuilt();
  for (const v of ['simd', 'scalar'] as const) ref[v] = await nodeReference(v);
  tmp = await mkdtemp(join(tmpdir(), 'simdnet-pack-'));
  // dist/ is already built (npm test's pretest); --ignore-scripts skips `prepare` rebuilding it.
  const pack = await run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT });
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  packed = JSON.parse(pack.stdout)[0];
  app = join(tmp, 'app');
  await mkdir(app);
  for (const f of ['script.mjs', 'run-all.mjs', 'spiral.mjs', 'app.mjs', 'app.html', 'consumer.ts']) await copyFile(join(FIXTURES, f), join(app, f));
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }));
  const install = await run(NPM, ['install', join(tmp, packed.filename), '--offline', '--no-audit', '--no-fund', '--no-package-lock'], { cwd: app });
  if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
}, 120_000);
afterAll(() => removeDir(tmp));

describe('npm pack', () => {
  it('ships dist/ (three bundles, three .wasm, .d.ts) and nothing else; no dependencies', async () => {
    const files = packed.files.map((f) => f.path);
    for (const f of ['dist/index.js', 'dist/browser.js', 'dist/inline.js', 'dist/index.d.ts', 'dist/inline.d.ts',
      'dist/simdnet-relaxed.wasm', 'dist/simdnet-simd.wasm', 'dist/simdnet-scalar.wasm',
      'dist/simdnet-relaxed-threads.wasm', 'dist/simdnet-simd-threads.wasm', 'dist/simdnet-worker.js', 'package.json', 'README.md']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f))).toEqual([]);
    const pkg = JSON.parse(await readFile(join(app, 'node_modules', 'simdnet', 'package.json'), 'utf8'));
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.sideEffects).toBe(false);
    expect((await readdir(join(app, 'node_modules'))).filter((f) => !f.startsWith('.')), 'installing simdnet installs nothing else').toEqual(['simdnet']);
  });

  it('the installed package imports and trains in Node, matching the repository build', async () => {
    const results = parseResults(await run(process.execPath, ['script.mjs'], { cwd: app }), 'node script.mjs (installed)');
    const def = expectTrainsAndFrees(results.runs.default, 'installed default');
    expect(def.info.source).toMatch(/\/node_modules\/simdnet\/dist\/simdnet-\w+(-threads)?\.wasm$/);
    expectMatchesNode(results.runs.simd, ref.simd!, 'installed simd');
    expectMatchesNode(results.runs.scalar, ref.scalar!, 'installed scalar');
    expectClearErrors(results, 'installed');
  });

  it('its types resolve for a TypeScript user (moduleResolution nodenext)', async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const check = await run(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext',
      '--moduleResolution', 'nodenext', '--lib', 'es2022,dom,esnext.disposable', '--skipLibCheck', 'false', 'consumer.ts'], { cwd: app });
    expect(check.stdout + check.stderr, 'tsc on consumer.ts').toBe('');
    expect(check.code).toBe(0);
  });

  it('an esbuild browser bundle of the scratch app trains in Chromium', async (ctx) => {
    const out = join(app, 'public');
    await mkdir(out);
    await build({ entryPoints: [join(app, 'app.mjs')], outfile: join(out, 'app.js'), bundle: true, format: 'esm', platform: 'browser', minify: true, logLevel: 'error' });
    await copyWasm(join(app, 'node_modules', 'simdnet', 'dist'), out);
    await copyFile(join(app, 'app.html'), join(out, 'app.html'));
    const browser: Browser | string = await launchChromium();
    if (typeof browser === 'string') unavailable(ctx, 'Chromium', browser);
    const server = await serve({ '/': out });
    try {
      const results = await pageResults(browser, `${server.origin}/app.html`);
      const def = expectTrainsAndFrees(results.runs.default, 'packed bundle default');
      expect(def.info).toMatchObject({ variant: 'relaxed', source: `${server.origin}/simdnet-relaxed.wasm` });
      expectMatchesNode(results.runs.simd, ref.simd!, 'packed bundle simd');
      expectClearErrors(results, 'packed bundle');
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
