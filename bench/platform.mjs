// What the benchmark needs from its host, Node's version. bench/browser/platform.mjs is the
// browser's; the Chromium bundle swaps it in (bench/browser/run.mjs), so every group, the harness
// and the adapters run unchanged in both.
import { readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const name = 'node';
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const args = process.argv.slice(2);
export const envVar = (key) => process.env[key];
export const runtimeVersion = `Node ${process.version}`;

/** The entry of simdnet for this host (the Node bundle). */
export const simdnetEntry = pathToFileURL(path.join(root, 'dist', 'index.js')).href;

/** Bytes of one build of simdnet's compute core. */
export async function wasmBytes(variant) {
  return readFileSync(path.join(root, 'dist', `simdnet-${variant}.wasm`));
}

/** A dependency's directory, found from its resolved entry (works when its exports map hides package.json). */
export function packageDir(pkg) {
  const require = createRequire(import.meta.url);
  let dir;
  try {
    dir = path.dirname(require.resolve(pkg));
  } catch {
    dir = path.join(root, 'node_modules', pkg);
  }
  for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).name === pkg) return dir;
  }
  throw new Error(`${pkg} is not installed`);
}

/** A dependency's installed version ('simdnet': this package's). */
export function packageVersion(pkg) {
  try {
    const dir = pkg === 'simdnet' ? root : packageDir(pkg);
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

/** Where a package's WebAssembly files are, for libraries that must be told (undefined: they find them). */
export function assetDir(pkg) {
  return path.join(packageDir(pkg), 'dist') + path.sep;
}

/** The cores the threads group scales to (what init({ threads: 'auto' }) uses in Node). */
export function cores() {
  return os.availableParallelism?.() ?? os.cpus().length;
}

/**
 * How long one cache line takes to go from this thread to another and back, ns (the median
 * of 5 × 20,000 hand-offs through a SharedArrayBuffer, a worker echoing each store). The host
 * places this VM's two vCPUs on cores near or far from each other and moves them: this probe read
 * 200-210 ns and 850-930 ns minutes apart (2026-12-02), and every read of what the other thread
 * wrote in a split job pays that distance. null where it cannot run (no worker within 5 s).
 */
export async function crossCoreRoundTrip() {
  const { Worker } = await import('node:worker_threads');
  const a = new Int32Array(new SharedArrayBuffer(128)); // the two words 64 bytes apart: a line each
  const echo = `const a = new Int32Array(require('node:worker_threads').workerData);
    for (let v = Atomics.load(a, 0); v >= 0; v = Atomics.load(a, 0)) if (v !== Atomics.load(a, 16)) Atomics.store(a, 16, v);`;
  const worker = new Worker(echo, { eval: true, workerData: a.buffer });
  try {
    Atomics.store(a, 0, 1);
    const until = performance.now() + 5000;
    while (Atomics.load(a, 16) !== 1) if (performance.now() > until) return null;
    const N = 20000, reps = [];
    for (let r = 0, seq = 1; r < 5; r++) {
      const t0 = performance.now();
      for (let i = 0; i < N; i++) {
        Atomics.store(a, 0, ++seq);
        while (Atomics.load(a, 16) !== seq);
      }
      reps.push(((performance.now() - t0) / N) * 1e6);
    }
    return reps.sort((x, y) => x - y)[reps.length >> 1];
  } finally {
    Atomics.store(a, 0, -1);
    await worker.terminate();
  }
}
