// A worker thread of the pool (bindings/threads/pool.ts), bundled on its own into
// dist/simdnet-worker.js. The same file runs as a Node worker_threads worker and as a module Web
// Worker (browsers, Deno, Bun): the first message brings the compiled threads build, the shared
// memory, the control block's offset and this worker's index; the worker instantiates the module
// on that memory (never running its start function: the calling thread's instance did), answers
// 'ready', and from then on only blocks in Atomics.wait for jobs (protocol.ts). It never
// allocates: the calling thread hands it its workspace with each job.
import {
  SEQ, PENDING, KERNEL, MODE, PARTS, NARGS, ERR, FAULT, COUNT_ARG, UNITS, ALIGN, WS, STRIDES, ARGS_F64,
  MSG, MSG_CHARS, DONE, TIMING, TIMES_F64, SPIN_US, MODE_PART, MODE_RANGE, MODE_STOP, KERNELS, splitAt, spinWhile,
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
  const kernels = KERNELS.map((name) => exports[name] as (...a: number[]) => void);
  const parts = KERNELS.map((name) => exports[`${name}Part`] as ((...a: number[]) => void) | undefined);
  // Read the sequence number before saying 'ready': the first job may be published the moment the
  // caller hears it, and a worker that read SEQ after that would wait for the job after it.
  let seen = Atomics.load(i32, SEQ);
  port.postMessage('ready');
  for (;;) {
    // a job that follows within the spin budget skips the futex (protocol.ts SPIN_MICROS)
    spinWhile(i32, SEQ, (v) => v === seen, i32[SPIN_US]);
    while (Atomics.load(i32, SEQ) === seen) Atomics.wait(i32, SEQ, seen);
    seen = Atomics.load(i32, SEQ);
    const mode = i32[MODE];
    if (mode === MODE_STOP) return;
    const timing = i32[TIMING] !== 0, times = TIMES_F64 + 3 * index;
    if (timing) f64[times] = clock();
    try {
      const count = i32[PARTS];
      if (index < count) {
        if (i32[FAULT] === index + 1) throw new Error(`fault injected into worker ${index}`);
        exports.assignWorkspace(i32[WS + 2 * index] >>> 0, i32[WS + 2 * index + 1] >>> 0);
        const n = i32[NARGS];
        const args: number[] = new Array(n);
        for (let a = 0; a < n; a++) args[a] = f64[ARGS_F64 + a];
        if (timing) f64[times + 1] = clock();
        if (mode === MODE_PART) {
          args.push(index, count);
          parts[i32[KERNEL]]!(...args);
        } else if (mode === MODE_RANGE) {
          const units = i32[UNITS], align = i32[ALIGN];
          const lo = splitAt(units, align, index, count), hi = splitAt(units, align, index + 1, count);
          if (lo < hi) {
            for (let a = 0; a < n; a++) {
              const stride = i32[STRIDES + a];
              if (stride !== 0 && args[a] !== 0) args[a] += stride * lo;
            }
            args[i32[COUNT_ARG]] = hi - lo;
            kernels[i32[KERNEL]](...args);
          }
        }
        if (timing) f64[times + 2] = clock();
        i32[DONE + index]++;
      }
    } catch (err) {
      if (Atomics.compareExchange(i32, ERR, 0, index + 1) === 0) {
        const text = String((err as Error)?.message ?? err).slice(0, MSG_CHARS);
        for (let c = 0; c < text.length; c++) i32[MSG + 1 + c] = text.charCodeAt(c);
        i32[MSG] = text.length;
      }
    } finally {
      if (Atomics.sub(i32, PENDING, 1) === 1) Atomics.notify(i32, PENDING);
    }
  }
}

/** ms on a clock every thread shares (each thread's performance.now() starts at its own timeOrigin). */
function clock(): number {
  return performance.timeOrigin + performance.now();
}

// Node's worker_threads has no `self`; a Web Worker has no worker_threads.
declare const self: { postMessage(v: unknown): void; addEventListener(t: 'message', f: (e: { data: Start }) => void, o?: { once: boolean }): void } | undefined;
if (typeof self !== 'undefined' && typeof self.postMessage === 'function') {
  const port = self;
  port.addEventListener('message', (e) => serve(e.data, port), { once: true });
} else {
  import('node:worker_threads').then(({ parentPort }) => {
    parentPort!.once('message', (start: Start) => serve(start, parentPort!));
  });
}
