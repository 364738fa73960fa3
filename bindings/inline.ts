// simdnet/inline: the whole library in one file, its WebAssembly builds embedded as base64, for
// pages and workers that cannot serve or copy .wasm files. init() with no arguments decodes the
// best embedded build for this engine; everything else is the same API as 'simdnet'.
// (Not for Cloudflare Workers: they forbid compiling bytes at run time; use 'simdnet' there.)

import { load, supportedVariants, INIT_KEYS, type InitOptions, type RuntimeInfo, type ThreadsSources } from './runtime.js';
import { options as checkOptions } from './options.js';
import { embedded, embeddedThreads, embeddedWorker } from './embedded.js';

export * from './index.js';

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** As 'simdnet' init(), but with no module/bytes/url it loads an embedded build (runtimeInfo().source is 'inline'). */
export async function init(options: InitOptions = {}): Promise<RuntimeInfo> {
  checkOptions<InitOptions>('init', options, INIT_KEYS);
  if (options.module !== undefined || options.bytes !== undefined || options.url !== undefined) {
    return load(options);
  }
  const supported = supportedVariants();
  const variant = options.variant ?? supported.find((v) => embedded[v] !== undefined);
  const base64 = variant !== undefined ? embedded[variant] : undefined;
  if (variant === undefined || base64 === undefined) {
    const have = Object.keys(embedded).join(', ') || 'none (this is the unbundled source)';
    throw new Error(`init: simdnet/inline embeds the ${have} build(s), not ${variant ?? `one this engine runs (${supported.join(', ')})`}; pass { url } or { bytes } to load another`);
  }
  return load({ variant, bytes: decode(base64), threads: options.threads }, 'inline', threadsSources);
}

let workerHref: string | null = null;

/** The embedded threads builds, and the worker script as a blob: URL (data: where there is no Web Worker: Node). */
const threadsSources: ThreadsSources = {
  bytes(variant) {
    const base64 = embeddedThreads[variant];
    return base64 === undefined ? undefined : decode(base64);
  },
  worker() {
    if (!embeddedWorker) throw new Error('simdnet/inline: no worker script embedded (this is the unbundled source)');
    if (workerHref === null) {
      const webWorker = typeof (globalThis as { Worker?: unknown }).Worker === 'function';
      workerHref = webWorker && typeof URL.createObjectURL === 'function'
        ? URL.createObjectURL(new Blob([embeddedWorker], { type: 'text/javascript' }))
        : `data:text/javascript,${encodeURIComponent(embeddedWorker)}`;
    }
    return workerHref;
  },
};
