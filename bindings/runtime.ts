// Finds, compiles and instantiates the compute core in any runtime, and owns its linear memory.
//
// Three builds of one AssemblyScript source sit beside the bundled library (dist/): relaxed SIMD
// (FMA), plain SIMD and scalar. init() picks the best one the engine validates, unless told
// otherwise, or takes a precompiled module, bytes or a URL; each build names itself in a custom
// section `simdnet` (scripts/build-wasm.mjs), so init() knows which one it was given. Every
// typed-array view of the memory is re-derived when the buffer changes, because growing a
// WebAssembly memory detaches all views made before.
//
// Threads (init({ threads })): the relaxed and simd builds also come as threads builds on a shared
// memory; with more than one thread, the calling thread instantiates one, runs its (empty) start
// function, and a worker pool (bindings/threads/) instantiates the same module on the same memory
// in each worker. The ops then call a kernels object whose splittable kernels dispatch to the
// pool (bindings/threads/kernels.ts). One thread is exactly the single-thread build.
//
// Nothing here touches process.env or any runtime-specific global: Node, Deno, Bun, browsers,
// Web Workers and workerd run the same code. node:fs is imported only to read a file: URL,
// node:os only for the core count and node:worker_threads (pool.ts) only where there is no Worker.

import { wasmUrl, workerUrl } from './wasm-url.js';
import { options as checkOptions } from './options.js';
import { Pool, MAX_THREADS, type Launch } from './threads/pool.js';
import { threadedKernels } from './threads/kernels.js';

export type Variant = 'relaxed' | 'simd' | 'scalar';

/** The raw exports of the compute core (see assembly/index.ts). Pointers are byte offsets. */
export interface Kernels {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  workspaceBytes(): number;
  /** This thread's scratch, grown to `bytes` (the pool grows it before a job). */
  workspace(bytes: number): number;
  gemm(a: number, b: number, c: number, m: number, n: number, k: number,
       transA: number, transB: number, accumulate: number, bias: number): void;
  [name: string]: any;
}

export interface InitOptions {
  /**
   * A compiled build, e.g. `import wasm from 'simdnet/wasm/simdnet-simd.wasm'` in a Cloudflare
   * Worker (Workers forbid compiling bytes at run time). Its variant is read from the module.
   */
  module?: WebAssembly.Module;
  /** The bytes of a .wasm build. */
  bytes?: BufferSource;
  /** Where to fetch the .wasm from (relative URLs resolve against the library's own URL). */
  url?: string | URL;
  /** Force a build; by default the best the engine validates. Must match module/bytes/url if given. */
  variant?: Variant;
  /**
   * Threads to run the kernels on, the calling thread included: 'auto' (the default) uses every
   * core (Node `os.availableParallelism()`, elsewhere `navigator.hardwareConcurrency`, at most 64)
   * where threads can run and one thread elsewhere, with the reason in runtimeInfo(); a number asks
   * for exactly that many and throws where threads cannot run; 1 is the single-thread build.
   * Results are the same to the bit for every thread count.
   */
  threads?: number | 'auto';
}

export interface RuntimeInfo {
  /** The loaded build. */
  variant: Variant;
  /** Whether the loaded build uses WebAssembly SIMD / relaxed SIMD. */
  simd: boolean;
  relaxedSimd: boolean;
  /** Every build this engine can run, best first: `['scalar']` means it has no WebAssembly SIMD. */
  supported: Variant[];
  /** Where the module came from: a URL, or 'module' / 'bytes' / 'inline'. */
  source: string;
  memoryBytes: number;
  /** Threads the kernels run on, the calling thread included. */
  threads: number;
  /** Why `threads` is 1 when threads were not asked away: e.g. 'page is not cross-origin isolated'. */
  threadsUnavailable?: string;
  /**
   * Worker threads still booting, when there are any: in Node, init() returns before its workers
   * are up (a Node worker takes 50–150 ms to boot); until they are, the threads already up run
   * their share of each op. Same results either way; only the speed changes.
   */
  threadsStarting?: number;
}

/** Where a caller (simdnet/inline) supplies the threads builds and the worker script instead of the files in dist/. */
export interface ThreadsSources {
  bytes(variant: Variant): BufferSource | undefined;
  worker(): URL | string;
}

// Smallest modules that use one SIMD (i8x16.popcnt) and one relaxed-SIMD (i32x4.relaxed_trunc) op.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11]);

const VARIANTS: readonly Variant[] = ['relaxed', 'simd', 'scalar'];

/** The keys of InitOptions (simdnet/inline checks them too, before it picks an embedded build). */
export const INIT_KEYS = ['module', 'bytes', 'url', 'variant', 'threads'];

/** What the engine supports, best first. */
export function supportedVariants(): Variant[] {
  const out: Variant[] = [];
  if (WebAssembly.validate(RELAXED_PROBE)) out.push('relaxed');
  if (WebAssembly.validate(SIMD_PROBE)) out.push('simd');
  out.push('scalar');
  return out;
}

let kernels: Kernels | null = null;
/** The calling thread's exports, under `kernels` when a pool runs. */
let raw: Kernels | null = null;
let info: RuntimeInfo | null = null;
let pool: Pool | null = null;
/** The op the kernels run for now (wasm(op), autograd's backward): named by a worker's failure. */
let currentOp = 'this operation';
let f32: Float32Array = new Float32Array(0);
let i32: Int32Array = new Int32Array(0);

/** Cloudflare's workerd: no compiling WebAssembly from bytes, no files next to the module. */
function isWorkerd(): boolean {
  return typeof navigator !== 'undefined' && (navigator as { userAgent?: string }).userAgent === 'Cloudflare-Workers';
}

async function readUrl(url: URL): Promise<BufferSource> {
  if (url.protocol === 'file:') {
    // Node's fetch cannot read files; Deno's and Bun's can, and so can node:fs there. Browser
    // builds have no node:fs (the import rejects) and fall through to fetch.
    let fs: typeof import('node:fs/promises') | null = null;
    try {
      fs = await import('node:fs/promises');
    } catch {
      fs = null;
    }
    if (fs) {
      const buf = await fs.readFile(new URL(url.href));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  return res.arrayBuffer();
}

/** The variant a build names in its `simdnet` custom section, or null for any other module. */
function variantOf(module: WebAssembly.Module): Variant | null {
  const sections = WebAssembly.Module.customSections(module, 'simdnet');
  if (sections.length !== 1) return null;
  const name = new TextDecoder().decode(sections[0]);
  return (VARIANTS as readonly string[]).includes(name) ? (name as Variant) : null;
}

/**
 * Loads the compute core. With no options it loads the best build for this engine from the
 * .wasm files shipped next to the library. Calling it again replaces the runtime: every
 * tensor made before becomes invalid.
 */
export function init(options: InitOptions = {}): Promise<RuntimeInfo> {
  return load(options);
}

/** init() with a label for runtimeInfo().source when the bytes come from somewhere known (inline). */
export async function load(options: InitOptions, bytesLabel = 'bytes', sources?: ThreadsSources): Promise<RuntimeInfo> {
  checkOptions<InitOptions>('init', options, INIT_KEYS);
  const threads = options.threads ?? 'auto';
  if (threads !== 'auto' && !(typeof threads === 'number' && Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`init: options.threads must be 'auto' or a whole number >= 1, got ${typeof threads === 'string' ? `'${threads}'` : String(threads)}`);
  }
  if (threads === 1) return loadOne(options, bytesLabel, 1, undefined, sources);
  if (threads === 'auto') {
    // Before counting cores: where there are no threads, the reason is that, whatever the count.
    const missing = await threadsMissing();
    if (missing !== null) return loadOne(options, bytesLabel, 1, missing, sources);
  }
  const count = threads === 'auto' ? await coreCount() : threads;
  if (count > MAX_THREADS) throw new Error(`init: options.threads is ${count}; simdnet runs at most ${MAX_THREADS} threads`);
  if (count === 1) return loadOne(options, bytesLabel, 1, undefined, sources);
  try {
    return await loadOne(options, bytesLabel, count, undefined, sources);
  } catch (err) {
    if (!(err instanceof ThreadsUnavailable)) throw err;
    if (threads !== 'auto') throw new Error(`init: threads: ${threads} cannot run here: ${err.reason}`);
    return loadOne(options, bytesLabel, 1, err.reason, sources);
  }
}

/** Why this runtime cannot run a pool, or null. */
async function threadsMissing(): Promise<string | null> {
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  if (g.crossOriginIsolated === false) return 'page is not cross-origin isolated';
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return 'no SharedArrayBuffer in this runtime';
  if (isWorkerd()) return 'no Worker in this runtime';
  if (typeof g.Worker !== 'function') {
    try {
      await import('node:worker_threads');
    } catch {
      return 'no Worker in this runtime';
    }
  }
  return null;
}

/** Every core: navigator.hardwareConcurrency where there is one, else Node's os.availableParallelism(), at most MAX_THREADS. */
async function coreCount(): Promise<number> {
  let n = typeof navigator !== 'undefined' ? Number((navigator as { hardwareConcurrency?: number }).hardwareConcurrency) : NaN;
  if (!(n >= 1)) {
    try {
      const os = await import('node:os');
      n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    } catch {
      n = 1;
    }
  }
  return Math.max(1, Math.min(MAX_THREADS, Math.floor(n) || 1));
}

/** Threads cannot run here; 'auto' falls back to one thread with this reason. */
class ThreadsUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Loads a build and, for count > 1, starts the pool; ThreadsUnavailable when threads cannot run. */
async function loadOne(options: InitOptions, bytesLabel: string, count: number, unavailable: string | undefined,
                       sources: ThreadsSources | undefined): Promise<RuntimeInfo> {
  if (count > 1) {
    const missing = await threadsMissing();
    if (missing !== null) throw new ThreadsUnavailable(missing);
  }
  // The workers first: their start-up overlaps reading, compiling and instantiating the build.
  const launch = count > 1 ? Pool.launch(count, sources ? sources.worker() : workerUrl()) : null;
  launch?.catch(() => {}); // awaited (and reported) in loadBuild
  try {
    return await loadBuild(options, bytesLabel, count, unavailable, sources, launch);
  } catch (err) {
    launch?.then((l) => l.cancel(), () => {});
    throw err;
  }
}

async function loadBuild(options: InitOptions, bytesLabel: string, count: number, unavailable: string | undefined,
                         sources: ThreadsSources | undefined, launch: Promise<Launch> | null): Promise<RuntimeInfo> {
  const supported = supportedVariants();
  const wanted = options.variant;
  if (wanted !== undefined && !(VARIANTS as readonly string[]).includes(wanted)) {
    throw new Error(`init: unknown variant '${String(wanted)}'; expected one of ${VARIANTS.join(', ')}`);
  }
  if (wanted !== undefined && !supported.includes(wanted)) {
    throw new Error(`init: the '${wanted}' build needs WebAssembly features this engine lacks (it supports ${supported.join(', ')})`);
  }

  let module: WebAssembly.Module;
  let from: string;
  if (count > 1 && (sources !== undefined || (options.module === undefined && options.bytes === undefined && options.url === undefined))) {
    // The default build (or simdnet/inline's embedded one), in its threads form.
    const variant = wanted ?? supported[0];
    if (variant === 'scalar') throw new ThreadsUnavailable('no WebAssembly SIMD, and only the SIMD builds come with threads');
    let bytes: BufferSource;
    if (sources) {
      const embedded = sources.bytes(variant);
      if (embedded === undefined) throw new ThreadsUnavailable(`the ${variant} threads build is not embedded`);
      bytes = embedded;
      from = bytesLabel;
    } else {
      const url = wasmUrl(variant, true);
      from = url.href;
      try {
        bytes = await readUrl(url);
      } catch (err) {
        throw new Error(`init: could not read the ${variant} threads build from ${url.href}: ${(err as Error).message}`);
      }
    }
    try {
      module = await WebAssembly.compile(bytes);
    } catch (err) {
      throw new ThreadsUnavailable(`this engine cannot compile the threads build: ${(err as Error).message}`);
    }
  } else if (options.module !== undefined) {
    if (!(options.module instanceof WebAssembly.Module)) {
      throw new Error(`init: options.module must be a WebAssembly.Module, got ${describe(options.module)}`);
    }
    module = options.module;
    from = 'module';
  } else {
    let bytes: BufferSource;
    if (options.bytes !== undefined) {
      if (!ArrayBuffer.isView(options.bytes) && !(options.bytes instanceof ArrayBuffer)) {
        throw new Error(`init: options.bytes must be an ArrayBuffer or a typed array, got ${describe(options.bytes)}`);
      }
      bytes = options.bytes;
      from = bytesLabel;
    } else {
      if (options.url === undefined && isWorkerd()) {
        throw new Error('init: Cloudflare Workers cannot fetch or compile WebAssembly at run time; import a build '
          + "as a module and pass it: import wasm from 'simdnet/wasm/simdnet-simd.wasm'; await init({ module: wasm })");
      }
      const variant = wanted ?? supported[0];
      let url: URL;
      try {
        url = options.url !== undefined ? new URL(String(options.url), import.meta.url) : wasmUrl(variant);
      } catch (err) {
        throw new Error(`init: '${String(options.url)}' is not a URL: ${(err as Error).message}`);
      }
      from = url.href;
      try {
        bytes = await readUrl(url);
      } catch (err) {
        const what = options.url !== undefined ? 'a build' : `the ${variant} build`;
        throw new Error(`init: could not read ${what} from ${url.href}: ${(err as Error).message}`);
      }
    }
    try {
      module = await WebAssembly.compile(bytes);
    } catch (err) {
      const hint = isWorkerd() ? ' (Cloudflare Workers forbid compiling bytes: pass init({ module }) with an imported .wasm)' : '';
      throw new Error(`init: could not compile the WebAssembly from ${from}: ${(err as Error).message}${hint}`);
    }
  }

  const variant = variantOf(module);
  if (variant === null) {
    throw new Error(`init: ${from} is not a simdnet build (it has no 'simdnet' custom section naming its variant)`);
  }
  if (wanted !== undefined && wanted !== variant) {
    throw new Error(`init: asked for the '${wanted}' build but ${from} is the '${variant}' build`);
  }

  const shared = WebAssembly.Module.customSections(module, 'simdnet-threads').length === 1;
  if (count > 1 && !shared) throw new ThreadsUnavailable(`init() was given the single-thread ${variant} build`);
  let exports: Kernels;
  let memory: WebAssembly.Memory | null = null;
  try {
    if (shared) {
      try {
        memory = new WebAssembly.Memory({ initial: THREADS_INITIAL_PAGES, maximum: THREADS_MAX_PAGES, shared: true });
      } catch (err) {
        throw new ThreadsUnavailable(`cannot create a shared WebAssembly.Memory: ${(err as Error).message}`);
      }
    }
    const imports: WebAssembly.Imports = {
      env: {
        abort(message: number, file: number, line: number, column: number) {
          const text = (ptr: number) => (memory ? readString(memory, ptr) : '');
          throw new Error(`simdnet: the compute core aborted: ${text(message)} at ${text(file)}:${line}:${column}`);
        },
        ...(memory ? { memory } : {}),
      },
    };
    const instance = await WebAssembly.instantiate(module, imports);
    exports = instance.exports as unknown as Kernels;
    memory = exports.memory;
    // The first instance on the memory runs the start function; the workers never do.
    if (shared) (exports as unknown as { _start(): void })._start();
  } catch (err) {
    if (err instanceof ThreadsUnavailable) throw err;
    throw new Error(`init: could not instantiate the ${variant} build from ${from}: ${(err as Error).message}`);
  }
  if (typeof exports.gemm !== 'function' || !(exports.memory instanceof WebAssembly.Memory)) {
    throw new Error(`init: ${from} is not a simdnet build (no gemm export or memory)`);
  }
  let started: Pool | null = null;
  if (launch) {
    try {
      // In Node the pool comes before its workers are up (Launch.start); one that then fails to start ends it.
      started = await (await launch).start(exports, module, exports.memory, (reason) => {
        if (pool !== null && pool === started) endThreads(`the worker pool did not start: ${reason}`);
      });
    } catch (err) {
      throw new ThreadsUnavailable(`the worker pool did not start: ${(err as Error).message}`);
    }
  }
  endThreads();
  pool = started;
  raw = exports;
  const base = withWorkspaceReserve(exports);
  kernels = pool ? threadedKernels(base, pool, () => currentOp) : base;
  info = { variant, simd: variant !== 'scalar', relaxedSimd: variant === 'relaxed', supported, source: from, memoryBytes: 0, threads: count };
  if (unavailable !== undefined) info.threadsUnavailable = unavailable;
  refreshViews();
  onInit.forEach((fn) => fn());
  return runtimeInfo();
}

/** The threads builds' shared memory: its initial and maximum pages (scripts/build-wasm.mjs). */
const THREADS_INITIAL_PAGES = 2;
const THREADS_MAX_PAGES = 65536;

/**
 * Ends the worker pool (reset(), a new init(), a worker that did not start). The kernels keep
 * working, on the calling thread alone: runtimeInfo().threads becomes 1 until the next init().
 */
export function endThreads(reason = 'reset() ended the worker pool; init() starts a new one'): void {
  if (!pool) return;
  pool.terminate();
  pool = null;
  kernels = raw;
  if (info && info.threads > 1) {
    info.threads = 1;
    info.threadsUnavailable = reason;
  }
}

/** The running pool, for tests (fault injection) and the bench; null with one thread. */
export function threadPool(): Pool | null {
  return pool;
}

/** The node autograd is differentiating ('conv2d backward'), or null outside backward(). */
let backwardOp: string | null = null;

/** Names the op whose kernels run next; autograd names each backward step, and null when it is done. */
export function runningOp(op: string | null): void {
  backwardOp = op;
  if (op !== null) currentOp = op;
}

/** An AssemblyScript string (UTF-16, its byte length in the 4 bytes before it), or '' if unreadable. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  try {
    if (ptr < 4 || ptr % 2 !== 0) return '';
    const bytes = new DataView(memory.buffer).getUint32(ptr - 4, true);
    const units = new Uint16Array(memory.buffer, ptr, Math.min(bytes >>> 1, 1024));
    let s = '';
    for (let i = 0; i < units.length; i++) s += String.fromCharCode(units[i]);
    return s;
  } catch {
    return '';
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

/** Hooks run after every init() (the tensor registry resets itself here). */
export const onInit: Array<() => void> = [];

/** Which build is loaded, and from where. */
export function runtimeInfo(): RuntimeInfo {
  if (!info || !kernels) throw notInitialised('runtimeInfo');
  const starting = pool?.starting() ?? 0;
  return { ...info, memoryBytes: kernels.memory.buffer.byteLength, ...(starting > 0 ? { threadsStarting: starting } : {}) };
}

function notInitialised(what: string): Error {
  return new Error(`simdnet: ${what}() called before init(); call \`await init()\` first`);
}

/** The raw kernels; throws a clear Error before init(). */
export function wasm(what = 'this operation'): Kernels {
  if (!kernels) throw notInitialised(what);
  // Inside backward() the helpers ask for wasm('backward'): keep the node's name for errors.
  currentOp = what === 'backward' && backwardOp !== null ? backwardOp : what;
  return kernels;
}

/**
 * Every kernel `foo` with a `fooWorkspace` export (same arguments: the scratch bytes it takes)
 * grows the workspace first, from here, so that memory that cannot grow gives the same named
 * out-of-memory Error as a tensor allocation, thrown before the kernel writes anything, instead of
 * a trap from inside it. (workspace() frees its old buffer before allocating: after the Error it
 * holds none, and the next call allocates again.)
 */
function withWorkspaceReserve(k: Kernels): Kernels {
  const wrapped: Kernels = { ...k };
  for (const name of Object.keys(k)) {
    const size = k[`${name}Workspace`], run = k[name];
    if (typeof size !== 'function' || typeof run !== 'function') continue;
    wrapped[name] = (...args: number[]) => {
      const bytes = Number(size(...args));
      if (bytes > 0) {
        try {
          k.workspace(bytes);
        } catch (err) {
          throw new Error(`${currentOp}: out of memory: cannot grow the scratch workspace to ${bytes} bytes `
            + `(WebAssembly memory is ${k.memory.buffer.byteLength} bytes and cannot grow: ${(err as Error).message})`);
        }
      }
      return run(...args);
    };
  }
  return wrapped;
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
