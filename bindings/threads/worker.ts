// A worker thread of the pool (bindings/threads/pool.ts), bundled on its own into
// dist/simdnet-worker.js. The same file runs in a Node worker_threads worker (as a classic script:
// pool.ts spawner) and as a module Web Worker (browsers, Deno, Bun): the first message brings the
// compiled threads build, the shared memory, the control block's offset and this worker's index;
// the worker instantiates the module on that memory (never running its start function: the
// calling thread's instance did), answers 'ready', and from then on only blocks in Atomics.wait
// for jobs and takes their chunks (protocol.ts). It never allocates: the calling thread hands it
// its workspace with each job.
import {
  SEQ, MODE, STALL, STALL_MS, NARGS, ERR, FAULT, WS, PAGES, ARGS_F64, MSG, MSG_CHARS, DONE, JOBS, TIMING, TIMES_F64, TIMES_PER_THREAD,
  MODE_STOP, awaitJob, clock, kernelsOf, runChunks, join, leave,
} from './protocol.js';

interface Start { module: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: number; index: number }
interface Port { postMessage(value: unknown): void }

function serve({ module, memory, ctrl, index }: Start, port: Port): void {
  let exports: Record<string, any>;
  try {
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory,
        abort() { throw new Error('the compute core aborted'); },
      },
    });
    exports = instance.exports as Record<string, any>;
    exports.assignWorkspace(0, 0); // from here on workspace() traps instead of allocating
  } catch (err) {
    port.postMessage({ error: String((err as Error)?.message ?? err) });
    return;
  }
  const i32 = new Int32Array(memory.buffer, ctrl);
  const f64 = new Float64Array(memory.buffer, ctrl);
  const kernels = kernelsOf(exports);
  // A worker may come up in the middle of a job (in Node the pool is handed out before its workers
  // are up): it first tries to join the job in progress, then waits for the next.
  let seen = Atomics.load(i32, SEQ);
  port.postMessage('ready');
  for (;;) {
    if (Atomics.compareExchange(i32, STALL, index + 1, 0) === index + 1) Atomics.wait(i32, STALL_MS, i32[STALL_MS], i32[STALL_MS]);
    // Too late for this job (every chunk taken, the caller may already be writing the next): skip it unread.
    if (join(i32, seen)) {
      if (i32[MODE] === MODE_STOP) return;
      const times = i32[TIMING] !== 0 ? TIMES_F64 + TIMES_PER_THREAD * index : -1;
      if (times >= 0) f64[times] = clock();
      try {
        // before taking chunks: the injected fault fails this thread whether or not a chunk is left for it
        if (i32[FAULT] === index + 1) throw new Error(`fault injected into worker ${index}`);
        // a view of the memory older than the job's (protocol.ts PAGES): growing it by a page makes
        // V8 refresh this thread's view (and every other's) before any kernel touches the newer pages
        if (memory.buffer.byteLength >>> 16 < i32[PAGES]) {
          try {
            memory.grow(1);
          } catch {
            // at its maximum: a kernel that reaches the newer pages traps, and the job names it
          }
        }
        exports.assignWorkspace(i32[WS + 2 * index] >>> 0, i32[WS + 2 * index + 1] >>> 0);
        const n = i32[NARGS];
        const args: number[] = new Array(n);
        for (let a = 0; a < n; a++) args[a] = f64[ARGS_F64 + a];
        i32[DONE + index] += runChunks(i32, f64, kernels, args, times, index);
      } catch (err) {
        if (Atomics.compareExchange(i32, ERR, 0, index + 1) === 0) {
          const text = String((err as Error)?.message ?? err).slice(0, MSG_CHARS);
          for (let c = 0; c < text.length; c++) i32[MSG + 1 + c] = text.charCodeAt(c);
          i32[MSG] = text.length;
        }
      } finally {
        i32[JOBS + index]++;
        leave(i32);
      }
    }
    // a job that follows within the spin budget skips the futex (protocol.ts SPIN_MICROS)
    awaitJob(i32, f64, seen);
    seen = Atomics.load(i32, SEQ);
  }
}

// Node's worker_threads has no `self`; a Web Worker has no worker_threads. process.getBuiltinModule
// (Node 20.16+) spares the classic script the ES module loader a dynamic import would load.
declare const self: { postMessage(v: unknown): void; addEventListener(t: 'message', f: (e: { data: Start }) => void, o?: { once: boolean }): void } | undefined;
type WorkerThreads = typeof import('node:worker_threads');
declare const process: { getBuiltinModule?(id: 'node:worker_threads'): WorkerThreads } | undefined;
if (typeof self !== 'undefined' && typeof self.postMessage === 'function') {
  const port = self;
  port.addEventListener('message', (e) => serve(e.data, port), { once: true });
} else {
  const builtin = typeof process === 'object' ? process.getBuiltinModule?.('node:worker_threads') : undefined;
  const listen = ({ parentPort }: WorkerThreads) => parentPort!.once('message', (start: Start) => serve(start, parentPort!));
  // The start message is posted a few ms after the spawn, long before a Node worker has booted:
  // taking it here, instead of from the event loop once this script has run, brought 'ready' 1-4 ms
  // sooner (paired medians: every worker up − init({ threads: 1 }) −1.1, −2.2, −4.1 ms over 100
  // alternating reps each; a bare spawn-to-ready −3.9 ms over 60). serve() returns only when the
  // pool stops, so the worker's event loop never runs; it needs none (nor did it once serve() ran
  // inside the 'message' listener).
  const queued = takeQueued(builtin);
  if (queued) serve(queued.message as Start, builtin!.parentPort!);
  else if (builtin) listen(builtin);
  else import('node:worker_threads').then(listen);
}

/** The start message if it is already queued (Node); Deno's worker_threads throws here (its parentPort is no MessagePort), and its workers wait for the message instead. */
function takeQueued(builtin: WorkerThreads | undefined): { message: unknown } | undefined {
  try {
    return builtin?.receiveMessageOnPort(builtin.parentPort!);
  } catch {
    return undefined;
  }
}
