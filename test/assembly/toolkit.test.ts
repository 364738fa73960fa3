// assembly/reduce.ts, broadcast.ts, unary.ts and gather.ts against the float64 references in
// test/reference/toolkit.ts, in every build: reductions over [outer, r, inner] for r and inner
// across every 4-lane tail (and the 16-wide and 256-block loops), maps over every tail length
// with guard cells, broadcasting geometries, transposes of every edge size.
import { describe, it, expect } from 'vitest';
import { loadCore, variants, rng, randomArray, expectClose, type RawCore } from '../helpers/wasm';
import { Buffers } from '../helpers/buffers';
import * as ref from '../reference/toolkit';

const tails = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 33];
const shapes: Array<[number, number, number]> = [];
for (const r of [...tails, 257]) shapes.push([2, r, 1]);
for (const inner of tails) for (const r of [1, 3, 8]) shapes.push([3, r, inner]);
shapes.push([1, 300, 5], [2, 5, 300]);

const scalar = loadCore('scalar');

describe.each(variants)('reductions along a dimension (%s build)', (variant) => {
  const core = loadCore(variant);
  const e = core.exports;

  it('sum / mean / max / min / argmax / argmin / logsumexp / var over every tail', () => {
    const random = rng(5);
    for (const [outer, r, inner] of shapes) {
      const n = outer * r * inner, m = outer * inner;
      const x = randomArray(n, random, 4);
      const bufs = new Buffers(core, 1);
      const px = bufs.put(x), py = bufs.put(m), pi = bufs.put(m), pm = bufs.put(m), ps = bufs.put(inner);
      const label = `${variant} [${outer},${r},${inner}]`;
      const check = (name: string, expected: Float64Array, atol: number, rtol: number, p = py) => {
        expectClose(core.get(p, m), expected, atol, rtol, `${label} ${name}`);
        bufs.checkGuards(p, m, `${label} ${name}`);
      };
      e.reduceSum(px, py, outer, r, inner, 1);
      check('sum', ref.reduceRef(x, outer, r, inner, ref.sumOf), 1e-5, r * 1e-7);
      e.reduceSum(px, py, outer, r, inner, 1 / r);
      check('mean', ref.reduceRef(x, outer, r, inner, ref.meanOf), 1e-6, r * 1e-7);
      e.reduceMax(px, py, outer, r, inner);
      check('max', ref.reduceRef(x, outer, r, inner, ref.maxOf), 0, 0);
      e.reduceMin(px, py, outer, r, inner);
      check('min', ref.reduceRef(x, outer, r, inner, ref.minOf), 0, 0);
      for (const isMin of [0, 1]) {
        e.reduceArg(px, py, pi, outer, r, inner, isMin);
        check(isMin ? 'argmin' : 'argmax', ref.reduceRef(x, outer, r, inner, (v) => ref.argOf(v, isMin === 1)), 0, 0, pi);
        check(isMin ? 'min values' : 'max values', ref.reduceRef(x, outer, r, inner, isMin ? ref.minOf : ref.maxOf), 0, 0);
      }
      e.reduceLogsumexp(px, py, ps, outer, r, inner);
      check('logsumexp', ref.reduceRef(x, outer, r, inner, ref.logsumexpOf), 1e-6, 3e-7);
      if (r > 1) {
        e.reduceVar(px, pm, py, outer, r, inner, 1 / (r - 1));
        check('var', ref.reduceRef(x, outer, r, inner, (v) => ref.varOf(v, 1)), 1e-6, r * 1e-7);
        check('var mean', ref.reduceRef(x, outer, r, inner, ref.meanOf), 1e-6, r * 1e-7, pm);
      }
      bufs.free();
    }
  });

  it('ties go to the first index, NaN wins argmax and propagates through max', () => {
    const bufs = new Buffers(core, 0);
    for (const r of [3, 9, 20]) {
      const x = new Float32Array(r).fill(2);
      x[1] = 5; x[r - 1] = 5;
      const px = bufs.put(x), pv = bufs.put(1), pi = bufs.put(1);
      e.reduceArg(px, pv, pi, 1, r, 1, 0);
      expect(core.get(pi, 1)[0]).toBe(1);
      x[2] = NaN; x[r - 2] = NaN;
      const pn = bufs.put(x);
      e.reduceArg(pn, pv, pi, 1, r, 1, 0);
      expect(core.get(pi, 1)[0]).toBe(Math.min(2, r - 2));
      e.reduceMax(pn, pv, 1, r, 1);
      expect(core.get(pv, 1)[0]).toBeNaN();
    }
    const inf = bufs.put([-Infinity, -Infinity, -Infinity, -Infinity, -Infinity]), py = bufs.put(1);
    e.reduceLogsumexp(inf, py, 0, 1, 5, 1);
    expect(core.get(py, 1)[0]).toBe(-Infinity);
    bufs.free();
  });

  it('backward maps: expand, logsumexp, var, scatter', () => {
    const random = rng(17);
    for (const [outer, r, inner] of shapes) {
      const n = outer * r * inner, m = outer * inner;
      const x = randomArray(n, random, 3), g = randomArray(m, random, 2), v = randomArray(m, random, 1);
      const idx = Float32Array.from({ length: m }, () => Math.floor(((random() + 1) / 2) * r));
      const bufs = new Buffers(core, 3);
      const px = bufs.put(x), pg = bufs.put(g), pv = bufs.put(v), pidx = bufs.put(idx), pdx = bufs.put(n);
      const label = `${variant} [${outer},${r},${inner}]`;
      const at = (o: number, i: number) => o * inner + i;
      e.expandBackward(pg, pdx, outer, r, inner, 0.5);
      expectClose(core.get(pdx, n), ref.expandRef(outer, r, inner, (o, _j, i) => 0.5 * g[at(o, i)]), 0, 6e-8, `${label} expand`);
      e.logsumexpBackward(pg, px, pv, pdx, outer, r, inner);
      expectClose(core.get(pdx, n), ref.expandRef(outer, r, inner, (o, j, i) => g[at(o, i)] * Math.exp(x[(o * r + j) * inner + i] - v[at(o, i)])), 1e-6, 3e-7, `${label} lse`);
      e.varBackward(pg, px, pv, pdx, outer, r, inner, 0.25);
      expectClose(core.get(pdx, n), ref.expandRef(outer, r, inner, (o, j, i) => Math.fround(0.25 * g[at(o, i)]) * (x[(o * r + j) * inner + i] - v[at(o, i)])), 1e-6, 2e-7, `${label} var`);
      e.scatterBackward(pg, pidx, pdx, outer, r, inner);
      expectClose(core.get(pdx, n), ref.expandRef(outer, r, inner, (o, j, i) => (idx[at(o, i)] === j ? g[at(o, i)] : 0)), 0, 0, `${label} scatter`);
      bufs.checkGuards(pdx, n, label);
      bufs.free();
    }
  });

  it('column reductions give the scalar build\'s bits', () => {
    const random = rng(23);
    const [outer, r, inner] = [3, 7, 101];
    const x = randomArray(outer * r * inner, random, 3);
    const run = (k: RawCore) => {
      const px = k.put(x), py = k.zeros(outer * inner), pm = k.zeros(outer * inner), ps = k.zeros(inner);
      const out: number[] = [];
      k.exports.reduceSum(px, py, outer, r, inner, 1); out.push(...k.get(py, outer * inner));
      k.exports.reduceLogsumexp(px, py, ps, outer, r, inner); out.push(...k.get(py, outer * inner));
      k.exports.reduceVar(px, pm, py, outer, r, inner, 0.5); out.push(...k.get(py, outer * inner));
      return Array.from(new Uint32Array(Float32Array.from(out).buffer));
    };
    expect(run(core)).toEqual(run(scalar));
  });
});

interface MapCase { name: string; range: [number, number]; call(e: RawCore['exports'], x: number, dy: number, out: number, n: number): void; ref(x: number, dy: number): number; atol: number; rtol: number }
const P = 2.7, LO = -0.6, HI = 0.8;
const mapCases: MapCase[] = [
  { name: 'log', range: [1e-3, 50], call: (e, x, _d, o, n) => e.log(x, o, n), ref: Math.log, atol: 6e-8, rtol: 1.2e-7 },
  { name: 'sqrtForward', range: [0, 50], call: (e, x, _d, o, n) => e.sqrtForward(x, o, n), ref: Math.sqrt, atol: 0, rtol: 6e-8 },
  { name: 'rsqrt', range: [1e-2, 50], call: (e, x, _d, o, n) => e.rsqrt(x, o, n), ref: (x) => 1 / Math.sqrt(x), atol: 0, rtol: 1.2e-7 },
  { name: 'absForward', range: [-5, 5], call: (e, x, _d, o, n) => e.absForward(x, o, n), ref: Math.abs, atol: 0, rtol: 0 },
  { name: 'neg', range: [-5, 5], call: (e, x, _d, o, n) => e.neg(x, o, n), ref: (x) => -x, atol: 0, rtol: 0 },
  { name: 'square', range: [-5, 5], call: (e, x, _d, o, n) => e.square(x, o, n), ref: (x) => x * x, atol: 0, rtol: 6e-8 },
  { name: 'reciprocal', range: [0.1, 5], call: (e, x, _d, o, n) => e.reciprocal(x, o, n), ref: (x) => 1 / x, atol: 0, rtol: 6e-8 },
  { name: 'powScalar', range: [1e-2, 5], call: (e, x, _d, o, n) => e.powScalar(x, o, n, P), ref: (x) => x ** Math.fround(P), atol: 0, rtol: 1e-6 },
  { name: 'clamp', range: [-2, 2], call: (e, x, _d, o, n) => e.clamp(x, o, n, LO, HI), ref: (x) => Math.min(Math.max(x, Math.fround(LO)), Math.fround(HI)), atol: 0, rtol: 0 },
  { name: 'logBackward', range: [0.1, 5], call: (e, x, d, o, n) => e.logBackward(x, d, o, n), ref: (x, dy) => dy / x, atol: 0, rtol: 6e-8 },
  { name: 'sqrtBackward', range: [0.1, 5], call: (e, x, d, o, n) => e.sqrtBackward(x, d, o, n), ref: (y, dy) => dy / (2 * y), atol: 0, rtol: 6e-8 },
  { name: 'rsqrtBackward', range: [0.1, 5], call: (e, x, d, o, n) => e.rsqrtBackward(x, d, o, n), ref: (y, dy) => -0.5 * dy * y ** 3, atol: 0, rtol: 2e-7 },
  { name: 'absBackward', range: [-5, 5], call: (e, x, d, o, n) => e.absBackward(x, d, o, n), ref: (x, dy) => dy * Math.sign(x), atol: 0, rtol: 0 },
  { name: 'powScalarBackward', range: [0.1, 5], call: (e, x, d, o, n) => e.powScalarBackward(x, d, o, n, P), ref: (x, dy) => dy * Math.fround(P) * x ** (Math.fround(P) - 1), atol: 0, rtol: 1e-6 },
  { name: 'clampBackward', range: [-2, 2], call: (e, x, d, o, n) => e.clampBackward(x, d, o, n, LO, HI), ref: (x, dy) => (x >= Math.fround(LO) && x <= Math.fround(HI) ? dy : 0), atol: 0, rtol: 0 },
  { name: 'div', range: [0.1, 5], call: (e, x, d, o, n) => e.div(d, x, o, n), ref: (x, dy) => dy / x, atol: 0, rtol: 6e-8 },
];
// 0 … 33: every 4-lane tail, and every length left over after one 16-float step of the maps
const mapSizes = [...Array.from({ length: 34 }, (_, i) => i), 64, 65, 1001];

describe.each(variants)('toolkit maps (%s build)', (variant) => {
  const core = loadCore(variant);
  for (const c of mapCases) {
    it(`${c.name} over every tail length, with guard cells; the scalar build's bits`, () => {
      const random = rng(c.name.length * 31);
      for (const n of mapSizes) {
        const bufs = new Buffers(core, n % 3);
        const [lo, hi] = c.range;
        const x = Float32Array.from({ length: n }, () => lo + ((hi - lo) * (random() + 1)) / 2);
        const dy = randomArray(n, random, 2);
        const px = bufs.put(x), pd = bufs.put(dy), po = bufs.put(n);
        c.call(core.exports, px, pd, po, n);
        const label = `${variant} ${c.name} n=${n}`;
        const got = core.get(po, n);
        expectClose(got, Array.from(x, (v, i) => c.ref(v, dy[i])), c.atol, c.rtol, label);
        bufs.checkGuards(po, n, label);
        bufs.free();
        const sx = scalar.put(x), sd = scalar.put(dy), so = scalar.zeros(n);
        c.call(scalar.exports, sx, sd, so, n);
        expect(Array.from(new Uint32Array(got.buffer)), label).toEqual(Array.from(new Uint32Array(scalar.get(so, n).buffer)));
        for (const p of [sx, sd, so]) scalar.exports.free(p);
      }
    });
  }

  it('log: relative error ≤ 1.2e-7 over a dense sweep of every binade, and the special values', () => {
    const n = 200000;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.fround(2 ** (-140 + (268 * i) / n));
    const px = core.put(x), py = core.zeros(n);
    core.exports.log(px, py, n);
    const y = core.get(py, n);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const exact = Math.log(x[i]);
      worst = Math.max(worst, Math.abs(y[i] - exact) / Math.max(Math.abs(exact), 0.5));
    }
    expect(worst).toBeLessThan(1.2e-7);
    const sp = core.put([0, -0, -1, Infinity, NaN, 1]), so = core.zeros(6);
    core.exports.log(sp, so, 6);
    expect(Array.from(core.get(so, 6))).toEqual([-Infinity, -Infinity, NaN, Infinity, NaN, 0]);
  });

  it('powScalar: sign rules for negative bases and zero exponents', () => {
    const xs = [-2, -0.5, 0, 2, 3];
    const px = core.put(xs), py = core.zeros(5);
    for (const p of [3, 2.5, -1.5, 0, -2]) {
      core.exports.powScalar(px, py, 5, p);
      const got = core.get(py, 5), want = xs.map((x) => ref.powRef(x, p));
      got.forEach((v, i) => {
        if (Number.isNaN(want[i]) || !Number.isFinite(want[i])) expect(v, `pow(${xs[i]}, ${p})`).toBe(want[i]);
        else expect(Math.abs(v - want[i]), `pow(${xs[i]}, ${p})`).toBeLessThanOrEqual(2e-7 * Math.abs(want[i]));
      });
    }
  });

  it('select picks a where c ≠ 0', () => {
    for (const n of mapSizes) {
      const random = rng(n + 1);
      const c = Float32Array.from({ length: n }, () => (random() > 0 ? 1 : 0));
      const a = randomArray(n, random), b = randomArray(n, random);
      const bufs = new Buffers(core, 1);
      const po = bufs.put(n);
      core.exports.select(bufs.put(c), bufs.put(a), bufs.put(b), po, n);
      expect(Array.from(core.get(po, n))).toEqual(Array.from(c, (v, i) => (v ? a[i] : b[i])));
      bufs.checkGuards(po, n, `select n=${n}`);
      bufs.free();
    }
  });
});

const OPS: Array<[number, string, (a: number, b: number) => number, number]> = [
  [0, 'add', (a, b) => a + b, 6e-8], [1, 'sub', (a, b) => a - b, 6e-8], [2, 'mul', (a, b) => a * b, 6e-8],
  [3, 'div', (a, b) => a / b, 6e-8], [4, 'max', Math.max, 0], [5, 'min', Math.min, 0], [6, 'pow', ref.powRef, 2e-6],
  [7, 'copy', (a) => a, 0], [8, 'maxWeight', (a, b) => (a > b ? 1 : a === b ? 0.5 : 0), 0],
  [10, 'powLog', (a, b) => (b === 0 ? 0 : b * Math.log(a)), 3e-7],
];

/** Calls broadcastBinary with explicit geometry rows [size, sa, sb, so]. */
function runStrided(core: RawCore, a: number, b: number, out: number, dims: number[][], op: number): void {
  const geo = core.put(dims.flat(), 'i32'), idx = core.zeros(dims.length);
  core.exports.broadcastBinary(a, b, out, geo, idx, dims.length, op);
  core.exports.free(geo); core.exports.free(idx);
}

describe.each(variants)('broadcasting and strided copies (%s build)', (variant) => {
  const core = loadCore(variant);
  const geometries: Array<{ shape: number[]; sa: number[]; sb: number[] }> = [];
  for (const n of [1, 3, 4, 5, 8, 13]) {
    geometries.push({ shape: [n], sa: [1], sb: [1] }); // same shape
    geometries.push({ shape: [3, n], sa: [n, 1], sb: [0, 1] }); // row vector
    geometries.push({ shape: [3, n], sa: [n, 1], sb: [1, 0] }); // column vector
    geometries.push({ shape: [3, n], sa: [0, 1], sb: [1, 0] }); // outer product
    geometries.push({ shape: [2, 3, n], sa: [3 * n, n, 1], sb: [0, 1, 0] }); // middle
    geometries.push({ shape: [n, 3], sa: [1, n], sb: [3, 1] }); // strided (transposed) a
  }
  it('every op over broadcast and strided geometries matches the reference', () => {
    const random = rng(3);
    for (const [code, name, f, rtol] of OPS) {
      for (const g of geometries) {
        const n = g.shape.reduce((p, d) => p * d, 1);
        const span = (s: number[]) => 1 + g.shape.reduce((p, d, k) => p + (d - 1) * s[k], 0);
        const lo = name === 'pow' || name === 'powLog' || name === 'div' ? 0.2 : -3;
        const a = Float32Array.from({ length: span(g.sa) }, () => lo + 3 * (random() + 1));
        const b = Float32Array.from({ length: span(g.sb) }, () => (name === 'pow' ? 3 * random() : lo + 3 * (random() + 1)));
        if (name === 'maxWeight' && a.length > 1 && b.length > 1) b[1] = a[1]; // a tie
        const bufs = new Buffers(core, 2);
        const pa = bufs.put(a), pb = bufs.put(b), po = bufs.put(n);
        const strides = (s: number[]) => s;
        const os = g.shape.map((_, k) => g.shape.slice(k + 1).reduce((p, d) => p * d, 1));
        runStrided(core, pa, pb, po, g.shape.map((d, k) => [d, strides(g.sa)[k], g.sb[k], os[k]]), code);
        const label = `${variant} ${name} ${JSON.stringify(g)}`;
        expectClose(core.get(po, n), ref.stridedRef(g.shape, a, g.sa, b, g.sb, f), 1e-7, rtol, label);
        bufs.checkGuards(po, n, label);
        bufs.free();
      }
    }
  });

  it('a strided output (scatter into a slice of a larger buffer)', () => {
    const big = new Float32Array(5 * 7).fill(9);
    const pbig = core.put(big), src = core.put([1, 2, 3, 4, 5, 6]);
    // write a [2,3] block at rows 1,3 and columns 2,4,6 of a [5,7] buffer
    runStrided(core, src, src, pbig + (1 * 7 + 2) * 4, [[2, 3, 0, 14], [3, 1, 0, 2]], 7);
    const out = core.get(pbig, 35);
    const expected = Array.from(big);
    [[1, 2, 1], [1, 4, 2], [1, 6, 3], [3, 2, 4], [3, 4, 5], [3, 6, 6]].forEach(([r, c, v]) => { expected[r * 7 + c] = v; });
    expect(Array.from(out)).toEqual(expected);
  });

  it('transpose: every edge size around the 4×4 blocks and 32×32 tiles, batched', () => {
    const random = rng(8);
    for (const [batch, rows, cols] of [[1, 1, 1], [1, 3, 5], [2, 4, 4], [1, 7, 9], [3, 8, 13], [1, 33, 31], [2, 64, 65], [1, 1, 70], [1, 70, 1]]) {
      const x = randomArray(batch * rows * cols, random);
      const bufs = new Buffers(core, 1);
      const px = bufs.put(x), po = bufs.put(x.length);
      core.exports.transpose(px, po, batch, rows, cols);
      const expected = new Float32Array(x.length);
      for (let m = 0; m < batch; m++) for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expected[m * rows * cols + c * rows + r] = x[m * rows * cols + r * cols + c];
      expect(Array.from(core.get(po, x.length)), `${batch}×${rows}×${cols}`).toEqual(Array.from(expected));
      bufs.checkGuards(po, x.length, `transpose ${batch}×${rows}×${cols}`);
      bufs.free();
    }
  });

  it('indexSelect / indexAdd / gather / scatterAdd', () => {
    const random = rng(12);
    for (const [outer, r, k, inner] of [[1, 5, 3, 1], [2, 4, 6, 3], [3, 7, 2, 9]]) {
      const x = randomArray(outer * r * inner, random);
      const sel = Int32Array.from({ length: k }, (_, j) => (j * 3 + 1) % r);
      const bufs = new Buffers(core, 0);
      const px = bufs.put(x), pi = bufs.put(sel, 'i32'), po = bufs.put(outer * k * inner);
      core.exports.indexSelect(px, pi, po, outer, r, k, inner);
      const exp = new Float32Array(outer * k * inner);
      for (let o = 0; o < outer; o++) for (let j = 0; j < k; j++) for (let i = 0; i < inner; i++) exp[(o * k + j) * inner + i] = x[(o * r + sel[j]) * inner + i];
      expect(Array.from(core.get(po, exp.length))).toEqual(Array.from(exp));
      const pdx = bufs.put(new Float32Array(x.length));
      core.exports.indexAdd(po, pi, pdx, outer, r, k, inner);
      const add = new Float64Array(x.length);
      for (let o = 0; o < outer; o++) for (let j = 0; j < k; j++) for (let i = 0; i < inner; i++) add[(o * r + sel[j]) * inner + i] += exp[(o * k + j) * inner + i];
      expectClose(core.get(pdx, x.length), add, 0, 6e-8, 'indexAdd');
      const gi = Int32Array.from({ length: outer * k * inner }, () => Math.floor(((random() + 1) / 2) * r));
      const pgi = bufs.put(gi, 'i32'), pg = bufs.put(gi.length);
      core.exports.gather(px, pgi, pg, outer, r, k, inner);
      const gexp = Float32Array.from(gi, (v, t) => { const o = Math.floor(t / (k * inner)), i = t % inner; return x[(o * r + v) * inner + i]; });
      expect(Array.from(core.get(pg, gi.length))).toEqual(Array.from(gexp));
      const psd = bufs.put(new Float32Array(x.length));
      core.exports.scatterAdd(pg, pgi, psd, outer, r, k, inner);
      const sexp = new Float64Array(x.length);
      gi.forEach((v, t) => { const o = Math.floor(t / (k * inner)), i = t % inner; sexp[(o * r + v) * inner + i] += gexp[t]; });
      expectClose(core.get(psd, x.length), sexp, 0, 6e-8, 'scatterAdd');
      bufs.free();
    }
  });
});
