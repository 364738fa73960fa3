// The control block the calling thread and the workers share: a few KiB of the shared linear
// memory, allocated by the calling thread, read as an Int32Array (and a Float64Array for the
// arguments) at byte offset `ctrl`. One job at a time, cut into CHUNKS chunks, dealt out as HOMES
// runs of consecutive chunks, one per thread (its home), each with its own counter: a thread takes
// its home run's chunks first, then the chunks its peers have not taken yet (work stealing):
//
//   caller: writes KERNEL, MODE, CHUNKS, the arguments (and for MODE_RANGE the strides, COUNT_ARG,
//           UNITS, ALIGN), each worker's workspace into WS, sets NEXTS = 0 and ERR = 0, opens the
//           job (JOIN = the new SEQ's tag | OPEN, nobody inside), then bumps SEQ and notifies it
//           when a worker sleeps on it (SLEEPING; spinning workers see SEQ change by themselves);
//           takes chunks itself (runChunks) until none is left; closes the job (clears OPEN) and
//           waits until every thread that joined it has left.
//   worker: waits for SEQ to change, joins the job (compare-exchange on JOIN: only while it is
//           open and its tag is the SEQ the worker woke for), takes chunk indices with
//           Atomics.add on NEXTS and runs each until they run out (runChunks), records the first
//           failure in ERR/MSG (and sets NEXTS past the end so nobody starts another chunk), and
//           leaves (decrements JOIN, notifying the caller when it was the last after the close),
//           always, even when it failed or found no chunk left. A worker that finds the job
//           closed (it woke after every chunk was taken) skips it without reading any of it. So
//           the caller never waits for a worker that is asleep, preempted or still starting,
//           and never writes the next job while a thread is inside this one: a worker never sees
//           half of one job and half of the next.
//
// Homes give locality: thread t's chunks cover the same share of every job's output (the t-th
// 1/HOMES of a map's elements, a pooling's planes, a conv's images), so a kernel mostly reads what
// the same thread wrote in the job before, from its own core's cache. Which thread runs which
// chunk still changes from job to job (a late or slow thread's chunks are stolen); the results do
// not: every split kernel
// gives the same bits for any part count (test/assembly/parts.test.ts), each chunk packs into the
// workspace of the thread running it, and fooWorkspace is the same for every part.
//
// This file is shared by the pool (bindings/threads/pool.ts) and the worker script
// (bindings/threads/worker.ts), which is bundled on its own; keep it free of imports.

export const SEQ = 0;
/** The job's membership word: joinTag(SEQ) | JOIN_OPEN while threads may join | threads inside (joined, not yet left). */
export const JOIN = 1;
export const KERNEL = 2;
export const MODE = 3;
/** The job's chunk count: fooPart(args, chunk, CHUNKS), or runs of UNITS. */
export const CHUNKS = 4;
export const NARGS = 5;
/** 0, or 1 + the index of the first thread that failed. */
export const ERR = 6;
/** Test hook: 1 + the index of a thread that throws instead of running its part (0: none). */
export const FAULT = 7;
export const COUNT_ARG = 8;
export const UNITS = 9;
export const ALIGN = 10;
/** How long (µs) a thread spins on the word it waits for before it blocks in Atomics.wait while the machine is contended (SPIN_MICROS by default). */
export const SPIN_US = 11;
/** How many home runs the job's chunks are dealt into (the pool's thread count): run r is chunks [homeStart(r), homeStart(r + 1)). */
export const HOMES = 12;
/** Workers that have joined the current job (Pool.awaitWorkers: the caller waits for all before it closes). */
export const JOINED = 13;
/** Test hook: 1 + the index of a worker that sleeps STALL_MS before it tries to join the next job it wakes for (it clears this when it does). */
export const STALL = 14;
export const STALL_MS = 15;
/** Not 0 while the calling thread waits for every worker to join (Pool.awaitWorkers, injected faults): joining then notifies JOINED. */
export const AWAIT_JOINS = 16;
/** Workers blocked (or about to block) in Atomics.wait on SEQ: publishing notifies SEQ only when this is not 0. */
export const SLEEPING = 17;
/** How long (µs) a thread spins before it blocks while no thread has seen contention lately (CALM_SPIN_MICROS by default). */
export const CALM_SPIN_US = 18;
/**
 * The memory's size in 64 KiB pages when the job was published (the calling thread's view, which
 * its own growth keeps current). A worker whose view of the memory is smaller refreshes it before
 * it runs a chunk (worker.ts): V8 updates another thread's view of a grown shared memory lazily, on
 * an interrupt, and a worker whose memory arrived between a growth and its registration for those
 * interrupts keeps the old size until the next growth. Its bulk memory operations (memory.fill,
 * memory.copy) check that size, so they trapped with "memory access out of bounds" on the newer
 * pages: once, in the 20-step MNIST-CNN threads test on a clean clone (2026-12-01, one run in about
 * ten of the whole suite that day).
 */
export const PAGES = 19;
/** Float64 index: clock() ms until which every thread spins only SPIN_US (a thread saw its spin descheduled twice: CONTENDED_GAP_MICROS). */
export const CONTENDED_UNTIL_F64 = 10;
/** Float64 index: clock() ms when a thread last saw its spin descheduled. */
export const LAST_GAP_F64 = 11;
/** (ptr, bytes) per thread. */
export const WS = 24;
export const MAX_THREADS = 64;
/** Bytes per unit for each argument that is a pointer to split (0: passed unchanged). */
export const STRIDES = WS + 2 * MAX_THREADS;
export const MAX_ARGS = 32;
/** Float64 index of the first argument. */
export const ARGS_F64 = (STRIDES + MAX_ARGS) / 2;
/** Length, then UTF-16 code units, of the first failure's message. */
export const MSG = STRIDES + MAX_ARGS + 2 * MAX_ARGS;
export const MSG_CHARS = 400;
/** Chunks each thread has run (written by that thread only): shows that the workers work. */
export const DONE = MSG + 1 + MSG_CHARS;
/** Jobs each worker has joined, with chunks or none (written by that worker only). */
export const JOBS = DONE + MAX_THREADS;
/** Per home run: the next of its chunks to take, counted from the run's first (Atomics.add); the run's length and more: none left. */
export const NEXTS = JOBS + MAX_THREADS;
/** Bench/test hook: when not 0, every thread writes its timeline of the job into TIMES. */
export const TIMING = NEXTS + MAX_THREADS;
/**
 * Float64 index of (woke, first chunk's start, last chunk's end, chunks run) per thread, ms on the
 * shared clock (timeOrigin + now()); thread 0's woke is the publish time; a thread that found no
 * chunk left has start = end = when it found out.
 */
export const TIMES_F64 = (TIMING + 2) >> 1;
export const TIMES_PER_THREAD = 4;
export const CTRL_INTS = 2 * (TIMES_F64 + TIMES_PER_THREAD * MAX_THREADS);

/** fooPart(args, chunk, CHUNKS). */
export const MODE_PART = 1;
/** foo(args) over chunk `chunk` of UNITS (splitAt): pointer arguments advance by their stride, COUNT_ARG is the run's length. */
export const MODE_RANGE = 2;
export const MODE_STOP = 3;

/** Kernels a job may name (by index, so no strings cross threads). */
export const KERNELS = [
  'gemm', 'gemmAct', 'conv2dForward', 'conv2dForwardAct', 'conv2dBackwardInput', 'conv2dBackwardWeight',
  'add', 'sub', 'mul', 'scale', 'addScalar', 'axpy', 'signAxpy', 'fill', 'exp',
  'relu', 'reluBackward', 'leakyRelu', 'leakyReluBackward', 'elu', 'eluBackward',
  'sigmoid', 'sigmoidBackward', 'tanh', 'tanhBackward',
  'maxPool2dForward', 'maxPool2dBackward', 'avgPool2dForward', 'avgPool2dBackward',
  'sgdStep', 'adamStep', 'softmaxCrossEntropyBackward', 'mseBackward',
  'conv2dForwardPrepared', 'conv2dForwardActPool', 'conv2dBackwardInputPrepared',
  'depthwiseConv2dForward', 'depthwiseConv2dBackwardInput', 'depthwiseConv2dBackwardWeight',
] as const;
export type KernelName = typeof KERNELS[number];

/** The first unit of chunk `part` of `parts` over `units`, on multiples of `align` (the last chunk takes the rest). */
export function splitAt(units: number, align: number, part: number, parts: number): number {
  if (part >= parts) return units;
  const blocks = Math.ceil(units / align);
  return Math.min(units, Math.floor((blocks * part) / parts) * align);
}

/**
 * Spin budgets, µs: a worker spins on SEQ this long after its chunks, the calling thread on JOIN
 * after its own, then blocks in Atomics.wait. Between the split kernels of a training step or a
 * forward pass (0.1-1 ms of serial work apart) a worker that slept is woken by a futex, which on
 * this VM costs the calling thread 10-40 µs inside Atomics.notify and the worker 60-110 µs before
 * it joins (bench/threads-profile.mjs), every split job; a caller that slept waits as long for the
 * last worker's notify. Measured side by side in one process, 2 threads, SIMD build, 30 rounds
 * alternating (bench/threads-spin.mjs), calm 1000 µs against 30 µs everywhere: quiet machine, MLP
 * step 0.99-1.11×, MNIST-CNN step 1.07-1.11×, inference 1.08-1.10×, Aᵀ·B 1.14-1.17× the speed.
 *
 * On a busy machine spinning loses: a thread that spins looks like a CPU hog to the scheduler,
 * which then preempts it in the middle of its next part while the others wait for it, and its
 * core is not running the thread it waits for. With one busy process beside the pool (3 runnable
 * threads, 2 vCPUs; where the pool at either budget is 0.93-1.0× one thread) 1000 µs gave 0.89×
 * (MLP), 0.79× (CNN step), 0.76× (inference), 1.03× (Aᵀ·B) the speed of 30 µs; earlier, at load
 * 7-8, 2000 µs made a step 4.6× slower than 20 µs. So threads spin CALM_SPIN_MICROS only while
 * none of them has seen contention lately: two spins descheduled for a time slice within
 * CONTENDED_MS (CONTENDED_GAP_MICROS), or in Node a load average above the cores (pool.ts
 * checkLoad), and SPIN_MICROS for CONTENDED_MS after. Neither catches a busy process that takes the calling
 * thread's core while a worker spins until the load average has risen (about a minute): that
 * is the loss above.
 */
export const SPIN_MICROS = 30;
export const CALM_SPIN_MICROS = 1000;

/**
 * A spinning thread that finds this many µs between two of its clock reads (256 loads apart, ~1 µs)
 * was descheduled for a scheduler time slice: when that happens twice within CONTENDED_MS the
 * machine has more runnable threads than cores, and every thread spins only SPIN_US for the next
 * CONTENDED_MS (spinWhile). (Not less than 1.5 ms: this VM's host takes a vCPU away for 200 µs
 * and more several times a second on a quiet machine, and a 200 µs threshold kept the threads
 * contended for a third of the time: the spin's gain fell from 7-14% to 0-5%.)
 */
export const CONTENDED_GAP_MICROS = 1500;
export const CONTENDED_MS = 500;

export const JOIN_INSIDE = 0xff;
export const JOIN_OPEN = 0x100;

/** JOIN's tag for job `seq` (its low 22 bits, above the open bit and the count). */
export function joinTag(seq: number): number {
  return (seq & 0x3fffff) << 9;
}

/** Enters job `seq` if it is still open; false if it closed (or a later one began) first. */
export function join(i32: Int32Array, seq: number): boolean {
  const want = joinTag(seq) | JOIN_OPEN;
  let j = Atomics.load(i32, JOIN);
  while ((j & ~JOIN_INSIDE) === want) {
    const was = Atomics.compareExchange(i32, JOIN, j, j + 1);
    if (was === j) {
      Atomics.add(i32, JOINED, 1);
      if (i32[AWAIT_JOINS] !== 0) Atomics.notify(i32, JOINED);
      return true;
    }
    j = was;
  }
  return false;
}

/** Leaves the job this thread joined; the last to leave a closed job wakes the calling thread. */
export function leave(i32: Int32Array): void {
  const before = Atomics.sub(i32, JOIN, 1);
  if ((before & JOIN_INSIDE) === 1 && (before & JOIN_OPEN) === 0) Atomics.notify(i32, JOIN);
}

/** The spin budget now, µs: CALM_SPIN_US, or SPIN_US while some thread has seen contention lately. */
export function spinBudget(i32: Int32Array, f64: Float64Array): number {
  return clock() >= f64[CONTENDED_UNTIL_F64] ? i32[CALM_SPIN_US] : i32[SPIN_US];
}

/**
 * Spins while `busy(Atomics.load(i32, at))` for at most `micros` µs; returns the last value read.
 * A spin that finds itself descheduled (CONTENDED_GAP_MICROS) stops, and the second such within
 * CONTENDED_MS (LAST_GAP_F64) marks the machine contended for every thread (CONTENDED_UNTIL_F64).
 */
export function spinWhile(i32: Int32Array, f64: Float64Array, at: number, busy: (v: number) => boolean, micros: number): number {
  let v = Atomics.load(i32, at);
  if (!busy(v) || micros <= 0) return v;
  let last = performance.now();
  const until = last + micros / 1000;
  for (let s = 1; ; s++) {
    v = Atomics.load(i32, at);
    if (!busy(v)) return v;
    if ((s & 255) !== 0) continue;
    const now = performance.now();
    if (now - last > CONTENDED_GAP_MICROS / 1000) {
      // Once is this VM's host taking the vCPU for a moment (every 1-3 s on a quiet machine);
      // twice within CONTENDED_MS is another runnable thread (a busy process deschedules a
      // spinning one every few ms).
      const gapAt = clock();
      if (gapAt - f64[LAST_GAP_F64] < CONTENDED_MS) f64[CONTENDED_UNTIL_F64] = gapAt + CONTENDED_MS;
      f64[LAST_GAP_F64] = gapAt;
      return v;
    }
    if (now >= until) return v;
    last = now;
  }
}

/**
 * An idle worker's wait for the job after `seen`: spins (spinBudget), then blocks in Atomics.wait,
 * counted in SLEEPING so the caller notifies only when someone sleeps. The caller stores SEQ and
 * then reads SLEEPING; the worker adds to SLEEPING and then compares SEQ inside the wait; all of
 * it sequentially consistent, so at least one of them sees the other's write.
 */
export function awaitJob(i32: Int32Array, f64: Float64Array, seen: number): void {
  spinWhile(i32, f64, SEQ, (v) => v === seen, spinBudget(i32, f64));
  if (Atomics.load(i32, SEQ) !== seen) return;
  Atomics.add(i32, SLEEPING, 1);
  while (Atomics.load(i32, SEQ) === seen) Atomics.wait(i32, SEQ, seen);
  Atomics.sub(i32, SLEEPING, 1);
}

/** ms on a clock every thread shares (each thread's performance.now() starts at its own timeOrigin). */
export function clock(): number {
  return performance.timeOrigin + performance.now();
}

type Kernel = (...a: number[]) => void;

/** A thread's entry points into its own instance, by kernel index (KERNELS): foo and fooPart. */
export interface Kernels { whole: Kernel[]; part: Array<Kernel | undefined> }

export function kernelsOf(exports: Record<string, any>): Kernels {
  return {
    whole: KERNELS.map((name) => exports[name] as Kernel),
    part: KERNELS.map((name) => exports[`${name}Part`] as Kernel | undefined),
  };
}

/** The first chunk of home run `r` of `homes` over `chunks`. */
export function homeStart(chunks: number, homes: number, r: number): number {
  return Math.floor((chunks * r) / homes);
}

/**
 * Takes chunks of the published job and runs them on this thread (`self`: 0 the calling thread,
 * else the worker's index) until none is left: its home run's first, then each other run's in
 * turn, every chunk index handed out once by Atomics.add on its run's counter (NEXTS). Returns how
 * many it ran. `args` is the job's argument list (read from the control block by a worker);
 * `times` the thread's Float64 TIMES index, or -1 when the job is not timed. A chunk that throws
 * stops everyone from starting another (every counter set past its run) and propagates.
 */
export function runChunks(i32: Int32Array, f64: Float64Array, k: Kernels, args: readonly number[], times: number, self: number): number {
  const kernel = i32[KERNEL], chunks = i32[CHUNKS], homes = i32[HOMES], n = args.length, part = i32[MODE] === MODE_PART;
  const call = args.slice();
  let fn: Kernel, units = 0, align = 1, countArg = 0;
  if (part) {
    fn = k.part[kernel]!;
    call.push(0, chunks);
  } else {
    fn = k.whole[kernel];
    units = i32[UNITS];
    align = i32[ALIGN];
    countArg = i32[COUNT_ARG];
  }
  const run = (c: number): void => {
    if (part) {
      call[n] = c;
    } else {
      const lo = splitAt(units, align, c, chunks), hi = splitAt(units, align, c + 1, chunks);
      if (lo >= hi) return;
      for (let a = 0; a < n; a++) {
        const stride = i32[STRIDES + a];
        call[a] = stride !== 0 && args[a] !== 0 ? args[a] + stride * lo : args[a];
      }
      call[countArg] = hi - lo;
    }
    fn(...call);
  };
  let ran = 0;
  try {
    for (let h = 0; h < homes; h++) {
      const r = (self + h) % homes, first = homeStart(chunks, homes, r), count = homeStart(chunks, homes, r + 1) - first;
      for (let next = Atomics.add(i32, NEXTS + r, 1); next < count; next = Atomics.add(i32, NEXTS + r, 1)) {
        if (times >= 0 && ran === 0) f64[times + 1] = clock();
        ran++;
        run(first + next);
      }
    }
  } catch (err) {
    for (let r = 0; r < homes; r++) Atomics.store(i32, NEXTS + r, chunks);
    throw err;
  } finally {
    if (times >= 0) {
      const end = clock();
      if (ran === 0) f64[times + 1] = end;
      f64[times + 2] = end;
      f64[times + 3] = ran;
    }
  }
  return ran;
}
