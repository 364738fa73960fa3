// bench/platform.mjs for a browser page (the Chromium run): the page is served from the package
// root, so dist/ and node_modules/ are plain URLs; options arrive in the page's query string and
// package versions in window.__benchVersions (written by bench/browser/run.mjs).
const params = new URLSearchParams(globalThis.location?.search ?? '');

export const name = 'browser';
export const root = '/';
export const args = JSON.parse(params.get('args') ?? '[]');
export const envVar = (key) => params.get(key) ?? undefined;
export const runtimeVersion = (globalThis.navigator?.userAgent.match(/(HeadlessChrome|Chrome)\/[\d.]+/) ?? ['browser'])[0];

export const simdnetEntry = '/dist/browser.js';

export async function wasmBytes(variant) {
  const res = await fetch(`/dist/simdnet-${variant}.wasm`);
  if (!res.ok) throw new Error(`fetch /dist/simdnet-${variant}.wasm: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export function packageDir(pkg) {
  return `/node_modules/${pkg}`;
}

export function packageVersion(pkg) {
  return globalThis.__benchVersions?.[pkg] ?? 'unknown';
}

export function assetDir(pkg) {
  return `/node_modules/${pkg}/dist/`;
}

/** The cores the page reports (the threads group runs its configurations from Node, not from here). */
export function cores() {
  return globalThis.navigator?.hardwareConcurrency ?? 1;
}

/** Node's crossCoreRoundTrip (bench/platform.mjs); the page's threads are not probed. */
export async function crossCoreRoundTrip() {
  return null;
}
