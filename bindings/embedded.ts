// The .wasm builds as base64 and the worker script as text, for simdnet/inline. Empty in source:
// scripts/build-js.mjs fills them in when it bundles dist/inline.js.
import type { Variant } from './runtime.js';

export const embedded: Partial<Record<Variant, string>> = {};
export const embeddedThreads: Partial<Record<Variant, string>> = {};
export const embeddedWorker = '';
