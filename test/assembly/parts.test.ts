// The split kernels (fooPart(args, part, parts)) against the whole call, to the bit: running every
// part of 1..8, 10, 12 and 16 once (in reverse order, so no part can lean on another having run first) must give
// exactly what foo(args) gives, in every build, and the threads builds must give the single-thread
// builds' bits. Worker threads run the same parts concurrently (test/bindings/threads.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCore, variants, threadVariants, rng, randomArray, type RawCore } from '../helpers/wasm';

// up to 16: the pool cuts a job into more chunks than threads (bindings/threads/pool.ts CHUNKS_PER_THREAD)
const PARTS = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16];

interface Case {
  label: string;
  kernel: string;
  /** Inputs (copied in), and outputs with their starting contents (accumulate reads them). */
  inputs: Float32Array[];
  outputs: Float32Array[];
  /** The argument list, given the pointers of inputs then outputs. */
  args(ptrs: number[]): number[];
  /** Run on the inputs before the kernel (the transformed weights of conv2dForwardPrepared and conv2dBackwardInputPrepared). */
  prepare?(exports: Record<string, any>, ptrs: number[]): void;
}

function gemmCases(): Case[] {
  const random = rng(11);
  const out: Case[] = [];
  const shapes: Array<[number, number, number]> = [[1, 1, 1], [3, 5, 7], [13, 27, 9], [64, 256, 40], [37, 19, 300],
    [200, 9, 33], [5, 1030, 3], [129, 65, 17], [8, 8, 8]];
  for (const [m, n, k] of shapes) {
    for (const [tA, tB] of [[0, 0], [1, 0], [0, 1]]) {
      for (const [acc, withBias] of [[0, 0], [1, 1]]) {
        out.push({
          label: `gemm ${m}x${n}x${k} tA=${tA} tB=${tB} acc=${acc} bias=${withBias}`,
          kernel: 'gemm',
          inputs: [randomArray(m * k, random), randomArray(k * n, random), randomArray(n, random)],
          outputs: [randomArray(m * n, random)],
          args: ([a, b, bias, c]) => [a, b, c, m, n, k, tA, tB, acc, withBias ? bias : 0],
        });
      }
    }
  }
  // gemmAct (the inference path: no accumulate, B transposed as a Dense weight, or not) with each activation code.
  for (const [m, n, k] of [[1, 37, 20], [13, 27, 9], [64, 256, 40], [37, 19, 300], [5, 1030, 3], [129, 65, 17]] as Array<[number, number, number]>) {
    for (const [tB, withBias, act, alpha] of [[1, 1, 3, 0], [0, 0, 4, 0.1], [1, 1, 5, 1.3], [0, 1, 6, 0], [1, 0, 7, 0]]) {
      out.push({
        label: `gemmAct ${m}x${n}x${k} tB=${tB} bias=${withBias} act=${act}`,
        kernel: 'gemmAct',
        inputs: [randomArray(m * k, random), randomArray(k * n, random), randomArray(n, random)],
        outputs: [randomArray(m * n, random)],
        args: ([a, b, bias, c]) => [a, b, c, m, n, k, 0, tB, withBias ? bias : 0, act, alpha],
      });
    }
  }
  return out;
}

function convCases(): Case[] {
  const random = rng(12);
  const out: Case[] = [];
  // [n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw]
  const geos = [
    [3, 1, 28, 28, 8, 5, 5, 1, 1, 2, 2, 1, 1],
    [5, 3, 9, 11, 7, 3, 3, 2, 2, 1, 1, 1, 1],
    [1, 4, 12, 12, 6, 3, 3, 1, 1, 0, 0, 2, 2],
    [2, 2, 7, 5, 3, 2, 3, 1, 2, 0, 1, 1, 1],
    [4, 8, 6, 6, 16, 1, 1, 1, 1, 0, 0, 1, 1],
    // A first layer (one input channel, 3×3 stride 1): backward weight's direct path, its parts
    // split by image blocks and output channels.
    [3, 1, 12, 12, 37, 3, 3, 1, 1, 0, 0, 1, 1],
    // 11 images: backward weight sums 8 image blocks of 1 or 2 (conv.ts WEIGHT_BLOCKS)
    [11, 3, 6, 7, 10, 3, 3, 1, 1, 1, 1, 1, 1],
    [11, 1, 9, 6, 5, 3, 3, 1, 1, 1, 0, 1, 1],
    // dw of 1.08M floats, over conv.ts WEIGHT_BLOCK_FLOATS: one image block, split by columns only
    [2, 1000, 3, 3, 120, 3, 3, 1, 1, 0, 0, 1, 1],
    // 3×3 stride 1 with 8 and more input channels: the forward runs by Winograd (winograd.ts).
    [3, 9, 9, 10, 13, 3, 3, 1, 1, 1, 1, 1, 1],
    // Winograd forward: panels of tiles across images (9 tiles each; 2 tiles each)
    [3, 9, 7, 6, 13, 3, 3, 1, 1, 1, 1, 1, 1],
    [6, 8, 4, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1],
    // backward weight by Winograd (winograd.ts winogradWeightGrad) in 8 image blocks of 1 or 2
    // images, 49 tiles each: a block's second product of WG_KC = 64 tiles starts inside an image
    [11, 8, 13, 13, 6, 3, 3, 1, 1, 1, 1, 1, 1],
    // one image: backward weight by Winograd split over NR-panels of input channels only (20: the last one short)
    [1, 20, 9, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1],
    // 33×17 outputs, 561 positions: backward weight's first depth block (conv.ts KC = 512) ends inside
    // a group of four positions its im2col packs at once (row 30 starts at position 510)
    [2, 3, 35, 19, 5, 3, 3, 1, 1, 0, 0, 1, 1],
  ];
  for (const g of geos) {
    const [n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw] = g;
    const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1, ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
    const xN = n * cIn * h * w, wN = cOut * cIn * kh * kw, yN = n * cOut * oh * ow;
    const label = `[${g.join(',')}]`;
    out.push({
      label: `conv2dForward ${label}`, kernel: 'conv2dForward',
      inputs: [randomArray(xN, random), randomArray(wN, random), randomArray(cOut, random)],
      outputs: [new Float32Array(yN)],
      args: ([x, wt, b, y]) => [x, wt, b, y, ...g],
    });
    for (const [act, alpha] of [[3, 0], [5, 0.7]]) {
      out.push({
        label: `conv2dForwardAct ${label} act=${act}`, kernel: 'conv2dForwardAct',
        inputs: [randomArray(xN, random), randomArray(wN, random), randomArray(cOut, random)],
        outputs: [new Float32Array(yN)],
        args: ([x, wt, b, y]) => [x, wt, act === 3 ? b : 0, y, ...g, act, alpha],
      });
    }
    if (cIn === 1 && kh === 3 && kw === 3 && sh === 1 && sw === 1 && dh === 1 && dw === 1) {
      // the inference path's direct conv + activation + 2×2 max pool (conv.ts conv2dPoolFuses)
      const pN = n * cOut * (oh >> 1) * (ow >> 1);
      for (const winners of [0, 1]) { // with the pool's argmax (training) or without
        out.push({
          label: `conv2dForwardActPool ${label} argmax=${winners}`, kernel: 'conv2dForwardActPool',
          inputs: [randomArray(xN, random), randomArray(wN, random), randomArray(cOut, random)],
          outputs: [randomArray(pN, random), randomArray(pN, random)],
          args: ([x, wt, b, y, a]) => [x, wt, b, y, ...g, 3, 0, winners ? a : 0],
        });
      }
    }
    if (cIn >= 8 && kh === 3 && kw === 3 && sh === 1 && sw === 1 && dh === 1 && dw === 1) {
      // the Winograd path with the weights transformed beforehand (inference), full size and pooled
      const uN = 16 * (cOut + 8) * cIn; // ≥ winogradWeightsBytes / 4
      const pN = n * cOut * (oh >> 1) * (ow >> 1);
      for (const [pool, winners] of [[0, 0], [1, 0], [1, 1]]) {
        out.push({
          label: `conv2dForwardPrepared ${label} pool=${pool} argmax=${winners}`, kernel: 'conv2dForwardPrepared',
          inputs: [randomArray(xN, random), randomArray(wN, random), randomArray(cOut, random), new Float32Array(wN), new Float32Array(uN)],
          outputs: [randomArray(pool ? pN : yN, random), randomArray(pN, random)],
          args: ([x, wt, b, , u, y, a]) => [x, wt, b, y, ...g, 3, 0, u, pool, winners ? a : 0],
          prepare: (e, [, wt, , copy, u]) => { e.winogradRefresh(wt, cIn, cOut, copy, u, 0); },
        });
      }
    }
    out.push({
      label: `conv2dBackwardInput ${label}`, kernel: 'conv2dBackwardInput',
      inputs: [randomArray(yN, random), randomArray(wN, random)],
      outputs: [randomArray(xN, random)],
      args: ([dy, wt, dx]) => [dy, wt, dx, ...g],
    });
    if (winogradBackward(g)) {
      // backward input with W' transformed once beforehand (the pool's way, kernels.ts)
      const uN = 16 * (cIn + 8) * cOut + wN; // ≥ conv2dBackwardInputPreparedBytes / 4
      out.push({
        label: `conv2dBackwardInputPrepared ${label}`, kernel: 'conv2dBackwardInputPrepared',
        inputs: [randomArray(yN, random), randomArray(wN, random), new Float32Array(uN)],
        outputs: [randomArray(xN, random)],
        args: ([dy, , u, dx]) => [dy, u, dx, ...g],
        prepare: (e, [, wt, u]) => { e.conv2dBackwardInputPrepare(wt, cIn, cOut, u); },
      });
    }
    for (const acc of [0, 1]) {
      out.push({
        label: `conv2dBackwardWeight ${label} acc=${acc}`, kernel: 'conv2dBackwardWeight',
        inputs: [randomArray(xN, random), randomArray(yN, random)],
        outputs: [randomArray(wN, random), randomArray(cOut, random)],
        args: ([x, dy, dwt, db]) => [x, dy, dwt, db, ...g, acc],
      });
    }
  }
  return out;
}

function depthwiseCases(): Case[] {
  const random = rng(13);
  const out: Case[] = [];
  // [n, c, h, w, mult, kh, kw, sh, sw, ph, pw, dh, dw]: 'same' 3×3 (the vector edges and the
  // one-pass weight gradient), a 30-wide plane without padding, stride 2 with a multiplier, 5×5 dilated
  const geos = [[3, 5, 12, 12, 1, 3, 3, 1, 1, 1, 1, 1, 1], [2, 3, 9, 30, 1, 3, 3, 1, 1, 0, 0, 1, 1],
    [3, 4, 11, 9, 2, 3, 3, 2, 2, 1, 1, 1, 1], [2, 3, 13, 14, 3, 5, 5, 1, 1, 2, 3, 2, 1]];
  for (const g of geos) {
    const [n, c, h, w, mult, kh, kw, sh, sw, ph, pw, dh, dw] = g;
    const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1, ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
    const cOut = c * mult, xN = n * c * h * w, wN = cOut * kh * kw, yN = n * cOut * oh * ow, label = `[${g.join(',')}]`;
    out.push({
      label: `depthwiseConv2dForward ${label}`, kernel: 'depthwiseConv2dForward',
      inputs: [randomArray(xN, random), randomArray(wN, random), randomArray(cOut, random)], outputs: [randomArray(yN, random)],
      args: ([x, wt, b, y]) => [x, wt, b, y, ...g],
    });
    out.push({
      label: `depthwiseConv2dBackwardInput ${label}`, kernel: 'depthwiseConv2dBackwardInput',
      inputs: [randomArray(yN, random), randomArray(wN, random)], outputs: [randomArray(xN, random)],
      args: ([dy, wt, dx]) => [dy, wt, dx, ...g],
    });
    for (const acc of [0, 1]) {
      out.push({
        label: `depthwiseConv2dBackwardWeight ${label} acc=${acc}`, kernel: 'depthwiseConv2dBackwardWeight',
        inputs: [randomArray(xN, random), randomArray(yN, random)], outputs: [randomArray(wN, random), randomArray(cOut, random)],
        args: ([x, dy, dwt, db]) => [x, dy, dwt, db, ...g, acc],
      });
    }
  }
  return out;
}

/** Whether backward input runs by Winograd (conv.ts winogradBackwardApplies): 3×3 stride 1, 8..512 output channels, padding ≤ 2. */
function winogradBackward([, , , , cOut, kh, kw, sh, sw, ph, pw, dh, dw]: number[]): boolean {
  return kh === 3 && kw === 3 && sh === 1 && sw === 1 && dh === 1 && dw === 1 && cOut >= 8 && cOut <= 512 && ph <= 2 && pw <= 2;
}

const cases = [...gemmCases(), ...convCases(), ...depthwiseCases()];

/** Runs `c` with `parts` parts (0 = the whole call) and returns its outputs. */
function run(core: RawCore, c: Case, parts: number): Float32Array[] {
  const ptrs = [...c.inputs, ...c.outputs].map((a) => core.put(a));
  const args = c.args(ptrs);
  c.prepare?.(core.exports, ptrs);
  if (parts === 0) {
    core.exports[c.kernel](...args);
  } else {
    // The workspace the runtime would hand each worker: what the kernel says one part needs.
    expect(core.exports[`${c.kernel}Workspace`](...args)).toBeGreaterThanOrEqual(0);
    // conv2dBackwardWeight: the parts write partial sums per image block, which fooSum then adds
    const shared = partialSums(core, c.kernel, args);
    for (let p = parts - 1; p >= 0; p--) core.exports[`${c.kernel}Part`](...args, ...shared, p, parts);
    if (shared.length) {
      core.exports[`${c.kernel}Sum`](...args, ...shared);
      if (shared[0]) core.exports.free(shared[0]);
    }
  }
  const outs = c.outputs.map((o, i) => core.get(ptrs[c.inputs.length + i], o.length));
  ptrs.forEach((p) => core.exports.free(p));
  return outs;
}

/** The partial-sum buffer argument fooPart takes when the kernel has one (fooPartials: its bytes), else none. */
function partialSums(core: RawCore, kernel: string, args: number[]): number[] {
  const bytes = core.exports[`${kernel}Partials`];
  if (!bytes) return [];
  const n = Number(bytes(...args));
  return [n > 0 ? core.exports.alloc(n) : 0];
}

function sameBits(a: Float32Array[], b: Float32Array[], label: string): void {
  for (let i = 0; i < a.length; i++) {
    const x = new Uint32Array(a[i].buffer, a[i].byteOffset, a[i].length), y = new Uint32Array(b[i].buffer, b[i].byteOffset, b[i].length);
    const at = x.findIndex((v, j) => v !== y[j]);
    if (at >= 0) throw new Error(`${label}: output ${i} element ${at} is ${a[i][at]}, the whole call gives ${b[i][at]}`);
  }
}

describe.each(variants)('split kernels (%s build)', (variant) => {
  const core = loadCore(variant);
  it('every part count 1..16 gives the whole call\'s bits (gemm NN/TN/NT, gemmAct, conv forward (+ act), backward input, backward weight, depthwise)', () => {
    for (const c of cases) {
      const whole = run(core, c, 0);
      for (const parts of PARTS) sameBits(run(core, c, parts), whole, `${variant} ${c.label} parts=${parts}`);
    }
  });

  it('backward input with W\' prepared beforehand gives the bits of backward input, where it runs by Winograd', () => {
    let winograd = 0;
    for (const c of cases.filter((k) => k.kernel === 'conv2dBackwardInput')) {
      const [dy, wt] = c.inputs, g = c.args([0, 0, 0]).slice(3);
      const [n, cIn, h, w, cOut, ...rest] = g;
      const bytes = Number(core.exports.conv2dBackwardInputPreparedBytes(n, cIn, h, w, cOut, ...rest));
      expect(bytes > 0, c.label).toBe(winogradBackward(g));
      if (bytes === 0) continue;
      winograd++;
      const prepared: Case = {
        label: c.label, kernel: 'conv2dBackwardInputPrepared', inputs: [dy, wt, new Float32Array(bytes / 4)], outputs: c.outputs,
        args: ([d, , u, dx]) => [d, u, dx, ...g],
        prepare: (e, [, w2, u]) => { e.conv2dBackwardInputPrepare(w2, cIn, cOut, u); },
      };
      sameBits(run(core, prepared, 0), run(core, c, 0), `${variant} ${c.label} prepared`);
    }
    expect(winograd).toBeGreaterThan(2);
  });

  it('gemmParts counts the parts of a GEMM that get tiles (the pool cuts a job into no more chunks)', () => {
    const random = rng(21);
    for (const [m, n] of [[1, 1], [32, 128], [64, 256], [256, 64], [512, 512], [40, 140], [200, 9], [5, 1030]]) {
      const k = 3, a = core.put(randomArray(m * k, random)), b = core.put(randomArray(k * n, random)), c = core.zeros(m * n);
      for (const parts of PARTS) {
        let withTiles = 0;
        for (let p = 0; p < parts; p++) {
          core.exports.fill(c, 0, m * n);
          core.exports.gemmPart(a, b, c, m, n, k, 0, 0, 0, 0, p, parts);
          if (core.get(c, m * n).some((v) => v !== 0)) withTiles++;
        }
        expect(core.exports.gemmParts(m, n, parts), `${m}×${n}, ${parts} parts`).toBe(withTiles);
      }
      [a, b, c].forEach((p) => core.exports.free(p));
    }
  });
});

describe.each(threadVariants)('threads build (%s)', (variant) => {
  it('gives the single-thread build\'s bits, whole and split', () => {
    const single = loadCore(variant), shared = loadCore(variant, true);
    expect(shared.exports.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    for (const c of cases) {
      const whole = run(single, c, 0);
      sameBits(run(shared, c, 0), whole, `${variant}-threads ${c.label}`);
      sameBits(run(shared, c, 3), whole, `${variant}-threads ${c.label} parts=3`);
    }
  });

  it('every part writes only inside the workspace its kernel asks for (fooWorkspace)', () => {
    const main = loadCore(variant, true);
    const module = new WebAssembly.Module(readFileSync(new URL(`../../dist/simdnet-${variant}-threads.wasm`, import.meta.url)));
    const worker = new WebAssembly.Instance(module, { env: { memory: main.exports.memory, abort: () => { throw new Error('abort'); } } });
    const w = worker.exports as Record<string, any>;
    const GUARD = 64;
    for (const c of cases) {
      const ptrs = [...c.inputs, ...c.outputs].map((a) => main.put(a));
      const args = c.args(ptrs);
      c.prepare?.(main.exports, ptrs);
      // what the pool hands a worker: the part's bytes behind the 256-byte header (workspace.ts)
      const need = Number(main.exports[`${c.kernel}Workspace`](...args)) + 256;
      const ws = main.exports.alloc(need + GUARD);
      new Uint8Array(main.exports.memory.buffer, ws + need, GUARD).fill(0xa5);
      w.assignWorkspace(ws, need);
      const shared = partialSums(main, c.kernel, args);
      for (const parts of [1, 3]) for (let p = 0; p < parts; p++) w[`${c.kernel}Part`](...args, ...shared, p, parts);
      if (shared[0]) main.exports.free(shared[0]);
      const guard = Array.from(new Uint8Array(main.exports.memory.buffer, ws + need, GUARD));
      expect(guard.every((b) => b === 0xa5), `${variant}-threads ${c.label} wrote past its workspace`).toBe(true);
      [...ptrs, ws].forEach((q) => main.exports.free(q));
    }
  });

  it('a worker instance on the same memory uses the workspace it is given and never allocates', () => {
    const main = loadCore(variant, true);
    const memory = main.exports.memory;
    const file = new URL(`../../dist/simdnet-${variant}-threads.wasm`, import.meta.url);
    const module = new WebAssembly.Module(readFileSync(file));
    let aborted = '';
    const worker = new WebAssembly.Instance(module, { env: { memory, abort: () => { aborted = 'abort'; throw new Error('abort'); } } });
    const w = worker.exports as Record<string, any>;
    const [m, n, k] = [40, 140, 30]; // wide enough for two parts (gemm.ts PART_MIN)
    const random = rng(3);
    const a = main.put(randomArray(m * k, random)), b = main.put(randomArray(k * n, random));
    const c1 = main.zeros(m * n), c2 = main.zeros(m * n);
    main.exports.gemm(a, b, c1, m, n, k, 0, 0, 0, 0);
    const need = main.exports.gemmWorkspace(a, b, c2, m, n, k, 0, 0, 0, 0) + 256;
    // Too small: the worker traps instead of allocating.
    const small = main.exports.alloc(256);
    w.assignWorkspace(small, 256);
    expect(() => w.gemmPart(a, b, c2, m, n, k, 0, 0, 0, 0, 1, 2)).toThrow();
    expect(aborted).toBe('abort');
    const ws = main.exports.alloc(need);
    w.assignWorkspace(ws, need);
    w.gemmPart(a, b, c2, m, n, k, 0, 0, 0, 0, 1, 2);
    main.exports.gemmPart(a, b, c2, m, n, k, 0, 0, 0, 0, 0, 2);
    sameBits([main.get(c2, m * n)], [main.get(c1, m * n)], 'two instances, one memory');
    expect(w.workspaceBytes()).toBe(need);
  });
});
