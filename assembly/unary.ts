// Elementwise maps of the tensor toolkit (log, sqrt, rsqrt, abs, neg, pow, clamp, where) with
// their backward maps, and a vectorised natural log shared with reduce.ts and broadcast.ts.
//
// As in elementwise.ts, the SIMD lane operation (lane4) and its scalar twin (lane1) run the same
// f32 operations in the same order, without FMA, so all three builds agree bit for bit.
// Pointers are byte offsets, counts are i32, an output may alias an input of the same length.

import { exp4, expf } from './math';

// ---------------------------------------------------------------------------------------------
// log (Cephes logf): x = m·2^e with m ∈ [√½, √2), log x = log1p(m − 1) + e·ln2, log1p(f) by a
// degree-9 polynomial, ln2 split in two (Cody–Waite). Measured against float64 over a dense
// sweep (test/assembly/unary.test.ts): max relative error 1.2e-7 away from x = 1, absolute error
// ≤ 6e-8 near 1. Subnormal x is scaled by 2^23 first. log 0 = −Inf, log x<0 = NaN,
// log Inf = Inf, NaN stays NaN.

const SQRTHF: f32 = 0.7071067690849304;
const L0: f32 = 7.0376836292e-2, L1: f32 = -1.1514610310e-1, L2: f32 = 1.1676998740e-1,
  L3: f32 = -1.2420140846e-1, L4: f32 = 1.4249322787e-1, L5: f32 = -1.6668057665e-1,
  L6: f32 = 2.0000714765e-1, L7: f32 = -2.4999993993e-1, L8: f32 = 3.3333331174e-1;
const LN2_HI: f32 = 0.693359375, LN2_LO: f32 = -2.12194440e-4;
const MIN_NORMAL: f32 = 1.1754943508222875e-38;
const TWO23: f32 = 8388608;

/** log x per lane (only call under `if (ASC_FEATURE_SIMD)`). */
@inline export function log4(x: v128): v128 {
  const sub = f32x4.lt(x, f32x4.splat(MIN_NORMAL));
  const xs = v128.bitselect(f32x4.mul(x, f32x4.splat(TWO23)), x, sub);
  const bits = xs;
  // e = biased exponent − 126 (m in [0.5, 1)), minus 23 for scaled subnormals
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(126)));
  e = f32x4.sub(e, v128.and(sub, f32x4.splat(23)));
  let m = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  const lo = f32x4.lt(m, f32x4.splat(SQRTHF));
  e = f32x4.sub(e, v128.and(lo, f32x4.splat(1)));
  m = f32x4.sub(f32x4.add(m, v128.and(lo, m)), f32x4.splat(1));
  const z = f32x4.mul(m, m);
  let y = f32x4.add(f32x4.mul(f32x4.splat(L0), m), f32x4.splat(L1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L2));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L3));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L4));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L5));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L6));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L7));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L8));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(e, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let r = f32x4.add(m, y);
  r = f32x4.add(r, f32x4.mul(e, f32x4.splat(LN2_HI)));
  // special values: 0 → −Inf, < 0 → NaN, +Inf and NaN pass through
  r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(x, f32x4.splat(0)));
  r = v128.bitselect(f32x4.splat(NaN), r, f32x4.lt(x, f32x4.splat(0)));
  return v128.bitselect(x, r, v128.or(f32x4.eq(x, f32x4.splat(Infinity)), f32x4.ne(x, x)));
}

@inline export function logf(x: f32): f32 {
  const sub = x < MIN_NORMAL;
  const xs = sub ? x * TWO23 : x;
  const bits = reinterpret<i32>(xs);
  let e = <f32>((bits >>> 23) - 126);
  e = e - (sub ? <f32>23 : 0);
  let m = reinterpret<f32>((bits & 0x007fffff) | 0x3f000000);
  const lo = m < SQRTHF;
  e = e - (lo ? <f32>1 : 0);
  m = (m + (lo ? m : 0)) - 1;
  const z = m * m;
  let y = L0 * m + L1;
  y = y * m + L2;
  y = y * m + L3;
  y = y * m + L4;
  y = y * m + L5;
  y = y * m + L6;
  y = y * m + L7;
  y = y * m + L8;
  y = y * m * z;
  y = y + e * LN2_LO;
  y = y - z * 0.5;
  let r = m + y;
  r = r + e * LN2_HI;
  if (x == 0) return -Infinity;
  if (x < 0) return NaN;
  if (x == Infinity || x != x) return x;
  return r;
}

/**
 * a^b per lane for a float exponent: e^(b·log|a|), negative a only for integer b (sign from
 * b's parity, NaN otherwise), b = 0 gives 1. Relative error grows with |b·log a| (about
 * (1 + |b·log a|)·1.2e-7); results beyond e^88.38 saturate at 2.4e38 (exp's clamp).
 */
@inline export function pow4(a: v128, b: v128): v128 {
  const mag = exp4(f32x4.mul(b, log4(f32x4.abs(a))));
  const isInt = f32x4.eq(f32x4.nearest(b), b);
  const odd = f32x4.ne(f32x4.sub(b, f32x4.mul(f32x4.floor(f32x4.mul(b, f32x4.splat(0.5))), f32x4.splat(2))), f32x4.splat(0));
  const neg = f32x4.lt(a, f32x4.splat(0));
  let r = v128.bitselect(f32x4.neg(mag), mag, v128.and(neg, v128.and(isInt, odd)));
  r = v128.bitselect(f32x4.splat(NaN), r, v128.andnot(neg, isInt));
  // a = ±0, b < 0 gives Inf (exp alone would saturate); b = 0 gives 1 whatever a is
  r = v128.bitselect(f32x4.splat(Infinity), r, v128.and(f32x4.eq(a, f32x4.splat(0)), f32x4.lt(b, f32x4.splat(0))));
  return v128.bitselect(f32x4.splat(1), r, f32x4.eq(b, f32x4.splat(0)));
}

@inline export function powf(a: f32, b: f32): f32 {
  const mag = expf(b * logf(abs<f32>(a)));
  const isInt = nearest<f32>(b) == b;
  const odd = b - floor<f32>(b * 0.5) * 2 != 0;
  const neg = a < 0;
  let r = neg && isInt && odd ? -mag : mag;
  if (neg && !isInt) r = NaN;
  if (a == 0 && b < 0) r = Infinity;
  return b == 0 ? 1 : r;
}

// ---------------------------------------------------------------------------------------------
// Maps. unary: y = f(x, s, t); binary: out = f(a, b, s, t)

const LOG = 0, SQRT = 1, RSQRT = 2, ABS = 3, NEG = 4, SQUARE = 5, RECIP = 6, POW = 7, CLAMP = 8;
const LOG_BW = 10, SQRT_BW = 11, RSQRT_BW = 12, ABS_BW = 13, POW_BW = 14, CLAMP_BW = 15, DIV = 16;

@inline function lane4(a: v128, b: v128, s: f32, t: f32, op: i32): v128 {
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  switch (op) {
    case LOG: return log4(a);
    case SQRT: return f32x4.sqrt(a);
    case RSQRT: return f32x4.div(one, f32x4.sqrt(a));
    case ABS: return f32x4.abs(a);
    case NEG: return f32x4.neg(a);
    case SQUARE: return f32x4.mul(a, a);
    case RECIP: return f32x4.div(one, a);
    case POW: return pow4(a, f32x4.splat(s));
    case CLAMP: return f32x4.min(f32x4.max(a, f32x4.splat(s)), f32x4.splat(t));
    case LOG_BW: return f32x4.div(b, a); // a = x
    case SQRT_BW: return f32x4.div(f32x4.mul(b, f32x4.splat(0.5)), a); // a = y
    case RSQRT_BW: return f32x4.mul(f32x4.mul(b, f32x4.splat(-0.5)), f32x4.mul(a, f32x4.mul(a, a))); // a = y
    case ABS_BW: {
      const sign = f32x4.sub(v128.and(f32x4.gt(a, zero), one), v128.and(f32x4.lt(a, zero), one));
      return f32x4.mul(b, sign);
    }
    case POW_BW: return f32x4.mul(f32x4.mul(b, f32x4.splat(s)), pow4(a, f32x4.splat(t))); // t = s − 1
    case CLAMP_BW: return v128.and(b, v128.and(f32x4.ge(a, f32x4.splat(s)), f32x4.le(a, f32x4.splat(t))));
    case DIV: return f32x4.div(a, b);
  }
  unreachable();
  return a;
}

@inline function lane1(a: f32, b: f32, s: f32, t: f32, op: i32): f32 {
  switch (op) {
    case LOG: return logf(a);
    case SQRT: return sqrt<f32>(a);
    case RSQRT: return 1 / sqrt<f32>(a);
    case ABS: return abs<f32>(a);
    case NEG: return -a;
    case SQUARE: return a * a;
    case RECIP: return 1 / a;
    case POW: return powf(a, s);
    case CLAMP: return min<f32>(max<f32>(a, s), t);
    case LOG_BW: return b / a;
    case SQRT_BW: return (b * 0.5) / a;
    case RSQRT_BW: return (b * -0.5) * (a * (a * a));
    case ABS_BW: {
      const sign = (a > 0 ? <f32>1 : 0) - (a < 0 ? <f32>1 : 0);
      return b * sign;
    }
    case POW_BW: return (b * s) * powf(a, t);
    case CLAMP_BW: return a >= s && a <= t ? b : 0;
    case DIV: return a / b;
  }
  unreachable();
  return a;
}

/** One vector of map at byte offset o. */
@inline function step4(a: usize, b: usize, out: usize, o: usize, s: f32, t: f32, op: i32): void {
  v128.store(out + o, lane4(v128.load(a + o), op >= LOG_BW ? v128.load(b + o) : f32x4.splat(0), s, t, op));
}

@inline function map(a: usize, b: usize, out: usize, n: i32, s: f32, t: f32, op: i32): void {
  const two = op >= LOG_BW;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // four vectors a step, as elementwise.ts's map: one a step spends as much on the loop as on a cheap op
    for (; i + 16 <= n; i += 16) {
      const o = <usize>i << 2;
      step4(a, b, out, o, s, t, op); step4(a, b, out, o + 16, s, t, op);
      step4(a, b, out, o + 32, s, t, op); step4(a, b, out, o + 48, s, t, op);
    }
    for (; i + 4 <= n; i += 4) step4(a, b, out, <usize>i << 2, s, t, op);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, lane1(load<f32>(a + o), two ? load<f32>(b + o) : 0, s, t, op));
  }
}

/** y = log x */
export function log(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, 0, LOG); }
/** y = √x */
export function sqrtForward(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, 0, SQRT); }
/** y = 1/√x */
export function rsqrt(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, 0, RSQRT); }
/** y = |x| */
export function absForward(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, 0, ABS); }
/** y = −x */
export function neg(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, 0, NEG); }
/** y = x² */
export function square(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, 0, SQUARE); }
/** y = 1/x */
export function reciprocal(x: usize, y: usize, n: i32): void { map(x, 0, y, n, 0, 0, RECIP); }
/** y = x^p (see pow4 for the accuracy and the sign rules) */
export function powScalar(x: usize, y: usize, n: i32, p: f32): void { map(x, 0, y, n, p, 0, POW); }
/** y = min(max(x, lo), hi) */
export function clamp(x: usize, y: usize, n: i32, lo: f32, hi: f32): void { map(x, 0, y, n, lo, hi, CLAMP); }
/** dx = dy / x */
export function logBackward(x: usize, dy: usize, dx: usize, n: i32): void { map(x, dy, dx, n, 0, 0, LOG_BW); }
/** dx = dy / (2y), from the forward output y = √x */
export function sqrtBackward(y: usize, dy: usize, dx: usize, n: i32): void { map(y, dy, dx, n, 0, 0, SQRT_BW); }
/** dx = −dy·y³/2, from the forward output y = 1/√x */
export function rsqrtBackward(y: usize, dy: usize, dx: usize, n: i32): void { map(y, dy, dx, n, 0, 0, RSQRT_BW); }
/** dx = dy·sign(x), sign(0) = 0 (as PyTorch) */
export function absBackward(x: usize, dy: usize, dx: usize, n: i32): void { map(x, dy, dx, n, 0, 0, ABS_BW); }
/** dx = dy·p·x^(p−1) */
export function powScalarBackward(x: usize, dy: usize, dx: usize, n: i32, p: f32): void { map(x, dy, dx, n, p, p - 1, POW_BW); }
/** dx = lo ≤ x ≤ hi ? dy : 0 (PyTorch passes the gradient at the bounds) */
export function clampBackward(x: usize, dy: usize, dx: usize, n: i32, lo: f32, hi: f32): void { map(x, dy, dx, n, lo, hi, CLAMP_BW); }
/** out = a / b (same length) */
export function div(a: usize, b: usize, out: usize, n: i32): void { map(a, b, out, n, 0, 0, DIV); }

/** out = c ≠ 0 ? a : b (all four the same length; NaN in c counts as true, as a nonzero) */
export function select(c: usize, a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const m = f32x4.ne(v128.load(c + o), f32x4.splat(0));
      v128.store(out + o, v128.bitselect(v128.load(a + o), v128.load(b + o), m));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(c + o) != 0 ? load<f32>(a + o) : load<f32>(b + o));
  }
}
