// Error bounds of the vectorised exp / expm1 / tanh (assembly/math.ts), measured through the
// exp, elu (alpha = 1 gives expm1 for x ≤ 0), tanh and sigmoid kernels against float64 Math.
import { describe, it, expect } from 'vitest';
import { loadCore, variants, rng, type RawCore } from '../helpers/wasm';

/** Runs a map kernel f(x, y, n, ...extra) over xs and returns y. */
function run(core: RawCore, name: string, xs: Float32Array, ...extra: number[]): Float32Array {
  const px = core.put(xs), py = core.zeros(xs.length);
  core.exports[name](px, py, xs.length, ...extra);
  const y = core.get(py, xs.length);
  core.exports.free(px); core.exports.free(py);
  return y;
}

interface Worst { rel: number; abs: number; relAt: number; absAt: number }

function measure(xs: Float32Array, y: Float32Array, ref: (x: number) => number, relFloor = 0): Worst {
  const w: Worst = { rel: 0, abs: 0, relAt: NaN, absAt: NaN };
  for (let i = 0; i < xs.length; i++) {
    const r = ref(xs[i]), d = Math.abs(y[i] - r);
    if (!(d <= w.abs)) { w.abs = d; w.absAt = xs[i]; }
    if (Math.abs(r) > relFloor) {
      const e = d / Math.abs(r);
      if (!(e <= w.rel)) { w.rel = e; w.relAt = xs[i]; }
    }
  }
  return w;
}

/** A dense grid over [lo, hi] plus uniformly random points. */
function sweep(lo: number, hi: number, n: number, seed: number): Float32Array {
  const xs = new Float32Array(2 * n), random = rng(seed);
  for (let i = 0; i < n; i++) {
    xs[i] = lo + ((hi - lo) * i) / (n - 1);
    xs[n + i] = lo + ((hi - lo) * (random() + 1)) / 2;
  }
  return xs;
}

/** ±10^e for e spread over [lo, hi] (tiny to large magnitudes, both signs). */
function logSweep(lo: number, hi: number, n: number): Float32Array {
  const xs = new Float32Array(n);
  for (let i = 0; i < n; i++) xs[i] = (i % 2 ? 1 : -1) * 10 ** (lo + ((hi - lo) * i) / (n - 1));
  return xs;
}

const scalar = loadCore('scalar');

describe.each(variants)('math (%s build)', (variant) => {
  const core = loadCore(variant);

  it('exp: relative error ≤ 1.1e-7 over [-87, 88]', () => {
    const xs = sweep(-87, 88, 500_000, 1);
    const w = measure(xs, run(core, 'exp', xs), Math.exp);
    expect(w.rel, `worst at x = ${w.relAt}`).toBeLessThanOrEqual(1.1e-7);
  });

  it('exp: edges clamp instead of overflowing, flush to 0 below -87.34, keep NaN', () => {
    const y = run(core, 'exp', new Float32Array([0, -0, 1, -Infinity, -1000, -87.34, 88.3, 89, 1000, Infinity, NaN]));
    expect(y[0]).toBe(1);
    expect(y[1]).toBe(1);
    expect(Math.abs(y[2] - Math.E) / Math.E).toBeLessThan(1.2e-7);
    expect([y[3], y[4], y[5]]).toEqual([0, 0, 0]);
    expect(Math.abs(y[6] - Math.exp(Math.fround(88.3))) / Math.exp(Math.fround(88.3))).toBeLessThan(1.2e-7);
    for (const v of [y[7], y[8], y[9]]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeCloseTo(2.4061436e38, -32); // e^88.3763, the clamp
    }
    expect(y[10]).toBeNaN();
  });

  it('expm1 (elu with alpha 1, x ≤ 0): relative error ≤ 1.2e-7 from -1e-30 to -100', () => {
    const xs = logSweep(-30, 2, 400_000).map((x) => -Math.abs(x));
    const w = measure(xs, run(core, 'elu', xs, 1), Math.expm1);
    expect(w.rel, `worst at x = ${w.relAt}`).toBeLessThanOrEqual(1.2e-7);
  });

  it('tanh: relative error ≤ 2.2e-7 and absolute ≤ 1.6e-7 everywhere, tiny |x| included', () => {
    const xs = new Float32Array([...sweep(-20, 20, 300_000, 2), ...logSweep(-38, 1.5, 200_000)]);
    const w = measure(xs, run(core, 'tanh', xs), Math.tanh);
    expect(w.rel, `worst relative at x = ${w.relAt}`).toBeLessThanOrEqual(2.2e-7);
    expect(w.abs, `worst absolute at x = ${w.absAt}`).toBeLessThanOrEqual(1.6e-7);
  });

  it('tanh saturates to exactly ±1, keeps the sign of zero and NaN', () => {
    const y = run(core, 'tanh', new Float32Array([9.02, 12, 1e30, Infinity, -9.02, -1e30, -Infinity, 0, -0, NaN, 1e-45]));
    expect(Array.from(y.subarray(0, 4))).toEqual([1, 1, 1, 1]);
    expect(Array.from(y.subarray(4, 7))).toEqual([-1, -1, -1]);
    expect(Object.is(y[7], 0)).toBe(true);
    expect(Object.is(y[8], -0)).toBe(true);
    expect(y[9]).toBeNaN();
    expect(y[10]).toBe(Math.fround(1e-45));
  });

  it('sigmoid: relative error ≤ 2e-7 where σ(x) is a normal float, 0 and 1 at the ends', () => {
    const xs = sweep(-87, 100, 300_000, 3);
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const w = measure(xs, run(core, 'sigmoid', xs), sig, 1.2e-38);
    expect(w.rel, `worst at x = ${w.relAt}`).toBeLessThanOrEqual(2e-7);
    const y = run(core, 'sigmoid', new Float32Array([-Infinity, -1000, 0, 1000, Infinity, NaN]));
    expect(Array.from(y.subarray(0, 5))).toEqual([0, 0, 0.5, 1, 1]);
    expect(y[5]).toBeNaN();
  });

  it('every build computes exp / tanh / sigmoid / expm1 bit for bit like the scalar build', () => {
    const xs = sweep(-100, 100, 20_003, 4); // odd length: tails too
    for (const [name, extra] of [['exp', []], ['tanh', []], ['sigmoid', []], ['elu', [1]]] as const) {
      const a = new Uint32Array(run(core, name, xs, ...extra).buffer);
      const b = new Uint32Array(run(scalar, name, xs, ...extra).buffer);
      let mismatch = -1;
      for (let i = 0; i < a.length && mismatch < 0; i++) if (a[i] !== b[i]) mismatch = i;
      expect(mismatch, `${name} differs at x = ${xs[mismatch]}`).toBe(-1);
    }
  });
});
