// Shared helpers for the binding tests.
import { expect } from 'vitest';
import { tensor, gradcheck, type Tensor } from '../../bindings/index';
import { rng } from '../helpers/wasm';

/** A tensor of uniform values in ±[min, max] (magnitudes at least `min`, away from kinks at 0). */
export function awayFromZero(shape: number[], seedValue: number, min = 0.1, max = 1.5): Tensor {
  const r = rng(seedValue);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (r() + 1) / 2; // [0,1)
    v[i] = (r() < 0 ? -1 : 1) * (min + (max - min) * u);
  }
  return tensor(v, shape);
}

/** Uniform(−scale, scale) values. */
export function uniformTensor(shape: number[], seedValue: number, scale = 1): Tensor {
  const r = rng(seedValue);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = r() * scale;
  return tensor(v, shape);
}

/** gradcheck that reports the worst element when it fails. */
export function expectGradOk(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options = {}): void {
  const r = gradcheck(fn, inputs, options);
  if (!r.ok) throw new Error(`gradcheck failed: ${JSON.stringify(r)}`);
  expect(r.checked).toBe(inputs.reduce((s, t) => s + t.size, 0));
  expect(r.maxRelError).toBeLessThan(1e-2);
}

/** Float64 matrix product of row-major arrays. */
export function matmulRef(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
    c[i * n + j] = s;
  }
  return c;
}

export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])))) {
      throw new Error(`element ${i}: ${actual[i]} vs expected ${expected[i]} (tol ${tol})`);
    }
  }
}

/** Gaussian blobs: `classes` clusters in `dims` dimensions, `perClass` samples each (seeded). */
export function blobs(perClass: number, classes: number, dims: number, seedValue = 1, spread = 0.5): { x: Float32Array; y: Int32Array } {
  const r = rng(seedValue);
  const centres: number[][] = [];
  for (let c = 0; c < classes; c++) centres.push(Array.from({ length: dims }, () => r() * 2));
  const n = perClass * classes;
  const x = new Float32Array(n * dims), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    y[i] = c;
    for (let d = 0; d < dims; d++) x[i * dims + d] = centres[c][d] + spread * (r() + r() + r());
  }
  return { x, y };
}

/** Copies of a model's weights and an optimiser's state, to compare before/after a failure. */
export function snapshot(model: { stateDict(): Record<string, Float32Array> }, opt: { stateDict(): Record<string, Float32Array | number> }): unknown {
  const w = model.stateDict(), s = opt.stateDict();
  return {
    weights: Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Array.from(v)])),
    state: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === 'number' ? v : Array.from(v)])),
  };
}
