// NumPy broadcasting and strided copies: one walker over an output of any rank whose inputs
// and output each have their own element strides per dimension (0 = broadcast along it), plus
// a blocked 4×4 SIMD transpose.
//
// Geometry comes in linear memory (the kernel keeps no state): `geo` holds rank × 4 i32s,
// per dimension [size, strideA, strideB, strideOut], outermost first; `idx` is rank i32s of
// scratch for the walker's counters. The binding merges dimensions that are contiguous in all
// three before the call, so the innermost dimension is long and usually has strides 1 or 0:
// those rows run SIMD (a vector, or a splat of the broadcast scalar), other strides run the
// scalar loop. A row's SIMD loop and its scalar tail use the same f32 operation, so the builds
// agree bit for bit (pow and the divisions included: no FMA).

import { log4, logf, pow4, powf } from './unary';
import { transpose4x4 } from './gemm';

export const ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAX = 4, MIN = 5, POW = 6, COPY = 7,
  MAX_WEIGHT = 8, MIN_WEIGHT = 9, POW_LOG = 10;

@inline function lane4(a: v128, b: v128, op: i32): v128 {
  switch (op) {
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
    case DIV: return f32x4.div(a, b);
    case MAX: return f32x4.max(a, b);
    case MIN: return f32x4.min(a, b);
    case POW: return pow4(a, b);
    case COPY: return a;
    // the share of maximum(a, b)'s gradient that goes to a: 1, ½ on ties, 0 (as PyTorch)
    case MAX_WEIGHT: return f32x4.add(v128.and(f32x4.gt(a, b), f32x4.splat(1)), v128.and(f32x4.eq(a, b), f32x4.splat(0.5)));
    case MIN_WEIGHT: return f32x4.add(v128.and(f32x4.lt(a, b), f32x4.splat(1)), v128.and(f32x4.eq(a, b), f32x4.splat(0.5)));
    // b·log a, 0 where b = 0 (the exponent's gradient factor of a^b: y·log a, with y in b)
    case POW_LOG: return v128.and(f32x4.mul(b, log4(a)), f32x4.ne(b, f32x4.splat(0)));
  }
  unreachable();
  return a;
}

@inline function lane1(a: f32, b: f32, op: i32): f32 {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case MAX: return max<f32>(a, b);
    case MIN: return min<f32>(a, b);
    case POW: return powf(a, b);
    case COPY: return a;
    case MAX_WEIGHT: return (a > b ? <f32>1 : 0) + (a == b ? <f32>0.5 : 0);
    case MIN_WEIGHT: return (a < b ? <f32>1 : 0) + (a == b ? <f32>0.5 : 0);
    case POW_LOG: return b != 0 ? b * logf(a) : 0;
  }
  unreachable();
  return a;
}

/** One innermost row of n outputs; `va`/`vb` say whether a/b advance (stride 1) or stay (0). */
@inline function rowContiguous(a: usize, b: usize, out: usize, n: i32, op: i32, va: bool, vb: bool): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const sa = va ? f32x4.splat(0) : f32x4.splat(load<f32>(a));
    const sb = vb ? f32x4.splat(0) : f32x4.splat(load<f32>(b));
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, lane4(va ? v128.load(a + o) : sa, vb ? v128.load(b + o) : sb, op));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, lane1(load<f32>(va ? a + o : a), load<f32>(vb ? b + o : b), op));
  }
}

@inline function row(a: usize, b: usize, out: usize, n: i32, sa: i32, sb: i32, so: i32, op: i32): void {
  if (so == 1 && sa == 1 && sb == 1) rowContiguous(a, b, out, n, op, true, true);
  else if (so == 1 && sa == 1 && sb == 0) rowContiguous(a, b, out, n, op, true, false);
  else if (so == 1 && sa == 0 && sb == 1) rowContiguous(a, b, out, n, op, false, true);
  else {
    const da = <usize>sa << 2, db = <usize>sb << 2, dout = <usize>so << 2;
    for (let i = 0; i < n; i++) {
      store<f32>(out + <usize>i * dout, lane1(load<f32>(a + <usize>i * da), load<f32>(b + <usize>i * db), op));
    }
  }
}

@inline function walk(a: usize, b: usize, out: usize, geo: usize, idx: usize, rank: i32, op: i32): void {
  const last = geo + (<usize>(rank - 1) << 4);
  const n = load<i32>(last), sa = load<i32>(last, 4), sb = load<i32>(last, 8), so = load<i32>(last, 12);
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) {
    rows *= load<i32>(geo + (<usize>d << 4));
    store<i32>(idx + (<usize>d << 2), 0);
  }
  let pa = <isize>a, pb = <isize>b, po = <isize>out;
  for (let r = 0; r < rows; r++) {
    row(<usize>pa, <usize>pb, <usize>po, n, sa, sb, so, op);
    // odometer over the outer dimensions, innermost first
    for (let d = rank - 2; d >= 0; d--) {
      const g = geo + (<usize>d << 4), c = idx + (<usize>d << 2);
      const size = load<i32>(g);
      const ea = <isize>load<i32>(g, 4) << 2, eb = <isize>load<i32>(g, 8) << 2, eo = <isize>load<i32>(g, 12) << 2;
      const k = load<i32>(c) + 1;
      if (k < size) {
        store<i32>(c, k);
        pa += ea; pb += eb; po += eo;
        break;
      }
      store<i32>(c, 0);
      const back = <isize>(size - 1);
      pa -= back * ea; pb -= back * eb; po -= back * eo;
    }
  }
}

/**
 * out = op(a, b) over the geometry at `geo` (see the top of the file); strides may be 0
 * (broadcast) or any positive step. ops: 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min, 6 pow,
 * 7 copy a, 8/9 the gradient weights of maximum/minimum, 10 b·log a (0 where b = 0).
 * `out` must not overlap an input unless their strides are equal.
 */
export function broadcastBinary(a: usize, b: usize, out: usize, geo: usize, idx: usize, rank: i32, op: i32): void {
  switch (op) {
    case ADD: walk(a, b, out, geo, idx, rank, ADD); break;
    case SUB: walk(a, b, out, geo, idx, rank, SUB); break;
    case MUL: walk(a, b, out, geo, idx, rank, MUL); break;
    case DIV: walk(a, b, out, geo, idx, rank, DIV); break;
    case MAX: walk(a, b, out, geo, idx, rank, MAX); break;
    case MIN: walk(a, b, out, geo, idx, rank, MIN); break;
    case POW: walk(a, b, out, geo, idx, rank, POW); break;
    case COPY: walk(a, a, out, geo, idx, rank, COPY); break;
    case MAX_WEIGHT: walk(a, b, out, geo, idx, rank, MAX_WEIGHT); break;
    case MIN_WEIGHT: walk(a, b, out, geo, idx, rank, MIN_WEIGHT); break;
    case POW_LOG: walk(a, b, out, geo, idx, rank, POW_LOG); break;
  }
}

// ---------------------------------------------------------------------------------------------
// Transpose: out[b, c, r] = x[b, r, c] for `batch` matrices of rows × cols. 4×4 blocks are
// loaded as four rows and transposed in registers (gemm.ts's transpose4x4); blocks go
// through 32×32 tiles so both the reads and the writes stay in cache. Edges run scalar.

const TILE = 32;

export function transpose(x: usize, out: usize, batch: i32, rows: i32, cols: i32): void {
  const rs = <usize>cols << 2, os = <usize>rows << 2;
  const plane = <usize>rows * <usize>cols << 2;
  for (let m = 0; m < batch; m++) {
    const xm = x + <usize>m * plane, om = out + <usize>m * plane;
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = min(r0 + TILE, rows);
      for (let c0 = 0; c0 < cols; c0 += TILE) {
        const c1 = min(c0 + TILE, cols);
        let r = r0;
        if (ASC_FEATURE_SIMD) {
          for (; r + 4 <= r1; r += 4) {
            let c = c0;
            for (; c + 4 <= c1; c += 4) transpose4x4(xm + <usize>r * rs + (<usize>c << 2), rs, om + <usize>c * os + (<usize>r << 2), os);
            for (; c < c1; c++) {
              for (let k = 0; k < 4; k++) {
                store<f32>(om + <usize>c * os + (<usize>(r + k) << 2), load<f32>(xm + <usize>(r + k) * rs + (<usize>c << 2)));
              }
            }
          }
        }
        for (; r < r1; r++) {
          for (let c = c0; c < c1; c++) store<f32>(om + <usize>c * os + (<usize>r << 2), load<f32>(xm + <usize>r * rs + (<usize>c << 2)));
        }
      }
    }
  }
}
