// Shared plumbing for the runtime tests: Node's reference results, the comparison every runtime
// must pass, a project that depends on simdnet, a static file server, Chromium, and the skip rule.
//
// A runtime test is skipped (with the reason printed) only when its engine cannot start on this
// machine. With SIMDNET_REQUIRE_RUNTIMES=1 (set by .ci/run) that skip is a failure instead.
import { expect } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = join(ROOT, 'dist');
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export type Variant = 'relaxed' | 'simd' | 'scalar';

export interface MemorySnapshot { tensors: number; bytes: number; wasmBytes: number; workspaceBytes: number }
export interface Training {
  info: { variant: Variant; simd: boolean; relaxedSimd: boolean; supported: Variant[]; source: string; memoryBytes: number };
  losses: number[];
  weights: Record<string, number[]>;
  memory: { baseline: MemorySnapshot; trained: MemorySnapshot; disposed: MemorySnapshot; leaked: MemorySnapshot; afterReset: MemorySnapshot };
}
export type Run = Training | { error: string };
export interface Results {
  beforeInit: string | null; runs: Record<string, Run>; badUrl: string; corrupt: string; noModule?: string;
  threadsAuto?: { threads: number; threadsUnavailable?: string } | string; threadsTwo?: string;
}

/** Every test here runs the built package; say so plainly when it is missing. */
export function requireBuilt(): void {
  for (const f of ['index.js', 'browser.js', 'inline.js', 'index.d.ts', 'simdnet-relaxed.wasm', 'simdnet-simd.wasm', 'simdnet-scalar.wasm']) {
    if (!existsSync(join(DIST, f))) throw new Error(`dist/${f} is missing: run \`npm run build\` first (npm test does)`);
  }
}

/** Node's results through the Node bundle (dist/index.js), the yardstick for every other runtime. */
export async function nodeReference(variant: Variant): Promise<Training> {
  requireBuilt();
  const simdnet = await import('../../dist/index.js');
  const { trainSpiral } = await import('./fixtures/spiral.mjs');
  return trainSpiral(simdnet, { init: { variant } });
}

export function training(run: Run | undefined, label: string): Training {
  if (run === undefined) throw new Error(`${label}: no result`);
  if ('error' in run) throw new Error(`${label}: ${run.error}`);
  return run;
}

/** The loss falls and memory() is back at baseline after dispose(); reset() drops the rest. */
export function expectTrainsAndFrees(run: Run | undefined, label: string): Training {
  const t = training(run, label);
  expect(t.losses.length, label).toBeGreaterThan(2);
  expect(t.losses.every(Number.isFinite), `${label}: finite losses`).toBe(true);
  expect(t.losses[t.losses.length - 1], `${label}: loss decreases`).toBeLessThan(t.losses[0]);
  const { baseline, trained, disposed, leaked, afterReset } = t.memory;
  expect(trained.tensors, `${label}: tensors live while training`).toBeGreaterThan(baseline.tensors);
  expect({ tensors: disposed.tensors, bytes: disposed.bytes }, `${label}: memory() back at baseline after dispose()`)
    .toEqual({ tensors: baseline.tensors, bytes: baseline.bytes });
  expect(leaked.tensors, label).toBe(baseline.tensors + 2);
  expect({ tensors: afterReset.tensors, bytes: afterReset.bytes }, `${label}: reset() drops every tensor`).toEqual({ tensors: 0, bytes: 0 });
  expect(afterReset.wasmBytes, `${label}: WebAssembly memory never shrinks`).toBeGreaterThanOrEqual(baseline.wasmBytes);
  return t;
}

/** Same variant, same seed: the final loss and every weight match Node's within 1e-5. */
export function expectMatchesNode(run: Run | undefined, reference: Training, label: string): void {
  const t = expectTrainsAndFrees(run, label);
  expect(t.info.variant, label).toBe(reference.info.variant);
  const last = (l: number[]) => l[l.length - 1];
  expect(Math.abs(last(t.losses) - last(reference.losses)), `${label}: final loss ${last(t.losses)} vs Node's ${last(reference.losses)}`).toBeLessThanOrEqual(1e-5);
  expect(Object.keys(t.weights).sort(), label).toEqual(Object.keys(reference.weights).sort());
  for (const [name, w] of Object.entries(reference.weights)) {
    const got = t.weights[name];
    expect(got.length, `${label}: ${name}`).toBe(w.length);
    let worst = 0, at = 0;
    for (let i = 0; i < w.length; i++) {
      const d = Math.abs(got[i] - w[i]);
      if (!(d <= worst)) { worst = d; at = i; }
    }
    expect(worst, `${label}: ${name}[${at}] is ${got[at]}, Node has ${w[at]}`).toBeLessThanOrEqual(1e-5);
  }
}

/** The bad-input answers every runtime must give. */
export function expectClearErrors(r: Results, label: string): void {
  expect(r.beforeInit, `${label}: API before init()`).toMatch(/^simdnet: tensor\(\) called before init\(\); call `await init\(\)` first$/);
  expect(r.badUrl, `${label}: init() with a wrong URL`).toMatch(/^init: .*simdnet-missing\.wasm/);
  expect(r.corrupt, `${label}: init() with corrupt bytes`).toMatch(/^init: could not compile the WebAssembly from bytes: /);
}

// --- skipping only when an engine cannot start ------------------------------------------------

export const requireRuntimes = process.env.SIMDNET_REQUIRE_RUNTIMES === '1';

/** Skips the test with the reason printed, or fails it when SIMDNET_REQUIRE_RUNTIMES=1 (CI). */
export function unavailable(ctx: { skip(note?: string): never }, runtime: string, reason: string): never {
  if (requireRuntimes) {
    throw new Error(`${runtime} cannot start here: ${reason}; SIMDNET_REQUIRE_RUNTIMES=1 (CI) forbids skipping a runtime test`);
  }
  const text = `${runtime} cannot start here, test skipped: ${reason}`;
  console.warn(`SKIP ${text}`);
  ctx.skip(text);
}

// --- Bun ---------------------------------------------------------------------------------------

/**
 * node_modules/@oven/bun-<os>-<arch>[-baseline]/bin/bun, whichever optional dependency npm
 * installed; or, where npm did run the `bun` package's postinstall (seen with npm 11 on a fresh
 * install here), the binary it moved to node_modules/bun/bin/bun.exe.
 */
export function bunBinary(): string | null {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch;
  const exe = process.platform === 'win32' ? 'bun.exe' : 'bun';
  for (const suffix of ['', '-baseline', '-musl', '-musl-baseline']) {
    const path = join(ROOT, 'node_modules', '@oven', `bun-${os}-${arch}${suffix}`, 'bin', exe);
    if (existsSync(path)) return path;
  }
  const moved = join(ROOT, 'node_modules', 'bun', 'bin', 'bun.exe');
  return existsSync(moved) ? moved : null;
}

// --- processes ----------------------------------------------------------------------------------

export interface Exit { code: number | null; stdout: string; stderr: string; spawnError?: Error }

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Exit> {
  return new Promise((done) => {
    let stdout = '', stderr = '';
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (err) => { clearTimeout(timer); done({ code: null, stdout, stderr, spawnError: err }); });
    child.on('close', (code) => { clearTimeout(timer); done({ code, stdout, stderr }); });
  });
}

/** The JSON a harness printed as its last line of output. */
export function parseResults(exit: Exit, label: string): Results {
  if (exit.code !== 0) throw new Error(`${label} exited with ${exit.code}:\n${exit.stderr}\n${exit.stdout}`);
  const line = exit.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${label} printed no JSON result:\n${exit.stdout}\n${exit.stderr}`);
  }
}

// --- a project that depends on simdnet ------------------------------------------------------------

/**
 * A temporary project as a user has it: package.json listing simdnet, node_modules/simdnet (a
 * link to this repository, or an installed tarball), and the fixture files it needs.
 */
export async function makeProject(name: string, fixtures: string[], opts: { link?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `simdnet-${name}-`));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `simdnet-${name}-test`, private: true, type: 'module', dependencies: { simdnet: '*' } }, null, 2));
  if (opts.link !== false) {
    await mkdir(join(dir, 'node_modules'));
    await symlink(ROOT, join(dir, 'node_modules', 'simdnet'), 'dir');
  }
  for (const f of fixtures) await copyFile(join(FIXTURES, f), join(dir, f));
  return dir;
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Copies the three .wasm builds from `fromDir` into `toDir` (esbuild leaves `new URL('./x.wasm', import.meta.url)` alone). */
export async function copyWasm(fromDir: string, toDir: string): Promise<void> {
  for (const v of ['relaxed', 'simd', 'scalar']) await copyFile(join(fromDir, `simdnet-${v}.wasm`), join(toDir, `simdnet-${v}.wasm`));
}

// --- a static file server on 127.0.0.1 --------------------------------------------------------

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.map': 'application/json',
};

export interface StaticServer { origin: string; requests: string[]; close(): Promise<void> }

/** COOP/COEP: a page served with them is cross-origin isolated (SharedArrayBuffer, so threads). */
export const ISOLATION_HEADERS = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/**
 * Serves each URL prefix from a directory, e.g. { '/': ROOT, '/app/': bundleDir }; longest prefix
 * wins. `headers` go on every response (ISOLATION_HEADERS for a cross-origin-isolated page).
 */
export async function serve(mounts: Record<string, string>, headers: Record<string, string> = {}): Promise<StaticServer> {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const prefix = prefixes.find((p) => path.startsWith(p));
    if (prefix === undefined) { res.writeHead(404).end(); return; }
    const base = resolve(mounts[prefix]);
    const file = normalize(join(base, path.slice(prefix.length)));
    if (file !== base && !file.startsWith(base + sep)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers }).end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

// --- Chromium -----------------------------------------------------------------------------------

/**
 * Headless Chromium from @sparticuz/chromium (a binary shipped in the npm package) driven by
 * playwright-core. Returns the reason instead when it cannot start.
 */
export async function launchChromium(extraArgs: string[] = [], { isolation = false } = {}): Promise<Browser | string> {
  try {
    const { default: chromium } = await import('@sparticuz/chromium');
    const { chromium: playwright } = await import('playwright-core');
    const executablePath = await chromium.executablePath();
    return await playwright.launch({
      executablePath,
      headless: true,
      // Without --single-process (meant for AWS Lambda): there, closing a page's context ends the browser.
      args: [
        // isolation: also without --disable-web-security, under which no page is cross-origin isolated
        ...chromium.args.filter((a: string) => a !== '--single-process' && !(isolation && a === '--disable-web-security')),
        '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync',
        ...extraArgs,
      ],
    });
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

/** Opens `url` and waits for the page's `window.results` promise. */
export async function pageResults(browser: Browser, url: string): Promise<Results> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as any).results !== undefined, undefined, { timeout: 30_000 })
      .catch(() => { throw new Error(`${url} never set window.results: ${errors.join('; ') || 'no error reported'}`); });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${url} did not resolve window.results in 60 s: ${errors.join('; ') || 'no error reported'}`)), 60_000);
    });
    try {
      return await Promise.race([page.evaluate(() => (window as any).results), timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await page.close();
  }
}
