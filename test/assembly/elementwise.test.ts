// assembly/elementwise.ts against the float64 references in test/reference/elementwise.ts,
// over every tail length, at aligned and unaligned addresses, with guard cells after each output
// (a kernel that writes past n fails), in place where the contract allows it, in all builds.
import { describe, it, expect } from 'vitest';
import { loadCore, variants, rng, randomArray, expectClose, type RawCore } from '../helpers/wasm';
import { Buffers } from '../helpers/buffers';
import * as ref from '../reference/elementwise';

// 0 … 33 cross every 4-lane tail and, past one 16-float block (exp, sigmoid, tanh and the
// reductions go 16 at a time), every length left over after it; 47 … 65 more blocks; 255 … 257
// and 4099 the 256-element reduction block.
const sizes = [...Array.from({ length: 34 }, (_, i) => i), 47, 63, 64, 65, 100, 255, 256, 257, 4099];

interface MapCase {
  name: string;
  /** Input value ranges (uniform in [-r, r], or [lo, hi]). */
  inputs: Array<number | [number, number]>;
  /** Calls the kernel; `out` already holds inputs[outInit] when outInit is set (in-place ops). */
  call(e: RawCore['exports'], ins: number[], out: number, n: number): void;
  ref(...xs: number[]): number;
  outInit?: number;
  atol: number;
  rtol: number;
}

const S = 0.37; // the scalar argument (slope, alpha, s)
const cases: MapCase[] = [
  { name: 'add', inputs: [10, 10], call: (e, [a, b], o, n) => e.add(a, b, o, n), ref: (a, b) => a + b, atol: 0, rtol: 6e-8 },
  { name: 'sub', inputs: [10, 10], call: (e, [a, b], o, n) => e.sub(a, b, o, n), ref: (a, b) => a - b, atol: 0, rtol: 6e-8 },
  { name: 'mul', inputs: [10, 10], call: (e, [a, b], o, n) => e.mul(a, b, o, n), ref: (a, b) => a * b, atol: 0, rtol: 6e-8 },
  { name: 'scale', inputs: [10], call: (e, [a], o, n) => e.scale(a, S, o, n), ref: (a) => Math.fround(S) * a, atol: 0, rtol: 6e-8 },
  { name: 'addScalar', inputs: [10], call: (e, [a], o, n) => e.addScalar(a, S, o, n), ref: (a) => a + Math.fround(S), atol: 0, rtol: 6e-8 },
  { name: 'axpy', inputs: [10, 10], outInit: 1, call: (e, [x], y, n) => e.axpy(x, y, S, n), ref: (x, y) => y + Math.fround(S) * x, atol: 1e-6, rtol: 1.2e-7 },
  {
    name: 'signAxpy', inputs: [[-2, 2], 10], outInit: 1, call: (e, [x], y, n) => e.signAxpy(x, y, S, n),
    ref: (x, y) => y + Math.fround(S) * ref.sign(x), atol: 0, rtol: 6e-8,
  },
  { name: 'fill', inputs: [], call: (e, _, o, n) => e.fill(o, S, n), ref: () => Math.fround(S), atol: 0, rtol: 0 },
  { name: 'exp', inputs: [20], call: (e, [x], y, n) => e.exp(x, y, n), ref: Math.exp, atol: 0, rtol: 1.1e-7 },
  { name: 'relu', inputs: [3], call: (e, [x], y, n) => e.relu(x, y, n), ref: ref.relu, atol: 0, rtol: 0 },
  { name: 'reluBackward', inputs: [3, 3], call: (e, [x, dy], dx, n) => e.reluBackward(x, dy, dx, n), ref: ref.reluBackward, atol: 0, rtol: 0 },
  { name: 'leakyRelu', inputs: [3], call: (e, [x], y, n) => e.leakyRelu(x, y, n, S), ref: (x) => ref.leakyRelu(x, Math.fround(S)), atol: 0, rtol: 6e-8 },
  {
    name: 'leakyReluBackward', inputs: [3, 3], call: (e, [x, dy], dx, n) => e.leakyReluBackward(x, dy, dx, n, S),
    ref: (x, dy) => ref.leakyReluBackward(x, dy, Math.fround(S)), atol: 0, rtol: 6e-8,
  },
  { name: 'elu', inputs: [5], call: (e, [x], y, n) => e.elu(x, y, n, S), ref: (x) => ref.elu(x, Math.fround(S)), atol: 0, rtol: 2e-7 },
  {
    name: 'eluBackward', inputs: [5, 3], call: (e, [x, dy], dx, n) => e.eluBackward(x, dy, dx, n, S),
    ref: (x, dy) => ref.eluBackward(x, dy, Math.fround(S)), atol: 0, rtol: 4e-7,
  },
  { name: 'sigmoid', inputs: [12], call: (e, [x], y, n) => e.sigmoid(x, y, n), ref: ref.sigmoid, atol: 0, rtol: 2e-7 },
  {
    name: 'sigmoidBackward', inputs: [[0, 1], 3], call: (e, [y, dy], dx, n) => e.sigmoidBackward(y, dy, dx, n),
    ref: ref.sigmoidBackward, atol: 0, rtol: 2e-7,
  },
  { name: 'tanh', inputs: [6], call: (e, [x], y, n) => e.tanh(x, y, n), ref: ref.tanh, atol: 0, rtol: 2.2e-7 },
  {
    name: 'tanhBackward', inputs: [[-1, 1], 3], call: (e, [y, dy], dx, n) => e.tanhBackward(y, dy, dx, n),
    ref: ref.tanhBackward, atol: 3e-7, rtol: 2e-7,
  },
];

function inputData(spec: number | [number, number], n: number, random: () => number): Float32Array {
  const [lo, hi] = typeof spec === 'number' ? [-spec, spec] : spec;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + ((hi - lo) * (random() + 1)) / 2;
  // exact zeros exercise sign(0), relu'(0) and the x > 0 tests
  if (n > 5) out[5] = 0;
  return out;
}

const scalar = loadCore('scalar');

describe.each(variants)('elementwise maps (%s build)', (variant) => {
  const core = loadCore(variant);
  for (const c of cases) {
    it(`${c.name} over every tail length, aligned and not, out of place and in place`, () => {
      const random = rng(c.name.length * 7919 + 1);
      for (const misalign of [0, 1, 3]) {
        for (const n of sizes) {
          const bufs = new Buffers(core, misalign);
          const data = c.inputs.map((spec) => inputData(spec, n, random));
          const expected = Array.from({ length: n }, (_, i) => c.ref(...data.map((d) => d[i])));
          const ins = data.map((d) => bufs.put(d));
          const label = `${variant} ${c.name} n=${n} misalign=${misalign}`;
          const out = c.outInit !== undefined ? ins[c.outInit] : bufs.put(n);
          c.call(core.exports, ins, out, n);
          expectClose(core.get(out, n), expected, c.atol, c.rtol, label);
          bufs.checkGuards(out, n, label);
          if (c.outInit === undefined && c.inputs.length > 0) {
            // in place: the output overwrites the first input
            c.call(core.exports, ins, ins[0], n);
            expectClose(core.get(ins[0], n), expected, c.atol, c.rtol, `${label} in place`);
            bufs.checkGuards(ins[0], n, `${label} in place`);
          }
          bufs.free();
        }
      }
    });
  }

  it('every map gives the scalar build\'s bits', () => {
    const random = rng(99);
    const n = 1003;
    for (const c of cases) {
      const data = c.inputs.map((spec) => inputData(spec, n, random));
      const results = [core, scalar].map((k) => {
        const ins = data.map((d) => k.put(d));
        const out = c.outInit !== undefined ? ins[c.outInit] : k.zeros(n);
        c.call(k.exports, ins, out, n);
        const bits = new Uint32Array(k.get(out, n).buffer);
        for (const p of new Set([...ins, out])) k.exports.free(p);
        return bits;
      });
      expect(Array.from(results[0]), c.name).toEqual(Array.from(results[1]));
    }
  });

  it('special values: NaN propagates, saturation is clean, sign(0) = 0', () => {
    const x = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30];
    const bufs = new Buffers(core, 0);
    const px = bufs.put(x), py = bufs.put(x.length);
    const n = x.length;
    const e = core.exports;
    e.relu(px, py, n);
    expect(Array.from(core.get(py, n))).toEqual([NaN, Infinity, 0, 0, -0, Math.fround(1e-30), 0]); // −0 stays, as torch.relu
    e.elu(px, py, n, 2);
    const elu = core.get(py, n);
    expect(elu[0]).toBeNaN();
    expect(Array.from(elu.subarray(1, 4))).toEqual([Infinity, -2, 0]);
    e.leakyRelu(px, py, n, 0.5);
    expect(Array.from(core.get(py, n).subarray(0, 3))).toEqual([NaN, Infinity, -Infinity]);
    const py2 = bufs.put(new Float32Array(n).fill(1));
    e.signAxpy(px, py2, 0.5, n);
    expect(Array.from(core.get(py2, n).subarray(1))).toEqual([1.5, 0.5, 1, 1, 1.5, 0.5]);
    bufs.free();
  });
});

describe.each(variants)('elementwise reductions (%s build)', (variant) => {
  const core = loadCore(variant);
  const reductions: Array<[string, (x: number) => number]> = [
    ['sum', (x) => x], ['sumSquares', (x) => x * x], ['sumAbs', Math.abs],
  ];
  for (const [name, f] of reductions) {
    it(`${name} over every tail length, aligned and not`, () => {
      const random = rng(name.length);
      for (const misalign of [0, 1, 2]) {
        for (const n of sizes) {
          const a = randomArray(n, random, 3);
          const bufs = new Buffers(core, misalign);
          const got = core.exports[name](bufs.put(a), n);
          const exact = ref.sum(a, f), magnitude = ref.sum(a, (x) => Math.abs(f(x)));
          // f32 rounding of each 256-block sum, relative to the magnitude of the terms
          expect(Math.abs(got - exact), `${variant} ${name} n=${n} misalign=${misalign}`).toBeLessThanOrEqual(1e-6 * magnitude + 1e-30);
          bufs.free();
        }
      }
    });
  }

  it('sum of 1e6 positive values is accurate to 1e-6 relative; mixed signs to 1e-6 of Σ|a|', () => {
    const n = 1_000_000, random = rng(5);
    const pos = new Float32Array(n), mixed = new Float32Array(n);
    for (let i = 0; i < n; i++) { pos[i] = (random() + 1) / 2 + 0.25; mixed[i] = random() * 100; }
    for (const [a, scale] of [[pos, ref.sum(pos)], [mixed, ref.sum(mixed, Math.abs)]] as const) {
      const p = core.put(a);
      const got = core.exports.sum(p, n);
      expect(Math.abs(got - ref.sum(a)) / scale).toBeLessThan(1e-6);
      core.exports.free(p);
    }
  });

  it('countNonFinite counts NaN and ±Inf at every position', () => {
    const e = core.exports;
    for (const n of sizes) {
      const a = randomArray(n, rng(n), 1e30);
      let expected = 0;
      for (let i = 0; i < n; i += 3) { a[i] = [NaN, Infinity, -Infinity][i % 9 / 3]; expected++; }
      if (n > 1) a[1] = 3.4e38; // finite (close to FLT_MAX)
      const p = core.put(a);
      expect(e.countNonFinite(p, n), `n=${n}`).toBe(expected);
      e.free(p);
    }
  });
});

describe.each(variants)('elementwise row-wise kernels (%s build)', (variant) => {
  const core = loadCore(variant);
  const e = core.exports;
  const rowCounts = [1, 2, 3, 5, 7];
  const colCounts = [1, 2, 3, 4, 5, 7, 8, 9, 13, 15, 16, 17, 33];

  it('addRowVector, in place too', () => {
    const random = rng(11);
    for (const rows of rowCounts) for (const cols of colCounts) {
      const bufs = new Buffers(core, (rows + cols) % 3);
      const a = randomArray(rows * cols, random), v = randomArray(cols, random);
      const pa = bufs.put(a), pv = bufs.put(v), po = bufs.put(rows * cols);
      const expected = ref.addRowVector(a, v, rows, cols), label = `${variant} ${rows}x${cols}`;
      e.addRowVector(pa, pv, po, rows, cols);
      expectClose(core.get(po, rows * cols), expected, 0, 6e-8, label);
      bufs.checkGuards(po, rows * cols, label);
      e.addRowVector(pa, pv, pa, rows, cols);
      expectClose(core.get(pa, rows * cols), expected, 0, 6e-8, `${label} in place`);
      bufs.free();
    }
  });

  it('sumRows (bias gradient), fresh and accumulating', () => {
    const random = rng(12);
    for (const rows of [...rowCounts, 64, 0]) for (const cols of colCounts) {
      const bufs = new Buffers(core, (rows + cols) % 3);
      const a = randomArray(rows * cols, random), init = randomArray(cols, random);
      const pa = bufs.put(a), po = bufs.put(init), label = `${variant} ${rows}x${cols}`;
      e.sumRows(pa, po, rows, cols, 1);
      expectClose(core.get(po, cols), ref.sumRows(a, rows, cols, init), 1e-6 * (rows + 1), 0, `${label} accumulate`);
      bufs.checkGuards(po, cols, label);
      e.sumRows(pa, po, rows, cols, 0);
      expectClose(core.get(po, cols), ref.sumRows(a, rows, cols), 1e-6 * (rows + 1), 0, label);
      bufs.checkGuards(po, cols, label);
      bufs.free();
    }
  });

  it('sumCols', () => {
    const random = rng(13);
    for (const rows of rowCounts) for (const cols of [...colCounts, 0, 255, 257]) {
      const bufs = new Buffers(core, (rows + cols) % 3);
      const a = randomArray(rows * cols, random);
      const pa = bufs.put(a), po = bufs.put(rows), label = `${variant} ${rows}x${cols}`;
      e.sumCols(pa, po, rows, cols);
      expectClose(core.get(po, rows), ref.sumCols(a, rows, cols), 1e-6 * Math.sqrt(cols + 1), 0, label);
      bufs.checkGuards(po, rows, label);
      bufs.free();
    }
  });

  it('maxout forward and backward, ties go to the first piece', () => {
    const random = rng(14);
    for (const rows of [1, 3, 5]) for (const units of [1, 2, 3, 7]) for (const k of [1, 2, 3, 4, 5]) {
      const n = rows * units * k, m = rows * units;
      // small integers so ties are common
      const x = Float32Array.from({ length: n }, () => Math.round(random() * 3));
      const dy = randomArray(m, random);
      const bufs = new Buffers(core, k % 2);
      const px = bufs.put(x), py = bufs.put(m), pam = bufs.put(m, 'i32'), label = `${variant} ${rows}x${units}x${k}`;
      e.maxout(px, py, pam, rows, units, k);
      const want = ref.maxout(x, rows, units, k);
      expect(Array.from(core.getI32(pam, m)), `${label} argmax`).toEqual(Array.from(want.argmax));
      expectClose(core.get(py, m), want.y, 0, 0, label);
      bufs.checkGuards(py, m, label);
      bufs.checkGuards(pam, m, `${label} argmax`);
      const pdy = bufs.put(dy), pdx = bufs.put(n);
      e.maxoutBackward(pdy, pam, pdx, rows, units, k);
      const dx = ref.maxoutBackward(dy, want.argmax, rows, units, k);
      expectClose(core.get(pdx, n), dx, 0, 0, `${label} backward`);
      bufs.checkGuards(pdx, n, `${label} backward`);
      // dx may alias dy: dy is read from the front of a buffer of size n
      const pinplace = bufs.put([...dy, ...new Float32Array(n - m).fill(7)]);
      e.maxoutBackward(pinplace, pam, pinplace, rows, units, k);
      expectClose(core.get(pinplace, n), dx, 0, 0, `${label} backward in place`);
      bufs.free();
    }
  });

  it('argmaxRows, ties go to the first column', () => {
    const random = rng(15);
    for (const rows of rowCounts) for (const cols of colCounts) {
      const x = Float32Array.from({ length: rows * cols }, () => Math.round(random() * 2));
      const bufs = new Buffers(core, 1);
      const px = bufs.put(x), po = bufs.put(rows, 'i32');
      e.argmaxRows(px, po, rows, cols);
      expect(Array.from(core.getI32(po, rows)), `${variant} ${rows}x${cols}`).toEqual(Array.from(ref.argmaxRows(x, rows, cols)));
      bufs.checkGuards(po, rows, `${variant} ${rows}x${cols}`);
      bufs.free();
    }
  });
});
