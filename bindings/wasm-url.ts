// Where the .wasm builds and the worker script are, as literal `new URL(..., import.meta.url)`
// expressions: bundlers that understand the pattern (Vite, webpack 5, Parcel, Rollup plugins) copy
// the files without plugins or configuration, and Node, Deno, Bun and browsers resolve them next
// to the module.
//
// This source sits in bindings/ and the builds in dist/; scripts/build-js.mjs rewrites '../dist/'
// to './' when it bundles this file into dist/, so the published library asks for the file beside
// itself: dist/index.js -> dist/simdnet-simd.wasm.
import type { Variant } from './runtime.js';

export function wasmUrl(variant: Variant, threads = false): URL {
  if (threads) {
    switch (variant) {
      case 'relaxed': return new URL('../dist/simdnet-relaxed-threads.wasm', import.meta.url);
      case 'simd': return new URL('../dist/simdnet-simd-threads.wasm', import.meta.url);
      case 'scalar': throw new Error('init: there is no threads build of the scalar variant');
    }
  }
  switch (variant) {
    case 'relaxed': return new URL('../dist/simdnet-relaxed.wasm', import.meta.url);
    case 'simd': return new URL('../dist/simdnet-simd.wasm', import.meta.url);
    case 'scalar': return new URL('../dist/simdnet-scalar.wasm', import.meta.url);
  }
}

/** The worker script of the thread pool (bindings/threads/worker.ts, bundled on its own). */
export function workerUrl(): URL {
  return new URL('../dist/simdnet-worker.js', import.meta.url);
}
