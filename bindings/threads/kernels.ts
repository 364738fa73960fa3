// The kernels object the ops call when a pool runs: the raw exports, with every kernel that
// splits (bindings/threads/protocol.ts KERNELS) replaced by a function that runs it on all
// threads when the call is big enough to gain from it, and on the calling thread alone below
// that. The ops do not change: they call K.gemm(...) either way, and get the same bits (every
// split partitions outputs; the one reduction split, conv's weight gradient over image blocks,
// adds its blocks in a fixed order that the thread count does not change).
import type { Pool } from './pool.js';
import type { KernelName } from './protocol.js';

/**
 * Smallest calls worth a dispatch: splitting pays for calls of ~100 µs and more on one thread.
 * A split costs its publish, the workers' wake-up and the calling thread's wait: 31 µs beyond the
 * slowest part on the quiet machine (bench/results/2026-11-30-final.json, threads-anatomy; +25 µs
 * when the worker slept), so a call of T µs on one thread takes T/2 + 30..55 µs on two. On a busy
 * machine it is far worse: at load 2-4 (2 vCPUs, the second one taken: two one-thread processes
 * side by side ran 2× slower each) the woken worker ran on the calling thread's CPU and the caller
 * began its own part 300-390 µs after publishing a GEMM with ~300 µs parts (bench/threads-profile.mjs),
 * and a call alone against split, alternating (threads-thresholds.mjs, 60 pairs) gave alone ÷ split
 * 0.6-1.3 at every size up to 2^20 elements / 2^23 multiply-adds, with no crossover to read.
 *
 * `macs`: GEMM and conv, 2^21 multiply-adds ≈ 95-125 µs here (0.044-0.055 ns each, threads-thresholds).
 * `micros`: kernels split by elements (maps, losses, optimiser updates, pooling) when elements ×
 * NS_PER_ELEMENT[name] reaches it. Before 2026-11-30 every one of them split at 2^18 elements:
 * 24-47 µs of relu or add, less than a dispatch, but 190 µs of exp and 270 µs of average-pool backward.
 * `calmMicros`: `micros` while the pool is calm (Pool.calm: its workers spin between jobs, so a
 * dispatch costs a few stores and no wake-up). Then a map left on the calling thread also costs
 * the reads of what the workers wrote in the job before, from their cores' caches (the MLP's SGD
 * update took 43 µs on one thread and 125-143 µs on the calling thread after the split GEMM).
 * Side by side in one process (bench/threads-spin.mjs --split, 20 rounds, SIMD), 100 / 40 / 20 µs:
 * MLP step 1 / 1.17 / 1.22×, MNIST-CNN step 1 / 1.03 / 1.04×, inference 1 / 1.01 / 1.04×.
 */
export const SPLIT_MIN = { macs: 1 << 21, micros: 100, calmMicros: 20 };

/**
 * One thread's time per element, ns (threads-thresholds.mjs --costs: 2^18 elements, relaxed build,
 * median of 300 calls, load 4); pooling per input cell, 2×2 stride 2 on MNIST's 11² and 26² planes
 * (the larger figure). Exported for the bench, which sets the thresholds of before to compare
 * (threads-profile.mjs --compare-thresholds).
 */
export const NS_PER_ELEMENT: Partial<Record<KernelName, number>> & { default: number; maxPool2dInference: number } = {
  default: 0.15, // add 0.18, axpy 0.15, reluBackward 0.135, mseBackward 0.134, scale 0.12, relu 0.09, fill 0.054
  relu: 0.09, fill: 0.054, scale: 0.12, addScalar: 0.12,
  exp: 0.71, sigmoid: 0.87, tanh: 1.07, elu: 1.16, eluBackward: 1.19, sigmoidBackward: 0.23, tanhBackward: 0.23,
  sgdStep: 0.2, adamStep: 0.73, softmaxCrossEntropyBackward: 0.31,
  // with an argmax to write (training), and without; the training figure from 0.264 ns on a quiet
  // machine (2026-12-01, where inference read 0.083) scaled to this table's load: 0.264 × 0.15 / 0.083
  maxPool2dForward: 0.48, maxPool2dInference: 0.15,
  maxPool2dBackward: 0.29, avgPool2dForward: 0.31, avgPool2dBackward: 1.04,
};

/**
 * The fewest elements of kernel `name` that split: at `micros` µs (SPLIT_MIN.micros by default,
 * the larger: tests size their cases with it, so those split whether or not the pool is calm).
 */
export function splitElements(name: KernelName, ns = NS_PER_ELEMENT[name] ?? NS_PER_ELEMENT.default, micros = SPLIT_MIN.micros): number {
  return Math.ceil((micros * 1000) / ns);
}

/** Pointer arguments (advanced per unit) and the length argument of the maps split by elements. */
const MAPS: Partial<Record<KernelName, { ptrs: number[]; count: number }>> = {
  add: { ptrs: [0, 1, 2], count: 3 }, sub: { ptrs: [0, 1, 2], count: 3 }, mul: { ptrs: [0, 1, 2], count: 3 },
  scale: { ptrs: [0, 2], count: 3 }, addScalar: { ptrs: [0, 2], count: 3 },
  axpy: { ptrs: [0, 1], count: 3 }, signAxpy: { ptrs: [0, 1], count: 3 }, fill: { ptrs: [0], count: 2 },
  exp: { ptrs: [0, 1], count: 2 }, relu: { ptrs: [0, 1], count: 2 }, sigmoid: { ptrs: [0, 1], count: 2 }, tanh: { ptrs: [0, 1], count: 2 },
  leakyRelu: { ptrs: [0, 1], count: 2 }, elu: { ptrs: [0, 1], count: 2 },
  reluBackward: { ptrs: [0, 1, 2], count: 3 }, sigmoidBackward: { ptrs: [0, 1, 2], count: 3 }, tanhBackward: { ptrs: [0, 1, 2], count: 3 },
  leakyReluBackward: { ptrs: [0, 1, 2], count: 3 }, eluBackward: { ptrs: [0, 1, 2], count: 3 },
  mseBackward: { ptrs: [0, 1, 2], count: 3 },
  sgdStep: { ptrs: [0, 1, 2], count: 3 }, adamStep: { ptrs: [0, 1, 2, 3], count: 4 },
};
/** Element runs start on multiples of 16 floats (64 bytes), so each run keeps 16-byte alignment and SIMD/tail roles. */
const MAP_ALIGN = 16;

export function threadedKernels<K extends Record<string, any>>(raw: K, pool: Pool, op: () => string): K {
  // A copy: the exports object's properties are read-only.
  const out: Record<string, any> = { ...raw };
  const micros = () => (pool.calm() ? SPLIT_MIN.calmMicros : SPLIT_MIN.micros);
  const parts = (name: KernelName, macs: (a: number[]) => number, chunking?: (chunks: number, a: readonly number[]) => number) => {
    out[name] = (...args: number[]) => {
      if (!(macs(args) >= SPLIT_MIN.macs)) return raw[name](...args);
      const what = op();
      pool.workspaces(what, raw[`${name}Workspace`](...args));
      pool.runParts(what, name, args, chunking);
    };
  };
  // A GEMM's parts are at least 64 columns (rows) wide: a Dense(1600, 128) forward has 2, the MLP's
  // 64×784·784×256 4 (gemmParts), so its job is cut into those and each thread's home run gets half.
  const gemmParts = (chunks: number, a: readonly number[]) => raw.gemmParts(a[3], a[4], chunks);
  parts('gemm', (a) => a[3] * a[4] * a[5], gemmParts);
  parts('gemmAct', (a) => a[3] * a[4] * a[5], gemmParts); // the inference path's GEMM + activation (Dense)
  // The inference path's convolutions (conv2dForwardAct, conv2dForwardPrepared, conv2dForwardActPool;
  // the last two also take training's Conv2d + ReLU + MaxPool2d) in twice the pool's chunks (6 per
  // thread): finer chunks even out the two vCPUs' unequal speeds, and their parts repeat little (the
  // packed weights; the Winograd weights come prepared). Against 3 per thread,
  // alternating in one process (threads-profile.mjs, 240 pairs, relaxed): MNIST-CNN inference 1.09×
  // faster; bench/pool-chunks.mjs at 6 per thread for every kernel: inference 1.72 → 1.91×, 1.76 →
  // 1.86×, 1.82 → 2.03× (SIMD) of one thread. The training kernels keep 3: each part repeats more (the
  // Winograd weight transform, backward input's transformed weights, dW's packed dy rows); alone ÷ split
  // for MNIST conv2 at 6 per thread against 3: forward 1.58 / 1.69, backward input 1.63 / 1.76, weight
  // 1.67 / 1.79 (threads-thresholds.mjs --family mnist), and the CNN step 1.00 / 1.03× faster with the
  // training kernels back at 3 (relaxed / SIMD, 240 pairs). GEMMs keep 3 too: at 6 the MLP step read
  // 0.97× (threads-spin.mjs --chunks 3,6) and A·Bᵀ lost in one of three runs.
  const convChunks = (chunks: number) => 2 * chunks;
  // conv2dForwardAct also runs training's Conv2d + ReLU (ops/fused.ts) and then a Winograd shape
  // transforms its weights in every part (only conv2dForwardPrepared has them ready): those keep 3.
  const actChunks = (chunks: number, a: readonly number[]) =>
    (raw.winogradWeightsBytes(a[5], a[8], a[9], a[10], a[11], a[12], a[15], a[16]) > 0 ? chunks : 2 * chunks);
  // n · P · cOut · K, with P from the output size formula of assembly/conv.ts; the geometry
  // (n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw) starts at argument `at` of the kernel.
  const convMacs = (at: number) => (a: number[]) => {
    const n = a[at], cIn = a[at + 1], h = a[at + 2], w = a[at + 3], cOut = a[at + 4], kh = a[at + 5], kw = a[at + 6];
    const sh = a[at + 7], sw = a[at + 8], ph = a[at + 9], pw = a[at + 10], dh = a[at + 11], dw = a[at + 12];
    const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1, ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
    return n * Math.max(0, oh) * Math.max(0, ow) * cOut * cIn * kh * kw;
  };
  parts('conv2dForward', convMacs(4));
  parts('conv2dForwardAct', convMacs(4), actChunks);
  parts('conv2dForwardPrepared', convMacs(4), convChunks); // also pooled: conv + activation + 2×2 max pool on the Winograd path
  parts('conv2dForwardActPool', convMacs(4), convChunks); // the inference path's direct conv + activation + 2×2 max pool
  // Backward input by Winograd transforms W (rows and depth swapped); prepared once here on the calling
  // thread (into the shared buffer) instead of in every part: MNIST conv2 at batch 32 took 1.03-1.08×
  // the whole call's time as 6 parts run one after another, one thread, each part transforming.
  out.conv2dBackwardInput = (...args: number[]) => {
    if (!(convMacs(3)(args) >= SPLIT_MIN.macs)) return raw.conv2dBackwardInput(...args);
    const what = op();
    const [dy, w, dx, n, cIn, h, wIn, cOut, ...rest] = args;
    const bytes = Number(raw.conv2dBackwardInputPreparedBytes(n, cIn, h, wIn, cOut, ...rest));
    if (bytes === 0) {
      pool.workspaces(what, raw.conv2dBackwardInputWorkspace(...args));
      return pool.runParts(what, 'conv2dBackwardInput', args);
    }
    const u = pool.shared(what, bytes, 'transformed weights');
    raw.conv2dBackwardInputPrepare(w, cIn, cOut, u);
    const prepared = [dy, u, dx, n, cIn, h, wIn, cOut, ...rest];
    pool.workspaces(what, raw.conv2dBackwardInputPreparedWorkspace(...prepared));
    pool.runParts(what, 'conv2dBackwardInputPrepared', prepared);
  };
  // Depthwise (groups = in channels): parts are whole planes (forward: output planes; backward
  // input: dx planes; backward weight: output channels over every image), split at the
  // convolutions' SPLIT_MIN.macs (they run ~3× fewer multiply-adds per µs than a GEMM, so such a
  // call takes ~300 µs on one thread). Their geometry (n, c, h, w, mult, kh, …) has c and mult
  // where convMacs reads cIn and cOut, so convMacs gives their n·c·mult·P·kh·kw as it is.
  parts('depthwiseConv2dForward', convMacs(4));
  parts('depthwiseConv2dBackwardInput', convMacs(3));
  parts('depthwiseConv2dBackwardWeight', convMacs(4));
  // The weight gradient: one part per (image block, column group) (assembly/conv.ts WEIGHT_BLOCKS),
  // the blocks after the first summed into a buffer all threads share, then added to dw here, in
  // block order, on the calling thread (MNIST conv2 at batch 32: 7 × 18.5K floats).
  out.conv2dBackwardWeight = (...args: number[]) => {
    if (!(convMacs(4)(args) >= SPLIT_MIN.macs)) return raw.conv2dBackwardWeight(...args);
    const what = op();
    pool.workspaces(what, raw.conv2dBackwardWeightWorkspace(...args));
    const bytes = Number(raw.conv2dBackwardWeightPartials(...args));
    const partials = bytes > 0 ? pool.shared(what, bytes) : 0;
    pool.runParts(what, 'conv2dBackwardWeight', [...args, partials], (chunks) => raw.conv2dBackwardWeightUnits(...args, chunks));
    if (partials) raw.conv2dBackwardWeightSum(...args, partials);
  };

  for (const [name, spec] of Object.entries(MAPS) as Array<[KernelName, { ptrs: number[]; count: number }]>) {
    const strides: number[] = [];
    for (const p of spec.ptrs) strides[p] = 4;
    out[name] = (...args: number[]) => {
      const n = args[spec.count];
      if (!(n >= splitElements(name, undefined, micros()))) return raw[name](...args);
      pool.runRange(op(), name, args, strides, spec.count, n, MAP_ALIGN);
    };
  }

  // Pooling: split over the n·c planes, each run a call with n = 1 and c = its planes.
  // (at.out: the index of the output height, followed by the width; the caller computed both)
  const planes = (name: KernelName, at: { n: number; h: number; w: number; out: number }, ptrStrides: (plane: number, outPlane: number, args: number[]) => number[]) => {
    out[name] = (...args: number[]) => {
      const n = args[at.n], c = args[at.n + 1], h = args[at.h], w = args[at.w];
      const outPlane = Math.max(0, args[at.out]) * Math.max(0, args[at.out + 1]);
      const ns = name === 'maxPool2dForward' && args[2] === 0 ? NS_PER_ELEMENT.maxPool2dInference : undefined;
      if (!(n * c * Math.max(h * w, outPlane) >= splitElements(name, ns, micros())) || n <= 0 || c <= 0) return raw[name](...args);
      const what = op();
      if (name === 'avgPool2dBackward') pool.workspaces(what, w * 4); // its scratch row
      const mine = args.slice();
      mine[at.n] = 1;
      pool.runRange(what, name, mine, ptrStrides(h * w * 4, outPlane * 4, args), at.n + 1, n * c, 1);
    };
  };
  // maxPool2dForward(x, y, argmax, n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow): argmax 0 = none (inference)
  planes('maxPool2dForward', { n: 3, h: 5, w: 6, out: 15 }, (i, o, args) => (args[2] !== 0 ? [i, o, o] : [i, o]));
  planes('maxPool2dBackward', { n: 3, h: 5, w: 6, out: 7 }, (i, o) => [o, o, i]);
  // avgPool2dForward(x, y, n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, countIncludePad), the backward (dy, dx, …) alike
  planes('avgPool2dForward', { n: 2, h: 4, w: 5, out: 12 }, (i, o) => [i, o]);
  planes('avgPool2dBackward', { n: 2, h: 4, w: 5, out: 12 }, (i, o) => [o, i]);

  // softmaxCrossEntropyBackward(probs, labels, dlogits, rows, classes, scale): split over rows.
  out.softmaxCrossEntropyBackward = (...args: number[]) => {
    const rows = args[3], classes = args[4];
    if (!(rows * classes >= splitElements('softmaxCrossEntropyBackward', undefined, micros()))) return raw.softmaxCrossEntropyBackward(...args);
    pool.runRange(op(), 'softmaxCrossEntropyBackward', args, [classes * 4, 4, classes * 4], 3, rows, 1);
  };

  out.workspaceBytes = () => Number(raw.workspaceBytes()) + pool.workspaceBytes();
  return out as K;
}
