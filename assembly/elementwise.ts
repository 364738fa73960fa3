// Elementwise arithmetic, activations (forward and backward) and reductions.
//
// Every map runs a SIMD main loop over 4 lanes and a scalar tail (which does everything in the
// scalar build). The lane operation and its scalar twin sit side by side in lane4/lane1 and use
// the same f32 operations in the same order, so all three builds give bit-identical results
// (no FMA: these kernels are memory-bound, and identical results across builds are worth more).
// `op` is always a literal at the call site; after inlining, the optimiser folds the switch away.
//
// Pointers are byte offsets, counts are i32, and an output may alias an input of the same shape.

import { vk, K_ONE, block16, B_EXP, B_SIGMOID, B_TANH, sigmoid4, sigmoidf, exp4, expf, expm1Neg4, expm1Negf, tanh4, tanhf, pmaxf, pminf } from './math';

// ---------------------------------------------------------------------------------------------
// Unary and binary maps

// unary: y = f(x, s)
const EXP = 0, SCALE = 1, ADD_SCALAR = 2, RELU = 3, LEAKY_RELU = 4, ELU = 5, SIGMOID = 6, TANH = 7, FILL = 8;
// binary: out = f(a, b, s)
const ADD = 10, SUB = 11, MUL = 12, AXPY = 13, SIGN_AXPY = 14, RELU_BW = 15, LEAKY_RELU_BW = 16,
  ELU_BW = 17, SIGMOID_BW = 18, TANH_BW = 19;

@inline function lane4(a: v128, b: v128, s: f32, op: i32): v128 {
  const zero = f32x4.splat(0), one = vk(K_ONE);
  switch (op) {
    case EXP: return exp4(a);
    case SCALE: return f32x4.mul(f32x4.splat(s), a);
    case ADD_SCALAR: return f32x4.add(a, f32x4.splat(s));
    case FILL: return f32x4.splat(s);
    case RELU: return f32x4.pmax(a, zero); // a < 0 ? 0 : a: NaN and −0 pass through, as torch.relu
    case LEAKY_RELU: return v128.bitselect(a, f32x4.mul(a, f32x4.splat(s)), f32x4.gt(a, zero));
    case ELU: {
      const e = f32x4.mul(f32x4.splat(s), expm1Neg4(f32x4.pmin(a, zero)));
      return v128.bitselect(a, e, f32x4.gt(a, zero));
    }
    case SIGMOID: return sigmoid4(a);
    case TANH: return tanh4(a);
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
    case AXPY: return f32x4.add(b, f32x4.mul(f32x4.splat(s), a)); // a = x, b = y
    case SIGN_AXPY: {
      const sign = f32x4.sub(v128.and(f32x4.gt(a, zero), one), v128.and(f32x4.lt(a, zero), one));
      return f32x4.add(b, f32x4.mul(f32x4.splat(s), sign));
    }
    case RELU_BW: return v128.and(b, f32x4.gt(a, zero)); // a = x, b = dy
    case LEAKY_RELU_BW: return v128.bitselect(b, f32x4.mul(b, f32x4.splat(s)), f32x4.gt(a, zero));
    case ELU_BW: {
      const g = f32x4.mul(b, f32x4.mul(f32x4.splat(s), exp4(f32x4.pmin(a, zero))));
      return v128.bitselect(b, g, f32x4.gt(a, zero));
    }
    case SIGMOID_BW: return f32x4.mul(b, f32x4.mul(a, f32x4.sub(one, a))); // a = y, b = dy
    case TANH_BW: return f32x4.mul(b, f32x4.sub(one, f32x4.mul(a, a))); // a = y, b = dy
  }
  unreachable();
  return a;
}

@inline function lane1(a: f32, b: f32, s: f32, op: i32): f32 {
  switch (op) {
    case EXP: return expf(a);
    case SCALE: return s * a;
    case ADD_SCALAR: return a + s;
    case FILL: return s;
    case RELU: return pmaxf(a, 0);
    case LEAKY_RELU: return a > 0 ? a : a * s;
    case ELU: {
      const e = s * expm1Negf(pminf(a, 0));
      return a > 0 ? a : e;
    }
    case SIGMOID: return sigmoidf(a);
    case TANH: return tanhf(a);
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case AXPY: return b + s * a;
    case SIGN_AXPY: {
      const sign = (a > 0 ? <f32>1 : 0) - (a < 0 ? <f32>1 : 0);
      return b + s * sign;
    }
    case RELU_BW: return a > 0 ? b : 0;
    case LEAKY_RELU_BW: return a > 0 ? b : b * s;
    case ELU_BW: {
      const g = b * (s * expf(pminf(a, 0)));
      return a > 0 ? b : g;
    }
    case SIGMOID_BW: return b * (a * (1 - a));
    case TANH_BW: return b * (1 - a * a);
  }
  unreachable();
  return a;
}

/** One vector of map at byte offset o. */
@inline function step4(a: usize, b: usize, out: usize, o: usize, s: f32, op: i32): void {
  v128.store(out + o, lane4(op == FILL ? f32x4.splat(0) : v128.load(a + o), op >= ADD ? v128.load(b + o) : f32x4.splat(0), s, op));
}

/** out[i] = op(a[i], b[i], s); b is not read by unary ops. */
@inline function map(a: usize, b: usize, out: usize, n: i32, s: f32, op: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    if (op == EXP || op == SIGMOID || op == TANH) { // the latency-bound ones: 16 floats a step (math.ts)
      const k = op == EXP ? B_EXP : op == SIGMOID ? B_SIGMOID : B_TANH, zero = f32x4.splat(0);
      for (; i + 16 <= n; i += 16) block16(a + (<usize>i << 2), out + (<usize>i << 2), k, zero, zero, true);
    } else {
      // Four vectors a step: one a step spends as many instructions on the counter, the compare
      // and V8's loop stack check as on the op, so relu over 64 000 floats took 8.9 µs; 3.1 like this.
      for (; i + 16 <= n; i += 16) {
        const o = <usize>i << 2;
        step4(a, b, out, o, s, op); step4(a, b, out, o + 16, s, op);
        step4(a, b, out, o + 32, s, op); step4(a, b, out, o + 48, s, op);
      }
    }
    for (; i + 4 <= n; i += 4) step4(a, b, out, <usize>i << 2, s, op);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, lane1(op == FILL ? 0 : load<f32>(a + o), op >= ADD ? load<f32>(b + o) : 0, s, op));
  }
}

// ---- activations applied in place to a block of rows (the GEMM's fused epilogue) ----

/** Activation codes of activateRows (and gemmAct / conv2dForwardAct): the map op codes themselves. */
export const ACT_RELU = RELU, ACT_LEAKY_RELU = LEAKY_RELU, ACT_ELU = ELU, ACT_SIGMOID = SIGMOID, ACT_TANH = TANH;

/**
 * rows × cols floats at p (row stride ld bytes) = act(itself), alpha the slope (leaky ReLU) or α
 * (ELU): the same lane functions as relu(), sigmoid(), … in the same order, so a fused epilogue
 * gives the bits of the separate pass. Other codes leave the block unchanged.
 */
export function activateRows(p: usize, ld: usize, rows: i32, cols: i32, act: i32, alpha: f32): void {
  for (let r = 0; r < rows; r++) {
    const row = p + <usize>r * ld;
    switch (act) {
      case RELU: map(row, 0, row, cols, 0, RELU); break;
      case LEAKY_RELU: map(row, 0, row, cols, alpha, LEAKY_RELU); break;
      case ELU: map(row, 0, row, cols, alpha, ELU); break;
      case SIGMOID: map(row, 0, row, cols, 0, SIGMOID); break;
      case TANH: map(row, 0, row, cols, 0, TANH); break;
    }
  }
}

// ---- arithmetic ----

/** out = a + b */
export function add(a: usize, b: usize, out: usize, n: i32): void { map(a, b, out, n, 0, ADD); }
/** out = a − b */
export function sub(a: usize, b: usize, out: usize, n: i32): void { map(a, b, out, n, 0, SUB); }
/** out = a * b */
export function mul(a: usize, b: usize, out: usize, n: i32): void { map(a, b, out, n, 0, MUL); }
/** out = s * a */
export function scale(a: usize, s: f32, out: usize, n: i32): void { map(a, 0, out, n, s, SCALE); }
/** out = a + s */
export function addScalar(a: usize, s: f32, out: usize, n: i32): void { map(a, 0, out, n, s, ADD_SCALAR); }
/** y += alpha * x (gradient accumulation) */
export function axpy(x: usize, y: usize, alpha: f32, n: i32): void { map(x, y, y, n, alpha, AXPY); }
/** y += alpha * sign(x), sign(0) = 0 (the L1 penalty's gradient) */
export function signAxpy(x: usize, y: usize, alpha: f32, n: i32): void { map(x, y, y, n, alpha, SIGN_AXPY); }
/** out = value */
export function fill(out: usize, value: f32, n: i32): void { map(0, 0, out, n, value, FILL); }
/** y = e^x (see math.ts for the error bound and the clamping) */
export function exp(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, EXP); }

// ---- activations: forward, and backward (dx from the forward input x or output y) ----

/** y = x < 0 ? 0 : x (NaN and −0 stay, as torch.relu) */
export function relu(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, RELU); }
/** dx = x > 0 ? dy : 0 */
export function reluBackward(x: usize, dy: usize, dx: usize, n: i32): void { map(x, dy, dx, n, 0, RELU_BW); }
/** y = x > 0 ? x : slope·x */
export function leakyRelu(x: usize, y: usize, n: i32, slope: f32): void { map(x, 0, y, n, slope, LEAKY_RELU); }
/** dx = x > 0 ? dy : slope·dy */
export function leakyReluBackward(x: usize, dy: usize, dx: usize, n: i32, slope: f32): void {
  map(x, dy, dx, n, slope, LEAKY_RELU_BW);
}
/** y = x > 0 ? x : alpha·(e^x − 1) (e^x − 1 computed as expm1, accurate near 0) */
export function elu(x: usize, y: usize, n: i32, alpha: f32): void { map(x, 0, y, n, alpha, ELU); }
/** dx = x > 0 ? dy : dy·alpha·e^x */
export function eluBackward(x: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  map(x, dy, dx, n, alpha, ELU_BW);
}
/** y = 1 / (1 + e^−x) */
export function sigmoid(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, SIGMOID); }
/** dx = dy·y(1 − y), from the forward output y */
export function sigmoidBackward(y: usize, dy: usize, dx: usize, n: i32): void { map(y, dy, dx, n, 0, SIGMOID_BW); }
/** y = tanh x */
export function tanh(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, TANH); }
/** dx = dy·(1 − y²), from the forward output y */
export function tanhBackward(y: usize, dy: usize, dx: usize, n: i32): void { map(y, dy, dx, n, 0, TANH_BW); }

/**
 * Maxout: x is [rows, units·k] with unit u's pieces at columns u·k … u·k+k−1.
 * y[r,u] = max of the pieces, argmax[r,u] = the winning piece 0..k−1 (the first wins ties).
 * y may alias x (it is written behind the read position).
 */
export function maxout(x: usize, y: usize, argmax: usize, rows: i32, units: i32, k: i32): void {
  if (k <= 0) return;
  const total = rows * units;
  for (let i = 0; i < total; i++) {
    const p = x + (<usize>i * k << 2);
    let best = load<f32>(p), at = 0;
    for (let j = 1; j < k; j++) {
      const v = load<f32>(p + (<usize>j << 2));
      if (v > best) { best = v; at = j; }
    }
    store<f32>(y + (<usize>i << 2), best);
    store<i32>(argmax + (<usize>i << 2), at);
  }
}

/**
 * dx [rows, units·k] = 0 except dx[r, u·k + argmax[r,u]] = dy[r,u]. Runs from the last unit
 * down, so dx may alias dy.
 */
export function maxoutBackward(dy: usize, argmax: usize, dx: usize, rows: i32, units: i32, k: i32): void {
  if (k <= 0) return;
  for (let i = rows * units - 1; i >= 0; i--) {
    const g = load<f32>(dy + (<usize>i << 2));
    const at = load<i32>(argmax + (<usize>i << 2));
    const d = dx + (<usize>i * k << 2);
    for (let j = 0; j < k; j++) store<f32>(d + (<usize>j << 2), j == at ? g : 0);
  }
}

/** out[r] = index of the largest element of row r (the first wins ties; NaN never wins). */
export function argmaxRows(x: usize, out: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>r * cols << 2);
    let best = load<f32>(p), at = 0;
    for (let j = 1; j < cols; j++) {
      const v = load<f32>(p + (<usize>j << 2));
      if (v > best || best != best) { best = v; at = j; }
    }
    store<i32>(out + (<usize>r << 2), cols > 0 ? at : -1);
  }
}

// ---------------------------------------------------------------------------------------------
// Row / column broadcasts

/** out[r,c] = a[r,c] + v[c] */
export function addRowVector(a: usize, v: usize, out: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * stride;
    map(a + o, v, out + o, cols, 0, ADD);
  }
}

/** out[c] = (accumulate ? out[c] : 0) + Σ_r a[r,c]  (the bias gradient) */
export function sumRows(a: usize, out: usize, rows: i32, cols: i32, accumulate: i32): void {
  if (!accumulate) map(0, 0, out, cols, 0, FILL);
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) map(a + <usize>r * stride, out, out, cols, 0, ADD);
}

/** out[r] = Σ_c a[r,c] */
export function sumCols(a: usize, out: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    store<f32>(out + (<usize>r << 2), <f32>reduce(a + <usize>r * stride, 0, cols, SUM));
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions. The SIMD path sums blocks of BLOCK elements in four f32x4 accumulators (16
// running sums of at most BLOCK/16 terms each) and adds each block's total into an f64, so the
// error stays near f32 rounding of one block (~1e-7 relative) however long the array. The
// scalar path accumulates in f64 directly.

export const SUM = 0, SUM_SQUARES = 1, SUM_ABS = 2, SQUARED_DIFF = 3;
const BLOCK = 256;

@inline function term4(a: v128, b: v128, mode: i32): v128 {
  switch (mode) {
    case SUM_SQUARES: return f32x4.mul(a, a);
    case SUM_ABS: return f32x4.abs(a);
    case SQUARED_DIFF: { const d = f32x4.sub(a, b); return f32x4.mul(d, d); }
  }
  return a;
}

@inline function term1(a: f32, b: f32, mode: i32): f32 {
  switch (mode) {
    case SUM_SQUARES: return a * a;
    case SUM_ABS: return abs<f32>(a);
    case SQUARED_DIFF: { const d = a - b; return d * d; }
  }
  return a;
}

@inline function hsum(v: v128): f64 {
  return (<f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1)) +
    (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
}

/** Σ term(a[i], b[i]) in f64; b is read only by SQUARED_DIFF. */
@inline export function reduce(a: usize, b: usize, n: i32, mode: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const n16 = n & ~15;
    while (i < n16) {
      const end = min(i + BLOCK, n16);
      let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
      for (; i < end; i += 16) {
        const pa = a + (<usize>i << 2), pb = b + (<usize>i << 2);
        const two = mode == SQUARED_DIFF;
        s0 = f32x4.add(s0, term4(v128.load(pa), two ? v128.load(pb) : s0, mode));
        s1 = f32x4.add(s1, term4(v128.load(pa, 16), two ? v128.load(pb, 16) : s1, mode));
        s2 = f32x4.add(s2, term4(v128.load(pa, 32), two ? v128.load(pb, 32) : s2, mode));
        s3 = f32x4.add(s3, term4(v128.load(pa, 48), two ? v128.load(pb, 48) : s3, mode));
      }
      total += hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
    }
    let s = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      s = f32x4.add(s, term4(v128.load(a + o), mode == SQUARED_DIFF ? v128.load(b + o) : s, mode));
    }
    total += hsum(s);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    total += <f64>term1(load<f32>(a + o), mode == SQUARED_DIFF ? load<f32>(b + o) : 0, mode);
  }
  return total;
}

/** Σ a */
export function sum(a: usize, n: i32): f32 { return <f32>reduce(a, 0, n, SUM); }
/** Σ a² */
export function sumSquares(a: usize, n: i32): f32 { return <f32>reduce(a, 0, n, SUM_SQUARES); }
/** Σ |a| */
export function sumAbs(a: usize, n: i32): f32 { return <f32>reduce(a, 0, n, SUM_ABS); }

/** Number of NaN / ±Inf elements (all exponent bits set). */
export function countNonFinite(a: usize, n: i32): i32 {
  let count = 0, i = 0;
  if (ASC_FEATURE_SIMD) {
    const expMask = i32x4.splat(0x7f800000);
    let c = i32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      // a lane of all ones (−1) where non-finite
      c = i32x4.sub(c, i32x4.eq(v128.and(v128.load(a + (<usize>i << 2)), expMask), expMask));
    }
    count = i32x4.extract_lane(c, 0) + i32x4.extract_lane(c, 1) + i32x4.extract_lane(c, 2) + i32x4.extract_lane(c, 3);
  }
  for (; i < n; i++) {
    count += <i32>((load<u32>(a + (<usize>i << 2)) & 0x7f800000) == 0x7f800000);
  }
  return count;
}
