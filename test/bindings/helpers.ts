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
