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
