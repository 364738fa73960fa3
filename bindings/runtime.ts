// Finds, compiles and instantiates the compute core in any runtime, and owns its linear memory.
//
// Three builds of one AssemblyScript source sit in build/: relaxed SIMD (FMA), plain SIMD and
// scalar. init() picks the best one the engine validates, unless told otherwise. Every typed-array
// view of the memory is re-derived when the buffer changes, because growing a WebAssembly memory
// detaches all views made before.

import { instantiate } from '@assemblyscript/loader';

export type Variant = 'relaxed' | 'simd' | 'scalar';

/** The raw exports of the compute core (see assembly/index.ts). Pointers are byte offsets. */
export interface Kernels {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  workspaceBytes(): number;
  gemm(a: number, b: number, c: number, m: number, n: number, k: number,
       transA: number, transB: number, accumulate: number, bias: number): void;
  [name: string]: any;
}

export interface InitOptions {
  /** A compiled module (Cloudflare Workers must pass one: they forbid compiling bytes at run time). */
  module?: WebAssembly.Module;
  /** The bytes of a .wasm build. */
  bytes?: BufferSource;
  /** Where to fetch the .wasm from. */
  url?: string | URL;
  /** Force a build; by default the best the engine validates. Must match module/bytes/url if given. */
  variant?: Variant;
}

export interface RuntimeInfo {
  variant: Variant;
  simd: boolean;
  relaxedSimd: boolean;
  /** Where the module came from: a path or URL, or 'module' / 'bytes'. */
  source: string;
  memoryBytes: number;
}

// Smallest modules that use one SIMD (i8x16.popcnt) and one relaxed-SIMD (i32x4.relaxed_trunc) op.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11]);

/** What the engine supports, best first. */
export function supportedVariants(): Variant[] {
  const out: Variant[] = [];
  if (WebAssembly.validate(RELAXED_PROBE)) out.push('relaxed');
  if (WebAssembly.validate(SIMD_PROBE)) out.push('simd');
  out.push('scalar');
  return out;
}

// Literal URLs so that bundlers which understand `new URL(..., import.meta.url)` copy the files.
function defaultUrl(variant: Variant): URL {
  switch (variant) {
    case 'relaxed': return new URL('../build/simdnet-relaxed.wasm', import.meta.url);
    case 'simd': return new URL('../build/simdnet-simd.wasm', import.meta.url);
    case 'scalar': return new URL('../build/simdnet-scalar.wasm', import.meta.url);
  }
}

let kernels: Kernels | null = null;
let info: RuntimeInfo | null = null;
let f32: Float32Array = new Float32Array(0);
let i32: Int32Array = new Int32Array(0);

async function readUrl(url: URL): Promise<ArrayBuffer> {
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const buf = await readFile(fileURLToPath(url));
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  return res.arrayBuffer();
}

/**
 * Loads the compute core. With no options it loads the best build for this engine from the
 * .wasm files shipped next to the library. Calling it again replaces the runtime: every
 * tensor made before becomes invalid.
 */
export async function init(options: InitOptions = {}): Promise<RuntimeInfo> {
  const supported = supportedVariants();
  const variant = options.variant ?? supported[0];
  if (!supported.includes(variant)) {
    throw new Error(`init: the '${variant}' build needs WebAssembly features this engine lacks (it supports ${supported.join(', ')})`);
  }
  let source: WebAssembly.Module | BufferSource;
  let from: string;
  if (options.module) {
    source = options.module; from = 'module';
  } else if (options.bytes) {
    source = options.bytes; from = 'bytes';
  } else {
    const url = options.url !== undefined ? new URL(String(options.url), import.meta.url) : defaultUrl(variant);
    from = url.href;
    try {
      source = await readUrl(url);
    } catch (err) {
      throw new Error(`init: could not read the ${variant} build from ${url.href}: ${(err as Error).message}`);
    }
  }
  let exports: Kernels;
  try {
    const result = await instantiate<Kernels>(source as any, {});
    exports = result.exports as unknown as Kernels;
  } catch (err) {
    throw new Error(`init: could not instantiate the ${variant} build from ${from}: ${(err as Error).message}`);
  }
  if (typeof exports.gemm !== 'function' || !(exports.memory instanceof WebAssembly.Memory)) {
    throw new Error(`init: ${from} is not a simdnet build (no gemm export or memory)`);
  }
  kernels = exports;
  info = { variant, simd: variant !== 'scalar', relaxedSimd: variant === 'relaxed', source: from, memoryBytes: 0 };
  refreshViews();
  onInit.forEach((fn) => fn());
  return runtimeInfo();
}

/** Hooks run after every init() (the tensor registry resets itself here). */
export const onInit: Array<() => void> = [];

/** Which build is loaded, and from where. */
export function runtimeInfo(): RuntimeInfo {
  if (!info || !kernels) throw notInitialised('runtimeInfo');
  return { ...info, memoryBytes: kernels.memory.buffer.byteLength };
}

function notInitialised(what: string): Error {
  return new Error(`simdnet: ${what}() called before init(); call \`await init()\` first`);
}

/** The raw kernels; throws a clear Error before init(). */
export function wasm(what = 'this operation'): Kernels {
  if (!kernels) throw notInitialised(what);
  return kernels;
}

function refreshViews(): void {
  const buf = kernels!.memory.buffer;
  f32 = new Float32Array(buf);
  i32 = new Int32Array(buf);
}

/** A Float32Array over all of linear memory, re-created if memory grew since the last call. */
export function heapF32(): Float32Array {
  if (f32.buffer !== kernels!.memory.buffer) refreshViews();
  return f32;
}

/** An Int32Array over all of linear memory, re-created if memory grew since the last call. */
export function heapI32(): Int32Array {
  if (i32.buffer !== kernels!.memory.buffer) refreshViews();
  return i32;
}

/** The largest linear memory WebAssembly32 allows, minus headroom for the allocator. */
const MAX_BYTES = 4 * 1024 * 1024 * 1024 - 64 * 1024 * 1024;

/**
 * Allocates `bytes` (rounded up to 16) in linear memory. Throws an Error naming `what` when the
 * memory cannot hold it, before anything is written.
 */
export function allocBytes(bytes: number, what: string): number {
  const k = wasm(what);
  const size = Math.max(16, (bytes + 15) & ~15);
  if (!Number.isFinite(bytes) || bytes < 0 || bytes > MAX_BYTES) {
    throw new Error(`${what}: out of memory: cannot allocate ${bytes} bytes (WebAssembly memory is limited to 4 GiB)`);
  }
  let ptr: number;
  try {
    ptr = k.alloc(size);
  } catch (err) {
    throw new Error(`${what}: out of memory: cannot allocate ${bytes} bytes (${(err as Error).message})`);
  }
  if (ptr === 0) throw new Error(`${what}: out of memory: cannot allocate ${bytes} bytes`);
  return ptr;
}

export function freeBytes(ptr: number): void {
  kernels!.free(ptr);
}
