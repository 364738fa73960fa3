// Reductions along one dimension, and their backward maps. The input is viewed as
// [outer, r, inner] (the binding merges the dimensions before, within and after the reduced
// ones), the output as [outer, inner].
//
// Two shapes of loop, both SIMD with scalar tails:
// - inner = 1 (reducing the last dimension): each output reduces one contiguous row of r
//   elements, with vector accumulators and a horizontal combine at the end;
// - inner > 1: the output row of `inner` elements is the accumulator, and the r input rows
//   are folded into it one after another, four columns per vector, in order (so the SIMD
//   lanes and the scalar tail do the same f32 operations, and the builds agree bit for bit).
// Row sums reduce in f32 blocks of 256 added into an f64 (elementwise.ts's `reduce`); column
// sums fold r rows in f32 (relative error ≲ r·6e-8).
// Indices (argmax/argmin) are written as f32 (exact below 2^24).

import { reduce, SUM } from './elementwise';
import { exp4, expf } from './math';
import { log4, logf } from './unary';

// ---- the column case: fold r rows of `inner` into the output row, in order ----

const F_MAX = 0, F_MIN = 1, F_SUM = 2, F_EXP_SUM = 3, F_SQUARED_DIFF = 4;

@inline function fold4(y: v128, x: v128, aux: v128, mode: i32): v128 {
  switch (mode) {
    case F_MAX: return f32x4.max(y, x);
    case F_MIN: return f32x4.min(y, x);
    case F_SUM: return f32x4.add(y, x);
    case F_EXP_SUM: return f32x4.add(y, exp4(f32x4.sub(x, aux)));
    case F_SQUARED_DIFF: { const d = f32x4.sub(x, aux); return f32x4.add(y, f32x4.mul(d, d)); }
  }
  unreachable();
  return y;
}

@inline function fold1(y: f32, x: f32, aux: f32, mode: i32): f32 {
  switch (mode) {
    case F_MAX: return max<f32>(y, x);
    case F_MIN: return min<f32>(y, x);
    case F_SUM: return y + x;
    case F_EXP_SUM: return y + expf(x - aux);
    case F_SQUARED_DIFF: { const d = x - aux; return y + d * d; }
  }
  unreachable();
  return y;
}

/**
 * y[i] = fold over j of x[j,i] (r rows of n): max/min/sum start from row 0; the exp-sum and
 * squared-difference accumulations start from 0 and read aux[i] (the column max / mean).
 */
@inline function foldRows(x: usize, y: usize, aux: usize, r: i32, n: i32, mode: i32): void {
  const rowBytes = <usize>n << 2;
  let j = 0;
  if (mode <= F_SUM) {
    memory.copy(y, x, rowBytes);
    j = 1;
  } else {
    memory.fill(y, 0, rowBytes);
  }
  const readAux = mode > F_SUM;
  for (; j < r; j++) {
    const xj = x + <usize>j * rowBytes;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      for (; i + 4 <= n; i += 4) {
        const o4 = <usize>i << 2;
        v128.store(y + o4, fold4(v128.load(y + o4), v128.load(xj + o4), readAux ? v128.load(aux + o4) : f32x4.splat(0), mode));
      }
    }
    for (; i < n; i++) {
      const o1 = <usize>i << 2;
      store<f32>(y + o1, fold1(load<f32>(y + o1), load<f32>(xj + o1), readAux ? load<f32>(aux + o1) : 0, mode));
    }
  }
}

// ---- max / min ----

@inline function ext4(a: v128, b: v128, isMin: bool): v128 { return isMin ? f32x4.min(a, b) : f32x4.max(a, b); }
@inline function ext1(a: f32, b: f32, isMin: bool): f32 { return isMin ? min<f32>(a, b) : max<f32>(a, b); }

/** max (or min) of n contiguous floats; NaN propagates (as PyTorch). n ≥ 1. */
@inline function extremeRow(x: usize, n: i32, isMin: bool): f32 {
  let best = load<f32>(x);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    if (n >= 16) {
      let m0 = v128.load(x), m1 = v128.load(x, 16), m2 = v128.load(x, 32), m3 = v128.load(x, 48);
      for (i = 16; i + 16 <= n; i += 16) {
        const p = x + (<usize>i << 2);
        m0 = ext4(m0, v128.load(p), isMin);
        m1 = ext4(m1, v128.load(p, 16), isMin);
        m2 = ext4(m2, v128.load(p, 32), isMin);
        m3 = ext4(m3, v128.load(p, 48), isMin);
      }
      for (; i + 4 <= n; i += 4) m0 = ext4(m0, v128.load(x + (<usize>i << 2)), isMin);
      const m = ext4(ext4(m0, m1, isMin), ext4(m2, m3, isMin), isMin);
      best = ext1(ext1(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1), isMin),
        ext1(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3), isMin), isMin);
    }
  }
  for (; i < n; i++) best = ext1(best, load<f32>(x + (<usize>i << 2)), isMin);
  return best;
}

@inline function extreme(x: usize, y: usize, outer: i32, r: i32, inner: i32, isMin: bool): void {
  const plane = <usize>r * <usize>inner << 2, rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * plane, yo = y + <usize>o * rowBytes;
    if (inner == 1) {
      store<f32>(yo, extremeRow(xo, r, isMin));
      continue;
    }
    foldRows(xo, yo, 0, r, inner, isMin ? F_MIN : F_MAX);
  }
}

/** y[o,i] = max_j x[o,j,i] (NaN propagates) */
export function reduceMax(x: usize, y: usize, outer: i32, r: i32, inner: i32): void { extreme(x, y, outer, r, inner, false); }
/** y[o,i] = min_j x[o,j,i] (NaN propagates) */
export function reduceMin(x: usize, y: usize, outer: i32, r: i32, inner: i32): void { extreme(x, y, outer, r, inner, true); }

// ---- sum ----

/** y[o,i] = scale · Σ_j x[o,j,i] (scale = 1/r gives the mean) */
export function reduceSum(x: usize, y: usize, outer: i32, r: i32, inner: i32, scale: f32): void {
  const plane = <usize>r * <usize>inner << 2, rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * plane, yo = y + <usize>o * rowBytes;
    if (inner == 1) {
      store<f32>(yo, <f32>(reduce(xo, 0, r, SUM) * <f64>scale));
      continue;
    }
    foldRows(xo, yo, 0, r, inner, F_SUM);
    scaleRow(yo, inner, scale);
  }
}

@inline function scaleRow(y: usize, n: i32, s: f32): void {
  if (s == 1) return;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), f32x4.mul(v128.load(y + (<usize>i << 2)), f32x4.splat(s)));
  }
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) * s);
}

// ---- argmax / argmin ----

/** Whether (v, i) replaces (best, at): strictly better, or NaN over a number, or equal and earlier. */
@inline function beats(v: f32, i: i32, best: f32, at: i32, isMin: bool): bool {
  if (v != v) return best == best || i < at; // the first NaN wins (as PyTorch)
  if (best != best) return false;
  return (isMin ? v < best : v > best) || (v == best && i < at);
}

/**
 * indices[o,i] = the j of the largest (isMin: smallest) x[o,j,i], the first on ties, the first
 * NaN if any; values[o,i] = that element.
 */
export function reduceArg(x: usize, values: usize, indices: usize, outer: i32, r: i32, inner: i32, isMin: i32): void {
  if (isMin) argLoop(x, values, indices, outer, r, inner, true);
  else argLoop(x, values, indices, outer, r, inner, false);
}

@inline function argLoop(x: usize, values: usize, indices: usize, outer: i32, r: i32, inner: i32, isMin: bool): void {
  const plane = <usize>r * <usize>inner << 2, rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * plane, vo = values + <usize>o * rowBytes, io = indices + <usize>o * rowBytes;
    if (inner == 1) {
      let best = load<f32>(xo), at = 0, j = 1;
      if (ASC_FEATURE_SIMD) {
        if (r >= 8) {
          // per lane: best value and its index; lanes hold j ≡ lane (mod 4), scanned in order
          let bv = v128.load(xo), bi = i32x4(0, 1, 2, 3);
          let ji = i32x4(4, 5, 6, 7);
          for (j = 4; j + 4 <= r; j += 4) {
            const v = v128.load(xo + (<usize>j << 2));
            const better = v128.or(isMin ? f32x4.lt(v, bv) : f32x4.gt(v, bv), v128.andnot(f32x4.ne(v, v), f32x4.ne(bv, bv)));
            bv = v128.bitselect(v, bv, better);
            bi = v128.bitselect(ji, bi, better);
            ji = i32x4.add(ji, i32x4.splat(4));
          }
          best = f32x4.extract_lane(bv, 0); at = i32x4.extract_lane(bi, 0);
          if (beats(f32x4.extract_lane(bv, 1), i32x4.extract_lane(bi, 1), best, at, isMin)) { best = f32x4.extract_lane(bv, 1); at = i32x4.extract_lane(bi, 1); }
          if (beats(f32x4.extract_lane(bv, 2), i32x4.extract_lane(bi, 2), best, at, isMin)) { best = f32x4.extract_lane(bv, 2); at = i32x4.extract_lane(bi, 2); }
          if (beats(f32x4.extract_lane(bv, 3), i32x4.extract_lane(bi, 3), best, at, isMin)) { best = f32x4.extract_lane(bv, 3); at = i32x4.extract_lane(bi, 3); }
        }
      }
      for (; j < r; j++) {
        const v = load<f32>(xo + (<usize>j << 2));
        if (beats(v, j, best, at, isMin)) { best = v; at = j; }
      }
      store<f32>(vo, best);
      store<f32>(io, <f32>at);
      continue;
    }
    memory.copy(vo, xo, rowBytes);
    memory.fill(io, 0, rowBytes); // 0.0f is all zero bits
    for (let j = 1; j < r; j++) {
      const xj = xo + <usize>j * rowBytes;
      let i = 0;
      if (ASC_FEATURE_SIMD) {
        const jv = f32x4.splat(<f32>j);
        for (; i + 4 <= inner; i += 4) {
          const o4 = <usize>i << 2;
          const v = v128.load(xj + o4), bv = v128.load(vo + o4);
          const better = v128.or(isMin ? f32x4.lt(v, bv) : f32x4.gt(v, bv), v128.andnot(f32x4.ne(v, v), f32x4.ne(bv, bv)));
          v128.store(vo + o4, v128.bitselect(v, bv, better));
          v128.store(io + o4, v128.bitselect(jv, v128.load(io + o4), better));
        }
      }
      for (; i < inner; i++) {
        const o1 = <usize>i << 2;
        const v = load<f32>(xj + o1), bv = load<f32>(vo + o1);
        if ((isMin ? v < bv : v > bv) || (v != v && bv == bv)) {
          store<f32>(vo + o1, v);
          store<f32>(io + o1, <f32>j);
        }
      }
    }
  }
}

// ---- logsumexp ----

/** m + log Σ e^(x − m) for the row max m; m itself when it is ±Inf or NaN. */
@inline function finishLse(m: f32, s: f32): f32 {
  return m - m == 0 ? m + logf(s) : m;
}

/**
 * y[o,i] = log Σ_j e^x[o,j,i], computed as m + log Σ e^(x − m) with m the max (so it never
 * overflows). `scratch` holds `inner` floats (the column maxima) when inner > 1.
 */
export function reduceLogsumexp(x: usize, y: usize, scratch: usize, outer: i32, r: i32, inner: i32): void {
  const plane = <usize>r * <usize>inner << 2, rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * plane, yo = y + <usize>o * rowBytes;
    if (inner == 1) {
      const m = extremeRow(xo, r, false);
      let s: f32 = 0, j = 0;
      if (ASC_FEATURE_SIMD) {
        const mv = f32x4.splat(m);
        let acc = f32x4.splat(0);
        for (; j + 4 <= r; j += 4) acc = f32x4.add(acc, exp4(f32x4.sub(v128.load(xo + (<usize>j << 2)), mv)));
        s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
      }
      for (; j < r; j++) s += expf(load<f32>(xo + (<usize>j << 2)) - m);
      store<f32>(yo, finishLse(m, s));
      continue;
    }
    foldRows(xo, scratch, 0, r, inner, F_MAX);
    foldRows(xo, yo, scratch, r, inner, F_EXP_SUM);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      for (; i + 4 <= inner; i += 4) {
        const o4 = <usize>i << 2;
        const m = v128.load(scratch + o4);
        const finite = f32x4.eq(f32x4.sub(m, m), f32x4.splat(0));
        v128.store(yo + o4, v128.bitselect(f32x4.add(m, log4(v128.load(yo + o4))), m, finite));
      }
    }
    for (; i < inner; i++) {
      const o1 = <usize>i << 2;
      store<f32>(yo + o1, finishLse(load<f32>(scratch + o1), load<f32>(yo + o1)));
    }
  }
}

// ---- variance ----

/**
 * mean[o,i] = Σ_j x[o,j,i] / r and y[o,i] = Σ_j (x[o,j,i] − mean)² · invDivisor
 * (invDivisor = 1/(r − correction), PyTorch's Bessel correction). Two passes; the row case
 * sums the squares in f32 blocks of 256 added into an f64.
 */
export function reduceVar(x: usize, mean: usize, y: usize, outer: i32, r: i32, inner: i32, invDivisor: f32): void {
  const plane = <usize>r * <usize>inner << 2, rowBytes = <usize>inner << 2;
  const invR: f32 = 1 / <f32>r;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * plane, yo = y + <usize>o * rowBytes, mo = mean + <usize>o * rowBytes;
    if (inner == 1) {
      const m = <f32>(reduce(xo, 0, r, SUM) / <f64>r);
      store<f32>(mo, m);
      let total: f64 = 0, j = 0;
      if (ASC_FEATURE_SIMD) {
        const mv = f32x4.splat(m);
        const r4 = r & ~3;
        while (j < r4) {
          const end = min(j + 256, r4);
          let acc = f32x4.splat(0);
          for (; j < end; j += 4) {
            const d = f32x4.sub(v128.load(xo + (<usize>j << 2)), mv);
            acc = f32x4.add(acc, f32x4.mul(d, d));
          }
          total += (<f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1)) +
            (<f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3));
        }
      }
      for (; j < r; j++) {
        const d = load<f32>(xo + (<usize>j << 2)) - m;
        total += <f64>(d * d);
      }
      store<f32>(yo, <f32>(total * <f64>invDivisor));
      continue;
    }
    foldRows(xo, mo, 0, r, inner, F_SUM);
    scaleRow(mo, inner, invR);
    foldRows(xo, yo, mo, r, inner, F_SQUARED_DIFF);
    scaleRow(yo, inner, invDivisor);
  }
}

// ---- backward: dx[o,j,i] from g[o,i] (and x, v[o,i]) ----

const EXPAND = 0, LSE = 1, VAR = 2;

@inline function bw4(g: v128, x: v128, v: v128, s: f32, mode: i32): v128 {
  switch (mode) {
    case EXPAND: return f32x4.mul(f32x4.splat(s), g);
    case LSE: return f32x4.mul(g, exp4(f32x4.sub(x, v)));
    case VAR: return f32x4.mul(f32x4.mul(f32x4.splat(s), g), f32x4.sub(x, v));
  }
  unreachable();
  return g;
}

@inline function bw1(g: f32, x: f32, v: f32, s: f32, mode: i32): f32 {
  switch (mode) {
    case EXPAND: return s * g;
    case LSE: return g * expf(x - v);
    case VAR: return (s * g) * (x - v);
  }
  unreachable();
  return g;
}

@inline function backwardLoop(g: usize, x: usize, v: usize, dx: usize, outer: i32, r: i32, inner: i32, s: f32, mode: i32): void {
  const plane = <usize>r * <usize>inner << 2, rowBytes = <usize>inner << 2;
  const readX = mode != EXPAND;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * plane, dxo = dx + <usize>o * plane;
    const go = g + <usize>o * rowBytes, vo = v + <usize>o * rowBytes;
    if (inner == 1) {
      const gs = load<f32>(go), vs = readX ? load<f32>(vo) : 0;
      let j = 0;
      if (ASC_FEATURE_SIMD) {
        const gv = f32x4.splat(gs), vv = f32x4.splat(vs);
        for (; j + 4 <= r; j += 4) {
          const o4 = <usize>j << 2;
          v128.store(dxo + o4, bw4(gv, readX ? v128.load(xo + o4) : gv, vv, s, mode));
        }
      }
      for (; j < r; j++) {
        const o1 = <usize>j << 2;
        store<f32>(dxo + o1, bw1(gs, readX ? load<f32>(xo + o1) : 0, vs, s, mode));
      }
      continue;
    }
    for (let j = 0; j < r; j++) {
      const xj = xo + <usize>j * rowBytes, dj = dxo + <usize>j * rowBytes;
      let i = 0;
      if (ASC_FEATURE_SIMD) {
        for (; i + 4 <= inner; i += 4) {
          const o4 = <usize>i << 2;
          const gv = v128.load(go + o4);
          v128.store(dj + o4, bw4(gv, readX ? v128.load(xj + o4) : gv, readX ? v128.load(vo + o4) : gv, s, mode));
        }
      }
      for (; i < inner; i++) {
        const o1 = <usize>i << 2;
        store<f32>(dj + o1, bw1(load<f32>(go + o1), readX ? load<f32>(xj + o1) : 0, readX ? load<f32>(vo + o1) : 0, s, mode));
      }
    }
  }
}

/** dx[o,j,i] = s · g[o,i] (sum: s = 1, mean: s = 1/r) */
export function expandBackward(g: usize, dx: usize, outer: i32, r: i32, inner: i32, s: f32): void {
  backwardLoop(g, 0, 0, dx, outer, r, inner, s, EXPAND);
}
/** dx[o,j,i] = g[o,i] · e^(x[o,j,i] − y[o,i]) (y = logsumexp) */
export function logsumexpBackward(g: usize, x: usize, y: usize, dx: usize, outer: i32, r: i32, inner: i32): void {
  backwardLoop(g, x, y, dx, outer, r, inner, 1, LSE);
}
/** dx[o,j,i] = s · g[o,i] · (x[o,j,i] − mean[o,i]) (var: s = 2/(r − correction)) */
export function varBackward(g: usize, x: usize, mean: usize, dx: usize, outer: i32, r: i32, inner: i32, s: f32): void {
  backwardLoop(g, x, mean, dx, outer, r, inner, s, VAR);
}

/** dx = 0 except dx[o, indices[o,i], i] = g[o,i] (max/min along a dimension; indices as f32) */
export function scatterBackward(g: usize, indices: usize, dx: usize, outer: i32, r: i32, inner: i32): void {
  memory.fill(dx, 0, <usize>outer * <usize>r * <usize>inner << 2);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const k = <usize>o * <usize>inner + <usize>i;
      const j = <usize><i32>load<f32>(indices + (k << 2));
      store<f32>(dx + ((<usize>o * <usize>r + j) * <usize>inner + <usize>i << 2), load<f32>(g + (k << 2)));
    }
  }
}
