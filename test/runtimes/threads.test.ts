// Threads in every runtime (issue 10). Each runs fixtures/threads-check.mjs: the same products
// and spiral training at one thread and at two, which must agree to the bit, runtimeInfo() saying
// 2 threads, and the workers' scratch in memory() showing that they took part. Where threads
// cannot run (workerd, a page that is not cross-origin isolated) init() falls back to one thread
// with the reason, and an explicit `threads: 2` throws it.
// The time of each configuration is printed, not judged: on a shared CI machine a timing
// assertion would fail for reasons that are not the library's. bench/threads.mjs measures speed.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  ROOT, DIST, ISOLATION_HEADERS, bunBinary, makeProject, removeDir, copyWasm, serve, launchChromium, parseResults, run,
  pageResults, unavailable, requireBuilt, type StaticServer,
} from './harness';

const FIX = '/test/runtimes/fixtures';
const DENO = join(ROOT, 'node_modules', '.bin', 'deno');

interface Config {
  info: { threads: number; threadsUnavailable?: string; variant: string; source: string };
  digests: string[]; ms: number; workspaceBytes: number; losses: number[]; weights: Record<string, number[]>;
}
type Outcome = Config | { error: string };
interface Check { threads: number; one: Outcome; many: Outcome; auto: { threads?: number; threadsUnavailable?: string; error?: string }; crossOriginIsolated?: boolean }

function config(o: Outcome, label: string): Config {
  if ('error' in o) throw new Error(`${label}: ${o.error}`);
  return o;
}

/** Two threads ran, the workers did part of the work, and every bit matches one thread. */
function expectThreadsUsed(r: Check, label: string, source = /threads/): void {
  const one = config(r.one, `${label}, 1 thread`), many = config(r.many, `${label}, 2 threads`);
  expect(one.info.threads, label).toBe(1);
  expect(many.info.threads, label).toBe(2);
  expect(many.info.threadsUnavailable, label).toBeUndefined();
  expect(many.info.source, `${label}: the threads build`).toMatch(source);
  expect(many.workspaceBytes, `${label}: the second thread's scratch was handed out, so it ran a share`).toBeGreaterThan(one.workspaceBytes);
  expect(many.digests, `${label}: matmul and conv2d give the one-thread bits`).toEqual(one.digests);
  expect(many.losses, `${label}: the spiral's losses`).toEqual(one.losses);
  expect(many.weights, `${label}: the spiral's weights`).toEqual(one.weights);
  console.log(`${label}: matmul 192×384·384×256 + conv2d 8×16×20×20→32: 1 thread ${one.ms.toFixed(2)} ms, 2 threads ${many.ms.toFixed(2)} ms (${(one.ms / many.ms).toFixed(2)}×)`);
}

/**
 * A script that ran a split product at 2 threads and ends without reset() exits by itself, with
 * code 0, well within the timeout (after which run() kills it, and parseResults throws).
 */
async function expectExitsWithoutReset(cmd: string, args: string[], label: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const exit = await run(cmd, [...args, 'threads-exit.mjs'], { cwd: project, env, timeoutMs: 30_000 });
  expect(parseResults(exit, `${label}: threads-exit.mjs`), label).toEqual({ threads: 2 });
}

/** One thread with the reason; an explicit threads: 2 throws it. */
function expectFallback(r: Check, reason: RegExp, label: string): void {
  const one = config(r.one, `${label}, 1 thread`);
  expect(one.info.threads, label).toBe(1);
  expect(r.auto, `${label}: 'auto' falls back with the reason`).toMatchObject({ threads: 1, threadsUnavailable: expect.stringMatching(reason) });
  expect('error' in r.many && r.many.error, `${label}: threads: 2 throws the reason`).toMatch(reason);
}

let project: string | undefined;
let app: string | undefined;
let isolated: StaticServer;
let plain: StaticServer;
let browser: Browser | string;

beforeAll(async () => {
  requireBuilt();
  project = await makeProject('threads', ['threads-script.mjs', 'threads-script-global-worker.mjs', 'threads-script-inline.mjs', 'threads-check.mjs', 'spiral.mjs', 'threads-exit.mjs']);
  // An app bundled by esbuild with no plugin: the .wasm builds and the worker script are copied
  // beside the bundle, as README tells users to do.
  app = await makeProject('threads-app', ['threads-check.mjs', 'spiral.mjs']);
  const out = join(app, 'public');
  await mkdir(out);
  await writeFile(join(app, 'app.mjs'), [
    "import * as simdnet from 'simdnet';",
    "import { threadsCheck } from './threads-check.mjs';",
    'window.results = threadsCheck(simdnet, { threads: 2 });',
  ].join('\n'));
  await build({ entryPoints: [join(app, 'app.mjs')], outfile: join(out, 'app.js'), bundle: true, format: 'esm', platform: 'browser', minify: true, logLevel: 'error' });
  await copyWasm(DIST, out);
  for (const f of ['simdnet-relaxed-threads.wasm', 'simdnet-simd-threads.wasm', 'simdnet-worker.js']) await copyFile(join(DIST, f), join(out, f));
  await writeFile(join(out, 'app.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./app.js"></script>\n');
  isolated = await serve({ '/': ROOT, '/app/': out }, ISOLATION_HEADERS);
  plain = await serve({ '/': ROOT });
  browser = await launchChromium([], { isolation: true });
}, 120_000);

afterAll(async () => {
  if (typeof browser === 'object') await browser.close();
  await isolated?.close();
  await plain?.close();
  await removeDir(project);
  await removeDir(app);
});

/** pageResults (harness) for a page that leaves a threads check in window.results. */
async function inPage(ctx: { skip(note?: string): never }, url: string): Promise<Check> {
  if (typeof browser === 'string') unavailable(ctx, 'Chromium', browser);
  return (await pageResults(browser, url)) as unknown as Check;
}

describe('threads', () => {
  it("Node: a project importing 'simdnet' runs 2 threads (worker_threads), the same bits as 1, and exits without reset()", async () => {
    const exit = await run(process.execPath, ['threads-script.mjs'], { cwd: project, timeoutMs: 60_000 });
    expectThreadsUsed(parseResults(exit, 'node threads-script.mjs') as unknown as Check, 'Node');
    await expectExitsWithoutReset(process.execPath, [], 'Node');
  });

  it('Node with globalThis.Worker set to worker_threads (as ONNX Runtime Web and tfjs-wasm do on load): still 2 threads', async () => {
    const exit = await run(process.execPath, ['threads-script-global-worker.mjs'], { cwd: project, timeoutMs: 60_000 });
    expectThreadsUsed(parseResults(exit, 'node threads-script-global-worker.mjs') as unknown as Check, 'Node, global Worker');
  });

  it('Chromium, a cross-origin-isolated page: 2 threads on the main thread (which spins instead of blocking)', async (ctx) => {
    const r = await inPage(ctx, `${isolated.origin}${FIX}/threads-page.html`);
    expect(r.crossOriginIsolated).toBe(true);
    expectThreadsUsed(r, 'Chromium page');
  });

  it('Chromium, a module Web Worker in that page', async (ctx) => {
    const r = await inPage(ctx, `${isolated.origin}${FIX}/threads-worker.html`);
    expect(r.crossOriginIsolated).toBe(true);
    expectThreadsUsed(r, 'Chromium worker');
  });

  it('Chromium, an esbuild-bundled app with the builds and the worker script copied beside it', async (ctx) => {
    const bundle = await readFile(join(app!, 'public', 'app.js'), 'utf8');
    expect(bundle).not.toMatch(/["']node:/);
    const r = await inPage(ctx, `${isolated.origin}/app/app.html`);
    expectThreadsUsed(r, 'Chromium bundle');
    expect(config(r.many, 'bundle').info.source).toMatch(new RegExp(`^${isolated.origin}/app/simdnet-(relaxed|simd)-threads\\.wasm$`));
  });

  it('Chromium, a page without COOP/COEP: one thread, with the reason', async (ctx) => {
    const r = await inPage(ctx, `${plain.origin}${FIX}/threads-page.html`);
    expect(r.crossOriginIsolated).toBe(false);
    expectFallback(r, /cross-origin isolated/, 'Chromium plain page');
  });

  it("Deno: 2 threads (its node:worker_threads: a module Worker there has no unref()), the same bits as 1, and exits without reset()", async (ctx) => {
    const version = await run(DENO, ['--version'], { timeoutMs: 30_000 });
    if (version.code !== 0) unavailable(ctx, 'Deno', version.spawnError?.message ?? version.stderr.trim());
    const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
    const exit = await run(DENO, ['run', '--allow-read', '--node-modules-dir=manual', 'threads-script.mjs'], { cwd: project, env, timeoutMs: 60_000 });
    expectThreadsUsed(parseResults(exit, 'deno run threads-script.mjs') as unknown as Check, 'Deno');
    await expectExitsWithoutReset(DENO, ['run', '--allow-read', '--node-modules-dir=manual'], 'Deno', env);
  });

  it('Deno with simdnet/inline (no node:worker_threads in it): 2 threads on module Workers, the same bits as 1', async (ctx) => {
    const version = await run(DENO, ['--version'], { timeoutMs: 30_000 });
    if (version.code !== 0) unavailable(ctx, 'Deno', version.spawnError?.message ?? version.stderr.trim());
    const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
    const exit = await run(DENO, ['run', '--allow-read', '--node-modules-dir=manual', 'threads-script-inline.mjs'], { cwd: project, env, timeoutMs: 60_000 });
    expectThreadsUsed(parseResults(exit, 'deno run threads-script-inline.mjs') as unknown as Check, 'Deno, simdnet/inline', /^inline$/);
  });

  it("Bun: 2 threads (module Workers, unref'd), the same bits as 1, and exits without reset()", async (ctx) => {
    const bun = bunBinary();
    if (bun === null) unavailable(ctx, 'Bun', 'no bun binary in node_modules');
    const exit = await run(bun, ['threads-script.mjs'], { cwd: project, timeoutMs: 60_000 });
    expectThreadsUsed(parseResults(exit, 'bun threads-script.mjs') as unknown as Check, 'Bun');
    await expectExitsWithoutReset(bun!, [], 'Bun');
  });
});
