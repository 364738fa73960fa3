import { describe, it, expect } from 'vitest';
import { loadCore, variants, rng, randomArray, expectClose, type RawCore } from '../helpers/wasm';
import { buffer, guardsIntact } from '../helpers/guarded';
import {
  maxPool2dRef, maxPool2dBackwardRef, avgPool2dRef, avgPool2dBackwardRef, poolOut, poolOutSize, type PoolDims,
} from '../reference/pool';

// Every window size 1–5 with stride 1–3 and padding 0–2 (padding ≤ half the window, as PyTorch
// requires) on the first axis, the second axis drawn independently; odd and even spatial sizes,
// channels 1 … 13, batch 1–3, dilation 1–3 (max pooling; average pooling runs the same case
// undilated), floor and ceil mode, count_include_pad on and off. Wide rows too, so the four-lane
// SIMD path runs, not only its edges.
function sweep(): PoolDims[] {
  const random = rng(11);
  const pick = <T>(xs: T[]): T => xs[Math.floor((random() + 1) / 2 * xs.length) % xs.length];
  const cases: PoolDims[] = [];
  for (let kh = 1; kh <= 5; kh++) for (let sh = 1; sh <= 3; sh++) for (let ph = 0; ph <= Math.min(2, kh >> 1); ph++) {
    for (;;) {
      const kw = pick([1, 2, 3, 4, 5]);
      const d: PoolDims = {
        n: pick([1, 2, 3]), c: pick([1, 2, 3, 4, 5, 8, 9, 13]),
        h: pick([1, 3, 4, 5, 7, 9]), w: pick([2, 5, 8, 11, 13, 17, 28, 31]),
        kh, kw, sh, sw: pick([1, 2, 2, 3]), ph, pw: pick([0, 1, 2].filter((p) => p <= kw >> 1)),
        dh: pick([1, 1, 2, 3]), dw: pick([1, 1, 2, 3]), ceil: pick([false, true]), includePad: pick([true, false]),
      };
      const [oh, ow] = poolOut(d);
      if (oh >= 1 && ow >= 1) { cases.push(d); break; }
    }
  }
  cases.push(
    { n: 2, c: 3, h: 28, w: 28, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 }, // the MNIST CNN's pools
    { n: 1, c: 2, h: 13, w: 13, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 },
    { n: 1, c: 2, h: 13, w: 13, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0, ceil: true },
    { n: 1, c: 2, h: 15, w: 33, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 },
    { n: 1, c: 2, h: 16, w: 34, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, ceil: true, includePad: false },
    { n: 1, c: 2, h: 9, w: 30, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 2, dw: 2 },
    { n: 1, c: 1, h: 12, w: 40, kh: 2, kw: 3, sh: 2, sw: 1, ph: 1, pw: 1, dh: 3, dw: 4, ceil: true },
  );
  return cases;
}
const cases = sweep();
const label = (d: PoolDims) => `n${d.n} c${d.c} ${d.h}x${d.w} k${d.kh}x${d.kw} s${d.sh},${d.sw} p${d.ph},${d.pw}` +
  ` d${d.dh ?? 1},${d.dw ?? 1}${d.ceil ? ' ceil' : ''}${d.includePad === false ? ' excludePad' : ''}`;
/** The geometry arguments of maxPool2dForward. */
const dims = (d: PoolDims) => [d.n, d.c, d.h, d.w, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, d.dh ?? 1, d.dw ?? 1, ...poolOut(d)];
/** The same case for average pooling (no dilation), and its geometry arguments. */
const undilated = (d: PoolDims): PoolDims => ({ ...d, dh: 1, dw: 1 });
const avgDims = (d: PoolDims) => [d.n, d.c, d.h, d.w, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, ...poolOut(d), d.includePad ?? true ? 1 : 0];


/** Ties on purpose: values on a coarse grid, so equal maxima are common. */
function makeInput(d: PoolDims, seed: number, coarse: boolean): Float32Array {
  const x = randomArray(d.n * d.c * d.h * d.w, rng(seed));
  return coarse ? x.map((v) => Math.round(v * 2) / 2) : x;
}

/**
 * Max pooling with argmax equals the reference to the bit (Object.is: ±0 and NaN too), the argmax
 * included (the training fast path: 2×2 stride 2 unpadded, four outputs wide or more), and without
 * argmax (inference) gives the same bits, NaN payloads included, writing nothing past its output.
 */
function expectInferenceBits(core: RawCore, x: Float32Array, d: PoolDims, what: string): void {
  const [oh, ow] = poolOut(d);
  const ny = d.n * d.c * oh * ow, { maxPool2dForward, free } = core.exports;
  const px = core.put(x), py = buffer(core, ny), pa = buffer(core, ny), py0 = buffer(core, ny);
  maxPool2dForward(px, py, pa, ...dims(d));
  maxPool2dForward(px, py0, 0, ...dims(d));
  const ref = maxPool2dRef(x, d), y = core.get(py, ny);
  for (let o = 0; o < ny; o++) expect(Object.is(y[o], Math.fround(ref.y[o])), `${what} output ${o}`).toBe(true);
  expect(Array.from(core.getI32(pa, ny)), `${what} argmax`).toEqual(Array.from(ref.argmax));
  expect(new Uint32Array(core.get(py0, ny).buffer), what).toEqual(new Uint32Array(y.buffer));
  guardsIntact(core, py0, ny, what);
  for (const p of [px, py, pa, py0]) free(p);
}

/** The course notes' worked example: one 4×4 plane. */
const notes = [1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4];
const notesDims: PoolDims = { n: 1, c: 1, h: 4, w: 4, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 };

describe('pool reference', () => {
  it('output size floors, as PyTorch', () => {
    expect(poolOutSize(28, 2, 2, 0)).toBe(14);
    expect(poolOutSize(13, 2, 2, 0)).toBe(6); // the last row does not fit and is dropped
    expect(poolOutSize(5, 3, 2, 1)).toBe(3);
  });
  it('ceil mode and dilation, as PyTorch (values from torch 1.13)', () => {
    expect(poolOutSize(13, 2, 2, 0, 1, true)).toBe(7);
    expect(poolOutSize(6, 3, 2, 1, 1, true)).toBe(4);
    expect(poolOutSize(6, 3, 2, 1, 1, false)).toBe(3);
    expect(poolOutSize(5, 2, 2, 1, 1, true)).toBe(3); // a 4th window would start in the right padding: dropped
    expect(poolOutSize(10, 3, 1, 0, 2)).toBe(6);
    expect(poolOutSize(10, 3, 3, 1, 2, true)).toBe(4);
  });
  it("the course notes' worked example", () => {
    expect(Array.from(maxPool2dRef(notes, notesDims).y)).toEqual([6, 8, 3, 4]);
    expect(Array.from(avgPool2dRef(notes, notesDims))).toEqual([3.25, 5.25, 2, 2]);
  });
});

describe.each(variants)('pooling (%s build)', (variant) => {
  const core = loadCore(variant);
  const { maxPool2dForward, maxPool2dBackward, avgPool2dForward, avgPool2dBackward, free } = core.exports;

  it("the course notes' worked example: max [[6,8],[3,4]], average [[3.25,5.25],[2,2]]", () => {
    const px = core.put(notes), py = buffer(core, 4), pa = buffer(core, 4), pavg = buffer(core, 4);
    maxPool2dForward(px, py, pa, ...dims(notesDims));
    expect(Array.from(core.get(py, 4))).toEqual([6, 8, 3, 4]);
    expect(Array.from(core.getI32(pa, 4))).toEqual([5, 7, 8, 15]);
    avgPool2dForward(px, pavg, ...avgDims(notesDims));
    expect(Array.from(core.get(pavg, 4))).toEqual([3.25, 5.25, 2, 2]);
    for (const p of [px, py, pa, pavg]) free(p);
  });

  it(`max pooling forward and backward over ${cases.length} swept shapes (with ties)`, () => {
    cases.forEach((d, i) => {
      for (const coarse of [false, true]) {
        const [oh, ow] = poolOut(d);
        const nx = d.n * d.c * d.h * d.w, ny = d.n * d.c * oh * ow, what = `${variant} ${label(d)} coarse=${coarse}`;
        const x = makeInput(d, 300 + i, coarse), dy = randomArray(ny, rng(i));
        const ref = maxPool2dRef(x, d);
        const px = core.put(x), py = buffer(core, ny), pa = buffer(core, ny), pdy = core.put(dy), pdx = buffer(core, nx);
        maxPool2dForward(px, py, pa, ...dims(d));
        expectClose(core.get(py, ny), ref.y, 0, 0, `${what} max`);
        expect(Array.from(core.getI32(pa, ny)), `${what} argmax`).toEqual(Array.from(ref.argmax));
        guardsIntact(core, py, ny, `${what} max`);
        guardsIntact(core, pa, ny, `${what} argmax`);
        // inference (argmax = 0): the same bits, nothing else written
        const py0 = buffer(core, ny);
        maxPool2dForward(px, py0, 0, ...dims(d));
        expect(new Uint32Array(core.get(py0, ny).buffer), `${what} max without argmax`).toEqual(new Uint32Array(core.get(py, ny).buffer));
        guardsIntact(core, py0, ny, `${what} max without argmax`);
        free(py0);
        maxPool2dBackward(pdy, pa, pdx, d.n, d.c, d.h, d.w, oh, ow);
        expectClose(core.get(pdx, nx), maxPool2dBackwardRef(dy, ref.argmax, d), 1e-6, 1e-6, `${what} max backward`);
        guardsIntact(core, pdx, nx, `${what} max backward`);
        for (const p of [px, py, pa, pdy, pdx]) free(p);
      }
    });
  });

  it(`average pooling forward and backward over ${cases.length} swept shapes`, () => {
    cases.map(undilated).forEach((d, i) => {
      const [oh, ow] = poolOut(d);
      const nx = d.n * d.c * d.h * d.w, ny = d.n * d.c * oh * ow, what = `${variant} ${label(d)}`;
      const x = makeInput(d, 500 + i, false), dy = randomArray(ny, rng(i + 1));
      const px = core.put(x), py = buffer(core, ny), pdy = core.put(dy), pdx = buffer(core, nx);
      avgPool2dForward(px, py, ...avgDims(d));
      expectClose(core.get(py, ny), avgPool2dRef(x, d), 1e-6, 1e-6, `${what} avg`);
      guardsIntact(core, py, ny, `${what} avg`);
      avgPool2dBackward(pdy, pdx, ...avgDims(d));
      expectClose(core.get(pdx, nx), avgPool2dBackwardRef(dy, d), 1e-6, 1e-6, `${what} avg backward`);
      guardsIntact(core, pdx, nx, `${what} avg backward`);
      for (const p of [px, py, pdy, pdx]) free(p);
    });
  });

  it('padded cells never win: all-negative input with padding', () => {
    for (const d of [
      { n: 1, c: 2, h: 5, w: 12, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 },
      { n: 1, c: 1, h: 6, w: 19, kh: 4, kw: 5, sh: 2, sw: 2, ph: 2, pw: 2 },
    ] as PoolDims[]) {
      const [oh, ow] = poolOut(d);
      const nx = d.n * d.c * d.h * d.w, ny = d.n * d.c * oh * ow;
      const x = randomArray(nx, rng(3)).map((v) => -1 - Math.abs(v)); // every value ≤ −1
      const px = core.put(x), py = buffer(core, ny), pa = buffer(core, ny);
      maxPool2dForward(px, py, pa, ...dims(d));
      const y = core.get(py, ny), a = core.getI32(pa, ny);
      for (let o = 0; o < ny; o++) {
        expect(y[o], `${variant} output ${o} must be a real cell`).toBeLessThanOrEqual(-1);
        const plane = Math.floor(o / (oh * ow));
        expect(a[o]).toBeGreaterThanOrEqual(0);
        expect(a[o]).toBeLessThan(d.h * d.w);
        expect(x[plane * d.h * d.w + a[o]]).toBe(y[o]);
      }
      expectClose(y, maxPool2dRef(x, d).y, 0, 0, `${variant} all-negative`);
      for (const p of [px, py, pa]) free(p);
    }
  });

  it('ties go to the first cell in scan order, and −∞ windows point at their first valid cell', () => {
    // constant planes: every window ties everywhere → its first valid cell (row-major) wins
    const d: PoolDims = { n: 1, c: 2, h: 7, w: 22, kh: 3, kw: 3, sh: 2, sw: 1, ph: 1, pw: 1 };
    const [oh, ow] = poolOut(d);
    const ny = d.c * oh * ow;
    for (const value of [2.5, -Infinity]) {
      const px = core.put(new Float32Array(d.c * d.h * d.w).fill(value)), py = buffer(core, ny), pa = buffer(core, ny);
      maxPool2dForward(px, py, pa, ...dims(d));
      const a = core.getI32(pa, ny);
      for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
        const first = Math.max(0, oy * d.sh - d.ph) * d.w + Math.max(0, ox * d.sw - d.pw);
        expect(a[oy * ow + ox], `${variant} value ${value} output (${oy}, ${ox})`).toBe(first);
        expect(a[oh * ow + oy * ow + ox]).toBe(first);
      }
      expect(Array.from(core.get(py, ny)).every((v) => v === value)).toBe(true);
      free(px); free(py); free(pa);
    }
  });

  it('NaN wins its window, as in PyTorch', () => {
    const d: PoolDims = { n: 1, c: 1, h: 2, w: 16, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 };
    const x = new Float32Array(32).map((_, i) => i);
    x[5] = NaN; x[16 + 12] = NaN;
    const px = core.put(x), py = buffer(core, 8), pa = buffer(core, 8);
    maxPool2dForward(px, py, pa, ...dims(d));
    const y = core.get(py, 8), a = core.getI32(pa, 8);
    expect(Number.isNaN(y[2]) && Number.isNaN(y[6])).toBe(true);
    expect(a[2]).toBe(5);
    expect(a[6]).toBe(28);
    expect(y[0]).toBe(17);
    // without argmax (the four-lane path meets the NaN and redoes its group): the NaN's own bits
    const py0 = buffer(core, 8);
    maxPool2dForward(px, py0, 0, ...dims(d));
    expect(new Uint32Array(core.get(py0, 8).buffer)).toEqual(new Uint32Array(y.buffer));
    free(px); free(py); free(pa); free(py0);
  });

  it('without argmax, NaN, ±0 and ±∞ give the bits of the argmax path in every fast path', () => {
    const special = [NaN, 0, -0, Infinity, -Infinity];
    for (const d of [
      { n: 1, c: 2, h: 9, w: 40, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 },
      { n: 1, c: 2, h: 8, w: 37, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 },
      { n: 1, c: 2, h: 7, w: 29, kh: 3, kw: 2, sh: 1, sw: 1, ph: 1, pw: 0 },
    ] as PoolDims[]) {
      const nx = d.n * d.c * d.h * d.w, random = rng(d.w);
      // mostly −1, −0 and +0, so many windows' maximum is a zero of either sign
      const x = randomArray(nx, random).map((v, i) => (Math.abs(v) < 0.1 ? special[i % 5] : v < 0 ? -1 : i % 2 ? 0 : -0));
      expectInferenceBits(core, x, d, `${variant} ${label(d)}`);
    }
  });

  it('average pooling divides by the full window where padding is counted (count_include_pad)', () => {
    // 3×3 window, padding 1, on a 2×2 plane of ones: the corner window holds 4 ones of 9 cells
    const d: PoolDims = { n: 1, c: 1, h: 2, w: 2, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 };
    const px = core.put([1, 1, 1, 1]), py = buffer(core, 4), pdx = buffer(core, 4), pdy = core.put([9, 9, 9, 9]);
    avgPool2dForward(px, py, ...avgDims(d));
    expectClose(core.get(py, 4), [4 / 9, 4 / 9, 4 / 9, 4 / 9], 1e-7, 1e-7, 'corner windows');
    avgPool2dBackward(pdy, pdx, ...avgDims(d));
    expectClose(core.get(pdx, 4), [4, 4, 4, 4], 1e-6, 1e-6, 'corner windows backward');
    // count_include_pad = false: the same windows hold 4 real cells, so the mean of ones is 1
    avgPool2dForward(px, py, ...avgDims({ ...d, includePad: false }));
    expect(Array.from(core.get(py, 4))).toEqual([1, 1, 1, 1]);
    avgPool2dBackward(pdy, pdx, ...avgDims({ ...d, includePad: false }));
    expect(Array.from(core.get(pdx, 4))).toEqual([9, 9, 9, 9]);
    free(px); free(py); free(pdx); free(pdy);
  });

  it('max pooling backward adds where windows share a winner', () => {
    // 1×5 row, window 3, stride 1: [0, 9, 0, 0, 0] → the 9 wins the first two windows
    const d: PoolDims = { n: 1, c: 1, h: 1, w: 5, kh: 1, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0 };
    const px = core.put([0, 9, 0, 0, 0]), py = buffer(core, 3), pa = buffer(core, 3), pdx = buffer(core, 5);
    maxPool2dForward(px, py, pa, ...dims(d));
    expect(Array.from(core.getI32(pa, 3))).toEqual([1, 1, 2]);
    const pdy = core.put([1, 2, 4]);
    maxPool2dBackward(pdy, pa, pdx, 1, 1, 1, 5, 1, 3);
    expect(Array.from(core.get(pdx, 5))).toEqual([0, 3, 4, 0, 0]);
    for (const p of [px, py, pa, pdx, pdy]) free(p);
  });
});

// The inference fast paths (2×2 and 3×3 windows, stride 2, padding 0 or 1): every plane width
// 1–17 and height 1–9, floor and ceil mode, so each tail (the last group stepping back, the columns
// and rows past the edge, planes too narrow for four lanes) runs. Max pooling without argmax must
// give the argmax path's bits (which the sweep above checks against the reference), on data with
// ties, ±0, ±∞ and NaN, on plain data with one NaN somewhere (the plane is redone exactly), and
// with ±∞ but no NaN; average pooling must match the reference and give the same bits on every build.
describe('stride-2 fast paths, every width 1–17 and height 1–9', () => {
  const cores = variants.map((v) => [v, loadCore(v)] as const);
  const shapes: PoolDims[] = [];
  for (const k of [2, 3]) for (const p of [0, 1]) for (let h = 1; h <= 9; h++) for (let w = 1; w <= 17; w++) {
    for (const ceil of [false, true]) {
      const d: PoolDims = { n: 1, c: 2, h, w, kh: k, kw: k, sh: 2, sw: 2, ph: p, pw: p, ceil };
      const [oh, ow] = poolOut(d);
      if (oh >= 1 && ow >= 1) shapes.push(d);
    }
  }
  const special = [NaN, 0, -0, Infinity, -Infinity];
  const inputs = (d: PoolDims, i: number): Float32Array[] => {
    const nx = d.n * d.c * d.h * d.w, random = rng(900 + i);
    const coarse = randomArray(nx, random).map((v) => Math.round(v * 2) / 2 || (i % 2 ? 0 : -0));
    const specials = randomArray(nx, random).map((v, j) => (Math.abs(v) < 0.15 ? special[j % 5] : v < 0 ? -1 : j % 2 ? 0 : -0));
    const oneNaN = randomArray(nx, random);
    oneNaN[(i * 7919) % nx] = NaN;
    // +∞ and −∞ without NaN: their sum is NaN, which sends planes to the NaN check, not to a redo
    const infinities = randomArray(nx, random).map((v, j) => (Math.abs(v) < 0.1 ? (j % 2 ? Infinity : -Infinity) : v));
    return [coarse, specials, oneNaN, infinities];
  };

  it(`max pooling without argmax: the argmax path's bits over ${shapes.length} shapes`, () => {
    for (const [variant, core] of cores) {
      shapes.forEach((d, i) => {
        for (const x of inputs(d, i)) expectInferenceBits(core, x, d, `${variant} ${label(d)}`);
      });
    }
  });

  it(`average pooling: the reference, and the same bits on every build, over ${shapes.length} shapes × count_include_pad`, () => {
    shapes.forEach((d0, i) => {
      for (const includePad of [true, false]) {
        const d = { ...d0, includePad };
        const [oh, ow] = poolOut(d);
        const ny = d.n * d.c * oh * ow;
        const x = randomArray(d.n * d.c * d.h * d.w, rng(1300 + i)), ref = avgPool2dRef(x, d);
        let first: Uint32Array | undefined;
        for (const [variant, core] of cores) {
          const px = core.put(x), py = buffer(core, ny);
          core.exports.avgPool2dForward(px, py, ...avgDims(d));
          const y = core.get(py, ny);
          expectClose(y, ref, 1e-6, 1e-6, `${variant} ${label(d)}`);
          guardsIntact(core, py, ny, `${variant} ${label(d)}`);
          const bits = new Uint32Array(y.buffer);
          if (first) expect(bits, `${variant} ${label(d)}: the bits of ${cores[0][0]}`).toEqual(first);
          else first = bits;
          core.exports.free(px); core.exports.free(py);
        }
      }
    });
  });
});
