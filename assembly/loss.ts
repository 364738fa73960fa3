// Losses, forward and backward: softmax (+ fused cross-entropy), multiclass SVM hinge, MSE.
//
// Row-wise kernels take a batch of `rows` rows of `classes` (or `cols`) scores each, row-major;
// labels are i32 in [0, classes), validated by the caller. Per-row sums and the batch mean are
// accumulated in f64. Returned losses are means over rows (softmax-CE, SVM) or elements (MSE);
// the mean over zero rows or elements is NaN, as in PyTorch.

import { exp4, expf, expShift4, expShiftf, pmaxf, pminf, block16, B_EXP_SHIFT, B_EXP_SHIFT_IN, expShiftInRange } from './math';
import { reduce, SQUARED_DIFF, scale as scaleArray } from './elementwise';

/**
 * max and min of n ≥ 1 floats, packed as their f32 bits in one i64 (max high; maxOf/minOf unpack,
 * and inlined the packing folds away), by pmax/pmin (`m < v ? v : m`, one maxps; f32x4.max costs V8
 * about eight instructions), in four independent accumulators each: one is a chain of maxps
 * latencies (9.5 µs over 64×1000 floats), four run at memory speed (2.9 µs, min included). The min
 * tells the exponentials whether any e^(x − max) can underflow (expShiftSum). A NaN may be skipped
 * here, but it reaches the row's exponentials and makes Σ, and so the whole row, NaN all the same.
 */
@inline export function rowMaxMin(p: usize, n: i32): i64 {
  let m: f32 = -Infinity, l: f32 = Infinity;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    if (n >= 16) {
      let a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32), d = v128.load(p, 48);
      let la = a, lb = b, lc = c, ld = d;
      for (i = 16; i + 16 <= n; i += 16) {
        const q = p + (<usize>i << 2);
        const va = v128.load(q), vb = v128.load(q, 16), vc = v128.load(q, 32), vd = v128.load(q, 48);
        a = f32x4.pmax(a, va); b = f32x4.pmax(b, vb); c = f32x4.pmax(c, vc); d = f32x4.pmax(d, vd);
        la = f32x4.pmin(la, va); lb = f32x4.pmin(lb, vb); lc = f32x4.pmin(lc, vc); ld = f32x4.pmin(ld, vd);
      }
      a = f32x4.pmax(f32x4.pmax(a, b), f32x4.pmax(c, d));
      la = f32x4.pmin(f32x4.pmin(la, lb), f32x4.pmin(lc, ld));
      for (; i + 4 <= n; i += 4) {
        const v = v128.load(p + (<usize>i << 2));
        a = f32x4.pmax(a, v); la = f32x4.pmin(la, v);
      }
      m = pmaxf(pmaxf(f32x4.extract_lane(a, 0), f32x4.extract_lane(a, 1)), pmaxf(f32x4.extract_lane(a, 2), f32x4.extract_lane(a, 3)));
      l = pminf(pminf(f32x4.extract_lane(la, 0), f32x4.extract_lane(la, 1)), pminf(f32x4.extract_lane(la, 2), f32x4.extract_lane(la, 3)));
    }
  }
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    m = pmaxf(m, v); l = pminf(l, v);
  }
  return (<i64>reinterpret<u32>(m) << 32) | <i64>reinterpret<u32>(l);
}

@inline export function maxOf(mm: i64): f32 { return reinterpret<f32>(<u32>(mm >>> 32)); }
@inline export function minOf(mm: i64): f32 { return reinterpret<f32>(<u32>mm); }

/**
 * y[i] = e^(x[i] − m) for i < n, m = maxOf(mm) (only when write; log-softmax wants just the sum),
 * with the softmax family's exponential (math.ts: expShift4, block16's B_EXP_SHIFT); returns
 * Σ e^(x[i] − m) in f64. y may alias x. When the row's min − max ≥ EXP_LO (expShiftInRange), no
 * x − m is below it, and block16 skips the underflow mask: the same bits, two instructions of ~28
 * a vector fewer (exponentials 45 → 41 µs over 64×1000 floats).
 *
 * The sum: f32 lanes over 64 floats at a time, each such partial added into f64 (two f64x2 lanes
 * pairs, one shuffle and two conversions per 64 floats). One f32 accumulator over a whole
 * 1000-float row put up to 3e-7 of rounding into Σ, and so into every output of the row (softmax
 * 4.9e-7 relative at worst on a dense sweep of x − max ∈ [−87.3, 0], against its 5e-7 bound);
 * 16-term partials keep it near the scalar build's f64 sum.
 */
@inline export function expShiftSum(x: usize, y: usize, n: i32, mm: i64, write: bool = true): f64 {
  const m = maxOf(mm);
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m), zero = f32x4.splat(0), inRange = expShiftInRange(minOf(mm), m);
    let lo = f64x2.splat(0), hi = lo, acc = zero;
    const n16 = n & ~15;
    while (i < n16) {
      // the partials end at multiples of 64, and the 4-wide tail below continues the last one:
      // the grouping depends on the index alone, so a row's Σ (and its outputs' bits) do not
      // change when the row is one element longer (tested: a row with −∞ appended)
      const end = min(i + 64, n16);
      if (inRange) {
        for (; i < end; i += 16) acc = block16(x + (<usize>i << 2), y + (<usize>i << 2), B_EXP_SHIFT_IN, vm, acc, write);
      } else {
        for (; i < end; i += 16) acc = block16(x + (<usize>i << 2), y + (<usize>i << 2), B_EXP_SHIFT, vm, acc, write);
      }
      if ((i & 63) == 0) {
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(acc));
        hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(acc, acc, 2, 3, 2, 3)));
        acc = zero;
      }
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const e = expShift4(f32x4.sub(v128.load(x + o), vm));
      if (write) v128.store(y + o, e);
      acc = f32x4.add(acc, e);
    }
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(acc));
    hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(acc, acc, 2, 3, 2, 3)));
    total = (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const e = expShiftf(load<f32>(x + o) - m);
    if (write) store<f32>(y + o, e);
    total += <f64>e;
  }
  return total;
}

/** Row-wise softmax, stable: y = e^(x − max) / Σ e^(x − max). y may alias x. */
export function softmax(x: usize, y: usize, rows: i32, cols: i32): void {
  if (cols <= 0) return;
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride, yr = y + <usize>r * stride;
    const total = expShiftSum(xr, yr, cols, rowMaxMin(xr, cols));
    scaleArray(yr, <f32>(1 / total), yr, cols);
  }
}

/**
 * Writes probs = softmax(logits) row by row and returns the mean over rows of
 * loss_i = log Σ_j e^(x_ij − max_i) − (x_iy − max_i), which stays finite where −log p_y would
 * not (p_y rounding to 0). probs may alias logits.
 */
export function softmaxCrossEntropy(logits: usize, labels: usize, probs: usize, rows: i32, classes: i32): f32 {
  if (classes <= 0) return NaN;
  const stride = <usize>classes << 2;
  let loss: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = logits + <usize>r * stride, pr = probs + <usize>r * stride;
    const xy = load<f32>(xr + (<usize>load<i32>(labels + (<usize>r << 2)) << 2)); // before probs overwrite it
    const mm = rowMaxMin(xr, classes), m = maxOf(mm);
    const total = expShiftSum(xr, pr, classes, mm);
    loss += Math.log(total) - (<f64>xy - <f64>m);
    scaleArray(pr, <f32>(1 / total), pr, classes);
  }
  return <f32>(loss / rows);
}

/** dlogits = scale·(probs − onehot(labels)). dlogits may alias probs. */
export function softmaxCrossEntropyBackward(probs: usize, labels: usize, dlogits: usize, rows: i32, classes: i32, scale: f32): void {
  const stride = <usize>classes << 2;
  for (let r = 0; r < rows; r++) {
    const pr = probs + <usize>r * stride, dr = dlogits + <usize>r * stride;
    const at = <usize>load<i32>(labels + (<usize>r << 2)) << 2;
    const py = load<f32>(pr + at);
    scaleArray(pr, scale, dr, classes);
    store<f32>(dr + at, scale * (py - 1));
  }
}

/**
 * Multiclass SVM (hinge) loss of the course notes: the mean over rows of
 * Σ_{j≠y} max(0, s_j − s_y + margin). NaN scores give NaN.
 */
export function svm(scores: usize, labels: usize, rows: i32, classes: i32, margin: f32): f32 {
  const stride = <usize>classes << 2;
  let loss: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const sr = scores + <usize>r * stride;
    const y = load<i32>(labels + (<usize>r << 2));
    const sy = load<f32>(sr + (<usize>y << 2));
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const vsy = f32x4.splat(sy), vmargin = f32x4.splat(margin), zero = f32x4.splat(0), vy = i32x4.splat(y);
      let index = i32x4(0, 1, 2, 3);
      let acc = zero;
      for (; j + 4 <= classes; j += 4) {
        const h = f32x4.max(zero, f32x4.add(f32x4.sub(v128.load(sr + (<usize>j << 2)), vsy), vmargin));
        acc = f32x4.add(acc, v128.andnot(h, i32x4.eq(index, vy))); // skip j = y
        index = i32x4.add(index, i32x4.splat(4));
      }
      loss += (<f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1)) +
        (<f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3));
    }
    for (; j < classes; j++) {
      const h = max<f32>(0, load<f32>(sr + (<usize>j << 2)) - sy + margin);
      if (j != y) loss += <f64>h;
    }
  }
  return <f32>(loss / rows);
}

/**
 * dscores = scale · ∂svm/∂scores: for j ≠ y, scale when s_j − s_y + margin > 0 else 0;
 * at j = y, −scale times the number of such j. dscores may alias scores.
 */
export function svmBackward(scores: usize, labels: usize, dscores: usize, rows: i32, classes: i32, margin: f32, scale: f32): void {
  const stride = <usize>classes << 2;
  for (let r = 0; r < rows; r++) {
    const sr = scores + <usize>r * stride, dr = dscores + <usize>r * stride;
    const y = load<i32>(labels + (<usize>r << 2));
    const sy = load<f32>(sr + (<usize>y << 2));
    let count = 0, j = 0;
    if (ASC_FEATURE_SIMD) {
      const vsy = f32x4.splat(sy), vmargin = f32x4.splat(margin), zero = f32x4.splat(0), vy = i32x4.splat(y);
      const vscale = f32x4.splat(scale);
      let index = i32x4(0, 1, 2, 3);
      let c = i32x4.splat(0);
      for (; j + 4 <= classes; j += 4) {
        const o = <usize>j << 2;
        const active = v128.andnot(f32x4.gt(f32x4.add(f32x4.sub(v128.load(sr + o), vsy), vmargin), zero), i32x4.eq(index, vy));
        v128.store(dr + o, v128.and(vscale, active));
        c = i32x4.sub(c, active); // active lanes are −1
        index = i32x4.add(index, i32x4.splat(4));
      }
      count = i32x4.extract_lane(c, 0) + i32x4.extract_lane(c, 1) + i32x4.extract_lane(c, 2) + i32x4.extract_lane(c, 3);
    }
    for (; j < classes; j++) {
      const o = <usize>j << 2;
      const active = j != y && load<f32>(sr + o) - sy + margin > 0;
      store<f32>(dr + o, active ? scale : 0);
      count += <i32>active;
    }
    store<f32>(dr + (<usize>y << 2), -scale * <f32>count);
  }
}

/** Mean of (a − b)² over all n elements. */
export function mse(a: usize, b: usize, n: i32): f32 {
  return <f32>(reduce(a, b, n, SQUARED_DIFF) / n);
}

/** da = scale·2(a − b) (the caller passes scale = upstream / n). da may alias a or b. */
export function mseBackward(a: usize, b: usize, da: usize, n: i32, scale: f32): void {
  const s2 = scale * 2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(s2);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(da + o, f32x4.mul(vs, f32x4.sub(v128.load(a + o), v128.load(b + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(da + o, s2 * (load<f32>(a + o) - load<f32>(b + o)));
  }
}

/**
 * Softmax cross-entropy with label smoothing ε (PyTorch's label_smoothing): the target is
 * (1 − ε)·onehot(y) + ε/classes, so loss_i = lse_i − (1 − ε)·x_iy − ε·mean_j x_ij with
 * lse = log Σ e^x (stable). Writes probs (may not alias logits); returns the mean over rows.
 */
export function softmaxCrossEntropySmoothed(logits: usize, labels: usize, probs: usize, rows: i32, classes: i32, smoothing: f32): f32 {
  if (classes <= 0) return NaN;
  const stride = <usize>classes << 2;
  const eps = <f64>smoothing;
  let loss: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = logits + <usize>r * stride, pr = probs + <usize>r * stride;
    const xy = <f64>load<f32>(xr + (<usize>load<i32>(labels + (<usize>r << 2)) << 2));
    const rowMean = reduce(xr, 0, classes, 0) / classes;
    const mm = rowMaxMin(xr, classes), m = maxOf(mm);
    const total = expShiftSum(xr, pr, classes, mm);
    loss += (Math.log(total) + <f64>m) - (1 - eps) * xy - eps * rowMean;
    scaleArray(pr, <f32>(1 / total), pr, classes);
  }
  return <f32>(loss / rows);
}

/** dlogits = scale·(probs − (1 − ε)·onehot(labels) − ε/classes). dlogits may alias probs. */
export function softmaxCrossEntropySmoothedBackward(probs: usize, labels: usize, dlogits: usize, rows: i32, classes: i32,
                                                    scale: f32, smoothing: f32): void {
  const stride = <usize>classes << 2;
  const off = -smoothing / <f32>classes;
  for (let r = 0; r < rows; r++) {
    const pr = probs + <usize>r * stride, dr = dlogits + <usize>r * stride;
    const at = <usize>load<i32>(labels + (<usize>r << 2)) << 2;
    const py = load<f32>(pr + at);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const vs = f32x4.splat(scale), vo = f32x4.splat(off);
      for (; j + 4 <= classes; j += 4) {
        const o = <usize>j << 2;
        v128.store(dr + o, f32x4.mul(vs, f32x4.add(v128.load(pr + o), vo)));
      }
    }
    for (; j < classes; j++) {
      const o = <usize>j << 2;
      store<f32>(dr + o, scale * (load<f32>(pr + o) + off));
    }
    store<f32>(dr + at, scale * ((py + off) - (1 - smoothing)));
  }
}

/**
 * Binary cross-entropy on logits x against targets t, stable (PyTorch's
 * BCEWithLogitsLoss): mean of max(x, 0) − x·t + log(1 + e^−|x|), in f64.
 */
export function bceWithLogits(x: usize, t: usize, n: i32): f32 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = <f64>load<f32>(x + o);
    total += max<f64>(v, 0) - v * <f64>load<f32>(t + o) + Math.log1p(Math.exp(-abs<f64>(v)));
  }
  return <f32>(total / n);
}

/** dx = scale·(σ(x) − t) (scale = upstream / n). dx may alias x or t. */
export function bceWithLogitsBackward(x: usize, t: usize, dx: usize, n: i32, scale: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(scale), zero = f32x4.splat(0), one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const a = v128.load(x + o);
      const e = exp4(f32x4.neg(f32x4.abs(a)));
      const s = f32x4.div(v128.bitselect(one, e, f32x4.ge(a, zero)), f32x4.add(one, e));
      v128.store(dx + o, f32x4.mul(vs, f32x4.sub(s, v128.load(t + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const a = load<f32>(x + o);
    const e = expf(-abs<f32>(a));
    const s = (a >= 0 ? <f32>1 : e) / (1 + e);
    store<f32>(dx + o, scale * (s - load<f32>(t + o)));
  }
}

/** Huber loss (PyTorch's HuberLoss): mean of ½d² for |d| ≤ delta, delta·(|d| − ½delta) beyond, d = a − b. */
export function huber(a: usize, b: usize, n: i32, delta: f32): f32 {
  let total: f64 = 0;
  let i = 0;
  const halfDelta = <f32>0.5 * delta;
  if (ASC_FEATURE_SIMD) {
    const vd = f32x4.splat(delta), vh = f32x4.splat(halfDelta), half = f32x4.splat(0.5);
    let acc = f32x4.splat(0);
    let k = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const d = f32x4.abs(f32x4.sub(v128.load(a + o), v128.load(b + o)));
      const quad = f32x4.mul(half, f32x4.mul(d, d)), lin = f32x4.mul(vd, f32x4.sub(d, vh));
      acc = f32x4.add(acc, v128.bitselect(quad, lin, f32x4.le(d, vd)));
      if (++k == 64) { // flush to f64 every 256 elements: the error of one block, not of n
        total += (<f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1)) + (<f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3));
        acc = f32x4.splat(0); k = 0;
      }
    }
    total += (<f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1)) + (<f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = abs<f32>(load<f32>(a + o) - load<f32>(b + o));
    total += <f64>(d <= delta ? <f32>0.5 * (d * d) : delta * (d - halfDelta));
  }
  return <f32>(total / n);
}

/** da = scale·clamp(a − b, −delta, delta). da may alias a or b. */
export function huberBackward(a: usize, b: usize, da: usize, n: i32, delta: f32, scale: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(scale), hi = f32x4.splat(delta), lo = f32x4.splat(-delta);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(da + o, f32x4.mul(vs, f32x4.min(f32x4.max(f32x4.sub(v128.load(a + o), v128.load(b + o)), lo), hi)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(da + o, scale * min<f32>(max<f32>(load<f32>(a + o) - load<f32>(b + o), -delta), delta));
  }
}
