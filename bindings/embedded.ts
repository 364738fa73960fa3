// The .wasm builds as base64, for simdnet/inline. Empty in source: scripts/build-js.mjs fills it
// in when it bundles dist/inline.js.
import type { Variant } from './runtime.js';

export const embedded: Partial<Record<Variant, string>> = {};
