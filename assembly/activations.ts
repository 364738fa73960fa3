// The activations of the modern layers (GELU exact and tanh-approximated, SiLU, Hardtanh and so
// ReLU6) and the fused, stable row-wise log-softmax, forward and backward.
//
// Maps follow elementwise.ts: a SIMD main loop over 4 lanes and a scalar tail that runs the same
// f32 operations in the same order (no FMA), so all three builds agree bit for bit.
//
// GELU ('none') = x·Φ(x), Φ the standard normal CDF, through erfc: with z = |x|/√2,
//   q = ½·erfc(z) ≈ ½·t·P(t)·e^(−z²), t = 1/(1 + p·z)          (Abramowitz & Stegun 7.1.26)
//   Φ(x) = q for x < 0 and 1 − q for x ≥ 0,
// so the left tail has no cancellation (1 + erf(x/√2) computed directly would lose it). The
// formula's error is ≤ 1.5e-7 absolute in erf, i.e. ≤ 7.5e-8 in Φ; with f32 rounding and exp's
// 1.1e-7 relative error, test/assembly/activations.test.ts asserts |Φ − Φ_f64| ≤ 3e-7, hence
// |gelu(x) − x·Φ(x)| ≤ 3e-7·|x| + 1 ulp, and the same bound for the derivative Φ + x·φ.

import { exp4, expf, tanh4, tanhf } from './math';
import { rowMaxMin, maxOf, expShiftSum } from './loss';

const GELU = 0, GELU_TANH = 1, SILU = 2, HARDTANH = 3;
const GELU_BW = 10, GELU_TANH_BW = 11, SILU_BW = 12, HARDTANH_BW = 13;

// A&S 7.1.26 (the f32 values of the published constants)
const P: f32 = 0.3275911;
const A1: f32 = 0.254829592;
const A2: f32 = -0.284496736;
const A3: f32 = 1.421413741;
const A4: f32 = -1.453152027;
const A5: f32 = 1.061405429;
const INV_SQRT2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;
// tanh approximation: √(2/π) and 0.044715 (PyTorch's constants)
const K0: f32 = 0.7978845608028654;
const K1: f32 = 0.044715;

/** The A&S polynomial t·P(t) of erfc(z) ≈ t·P(t)·e^(−z²), t = 1/(1 + p·z), per lane. */
@inline function erfcPoly4(z: v128): v128 {
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(P), z)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(A5), t), f32x4.splat(A4));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(A3));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(A2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(A1));
  return f32x4.mul(p, t);
}

@inline function erfcPoly1(z: f32): f32 {
  const t = <f32>1 / (<f32>1 + P * z);
  let p = A5 * t + A4;
  p = p * t + A3;
  p = p * t + A2;
  p = p * t + A1;
  return p * t;
}

/** σ(x) per lane, stable both ways (as elementwise.ts's sigmoid). */
@inline function sigmoid4(a: v128): v128 {
  const e = exp4(f32x4.neg(f32x4.abs(a)));
  return f32x4.div(v128.bitselect(f32x4.splat(1), e, f32x4.ge(a, f32x4.splat(0))), f32x4.add(f32x4.splat(1), e));
}

@inline function sigmoid1(a: f32): f32 {
  const e = expf(-abs<f32>(a));
  return (a >= 0 ? <f32>1 : e) / (1 + e);
}

@inline function lane4(a: v128, b: v128, lo: f32, hi: f32, op: i32): v128 {
  const zero = f32x4.splat(0), one = f32x4.splat(1), half = f32x4.splat(0.5);
  switch (op) {
    case GELU: case GELU_BW: {
      const z = f32x4.mul(f32x4.abs(a), f32x4.splat(INV_SQRT2));
      const g = exp4(f32x4.neg(f32x4.mul(z, z))); // e^(−x²/2)
      const q = f32x4.mul(f32x4.mul(half, erfcPoly4(z)), g);
      const phi = v128.bitselect(q, f32x4.sub(one, q), f32x4.lt(a, zero));
      if (op == GELU) return f32x4.mul(a, phi);
      const dens = f32x4.mul(f32x4.splat(INV_SQRT_2PI), g);
      return f32x4.mul(b, f32x4.add(phi, f32x4.mul(a, dens)));
    }
    case GELU_TANH: case GELU_TANH_BW: {
      const a2 = f32x4.mul(a, a);
      const u = f32x4.mul(f32x4.splat(K0), f32x4.add(a, f32x4.mul(f32x4.splat(K1), f32x4.mul(a2, a))));
      const th = tanh4(u);
      if (op == GELU_TANH) return f32x4.mul(f32x4.mul(half, a), f32x4.add(one, th));
      const du = f32x4.mul(f32x4.splat(K0), f32x4.add(one, f32x4.mul(f32x4.splat(3 * K1), a2)));
      const d = f32x4.add(f32x4.mul(half, f32x4.add(one, th)), f32x4.mul(f32x4.mul(f32x4.mul(half, a), f32x4.sub(one, f32x4.mul(th, th))), du));
      return f32x4.mul(b, d);
    }
    case SILU: return f32x4.mul(a, sigmoid4(a));
    case SILU_BW: {
      const s = sigmoid4(a);
      return f32x4.mul(b, f32x4.mul(s, f32x4.add(one, f32x4.mul(a, f32x4.sub(one, s)))));
    }
    case HARDTANH: return f32x4.min(f32x4.max(a, f32x4.splat(lo)), f32x4.splat(hi));
    case HARDTANH_BW: return v128.and(b, v128.and(f32x4.gt(a, f32x4.splat(lo)), f32x4.lt(a, f32x4.splat(hi))));
  }
  unreachable();
  return a;
}

@inline function lane1(a: f32, b: f32, lo: f32, hi: f32, op: i32): f32 {
  switch (op) {
    case GELU: case GELU_BW: {
      const z = abs<f32>(a) * INV_SQRT2;
      const g = expf(-(z * z));
      const q = (<f32>0.5 * erfcPoly1(z)) * g;
      const phi = a < 0 ? q : <f32>1 - q;
      if (op == GELU) return a * phi;
      const dens = INV_SQRT_2PI * g;
      return b * (phi + a * dens);
    }
    case GELU_TANH: case GELU_TANH_BW: {
      const a2 = a * a;
      const u = K0 * (a + K1 * (a2 * a));
      const th = tanhf(u);
      if (op == GELU_TANH) return (<f32>0.5 * a) * (<f32>1 + th);
      const du = K0 * (<f32>1 + (<f32>3 * K1) * a2);
      const d = <f32>0.5 * (<f32>1 + th) + ((<f32>0.5 * a) * (<f32>1 - th * th)) * du;
      return b * d;
    }
    case SILU: return a * sigmoid1(a);
    case SILU_BW: {
      const s = sigmoid1(a);
      return b * (s * (<f32>1 + a * (<f32>1 - s)));
    }
    case HARDTANH: return min<f32>(max<f32>(a, lo), hi);
    case HARDTANH_BW: return a > lo && a < hi ? b : 0;
  }
  unreachable();
  return a;
}

/** out[i] = op(x[i], dy[i]); dy is read by the backward ops only. out may alias x or dy. */
@inline function map(x: usize, dy: usize, out: usize, n: i32, lo: f32, hi: f32, op: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, lane4(v128.load(x + o), op >= GELU_BW ? v128.load(dy + o) : f32x4.splat(0), lo, hi, op));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, lane1(load<f32>(x + o), op >= GELU_BW ? load<f32>(dy + o) : 0, lo, hi, op));
  }
}

/** y = x·Φ(x) (exact GELU through erfc; error bound above) */
export function gelu(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, 0, GELU); }
/** dx = dy·(Φ(x) + x·φ(x)) */
export function geluBackward(x: usize, dy: usize, dx: usize, n: i32): void { map(x, dy, dx, n, 0, 0, GELU_BW); }
/** y = ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (PyTorch's approximate = 'tanh') */
export function geluTanh(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, 0, GELU_TANH); }
/** dx = dy·d/dx of geluTanh */
export function geluTanhBackward(x: usize, dy: usize, dx: usize, n: i32): void { map(x, dy, dx, n, 0, 0, GELU_TANH_BW); }
/** y = x·σ(x) */
export function silu(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, 0, SILU); }
/** dx = dy·σ(x)(1 + x(1 − σ(x))) */
export function siluBackward(x: usize, dy: usize, dx: usize, n: i32): void { map(x, dy, dx, n, 0, 0, SILU_BW); }
/** y = min(max(x, lo), hi) (ReLU6: lo = 0, hi = 6). NaN stays NaN. */
export function hardtanh(x: usize, y: usize, n: i32, lo: f32, hi: f32): void { map(x, 0, y, n, lo, hi, HARDTANH); }
/** dx = dy where lo < x < hi, else 0 (as PyTorch: zero at the bounds) */
export function hardtanhBackward(x: usize, dy: usize, dx: usize, n: i32, lo: f32, hi: f32): void {
  map(x, dy, dx, n, lo, hi, HARDTANH_BW);
}

// ---------------------------------------------------------------------------------------------
// Log-softmax over the last dimension: y = x − max − log Σ e^(x − max), per row of `cols`.

/** Σ x[i] in f64: four lanes in f32, then combined in f64 with the scalar tail (the row sum of dy). */
@inline function rowSum(x: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, v128.load(x + (<usize>i << 2)));
    total = (<f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1)) +
      (<f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3));
  }
  for (; i < n; i++) total += <f64>load<f32>(x + (<usize>i << 2));
  return total;
}

/** Row-wise log-softmax, stable (two passes over the row: max + Σe, then write). y may alias x. */
export function logSoftmax(x: usize, y: usize, rows: i32, cols: i32): void {
  if (cols <= 0) return;
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride, yr = y + <usize>r * stride;
    const mm = rowMaxMin(xr, cols), m = maxOf(mm);
    // (x − max) − log Σ: subtracting the max first keeps the small results exact where x − lse
    // would round to the ulp of a large max.
    const ls = <f32>Math.log(expShiftSum(xr, 0, cols, mm, false));
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(m), vl = f32x4.splat(ls);
      for (; i + 4 <= cols; i += 4) v128.store(yr + (<usize>i << 2), f32x4.sub(f32x4.sub(v128.load(xr + (<usize>i << 2)), vm), vl));
    }
    for (; i < cols; i++) store<f32>(yr + (<usize>i << 2), (load<f32>(xr + (<usize>i << 2)) - m) - ls);
  }
}

/** dx = dy − e^y·Σ dy per row, from the forward output y. dx may alias dy. */
export function logSoftmaxBackward(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  if (cols <= 0) return;
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const yr = y + <usize>r * stride, gr = dy + <usize>r * stride, dr = dx + <usize>r * stride;
    const s = <f32>rowSum(gr, cols);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vs = f32x4.splat(s);
      for (; i + 4 <= cols; i += 4) {
        const o = <usize>i << 2;
        v128.store(dr + o, f32x4.sub(v128.load(gr + o), f32x4.mul(exp4(v128.load(yr + o)), vs)));
      }
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      store<f32>(dr + o, load<f32>(gr + o) - expf(load<f32>(yr + o)) * s);
    }
  }
}
