// The control block the calling thread and the workers share: a few KiB of the shared linear
// memory, allocated by the calling thread, read as an Int32Array (and a Float64Array for the
// arguments) at byte offset `ctrl`. One job at a time:
//
//   caller: writes KERNEL, MODE, PARTS, the arguments (and for MODE_RANGE the strides, COUNT_ARG,
//           UNITS, ALIGN), each worker's workspace into WS, sets PENDING = workers, ERR = 0, then
//           bumps SEQ and notifies it; runs part 0 itself; waits until PENDING is 0.
//   worker: waits for SEQ to change, runs its part (index < PARTS), records the first failure
//           in ERR/MSG, and decrements PENDING (notifying the caller at 0), always, even when it
//           failed or had no part: the caller never writes the next job before every worker
//           has read this one, so a worker never sees half of one job and half of the next.
//
// This file is shared by the pool (bindings/threads/pool.ts) and the worker script
// (bindings/threads/worker.ts), which is bundled on its own; keep it free of imports.

export const SEQ = 0;
export const PENDING = 1;
export const KERNEL = 2;
export const MODE = 3;
export const PARTS = 4;
export const NARGS = 5;
/** 0, or 1 + the index of the first thread that failed. */
export const ERR = 6;
/** Test hook: 1 + the index of a thread that throws instead of running its part (0: none). */
export const FAULT = 7;
export const COUNT_ARG = 8;
export const UNITS = 9;
export const ALIGN = 10;
/** How long (µs) a thread spins on the word it waits for before it blocks in Atomics.wait (SPIN_MICROS by default). */
export const SPIN_US = 11;
/** (ptr, bytes) per thread. */
export const WS = 16;
export const MAX_THREADS = 64;
/** Bytes per unit for each argument that is a pointer to split (0: passed unchanged). */
export const STRIDES = WS + 2 * MAX_THREADS;
export const MAX_ARGS = 32;
/** Float64 index of the first argument. */
export const ARGS_F64 = (STRIDES + MAX_ARGS) / 2;
/** Length, then UTF-16 code units, of the first failure's message. */
export const MSG = STRIDES + MAX_ARGS + 2 * MAX_ARGS;
export const MSG_CHARS = 400;
/** Jobs each thread has run a part of (written by that thread only): shows that the workers work. */
export const DONE = MSG + 1 + MSG_CHARS;
/** Bench/test hook: when not 0, every thread writes when it woke, started and ended its part into TIMES. */
export const TIMING = DONE + MAX_THREADS;
/** Float64 index of (woke, started, ended) per thread, ms on the shared clock (timeOrigin + now()); thread 0's woke is the publish time. */
export const TIMES_F64 = (TIMING + 2) >> 1;
export const CTRL_INTS = 2 * TIMES_F64 + 6 * MAX_THREADS;

/** fooPart(args, part, parts). */
export const MODE_PART = 1;
/** foo(args) over a run of UNITS: pointer arguments advance by their stride, COUNT_ARG is the run's length. */
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
  'conv2dForwardPrepared',
] as const;
export type KernelName = typeof KERNELS[number];

/** The first unit of part `part` of `parts` over `units`, on multiples of `align` (the last part takes the rest). */
export function splitAt(units: number, align: number, part: number, parts: number): number {
  if (part >= parts) return units;
  const blocks = Math.ceil(units / align);
  return Math.min(units, Math.floor((blocks * part) / parts) * align);
}

/**
 * Spin budget, µs: a worker keeps spinning on SEQ this long after its part, the calling thread on
 * PENDING after its own, then blocks in Atomics.wait. Short on purpose: on a busy machine a thread
 * that spins looks like a CPU hog to the scheduler, which then preempts it in the middle of its
 * next part while the others wait for it, whereas a thread that slept is run at once when woken.
 * Measured here at load 7-8 (2 vCPUs, 2 threads, one process, budgets alternating, medians of 4
 * rounds): MNIST-CNN inference 9.3 / 10.1 / 11.2 / 17.1 ms and training step 22.6 / 18.1 / 28.1 /
 * 40.6 ms with 0 / 20 / 100 / 400 µs; 2000 µs: 32 and 104 ms. 30 µs is what the old 4000-load spin
 * took on this machine (25-47 µs), now the same time on any CPU.
 */
export const SPIN_MICROS = 30;

/** Spins while `busy(Atomics.load(i32, at))` for at most `micros` µs; returns the last value read. */
export function spinWhile(i32: Int32Array, at: number, busy: (v: number) => boolean, micros: number): number {
  let v = Atomics.load(i32, at);
  if (!busy(v) || micros <= 0) return v;
  const until = performance.now() + micros / 1000;
  for (let s = 1; ; s++) {
    v = Atomics.load(i32, at);
    if (!busy(v)) return v;
    if ((s & 255) === 0 && performance.now() >= until) return v;
  }
}
