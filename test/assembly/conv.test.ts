import { describe, it, expect } from 'vitest';
import { loadCore, variants, rng, randomArray, expectClose, type RawCore } from '../helpers/wasm';
import { buffer, guardsIntact } from '../helpers/guarded';
import {
  conv2dRef, conv2dBackwardInputRef, conv2dBackwardWeightRef, convOut, convOutSize, type ConvDims,
} from '../reference/conv';

// The sweep: every kernel size 1–5, stride 1–3, padding 0–2 and dilation 1–2 on the first axis
// (the second axis draws its own), with odd spatial sizes, channel counts 1 … 13 (3·SIMD width + 1),
// batch 1–3. Each combination draws its other sizes from a fixed generator.
function sweep(): ConvDims[] {
  const random = rng(42);
  const pick = <T>(xs: T[]): T => xs[Math.floor((random() + 1) / 2 * xs.length) % xs.length];
  const channels = [1, 2, 3, 4, 5, 7, 8, 9, 12, 13];
  const cases: ConvDims[] = [];
  for (let kh = 1; kh <= 5; kh++) for (let sh = 1; sh <= 3; sh++) for (let ph = 0; ph <= 2; ph++) for (let dh = 1; dh <= 2; dh++) {
    for (;;) {
      const d: ConvDims = {
        n: pick([1, 2, 3]), cIn: pick(channels), cOut: pick(channels),
        h: pick([1, 3, 5, 7, 9, 11]), w: pick([1, 2, 4, 5, 6, 7, 10, 13]),
        kh, kw: pick([1, 2, 3, 4, 5]), sh, sw: pick([1, 2, 3]), ph, pw: pick([0, 1, 2]), dh, dw: pick([1, 2]),
      };
      const [oh, ow] = convOut(d);
      if (oh >= 1 && ow >= 1) { cases.push(d); break; }
    }
  }
  return cases;
}
const cases = sweep();

// Shapes that cross the kernels' blocks: depth > 512 (forward's weight blocks; the bias is depth row K), P > 512 (backward
// weight's depth blocks), backward input's dcol column blocks (K = 540 → 240 columns) and
// cOut > 512 (backward input's depth blocks); plus the MNIST CNN's two layers and a 1×1 convolution.
const d0 = { n: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1 };
const blockCases: ConvDims[] = [
  { ...d0, cIn: 60, h: 18, w: 18, cOut: 5, kh: 3, kw: 3 },
  { ...d0, cIn: 128, h: 3, w: 4, cOut: 6, kh: 2, kw: 2 }, // K = 512: the bias row alone in the second block
  { ...d0, n: 2, cIn: 2, h: 26, w: 25, cOut: 6, kh: 3, kw: 2, ph: 1 },
  { ...d0, cIn: 1, h: 3, w: 4, cOut: 520, kh: 1, kw: 2, pw: 1 },
  { ...d0, n: 2, cIn: 1, h: 28, w: 28, cOut: 32, kh: 3, kw: 3 },
  { ...d0, n: 2, cIn: 32, h: 13, w: 13, cOut: 64, kh: 3, kw: 3 },
  { ...d0, n: 2, cIn: 9, h: 7, w: 6, cOut: 11, kh: 1, kw: 1 },
  { ...d0, n: 1, cIn: 3, h: 23, w: 21, cOut: 8, kh: 7, kw: 7, sh: 2, sw: 2, ph: 3, pw: 3 },
  // Winograd F(2×2, 3×3) (3×3, stride 1, 8 ≤ cIn ≤ 512): one tile per image, so a panel of tiles spans
  // up to 8 images; odd output sizes (half tiles) with unequal padding; the deepest cIn it takes
  // and the first it leaves to im2col.
  { ...d0, n: 5, cIn: 8, h: 3, w: 4, cOut: 3, kh: 3, kw: 3 },
  { ...d0, n: 3, cIn: 9, h: 8, w: 7, cOut: 10, kh: 3, kw: 3, ph: 2, pw: 0 },
  // backward weight by Winograd: 100 tiles, so its second product of 64 tiles (winograd.ts WG_KC) ends the image
  { ...d0, n: 1, cIn: 12, h: 20, w: 20, cOut: 7, kh: 3, kw: 3, ph: 1, pw: 1 },
  { ...d0, n: 1, cIn: 512, h: 4, w: 5, cOut: 5, kh: 3, kw: 3, ph: 1, pw: 1 },
  { ...d0, n: 1, cIn: 513, h: 4, w: 3, cOut: 2, kh: 3, kw: 3, ph: 1, pw: 1 },
  // backward input by Winograd (3×3, stride 1, 8 ≤ cOut ≤ 512, padding ≤ 2): 'same' padding, and
  // the largest padding it takes beside the first it leaves to im2col
  { ...d0, n: 2, cIn: 5, h: 9, w: 10, cOut: 16, kh: 3, kw: 3, ph: 1, pw: 1 },
  { ...d0, n: 1, cIn: 3, h: 4, w: 5, cOut: 8, kh: 3, kw: 3, ph: 2, pw: 3 },
  // one tile per image (1×2 outputs), so a panel of the transposed transforms spans 5 images
  // (winograd.ts winogradBackwardData); 31 input channels (the products' rows), not a multiple of MR
  { ...d0, n: 5, cIn: 3, h: 3, w: 4, cOut: 9, kh: 3, kw: 3 },
  { ...d0, n: 3, cIn: 31, h: 6, w: 5, cOut: 12, kh: 3, kw: 3, ph: 2, pw: 1 },
  // the direct path (one input channel, 3×3, stride 1): rows narrower than a vector, and a last
  // vector that overlaps the one before, with padding
  { ...d0, n: 2, cIn: 1, h: 5, w: 4, cOut: 3, kh: 3, kw: 3, ph: 1, pw: 0 },
  { ...d0, n: 3, cIn: 1, h: 6, w: 9, cOut: 5, kh: 3, kw: 3, ph: 2, pw: 1 },
];

const label = (d: ConvDims) =>
  `n${d.n} ${d.cIn}x${d.h}x${d.w} -> ${d.cOut} k${d.kh}x${d.kw} s${d.sh},${d.sw} p${d.ph},${d.pw} d${d.dh},${d.dw}`;

const dims = (d: ConvDims) => [d.n, d.cIn, d.h, d.w, d.cOut, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, d.dh, d.dw];

interface Data { x: Float32Array; w: Float32Array; bias: Float32Array; dy: Float32Array; dw0: Float32Array; db0: Float32Array }

function makeData(d: ConvDims, seed: number): Data {
  const random = rng(seed);
  const [oh, ow] = convOut(d);
  return {
    x: randomArray(d.n * d.cIn * d.h * d.w, random),
    w: randomArray(d.cOut * d.cIn * d.kh * d.kw, random),
    bias: randomArray(d.cOut, random),
    dy: randomArray(d.n * d.cOut * oh * ow, random),
    dw0: randomArray(d.cOut * d.cIn * d.kh * d.kw, random),
    db0: randomArray(d.cOut, random),
  };
}

/** Runs all three kernels of one case on one build and checks them against the references. */
function checkCase(core: RawCore, d: ConvDims, data: Data, tag: string): void {
  const { conv2dForward, conv2dBackwardInput, conv2dBackwardWeight, free } = core.exports;
  const [oh, ow] = convOut(d);
  const nx = d.n * d.cIn * d.h * d.w, nw = d.cOut * d.cIn * d.kh * d.kw, ny = d.n * d.cOut * oh * ow;
  const K = d.cIn * d.kh * d.kw;
  const tol = 1e-5 * Math.sqrt(K), tolB = 1e-5 * Math.sqrt(ny / d.cOut);
  const what = `${tag} ${label(d)}`;
  const px = buffer(core, nx, data.x), pw = buffer(core, nw, data.w), pb = buffer(core, d.cOut, data.bias);
  const pdy = buffer(core, ny, data.dy);

  const py = buffer(core, ny);
  conv2dForward(px, pw, pb, py, ...dims(d));
  expectClose(core.get(py, ny), conv2dRef(data.x, data.w, data.bias, d), tol, tol, `${what} forward+bias`);
  guardsIntact(core, py, ny, `${what} forward`);
  const py0 = buffer(core, ny);
  conv2dForward(px, pw, 0, py0, ...dims(d));
  expectClose(core.get(py0, ny), conv2dRef(data.x, data.w, null, d), tol, tol, `${what} forward`);

  const pdx = buffer(core, nx);
  conv2dBackwardInput(pdy, pw, pdx, ...dims(d));
  const tolX = 1e-5 * Math.sqrt(d.cOut * d.kh * d.kw);
  expectClose(core.get(pdx, nx), conv2dBackwardInputRef(data.dy, data.w, d), tolX, tolX, `${what} backward input`);
  guardsIntact(core, pdx, nx, `${what} backward input`);

  const ref = conv2dBackwardWeightRef(data.x, data.dy, d);
  const pdw = buffer(core, nw), pdb = buffer(core, d.cOut);
  conv2dBackwardWeight(px, pdy, pdw, pdb, ...dims(d), 0);
  expectClose(core.get(pdw, nw), ref.dw, tolB, tolB, `${what} backward weight`);
  expectClose(core.get(pdb, d.cOut), ref.dbias, tolB, tolB, `${what} backward bias`);
  guardsIntact(core, pdw, nw, `${what} backward weight`);
  guardsIntact(core, pdb, d.cOut, `${what} backward bias`);

  const pdwAcc = buffer(core, nw, data.dw0), pdbAcc = buffer(core, d.cOut, data.db0);
  conv2dBackwardWeight(px, pdy, pdwAcc, pdbAcc, ...dims(d), 1);
  expectClose(core.get(pdwAcc, nw), ref.dw.map((v, i) => v + data.dw0[i]), tolB, tolB, `${what} backward weight, accumulate`);
  expectClose(core.get(pdbAcc, d.cOut), ref.dbias.map((v, i) => v + data.db0[i]), tolB, tolB, `${what} backward bias, accumulate`);
  const pdwNoBias = buffer(core, nw);
  conv2dBackwardWeight(px, pdy, pdwNoBias, 0, ...dims(d), 0);
  expectClose(core.get(pdwNoBias, nw), ref.dw, tolB, tolB, `${what} backward weight without bias`);

  for (const p of [px, pw, pb, pdy, py, py0, pdx, pdw, pdb, pdwAcc, pdbAcc, pdwNoBias]) free(p);
}

// Data and references are computed once and shared by the builds.
const sweepData = cases.map((d, i) => makeData(d, 100 + i));
const blockData = blockCases.map((d, i) => makeData(d, 900 + i));

describe('conv reference', () => {
  it('output size is floor((in + 2·pad − dil·(k − 1) − 1) / stride) + 1', () => {
    expect(convOutSize(28, 3, 1, 0, 1)).toBe(26);
    expect(convOutSize(14, 3, 1, 1, 1)).toBe(14);
    expect(convOutSize(224, 7, 2, 3, 1)).toBe(112);
    expect(convOutSize(7, 3, 2, 0, 2)).toBe(2); // span 7 − 4 − 1 = 2 → floor(2/2) + 1
    expect(convOutSize(6, 2, 3, 0, 1)).toBe(2); // the last column does not fit and is dropped
  });
  it('a hand-computed case: 3×3 input, 2×2 kernel, padding 1, stride 2', () => {
    // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]], padded to 5×5 → output 2×2
    const d: ConvDims = { n: 1, cIn: 1, h: 3, w: 3, cOut: 1, kh: 2, kw: 2, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1 };
    const y = conv2dRef([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4], [0.5], d);
    // (0,0): window rows −1..0, cols −1..0 → only x[0][0]·w[1][1] = 4
    // (0,1): cols 1..2 → x[0][1]·w[1][0] + x[0][2]·w[1][1] = 2·3 + 3·4 = 18
    // (1,0): rows 1..2, cols −1..0 → x[1][0]·w[0][1] + x[2][0]·w[1][1] = 4·2 + 7·4 = 36
    // (1,1): rows 1..2, cols 1..2 → 5·1 + 6·2 + 8·3 + 9·4 = 77
    expect(Array.from(y)).toEqual([4.5, 18.5, 36.5, 77.5]);
  });
});

describe.each(variants)('conv2d (%s build)', (variant) => {
  const core = loadCore(variant);

  it(`forward, backward input, backward weight over ${cases.length} swept shapes`, () => {
    cases.forEach((d, i) => checkCase(core, d, sweepData[i], variant));
  });

  it('across the blocking boundaries and on the MNIST CNN shapes', () => {
    blockCases.forEach((d, i) => checkCase(core, d, blockData[i], variant));
  });

  it('gradients agree with central differences of the float64 forward', () => {
    const { conv2dBackwardInput, conv2dBackwardWeight, free } = core.exports;
    for (const d of [
      { n: 2, cIn: 2, h: 5, w: 6, cOut: 3, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 2, dh: 1, dw: 2 },
      { n: 1, cIn: 3, h: 7, w: 5, cOut: 2, kh: 2, kw: 3, sh: 1, sw: 3, ph: 2, pw: 0, dh: 2, dw: 1 },
    ] as ConvDims[]) {
      const data = makeData(d, 5);
      const nx = data.x.length, nw = data.w.length;
      // L = Σ dy · conv(x, w, b), so ∂L/∂x = backward input, ∂L/∂w = backward weight, ∂L/∂b = Σ dy.
      const loss = (x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>) =>
        conv2dRef(x, w, b, d).reduce((s, v, i) => s + v * data.dy[i], 0);
      const eps = 1e-3;
      const fd = (arr: Float32Array, i: number, f: (a: Float64Array) => number) => {
        const plus = Float64Array.from(arr), minus = Float64Array.from(arr);
        plus[i] += eps; minus[i] -= eps;
        return (f(plus) - f(minus)) / (2 * eps);
      };
      const px = core.put(data.x), pw = core.put(data.w), pdy = core.put(data.dy);
      const pdx = core.zeros(nx), pdw = core.zeros(nw), pdb = core.zeros(d.cOut);
      conv2dBackwardInput(pdy, pw, pdx, ...dims(d));
      conv2dBackwardWeight(px, pdy, pdw, pdb, ...dims(d), 0);
      const gx = core.get(pdx, nx), gw = core.get(pdw, nw), gb = core.get(pdb, d.cOut);
      const fdx = Array.from({ length: nx }, (_, i) => fd(data.x, i, (x) => loss(x, data.w, data.bias)));
      const fdw = Array.from({ length: nw }, (_, i) => fd(data.w, i, (w) => loss(data.x, w, data.bias)));
      const fdb = Array.from({ length: d.cOut }, (_, i) => fd(data.bias, i, (b) => loss(data.x, data.w, b)));
      expectClose(gx, fdx, 1e-4, 1e-4, `${variant} ${label(d)} dx vs finite differences`);
      expectClose(gw, fdw, 1e-4, 1e-4, `${variant} ${label(d)} dw vs finite differences`);
      expectClose(gb, fdb, 1e-4, 1e-4, `${variant} ${label(d)} dbias vs finite differences`);
      // and the gradients are not trivially zero
      expect(gx.some((v) => Math.abs(v) > 0.1) && gw.some((v) => Math.abs(v) > 0.1)).toBe(true);
      for (const p of [px, pw, pdy, pdx, pdw, pdb]) free(p);
    }
  });

  it('an empty output writes nothing forward, zeroes dx and (without accumulate) dw', () => {
    const { conv2dForward, conv2dBackwardInput, conv2dBackwardWeight, free } = core.exports;
    // 3×3 input, 5×5 kernel, no padding: nothing fits
    const d: ConvDims = { n: 1, cIn: 2, h: 3, w: 3, cOut: 2, kh: 5, kw: 5, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1 };
    const px = core.put(new Float32Array(18).fill(1)), pw = core.put(new Float32Array(100).fill(1));
    const py = buffer(core, 0), pdx = buffer(core, 18, new Float32Array(18).fill(3));
    const pdw = buffer(core, 100, new Float32Array(100).fill(3)), pdb = buffer(core, 2, [3, 3]);
    conv2dForward(px, pw, 0, py, ...dims(d));
    guardsIntact(core, py, 0, 'empty forward');
    conv2dBackwardInput(0, pw, pdx, ...dims(d));
    expectClose(core.get(pdx, 18), new Float32Array(18), 0, 0, 'empty backward input');
    conv2dBackwardWeight(px, 0, pdw, pdb, ...dims(d), 1);
    expectClose(core.get(pdw, 100), new Float32Array(100).fill(3), 0, 0, 'empty backward weight, accumulate');
    conv2dBackwardWeight(px, 0, pdw, pdb, ...dims(d), 0);
    expectClose(core.get(pdw, 100), new Float32Array(100), 0, 0, 'empty backward weight');
    expectClose(core.get(pdb, 2), [0, 0], 0, 0, 'empty backward bias');
    for (const p of [px, pw, py, pdx, pdw, pdb]) free(p);
  });
});
