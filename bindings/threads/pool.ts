// The worker pool: `count − 1` workers plus the calling thread, all running the same threads
// build on one shared WebAssembly.Memory. A job is a kernel name and its arguments written into a
// control block in that memory (protocol.ts); the workers sleep in Atomics.wait on it, so a
// dispatch costs a few stores, one notify and one wait, and no postMessage.
//
// A job is cut into more chunks than threads (CHUNKS_PER_THREAD), dealt as one run of consecutive
// chunks per thread (protocol.ts HOMES); every thread, the calling one included, takes its own
// run's chunks and then what is left of the others' until none is left, so a thread on a slower or
// preempted vCPU simply runs fewer chunks instead of holding up the job. Workers join a job while
// it is open; once every chunk is taken the calling thread closes it and waits for the threads
// inside (a worker that wakes later skips the job unread): with Atomics.wait where the thread may
// block (Node, Deno, Bun, any Worker), by spinning on Atomics.load on a browser's main thread,
// which may not block (it then burns its core only for as long as the last chunk outlasts its
// own; training in a Worker avoids even that).
//
// Failures: a worker catches whatever its chunks throw (a trap, an abort, an injected fault),
// records the first message and still leaves the job, so the caller never waits forever on a
// thread that failed; the caller then throws one Error naming the op. Workers never allocate, so there
// is no out-of-memory on a worker: every buffer a job needs is allocated by the calling thread
// before the job is published (workspaces()), where running out is the named out-of-memory Error
// and no kernel has run yet.
import {
  SEQ, JOIN, JOIN_OPEN, JOIN_INSIDE, JOINED, AWAIT_JOINS, STALL, STALL_MS, joinTag, KERNEL, MODE, CHUNKS, HOMES, NEXTS, NARGS, ERR, FAULT, COUNT_ARG, UNITS, ALIGN, SPIN_US, SPIN_MICROS, CALM_SPIN_US, CALM_SPIN_MICROS, SLEEPING, PAGES, CONTENDED_UNTIL_F64, CONTENDED_MS, spinBudget, spinWhile, WS, STRIDES,
  ARGS_F64, MSG, DONE, JOBS, TIMING, TIMES_F64, TIMES_PER_THREAD, CTRL_INTS, MAX_ARGS, MAX_THREADS, MODE_PART, MODE_RANGE, MODE_STOP,
  KERNELS, clock, kernelsOf, runChunks, type Kernels, type KernelName,
} from './protocol.js';

export { MAX_THREADS } from './protocol.js';

/** The raw exports of the calling thread's instance that the pool uses. */
interface Core {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  workspace(bytes: number): number;
  [name: string]: any;
}

/** A started worker, whatever the runtime calls it. */
interface Handle { terminate(): unknown }

/** Bytes in front of every workspace (assembly/workspace.ts WORKSPACE_HEADER). */
const HEADER = 256;
/** Smallest buffer a worker gets, so kernels that take a little scratch (a pooling row) always find it. */
const MIN_WORKSPACE = 64 * 1024;
/** A worker that has not instantiated the module by then is taken as never going to (init() falls back or throws). */
const START_TIMEOUT_MS = 20_000;

/**
 * Chunks per thread in a job: a job on N threads is cut into 3·N chunks (runRange: never more
 * than it has runs of `align` units). More chunks even out unequal threads (the two vCPUs here often run the same
 * GEMM part in 0.63 and 0.96 ms, and the static split waited for the slower), but each GEMM chunk
 * packs its own copy of the operand it does not split (a column split packs all of A per chunk)
 * and is a call of its own. Measured with bench/pool-chunks.mjs (2 threads ÷ 1 thread, one
 * process, configurations alternating call by call, medians of 120-300 calls, two quiet runs;
 * 1 / 2 / 3 / 4 chunks per thread): GEMM 512³ 1.88 / 1.89 / 1.84 / 1.79 and 1.83 / 1.80 / 1.76 / 1.73;
 * 64×784·784×256 1.52 / 1.76 / 1.76 / 1.55 and 1.45 / 1.67 / 1.65 / 1.51; Aᵀ·B 784×64ᵀ·64×256
 * 1.51 / 1.79 / 1.82 / 1.76 and 1.48 / 1.93 / 1.96 / 1.90; A·Bᵀ 64×256·784×256ᵀ 1.42 / 1.54 / 1.75
 * / 1.73 and 1.49 / 1.82 / 1.95 / 1.89; MNIST-CNN inference 1.54 / 1.66 / 1.70 / 1.66 and 1.53 /
 * 1.54 / 1.54 / 1.53; its training step 1.57 / 1.59 / 1.58 / 1.51 and 1.44 / 1.45 / 1.44 / 1.39.
 * 8 per thread lost on every case (GEMM 512³ 1.57, 64×784·784×256 1.30). (Measured before the
 * kernels' grain, gemm.ts PART_MIN: a narrow GEMM has fewer parts with tiles, gemmParts, and its job
 * is cut into only those, so 64×784·784×256 runs 4 chunks, not 6.)
 */
export const CHUNKS_PER_THREAD = 3;

/** How often (ms) the calling thread reads the load average, and by how much of a core per core it may exceed the cores before the machine counts as contended. */
const LOAD_CHECK_MS = 250;
const CONTENDED_LOAD = 0.25;

const KERNEL_ID = new Map<string, number>(KERNELS.map((name, i) => [name, i]));

/** Can this thread block in Atomics.wait? A browser's main thread cannot (it throws). */
function threadCanBlock(i32: Int32Array): boolean {
  try {
    Atomics.wait(i32, SEQ, Atomics.load(i32, SEQ) + 1, 0); // value differs: returns 'not-equal' at once where allowed
    return true;
  } catch {
    return false;
  }
}

export class Pool {
  readonly threads: number;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly wsPtr: number[];
  private readonly wsBytes: number[];
  private readonly canBlock: boolean;
  private readonly kernels: Kernels;
  private perThread = CHUNKS_PER_THREAD;
  private homeRuns = true;
  private fault = 0;
  private waitAll = false;
  private closed = false;
  private doneAt = 0;
  private loadCheckAt = 0;
  private sharedPtr = 0;
  private sharedBytes = 0;

  /** Settles when every worker is up (resolved already unless Launch.start handed the pool out early); never rejects. */
  readonly ready: Promise<void>;

  private constructor(private readonly core: Core, private readonly ctrl: number, private readonly workers: Handle[], ready: Promise<void>,
                      private readonly up: () => number, private readonly load?: () => number) {
    this.ready = ready.catch(() => {});
    this.threads = workers.length + 1;
    this.i32 = new Int32Array(core.memory.buffer, ctrl, CTRL_INTS);
    this.f64 = new Float64Array(core.memory.buffer, ctrl, CTRL_INTS >> 1);
    this.wsPtr = new Array(this.threads).fill(0);
    this.wsBytes = new Array(this.threads).fill(0);
    this.canBlock = threadCanBlock(this.i32);
    this.kernels = kernelsOf(core);
  }

  /**
   * Spawns `threads − 1` workers from `workerUrl` before there is a module for them: a worker's
   * start-up (a new isolate and runtime, ~50 ms in Node on this machine) then overlaps reading,
   * compiling and instantiating the build on the calling thread. Launch.start() hands them the
   * module; Launch.cancel() ends them when the runtime does not come up.
   */
  static async launch(threads: number, workerUrl: URL | string): Promise<Launch> {
    const { spawn, early } = await spawner(workerUrl);
    const load = await machineLoad();
    const workers: Spawned[] = [];
    try {
      for (let i = 1; i < threads; i++) workers.push(spawn(workerUrl));
    } catch (err) {
      for (const w of workers) w.handle.terminate();
      throw err;
    }
    return new Launch(workers, early, load);
  }

  /** The pool of `launch`'s workers, which have instantiated the module on the memory once `ready` settles (Launch.start). */
  static create(core: Core, ctrl: number, workers: Handle[], ready: Promise<void>, up: () => number = () => workers.length,
                load?: () => number): Pool {
    return new Pool(core, ctrl, workers, ready, up, load);
  }

  /** Ends the workers (they are blocked in Atomics.wait: wake them with a stop job first) and frees the pool's memory. */
  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    this.i32[MODE] = MODE_STOP;
    Atomics.store(this.i32, JOIN, joinTag(this.i32[SEQ] + 1) | JOIN_OPEN); // never closed: every worker that wakes joins it and ends
    Atomics.add(this.i32, SEQ, 1);
    Atomics.notify(this.i32, SEQ);
    for (const w of this.workers) w.terminate();
    for (let t = 1; t < this.threads; t++) if (this.wsPtr[t]) this.core.free(this.wsPtr[t]);
    if (this.sharedPtr) this.core.free(this.sharedPtr);
  }

  /**
   * Whether the workers spin between jobs now (no thread has seen contention lately, and the calm
   * budget is the longer): a dispatch then costs no wake-up, and smaller kernels split (kernels.ts
   * SPLIT_MIN.calmMicros).
   */
  calm(): boolean {
    return spinBudget(this.i32, this.f64) > this.i32[SPIN_US];
  }

  /** Workers that have not instantiated the module yet (Node hands the pool out before they are up); they join jobs once they are. */
  starting(): number {
    return this.closed ? 0 : this.workers.length - this.up();
  }

  /** Bytes the workers' workspaces and the shared partial sums hold (the calling thread's workspace is the core's own). */
  workspaceBytes(): number {
    return this.wsBytes.reduce((s, b) => s + b, this.sharedBytes);
  }

  /** Jobs each worker (index 1..threads−1; 0 is unused) has joined, whether or not a chunk was left for it. */
  jobsRun(): number[] {
    return Array.from({ length: this.threads }, (_, t) => (t === 0 ? 0 : Atomics.load(this.i32, JOBS + t)));
  }

  /** Chunks each thread (0 = the calling thread) has run, over every job so far. */
  chunksRun(): number[] {
    return Array.from({ length: this.threads }, (_, t) => Atomics.load(this.i32, DONE + t));
  }

  /**
   * Bench hook: with `on`, every job records each thread's timeline (lastJob()). Off by default: a
   * worker then reads one more int per job. Not part of the public API.
   */
  timeJobs(on: boolean): void {
    this.i32[TIMING] = on ? 1 : 0;
  }

  /**
   * The last job's timeline (ms on a clock every thread shares), while timeJobs(true): when it was
   * published, when the calling thread saw every thread inside it leave, its chunk count, and per
   * thread (0 = the calling thread, whose `woke` is the publish time) whether it joined the job,
   * when it woke, when its first chunk started and its last ended (both when it found none left,
   * if it ran none), and how many it ran. A worker that woke after the job closed did not join:
   * its times are NaN.
   */
  lastJob(): { published: number; done: number; chunks: number; threads: Array<{ joined: boolean; woke: number; start: number; end: number; chunks: number }> } {
    const f64 = this.f64, at = (t: number, i: number) => f64[TIMES_F64 + TIMES_PER_THREAD * t + i];
    return {
      published: at(0, 0), done: this.doneAt, chunks: this.i32[CHUNKS],
      threads: Array.from({ length: this.threads }, (_, t) => {
        const joined = !Number.isNaN(at(t, 0));
        return { joined, woke: at(t, 0), start: at(t, 1), end: at(t, 2), chunks: joined ? at(t, 3) : 0 };
      }),
    };
  }

  /**
   * Bench hook: chunks per thread in the jobs that follow (CHUNKS_PER_THREAD by default; 1 is the
   * static split). 0 runs every job whole on the calling thread, the workers left asleep: the
   * one-thread figure in the same process, for side-by-side ratios.
   */
  chunksPerThread(k: number): void {
    this.perThread = Math.max(0, Math.round(k));
  }

  /**
   * Bench hook: with `on` (the default) each thread takes its home run of a job's chunks first
   * (protocol.ts HOMES); off, every thread takes the next chunk of one run, whichever it is.
   */
  homes(on: boolean): void {
    this.homeRuns = on;
  }

  /**
   * Bench hook: every thread's spin budget before it blocks, µs, while the machine is contended
   * (protocol.ts SPIN_MICROS) and while it is not (CALM_SPIN_MICROS); 0 blocks at once.
   */
  spinMicros(contended: number, calm = contended): void {
    const clamp = (us: number) => Math.max(0, Math.min(1e6, Math.round(us)));
    this.i32[SPIN_US] = clamp(contended);
    this.i32[CALM_SPIN_US] = clamp(calm);
  }

  /**
   * Bench hook: with `on`, the calling thread waits until every worker has joined each job before
   * it closes it, as a pool that needs every worker to check in would (off: it waits only for the
   * threads that joined before the last chunk was taken).
   */
  awaitWorkers(on: boolean): void {
    this.waitAll = on;
  }

  /** Test hook: worker `index` sleeps `ms` after it wakes for the next job, before it tries to join it. Not part of the public API. */
  stallWorker(index: number, ms: number): void {
    this.i32[STALL_MS] = ms;
    Atomics.store(this.i32, STALL, index + 1);
  }

  /**
   * Test hook: the next job makes thread `index` (0..threads−1) throw before it takes a chunk; that
   * job waits for every worker to join it, so the fault fires. Not part of the public API.
   */
  injectFault(index: number): void {
    this.fault = index + 1;
  }

  /**
   * Grows every worker's workspace to hold `bytes` of scratch (plus the header), on this thread.
   * Throws `${op}: out of memory ...` before any job runs when the memory cannot hold them; the
   * calling thread's own workspace is grown here too, so its chunks cannot run out either.
   */
  workspaces(op: string, bytes: number): void {
    const need = Math.max(MIN_WORKSPACE, bytes + HEADER);
    try {
      this.core.workspace(bytes);
      for (let t = 1; t < this.threads; t++) {
        if (this.wsBytes[t] >= need) continue;
        if (this.wsPtr[t]) this.core.free(this.wsPtr[t]);
        this.wsPtr[t] = 0;
        this.wsBytes[t] = 0;
        const size = Math.ceil(need / 65536) * 65536;
        const ptr = this.core.alloc(size);
        if (!ptr) throw new Error('the allocator returned 0');
        this.wsPtr[t] = ptr;
        this.wsBytes[t] = size;
      }
    } catch (err) {
      throw new Error(`${op}: out of memory: cannot allocate ${bytes} bytes of scratch for each of ${this.threads} threads (${(err as Error).message})`);
    }
  }

  /**
   * A buffer every thread of the next job sees, at least `bytes` long: `holds` says what for
   * (conv2dBackwardWeight's partial sums per image block, each thread writing its own; backward
   * input's transformed weights, which the calling thread writes before the job). Grown on this
   * thread, never shrunk, freed with the pool; like workspaces(), the named out-of-memory Error
   * before any job runs.
   */
  shared(op: string, bytes: number, holds = 'partial sums'): number {
    if (bytes > this.sharedBytes) {
      if (this.sharedPtr) this.core.free(this.sharedPtr);
      this.sharedPtr = 0;
      this.sharedBytes = 0;
      const size = Math.ceil(bytes / 65536) * 65536;
      let ptr = 0;
      try {
        ptr = this.core.alloc(size);
      } catch (err) {
        throw new Error(`${op}: out of memory: cannot allocate ${bytes} bytes of ${holds} shared by ${this.threads} threads (${(err as Error).message})`);
      }
      if (!ptr) throw new Error(`${op}: out of memory: cannot allocate ${bytes} bytes of ${holds} shared by ${this.threads} threads (the allocator returned 0)`);
      this.sharedPtr = ptr;
      this.sharedBytes = size;
    }
    return this.sharedPtr;
  }

  /**
   * fooPart(args, chunk, chunks) for every chunk, on all threads; the workspaces must be grown first
   * (workspaces()). `chunking(chunks, args)`: the kernel's own count instead of the pool's threads ×
   * CHUNKS_PER_THREAD (kernels.ts: a GEMM cut into no more than its parts that get tiles, an
   * inference convolution into twice as many).
   */
  runParts(op: string, name: KernelName, args: readonly number[], chunking?: (chunks: number, args: readonly number[]) => number): void {
    this.checkArity(name, `${name}Part`, args, 2);
    if (this.perThread === 0) return void this.core[`${name}Part`](...args, 0, 1);
    const chunks = this.threads * this.perThread;
    this.publish(name, MODE_PART, args, chunking ? Math.max(1, chunking(chunks, args)) : chunks);
    this.finish(op, name, this.work(args));
  }

  /**
   * foo(args) over `units` cut into chunks of whole runs of `align`: pointer arguments with a
   * stride advance by stride × (the chunk's first unit), and argument `countArg` becomes the
   * chunk's length. Zero pointers stay zero.
   */
  runRange(op: string, name: KernelName, args: readonly number[], strides: readonly number[], countArg: number, units: number, align: number): void {
    this.checkArity(name, name, args, 0);
    if (this.perThread === 0) {
      const whole = args.slice();
      whole[countArg] = units;
      return void this.core[name](...whole);
    }
    const i32 = this.i32;
    for (let a = 0; a < args.length; a++) i32[STRIDES + a] = strides[a] ?? 0;
    i32[COUNT_ARG] = countArg;
    i32[UNITS] = units;
    i32[ALIGN] = align;
    const runs = Math.ceil(units / align);
    this.publish(name, MODE_RANGE, args, Math.max(1, Math.min(runs, this.threads * this.perThread)));
    this.finish(op, name, this.work(args));
  }

  /**
   * A job's arguments must be the kernel's: a WebAssembly export called with too few takes 0 for the
   * rest, and a part's (part, parts) would land in the wrong parameters on every thread.
   */
  private checkArity(name: KernelName, fn: string, args: readonly number[], extra: number): void {
    if (this.closed) return; // publish() names that
    const want = (this.core[fn] as (...a: number[]) => unknown).length - extra;
    if (args.length !== want) throw new Error(`${name}: ${args.length} arguments, the kernel takes ${want}`);
  }

  /** The calling thread's share of the published job: chunks until none is left. Returns what it threw, or null. */
  private work(args: readonly number[]): unknown {
    try {
      if (this.fault === 1) throw new Error('fault injected into the calling thread');
      this.i32[DONE] += runChunks(this.i32, this.f64, this.kernels, args, this.i32[TIMING] !== 0 ? TIMES_F64 : -1, 0);
      return null;
    } catch (err) {
      return err;
    }
  }

  private publish(name: KernelName, mode: number, args: readonly number[], chunks: number): void {
    if (this.closed) throw new Error(`${name}: the worker pool was ended`);
    if (args.length > MAX_ARGS) throw new Error(`${name}: ${args.length} arguments, the pool carries ${MAX_ARGS}`);
    const i32 = this.i32, f64 = this.f64;
    i32[KERNEL] = KERNEL_ID.get(name)!;
    i32[MODE] = mode;
    i32[CHUNKS] = chunks;
    i32[NARGS] = args.length;
    for (let a = 0; a < args.length; a++) f64[ARGS_F64 + a] = args[a];
    for (let t = 1; t < this.threads; t++) {
      i32[WS + 2 * t] = this.wsPtr[t] | 0;
      i32[WS + 2 * t + 1] = this.wsBytes[t] | 0;
    }
    i32[PAGES] = this.core.memory.buffer.byteLength >>> 16; // this thread's growth keeps its own view current
    i32[ERR] = 0;
    i32[FAULT] = this.fault > 1 ? this.fault : 0;
    i32[AWAIT_JOINS] = this.fault !== 0 || this.waitAll ? 1 : 0;
    i32[HOMES] = this.homeRuns ? Math.min(this.threads, chunks) : 1;
    for (let r = 0; r < this.threads; r++) Atomics.store(i32, NEXTS + r, 0);
    Atomics.store(i32, JOINED, 0);
    if (i32[TIMING] !== 0) {
      f64.fill(NaN, TIMES_F64 + TIMES_PER_THREAD, TIMES_F64 + TIMES_PER_THREAD * this.threads); // a worker that never joins leaves NaN
      f64[TIMES_F64] = clock();
    }
    if (this.load !== undefined) this.checkLoad();
    // Only the calling thread writes SEQ and opens jobs; nobody is inside: the last job's threads all left.
    const seq = i32[SEQ] + 1;
    Atomics.store(i32, JOIN, joinTag(seq) | JOIN_OPEN);
    Atomics.store(i32, SEQ, seq);
    if (Atomics.load(i32, SLEEPING) !== 0) Atomics.notify(i32, SEQ);
  }

  /**
   * Where the system's load is known (Node): a machine with more runnable threads than cores
   * counts as contended (protocol.ts CONTENDED_UNTIL_F64), whether or not a spin of ours was
   * descheduled: a busy process beside the pool mostly takes the calling thread's core while a
   * worker spins, which no worker sees. Read at most every LOAD_CHECK_MS.
   */
  private checkLoad(): void {
    const now = clock();
    if (now < this.loadCheckAt) return;
    this.loadCheckAt = now + LOAD_CHECK_MS;
    if (this.load!() > 1 + CONTENDED_LOAD) this.f64[CONTENDED_UNTIL_F64] = now + CONTENDED_MS;
  }

  /**
   * Closes the job (every chunk has been taken: the calling thread's runChunks ran out) and waits
   * for the threads inside it to leave, then throws the first failure as `${op}: ...`.
   */
  private finish(op: string, name: KernelName, own: unknown): void {
    const i32 = this.i32;
    if (this.fault !== 0 || this.waitAll) this.awaitJoins();
    let j = Atomics.load(i32, JOIN);
    for (;;) {
      const was = Atomics.compareExchange(i32, JOIN, j, j & ~JOIN_OPEN);
      if (was === j) break;
      j = was;
    }
    j = spinWhile(i32, this.f64, JOIN, (v) => (v & JOIN_INSIDE) !== 0, spinBudget(i32, this.f64));
    if (this.canBlock) {
      while ((j & JOIN_INSIDE) !== 0) {
        Atomics.wait(i32, JOIN, j);
        j = Atomics.load(i32, JOIN);
      }
    } else {
      while ((j & JOIN_INSIDE) !== 0) j = Atomics.load(i32, JOIN);
    }
    if (i32[TIMING] !== 0) this.doneAt = clock();
    this.fault = 0;
    if (own !== null) {
      throw new Error(`${op}: the ${name} kernel failed on the calling thread: ${(own as Error)?.message ?? own}`);
    }
    const failed = Atomics.load(i32, ERR);
    if (failed !== 0) {
      const length = i32[MSG];
      let text = '';
      for (let c = 0; c < length; c++) text += String.fromCharCode(i32[MSG + 1 + c]);
      throw new Error(`${op}: the ${name} kernel failed on worker thread ${failed - 1}: ${text}`);
    }
  }

  /** Before closing the job: waits until every worker has joined it (at most START_TIMEOUT_MS). */
  private awaitJoins(): void {
    const i32 = this.i32, until = performance.now() + START_TIMEOUT_MS, workers = this.threads - 1;
    let n = spinWhile(i32, this.f64, JOINED, (v) => v < workers, spinBudget(i32, this.f64));
    while (n < workers && performance.now() < until) {
      if (this.canBlock) Atomics.wait(i32, JOINED, n, 100);
      n = Atomics.load(i32, JOINED);
    }
  }
}

/** Workers spawned by Pool.launch, waiting for their module. */
export class Launch {
  /**
   * `early`: start() may hand out the pool before the workers are up (node:worker_threads: Node,
   * and Deno with its worker script on disk, spawner(); there a worker's own boot is most of the
   * pool's start-up; see start()).
   */
  constructor(private readonly workers: Spawned[], readonly early: boolean, private readonly load?: () => number) {}

  /**
   * Sends every worker the module (a threads build), the memory, the control block and its index;
   * resolves with the pool once each has instantiated the module. `core` is the calling thread's
   * instance on `memory`, its start function already run. On failure the workers are ended.
   *
   * With `lost` (only where `early`), resolves at once instead: a worker joins jobs from the first
   * one published after it is up (protocol.ts JOIN), and until then the calling thread and the
   * workers already up take its chunks. A worker that then fails to start, or is not up within
   * START_TIMEOUT_MS, calls `lost` with the reason (the runtime ends the pool: one thread, the
   * reason in runtimeInfo()). `Pool.ready` settles when every worker is up.
   */
  async start(core: Core, module: WebAssembly.Module, memory: WebAssembly.Memory, lost?: (reason: string) => void): Promise<Pool> {
    const ctrl = core.alloc(CTRL_INTS * 4);
    if (!ctrl) {
      this.cancel();
      throw new Error(`out of memory for the worker pool's control block`);
    }
    const i32 = new Int32Array(memory.buffer, ctrl, CTRL_INTS);
    i32.fill(0);
    i32[SPIN_US] = SPIN_MICROS;
    // The long calm spin everywhere. Side by side in one page or process, 2 threads, alternating
    // 30/30 against 30/1000 µs (2026-12-01, 60 rounds in Chromium, 40 in Deno and Bun): Chromium
    // A·B 64×784·784×256 1.16-1.18×, MLP step 1.10-1.13×, CNN step 1.08-1.09×, inference
    // 1.00-1.01×; Deno 1.17 / 1.15 / 1.07 / 1.03×; Bun 1.16 / 1.09 / 1.07 / 1.03×. (Until then it ran in
    // Node only: two whole Chromium runs of the threads group, compared run to run, had read lower
    // with it, and the one-page A/B of the time was too noisy to say more.)
    i32[CALM_SPIN_US] = CALM_SPIN_MICROS;
    let up: Promise<void>;
    try {
      this.workers.forEach((w, i) => w.send({ module, memory, ctrl, index: i + 1 }));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the workers did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        (timer as { unref?(): void }).unref?.(); // Node: a script may end before its pool's workers are up
      });
      up = Promise.race([Promise.all(this.workers.map((w) => w.ready)), timeout]).then(() => {}).finally(() => clearTimeout(timer));
      if (lost && this.early) {
        up.catch((err: Error) => lost(err.message));
        let count = 0;
        for (const w of this.workers) w.ready.then(() => { count++; }, () => {});
        return Pool.create(core, ctrl, this.workers.map((w) => w.handle), up, () => count, this.load);
      }
      await up;
    } catch (err) {
      this.cancel();
      core.free(ctrl);
      throw err;
    }
    return Pool.create(core, ctrl, this.workers.map((w) => w.handle), Promise.resolve(), undefined, this.load);
  }

  /** Ends the workers (the runtime they were spawned for did not come up). */
  cancel(): void {
    for (const w of this.workers) w.handle.terminate();
  }
}

/** A worker that exists and runs (or is starting) its script, and will say 'ready' once sent its start message. */
interface Spawned {
  handle: Handle;
  send(start: object): void;
  /** Settles when the worker says 'ready' or fails; already handled, so a failure before start() awaits it is no unhandled rejection. */
  ready: Promise<void>;
}

type Spawn = (url: URL | string) => Spawned;

/** Node: the system's 1-minute load average per core (1: every core busy); elsewhere undefined. */
async function machineLoad(): Promise<(() => number) | undefined> {
  if (!isNode()) return undefined;
  const os = await import('node:os');
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return () => os.loadavg()[0] / cores;
}

/** The worker's 'ready' (or its failure) as a promise that is awaited later. */
function readiness(listen: (resolve: () => void, reject: (e: Error) => void) => void): Promise<void> {
  const ready = new Promise<void>(listen);
  ready.catch(() => {});
  return ready;
}

/**
 * Node itself (not Deno or Bun, which also set process.versions.node). Asked before looking at
 * globalThis.Worker: Emscripten-built libraries (ONNX Runtime Web, tfjs-wasm's threaded build) set
 * `global.Worker = require('worker_threads').Worker` when they load in Node, and that constructor
 * takes neither module workers nor onmessage, so the pool would wait for workers that never start.
 */
function isNode(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string; bun?: string } }; Deno?: unknown };
  return typeof g.process?.versions?.node === 'string' && g.process.versions.bun === undefined && g.Deno === undefined;
}

function isDeno(): boolean {
  return (globalThis as { Deno?: unknown }).Deno !== undefined;
}

/**
 * How this runtime starts a worker: node:worker_threads in Node, module Workers everywhere else,
 * but for Deno with a worker script on disk and a bundle that has node:worker_threads (the Node
 * one, dist/index.js): Deno's module Workers have no unref(), so with them an idle pool kept every
 * script alive. (The browser and inline bundles' node: imports are stubs that throw; there, and
 * for a script from the network, Deno keeps module Workers, and a script ends with reset().)
 * `early`: a node:worker_threads pool may be handed out before its workers are up (Launch.start):
 * there a worker's own boot (a new isolate and Node's bootstrap, 42-85 ms on this VM, ~21 ms of it
 * page faults) is most of the start-up, a missing worker file is caught here, before anything is
 * spawned, and a worker's start cannot fail where the calling thread's did not (the same module on
 * the same memory).
 * Browsers keep waiting: their workers are up in a few ms, and a worker script a bundler did not
 * copy shows up only as the worker's error, which init() reports.
 */
async function spawner(workerUrl: URL | string): Promise<{ spawn: Spawn; early: boolean }> {
  const WebWorker = (globalThis as { Worker?: new (url: URL | string, options?: object) => any }).Worker;
  const web = typeof WebWorker === 'function' && !isNode();
  let threads: typeof import('node:worker_threads') | null = null;
  if (!web) threads = await import('node:worker_threads');
  else if (isDeno() && /^(file|data):/.test(String(workerUrl))) threads = await import('node:worker_threads').catch(() => null);
  if (threads === null) {
    return { early: false, spawn: (url) => {
      const w = new WebWorker!(url, { type: 'module', name: 'simdnet' });
      w.unref?.(); // Bun's Worker has unref() (browsers' and Deno's none): an idle pool never keeps a script alive
      const ready = readiness((resolve, reject) => {
        w.onmessage = (e: { data: unknown }) => settle(e.data, resolve, reject);
        w.onerror = (e: { message?: string; preventDefault?(): void }) => {
          e.preventDefault?.();
          reject(new Error(`the worker script ${String(url)} failed to start: ${e.message ?? 'error'}`));
        };
      });
      return { handle: w, send: (start) => w.postMessage(start), ready };
    } };
  }
  const { Worker } = threads;
  const { readFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  return { early: true, spawn: (where) => {
    const url = where instanceof URL ? where : new URL(where);
    // The script's text as a classic script, not the file as an ES module: Node's ES module loader
    // made every worker's boot 6-8 ms longer (the bench's "every worker up − init({ threads: 1 })",
    // both spawns alternating in one process, medians of 30-150: 51.6 → 44.8 ms quiet, 57.2 →
    // 50.6 and 60.7 → 51.3 ms at load 1.4). A worker with an empty script boots within 1 ms of ours.
    const w = new Worker(scriptText(url, readFileSync, fileURLToPath), { eval: true });
    w.unref(); // an idle pool never keeps a script alive
    const ready = readiness((resolve, reject) => {
      w.once('message', (data) => settle(data, resolve, reject));
      w.once('error', (err) => reject(new Error(`the worker script ${String(url)} failed: ${err.message}`)));
    });
    return { handle: w, send: (start) => w.postMessage(start), ready };
  } };
}

/** The worker script's text (Node): a file: URL read from disk (a missing file is an Error before anything is spawned), a data: URL decoded. */
function scriptText(url: URL, readFileSync: (path: string, encoding: 'utf8') => string, toPath: (url: URL) => string): string {
  if (url.protocol === 'file:') {
    try {
      return readFileSync(toPath(url), 'utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') throw new Error(`the worker script ${url.href} does not exist`);
      throw new Error(`could not read the worker script ${url.href}: ${(err as Error).message}`);
    }
  }
  if (url.protocol === 'data:') {
    const comma = url.href.indexOf(',');
    const body = url.href.slice(comma + 1);
    if (!/;base64$/i.test(url.href.slice(0, comma))) return decodeURIComponent(body);
    return new TextDecoder().decode(Uint8Array.from(atob(decodeURIComponent(body)), (c) => c.charCodeAt(0)));
  }
  throw new Error(`the worker script ${url.href} is neither a file: nor a data: URL`);
}

function settle(data: unknown, resolve: () => void, reject: (e: Error) => void): void {
  if (data === 'ready') resolve();
  else reject(new Error(`a worker could not start: ${(data as { error?: string })?.error ?? String(data)}`));
}
