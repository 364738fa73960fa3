// Depthwise 2-D convolution, NCHW (PyTorch's Conv2d with groups = in channels): input channel c
// feeds output channels c·mult … c·mult + mult − 1, each through its own kh×kw filter,
//   y[n, o, i, j] = b[o] + Σ_{u, v} w[o, u, v] · xpad[n, o / mult, i·sh + u·dh, j·sw + v·dw]
// with weight [c·mult, 1, kh, kw]. Each output channel reads one input plane, so there is no
// reduction over channels to feed a GEMM: these kernels work on the planes directly.
//
// The core is one plane correlation (corrPlane): for each output row, the taps whose input row is
// inside the image; across the columns whose whole window is inside the image (the interior),
// stride 1 runs four outputs per SIMD vector with one unaligned load per tap, and the border
// columns (where some taps fall in the padding) are a scalar loop that skips the padded taps.
// 3×3 at stride 1 (corr3x3) keeps the nine taps in registers and runs eight outputs per step:
// 32×64×28×28 forward 8.4 → 4.2–5.7 ms, backward input 8.7 → 4.2–5.3 ms (relaxed build, min of
// 60, machine at load ~8). At padding 1 ('same') its border columns are vectors too, a zero lane
// shuffled in for the padded column (edgeTaps): the scalar border columns had cost as much as the
// whole interior (the same 32×64×28×28 outputs from a 30×30 input without padding: 2.3 ms against
// 4.1). Forward 4.2 → 2.0 ms, backward input 4.4 → 2.1 ms (both SIMD builds, Node 20, medians of
// 41, each build in its own process, 2026-12-01).
// At column stride 2 (a downsampling layer) the interior takes four outputs per vector too, each
// tap the even lanes of two loads: 32×64×56×56 → 28×28, 3×3 padding 1, 28.5 → 7.2–11.6 ms (both
// SIMD builds, Node 20, each build in its own process, 2026-12-01); its weight gradient likewise,
// 9.2 → 5.2–5.3 ms.
// Backward input at stride 1 is the same correlation of dy with the flipped filter (read backwards
// through the weight pointer) and padding (k − 1)·d − p; other strides scatter-add per tap.
// Backward weight is one dot product per tap between dy and the shifted input plane (fusing the
// three taps of a filter row into one pass over dy measured within noise, 2.9 → 2.6–2.9 ms on
// 32×64×28×28, so it stays one pass per tap), except 3×3 at stride 1 and padding 1, which takes all
// nine taps and the bias in one pass with ten accumulators (weight3x3Same): 32×64×28×28 4.5–5.2 →
// 1.5 ms (both SIMD builds, Node 20, each build in its own process, 2026-12-01).
// Everything is a function of the arguments: no module state, no scratch memory. Each kernel has a
// fooPart(args, part, parts) over whole planes (forward: output planes; backward input: dx planes;
// backward weight: output channels, every image each), which the thread pool splits.

@inline function bytes(floats: i32): usize {
  return <usize>floats << 2;
}

/** Smallest t ≥ 0 with a + t·step ≥ 0 (step > 0). */
@inline function firstInside(a: i32, step: i32): i32 {
  return a >= 0 ? 0 : (-a + step - 1) / step;
}

/** Number of t ≥ 0 with a + t·step ≤ last (step > 0), at most cap. */
@inline function countInside(a: i32, step: i32, last: i32, cap: i32): i32 {
  return a > last ? 0 : min(cap, (last - a) / step + 1);
}

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** The filter tap (u, v): the float at wp + (u·kw + v)·wStep bytes. */
@inline function tap(wp: usize, wStep: isize, i: i32): f32 {
  return load<f32>(wp + <usize>(<isize>i * wStep));
}

/**
 * Output columns [x0, x1) of row oy, every tap bounds-checked (the border columns, where some
 * taps fall in the padding, and short tails): see corrPlane.
 */
function scalarCols(src: usize, h: i32, w: i32, wp: usize, wStep: isize, kh: i32, kw: i32, drow: usize, oy: i32, x0: i32, x1: i32,
                    sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, bias: f32, accumulate: bool): void {
  const iy0 = oy * sh - ph;
  const u0 = firstInside(iy0, dh), u1 = countInside(iy0, dh, h - 1, kh);
  for (let ox = x0; ox < x1; ox++) {
    const ix0 = ox * sw - pw;
    const v0 = firstInside(ix0, dw), v1 = countInside(ix0, dw, w - 1, kw);
    let s: f32 = 0;
    for (let u = u0; u < u1; u++) {
      const srow = src + bytes((iy0 + u * dh) * w + ix0);
      for (let v = v0; v < v1; v++) s += tap(wp, wStep, u * kw + v) * load<f32>(srow + bytes(v * dw));
    }
    const o = drow + bytes(ox);
    store<f32>(o, (accumulate ? load<f32>(o) : bias) + s);
  }
}

/** One output row: border columns scalar, the interior [xa, xb) four outputs per vector at column stride 1 or 2. */
function corrRow(src: usize, h: i32, w: i32, wp: usize, wStep: isize, kh: i32, kw: i32, drow: usize, oy: i32, ow: i32, xa: i32, xb: i32,
                 sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, bias: f32, accumulate: bool): void {
  scalarCols(src, h, w, wp, wStep, kh, kw, drow, oy, 0, xa, sh, sw, ph, pw, dh, dw, bias, accumulate);
  let ox = xa;
  if (ASC_FEATURE_SIMD && (sw == 1 || sw == 2)) {
    const iy0 = oy * sh - ph;
    const u0 = firstInside(iy0, dh), u1 = countInside(iy0, dh, h - 1, kh);
    const vb = f32x4.splat(bias);
    if (sw == 1) {
      for (; ox + 4 <= xb; ox += 4) {
        const o = drow + bytes(ox);
        let acc = accumulate ? v128.load(o) : vb;
        for (let u = u0; u < u1; u++) {
          const srow = src + bytes((iy0 + u * dh) * w + ox - pw);
          for (let v = 0; v < kw; v++) acc = madd(f32x4.splat(tap(wp, wStep, u * kw + v)), v128.load(srow + bytes(v * dw)), acc);
        }
        v128.store(o, acc);
      }
    } else {
      // four outputs read eight consecutive inputs per tap: the even lanes of two loads
      for (; ox + 4 <= xb && 2 * (ox + 3) - pw + (kw - 1) * dw + 1 < w; ox += 4) {
        const o = drow + bytes(ox);
        let acc = accumulate ? v128.load(o) : vb;
        for (let u = u0; u < u1; u++) {
          const srow = src + bytes((iy0 + u * dh) * w + 2 * ox - pw);
          for (let v = 0; v < kw; v++) {
            const p = srow + bytes(v * dw);
            acc = madd(f32x4.splat(tap(wp, wStep, u * kw + v)), v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6), acc);
          }
        }
        v128.store(o, acc);
      }
    }
  }
  scalarCols(src, h, w, wp, wStep, kh, kw, drow, oy, ox, xb, sh, sw, ph, pw, dh, dw, bias, accumulate);
  scalarCols(src, h, w, wp, wStep, kh, kw, drow, oy, xb, ow, sh, sw, ph, pw, dh, dw, bias, accumulate);
}

/**
 * dst[oh, ow] (+)= bias + Σ_{u, v} w(u, v) · src[oy·sh − ph + u·dh, ox·sw − pw + v·dw] over an
 * h×w source plane with zero outside it, where w(u, v) is the float at wp + (u·kw + v)·wStep bytes
 * (wStep = −4 with wp at the last tap reads the filter flipped). Padding may be negative (a crop).
 */
function corrPlane(src: usize, h: i32, w: i32, wp: usize, wStep: isize, kh: i32, kw: i32,
                   dst: usize, oh: i32, ow: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
                   bias: f32, accumulate: bool): void {
  // Interior columns [xa, xb): every tap column ox·sw − pw + v·dw lies in [0, w).
  const xa = min(ow, firstInside(-pw, sw));
  const xb = max(xa, countInside(-pw + (kw - 1) * dw, sw, w - 1, ow));
  if (ASC_FEATURE_SIMD) {
    if (kh == 3 && kw == 3 && sw == 1 && dw == 1) {
      corr3x3(src, h, w, wp, wStep, dst, oh, ow, xa, xb, sh, ph, pw, dh, bias, accumulate);
      return;
    }
  }
  for (let oy = 0; oy < oh; oy++) {
    corrRow(src, h, w, wp, wStep, kh, kw, dst + bytes(oy * ow), oy, ow, xa, xb, sh, sw, ph, pw, dh, dw, bias, accumulate);
  }
}

/**
 * corrPlane for a 3×3 filter at column stride 1 and column dilation 1 (depthwise nets' layer): the
 * nine taps stay in registers for the whole plane, and rows whose three taps are all inside the
 * image run eight outputs per step (two accumulators) over the interior.
 */
function corr3x3(src: usize, h: i32, w: i32, wp: usize, wStep: isize, dst: usize, oh: i32, ow: i32, xa: i32, xEnd: i32,
                 sh: i32, ph: i32, pw: i32, dh: i32, bias: f32, accumulate: bool): void {
  if (ASC_FEATURE_SIMD) {
    const w0 = f32x4.splat(tap(wp, wStep, 0)), w1 = f32x4.splat(tap(wp, wStep, 1)), w2 = f32x4.splat(tap(wp, wStep, 2));
    const w3 = f32x4.splat(tap(wp, wStep, 3)), w4 = f32x4.splat(tap(wp, wStep, 4)), w5 = f32x4.splat(tap(wp, wStep, 5));
    const w6 = f32x4.splat(tap(wp, wStep, 6)), w7 = f32x4.splat(tap(wp, wStep, 7)), w8 = f32x4.splat(tap(wp, wStep, 8));
    const vb = f32x4.splat(bias), rowStep = bytes(dh * w);
    // 'same' padding: the border columns 0 and w − 1 ride in vectors too (edgeTaps)
    const edges = pw == 1 && w >= 8;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - ph, drow = dst + bytes(oy * ow);
      let xb = xEnd;
      if (iy0 < 0 || iy0 + 2 * dh > h - 1) {
        corrRow(src, h, w, wp, wStep, 3, 3, drow, oy, ow, xa, xb, sh, 1, ph, pw, dh, 1, bias, accumulate);
        continue;
      }
      const r0 = src + bytes(iy0 * w - pw), r1 = r0 + rowStep, r2 = r1 + rowStep;
      let ox = xa;
      if (edges) {
        const o = drow, e = drow + bytes(w - 4);
        v128.store(o, edgeTaps(r0 + 4, r1 + 4, r2 + 4, 0, accumulate ? v128.load(o) : vb, w0, w1, w2, w3, w4, w5, w6, w7, w8));
        v128.store(e, edgeTaps(r0 + 4, r1 + 4, r2 + 4, bytes(w - 5), accumulate ? v128.load(e) : vb, w0, w1, w2, w3, w4, w5, w6, w7, w8));
        ox = 4;
        xb = w - 4;
      } else {
        scalarCols(src, h, w, wp, wStep, 3, 3, drow, oy, 0, xa, sh, 1, ph, pw, dh, 1, bias, accumulate);
      }
      for (; ox + 8 <= xb; ox += 8) {
        const o = drow + bytes(ox), c = bytes(ox);
        let a = accumulate ? v128.load(o) : vb, b = accumulate ? v128.load(o, 16) : vb;
        a = madd(w0, v128.load(r0 + c), a); b = madd(w0, v128.load(r0 + c, 16), b);
        a = madd(w1, v128.load(r0 + c, 4), a); b = madd(w1, v128.load(r0 + c, 20), b);
        a = madd(w2, v128.load(r0 + c, 8), a); b = madd(w2, v128.load(r0 + c, 24), b);
        a = madd(w3, v128.load(r1 + c), a); b = madd(w3, v128.load(r1 + c, 16), b);
        a = madd(w4, v128.load(r1 + c, 4), a); b = madd(w4, v128.load(r1 + c, 20), b);
        a = madd(w5, v128.load(r1 + c, 8), a); b = madd(w5, v128.load(r1 + c, 24), b);
        a = madd(w6, v128.load(r2 + c), a); b = madd(w6, v128.load(r2 + c, 16), b);
        a = madd(w7, v128.load(r2 + c, 4), a); b = madd(w7, v128.load(r2 + c, 20), b);
        a = madd(w8, v128.load(r2 + c, 8), a); b = madd(w8, v128.load(r2 + c, 24), b);
        v128.store(o, a);
        v128.store(o, b, 16);
      }
      for (; ox + 4 <= xb; ox += 4) {
        const o = drow + bytes(ox), c = bytes(ox);
        let a = accumulate ? v128.load(o) : vb;
        a = madd(w0, v128.load(r0 + c), a); a = madd(w1, v128.load(r0 + c, 4), a); a = madd(w2, v128.load(r0 + c, 8), a);
        a = madd(w3, v128.load(r1 + c), a); a = madd(w4, v128.load(r1 + c, 4), a); a = madd(w5, v128.load(r1 + c, 8), a);
        a = madd(w6, v128.load(r2 + c), a); a = madd(w7, v128.load(r2 + c, 4), a); a = madd(w8, v128.load(r2 + c, 8), a);
        v128.store(o, a);
      }
      scalarCols(src, h, w, wp, wStep, 3, 3, drow, oy, ox, xb, sh, 1, ph, pw, dh, 1, bias, accumulate);
      if (!edges) scalarCols(src, h, w, wp, wStep, 3, 3, drow, oy, xb, ow, sh, 1, ph, pw, dh, 1, bias, accumulate);
    }
  }
}

/**
 * corr3x3's first or last four outputs of a row at padding 1 (`at` = 0, or w − 5 floats in bytes),
 * rows r0, r1, r2 pointing at column 0: the column in the padding is a zero lane shuffled in, so
 * the nine madds run in the interior's order (a padded tap adds w·0, which leaves the sum as it is).
 * Reads stay inside each row (w ≥ 8).
 */
@inline function edgeTaps(r0: usize, r1: usize, r2: usize, at: usize, acc: v128, w0: v128, w1: v128, w2: v128,
                          w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128): v128 {
  acc = edgeRow(r0 + at, at == 0, acc, w0, w1, w2);
  acc = edgeRow(r1 + at, at == 0, acc, w3, w4, w5);
  return edgeRow(r2 + at, at == 0, acc, w6, w7, w8);
}

/** One filter row of edgeTaps: left, taps (x[−1..2], x[0..3], x[1..4]); right, (x[w−5..w−2], x[w−4..w−1], x[w−3..w]). */
@inline function edgeRow(p: usize, left: bool, acc: v128, wa: v128, wb: v128, wc: v128): v128 {
  const z = f32x4.splat(0);
  if (left) {
    const x = v128.load(p);
    acc = madd(wa, v128.shuffle<f32>(z, x, 0, 4, 5, 6), acc);
    acc = madd(wb, x, acc);
    return madd(wc, v128.load(p, 4), acc);
  }
  const x = v128.load(p, 4);
  acc = madd(wa, v128.load(p), acc);
  acc = madd(wb, x, acc);
  return madd(wc, v128.shuffle<f32>(x, z, 1, 2, 3, 4), acc);
}

/** The first of `units` in part `part` of `parts` (the last part ends at units). */
@inline function partStart(units: i32, part: i32, parts: i32): i32 {
  return <i32>(<i64>units * part / parts);
}

/**
 * Bytes of workspace a part of any depthwise kernel needs: none (they work on the planes in place).
 * Exported as each kernel's fooWorkspace (index.ts).
 */
export function depthwiseWorkspace(): usize {
  return 0;
}

/** PyTorch's output size; 0 when nothing fits. */
@inline function outSize(size: i32, k: i32, stride: i32, pad: i32, dil: i32): i32 {
  const span = size + 2 * pad - dil * (k - 1) - 1;
  return span < 0 || stride <= 0 || dil <= 0 || k <= 0 ? 0 : span / stride + 1;
}

/**
 * y[n, c·mult, outH, outW] = depthwise conv2d of x[n, c, h, w] with w[c·mult, 1, kh, kw]
 * + bias[c·mult] (bias = 0: none).
 */
export function depthwiseConv2dForward(x: usize, w: usize, bias: usize, y: usize, n: i32, c: i32, h: i32, wIn: i32,
                                       mult: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
                                       dh: i32, dw: i32): void {
  depthwiseConv2dForwardPart(x, w, bias, y, n, c, h, wIn, mult, kh, kw, sh, sw, ph, pw, dh, dw, 0, 1);
}

/** Part `part` of `parts` of depthwiseConv2dForward: a run of its n·c·mult output planes. */
export function depthwiseConv2dForwardPart(x: usize, w: usize, bias: usize, y: usize, n: i32, c: i32, h: i32, wIn: i32,
                                           mult: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
                                           dh: i32, dw: i32, part: i32, parts: i32): void {
  const oh = outSize(h, kh, sh, ph, dh), ow = outSize(wIn, kw, sw, pw, dw);
  if (n <= 0 || c <= 0 || mult <= 0 || oh <= 0 || ow <= 0 || h <= 0 || wIn <= 0) return;
  const cOut = c * mult, plane = h * wIn, P = oh * ow, taps = kh * kw;
  const q1 = partStart(n * cOut, part + 1, parts);
  for (let q = partStart(n * cOut, part, parts); q < q1; q++) {
    const img = q / cOut, o = q - img * cOut;
    const src = x + bytes((img * c + o / mult) * plane);
    const b: f32 = bias != 0 ? load<f32>(bias + bytes(o)) : 0;
    corrPlane(src, h, wIn, w + bytes(o * taps), 4, kh, kw, y + bytes((img * cOut + o) * P), oh, ow,
              sh, sw, ph, pw, dh, dw, b, false);
  }
}

/** dx[n, c, h, w] = gradient of depthwiseConv2dForward wrt x given dy[n, c·mult, outH, outW] (overwrites dx). */
export function depthwiseConv2dBackwardInput(dy: usize, w: usize, dx: usize, n: i32, c: i32, h: i32, wIn: i32,
                                             mult: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
                                             dh: i32, dw: i32): void {
  depthwiseConv2dBackwardInputPart(dy, w, dx, n, c, h, wIn, mult, kh, kw, sh, sw, ph, pw, dh, dw, 0, 1);
}

/** Part `part` of `parts` of depthwiseConv2dBackwardInput: a run of dx's n·c planes, each summed over its mult output channels. */
export function depthwiseConv2dBackwardInputPart(dy: usize, w: usize, dx: usize, n: i32, c: i32, h: i32, wIn: i32,
                                                 mult: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
                                                 dh: i32, dw: i32, part: i32, parts: i32): void {
  if (n <= 0 || c <= 0 || h <= 0 || wIn <= 0) return;
  const plane = h * wIn;
  const oh = outSize(h, kh, sh, ph, dh), ow = outSize(wIn, kw, sw, pw, dw);
  if (mult <= 0 || oh <= 0 || ow <= 0) {
    const q0 = partStart(n * c, part, parts);
    memory.fill(dx + bytes(q0 * plane), 0, bytes((partStart(n * c, part + 1, parts) - q0) * plane));
    return;
  }
  const cOut = c * mult, P = oh * ow, taps = kh * kw;
  const q1 = partStart(n * c, part + 1, parts);
  for (let q = partStart(n * c, part, parts); q < q1; q++) {
    const img = q / c, ci = q - img * c;
    const dst = dx + bytes((img * c + ci) * plane);
    if (sh == 1 && sw == 1) {
      // dx = dy ⋆ flipped w with padding (k − 1)·d − p: output size h×w again.
      for (let m = 0; m < mult; m++) {
        const o = ci * mult + m;
        corrPlane(dy + bytes((img * cOut + o) * P), oh, ow, w + bytes(o * taps + taps - 1), -4, kh, kw,
                  dst, h, wIn, 1, 1, (kh - 1) * dh - ph, (kw - 1) * dw - pw, dh, dw, 0, m > 0);
      }
    } else {
      memory.fill(dst, 0, bytes(plane));
      for (let m = 0; m < mult; m++) {
        const o = ci * mult + m;
        const g = dy + bytes((img * cOut + o) * P), wo = w + bytes(o * taps);
        for (let oy = 0; oy < oh; oy++) {
          const iy0 = oy * sh - ph;
          const u0 = firstInside(iy0, dh), u1 = countInside(iy0, dh, h - 1, kh);
          for (let ox = 0; ox < ow; ox++) {
            const ix0 = ox * sw - pw;
            const v0 = firstInside(ix0, dw), v1 = countInside(ix0, dw, wIn - 1, kw);
            const gv = load<f32>(g + bytes(oy * ow + ox));
            for (let u = u0; u < u1; u++) {
              const drow = dst + bytes((iy0 + u * dh) * wIn + ix0);
              for (let v = v0; v < v1; v++) {
                const d = drow + bytes(v * dw);
                store<f32>(d, load<f32>(d) + load<f32>(wo + bytes(u * kw + v)) * gv);
              }
            }
          }
        }
      }
    }
  }
}

/**
 * dw[c·mult, 1, kh, kw] and dbias[c·mult] (dbias = 0: none) = gradients of depthwiseConv2dForward
 * given x and dy, summed over the batch; added to the existing values when accumulate != 0.
 */
export function depthwiseConv2dBackwardWeight(x: usize, dy: usize, dw: usize, dbias: usize, n: i32, c: i32, h: i32, wIn: i32,
                                              mult: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
                                              dh: i32, dil: i32, accumulate: i32): void {
  depthwiseConv2dBackwardWeightPart(x, dy, dw, dbias, n, c, h, wIn, mult, kh, kw, sh, sw, ph, pw, dh, dil, accumulate, 0, 1);
}

/**
 * Part `part` of `parts` of depthwiseConv2dBackwardWeight: a run of its c·mult output channels,
 * each summed over every image in image order, so any `parts` gives the same bits.
 */
export function depthwiseConv2dBackwardWeightPart(x: usize, dy: usize, dw: usize, dbias: usize, n: i32, c: i32, h: i32, wIn: i32,
                                                  mult: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
                                                  dh: i32, dil: i32, accumulate: i32, part: i32, parts: i32): void {
  if (c <= 0 || mult <= 0 || kh <= 0 || kw <= 0) return;
  const cOut = c * mult, taps = kh * kw;
  const o0 = partStart(cOut, part, parts), o1 = partStart(cOut, part + 1, parts);
  const oh = outSize(h, kh, sh, ph, dh), ow = outSize(wIn, kw, sw, pw, dil);
  const live = n > 0 && oh > 0 && ow > 0 && h > 0 && wIn > 0;
  if (accumulate == 0) {
    memory.fill(dw + bytes(o0 * taps), 0, bytes((o1 - o0) * taps));
    if (dbias != 0) memory.fill(dbias + bytes(o0), 0, bytes(o1 - o0));
  }
  if (!live) return;
  const plane = h * wIn, P = oh * ow;
  const same3x3 = ASC_FEATURE_SIMD && kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dil == 1 && ph == 1 && pw == 1 && wIn >= 8;
  for (let img = 0; img < n; img++) {
    for (let o = o0; o < o1; o++) {
      const src = x + bytes((img * c + o / mult) * plane), g = dy + bytes((img * cOut + o) * P);
      if (same3x3) {
        weight3x3Same(src, g, h, wIn, dw + bytes(o * taps), dbias != 0 ? dbias + bytes(o) : 0);
        continue;
      }
      if (dbias != 0) {
        let s: f32 = 0, i = 0;
        if (ASC_FEATURE_SIMD) {
          let a = f32x4.splat(0);
          for (; i + 4 <= P; i += 4) a = f32x4.add(a, v128.load(g + bytes(i)));
          s = lanes(a);
        }
        for (; i < P; i++) s += load<f32>(g + bytes(i));
        store<f32>(dbias + bytes(o), load<f32>(dbias + bytes(o)) + s);
      }
      for (let u = 0; u < kh; u++) {
        // Output rows whose tap u lands inside the image.
        const y0 = firstInside(u * dh - ph, sh), y1 = countInside(u * dh - ph, sh, h - 1, oh);
        for (let v = 0; v < kw; v++) {
          const x0 = firstInside(v * dil - pw, sw), x1 = countInside(v * dil - pw, sw, wIn - 1, ow);
          let s: f32 = 0;
          if (ASC_FEATURE_SIMD) {
            if (sw == 1) {
              let a = f32x4.splat(0);
              for (let oy = y0; oy < y1; oy++) {
                const grow = g + bytes(oy * ow), srow = src + bytes((oy * sh - ph + u * dh) * wIn + v * dil - pw);
                let ox = x0;
                for (; ox + 4 <= x1; ox += 4) a = f32x4.add(a, f32x4.mul(v128.load(grow + bytes(ox)), v128.load(srow + bytes(ox))));
                for (; ox < x1; ox++) s += load<f32>(grow + bytes(ox)) * load<f32>(srow + bytes(ox));
              }
              s += lanes(a);
            } else if (sw == 2) {
              // four outputs meet the even lanes of eight consecutive inputs (as the forward's corrRow)
              let a = f32x4.splat(0);
              for (let oy = y0; oy < y1; oy++) {
                const grow = g + bytes(oy * ow), srow = src + bytes((oy * sh - ph + u * dh) * wIn + v * dil - pw);
                let ox = x0;
                for (; ox + 4 <= x1 && 2 * (ox + 3) + 1 + v * dil - pw < wIn; ox += 4) {
                  const p = srow + bytes(2 * ox);
                  a = f32x4.add(a, f32x4.mul(v128.load(grow + bytes(ox)), v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6)));
                }
                for (; ox < x1; ox++) s += load<f32>(grow + bytes(ox)) * load<f32>(srow + bytes(2 * ox));
              }
              s += lanes(a);
            }
          }
          if (!ASC_FEATURE_SIMD || (sw != 1 && sw != 2)) {
            for (let oy = y0; oy < y1; oy++) {
              const grow = g + bytes(oy * ow), srow = src + bytes((oy * sh - ph + u * dh) * wIn + v * dil - pw);
              for (let ox = x0; ox < x1; ox++) s += load<f32>(grow + bytes(ox)) * load<f32>(srow + bytes(ox * sw));
            }
          }
          const d = dw + bytes(o * taps + u * kw + v);
          store<f32>(d, load<f32>(d) + s);
        }
      }
    }
  }
}

/** Σ of the four lanes, as the per-tap passes add them. */
@inline function lanes(a: v128): f32 {
  return f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3);
}

/**
 * One plane's 3×3 weight gradient at stride 1, padding 1 ('same'; w ≥ 8) into dw[9] (+=), and its
 * dbias (+=, when db ≠ 0), in one pass over dy with one accumulator per tap: one pass per tap ran
 * one chain of dependent adds each, the loop waiting on their latency (32×64×28×28 at 28×28 or 30×30
 * without padding alike, 2.9 ns per output). Each dy vector meets its three input rows at the
 * three column shifts; the columns in the padding are zero lanes shuffled in (as corr3x3's
 * edgeTaps), the rows in it are skipped, and the 1–3 columns between the interior's last vector
 * and the right edge ride in one vector whose lanes already counted are masked off its products.
 */
function weight3x3Same(src: usize, g: usize, h: i32, w: i32, dwp: usize, db: usize): void {
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0);
    let a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z, a8 = z, ab = z;
    const end = 4 + ((w - 8) >> 2 << 2), gap = w - 4 - end; // interior vectors at 4 … end − 4
    const keep = gap == 1 ? i32x4(0, 0, 0, -1) : gap == 2 ? i32x4(0, 0, -1, -1) : i32x4(0, -1, -1, -1);
    const rowBytes = bytes(w);
    for (let oy = 0; oy < h; oy++) {
      const d0 = g + bytes(oy * w), x1 = src + bytes(oy * w), x0 = x1 - rowBytes, x2 = x1 + rowBytes;
      const up = oy > 0, down = oy + 1 < h;
      // left edge: outputs 0..3, column −1 is padding
      let d = v128.load(d0);
      ab = f32x4.add(ab, d);
      if (up) {
        const v = v128.load(x0);
        a0 = madd(d, v128.shuffle<f32>(z, v, 0, 4, 5, 6), a0); a1 = madd(d, v, a1); a2 = madd(d, v128.load(x0, 4), a2);
      }
      let v = v128.load(x1);
      a3 = madd(d, v128.shuffle<f32>(z, v, 0, 4, 5, 6), a3); a4 = madd(d, v, a4); a5 = madd(d, v128.load(x1, 4), a5);
      if (down) {
        const v2 = v128.load(x2);
        a6 = madd(d, v128.shuffle<f32>(z, v2, 0, 4, 5, 6), a6); a7 = madd(d, v2, a7); a8 = madd(d, v128.load(x2, 4), a8);
      }
      // interior: columns ox − 1 … ox + 4 all inside the row
      for (let ox = 4; ox < end; ox += 4) {
        const c = bytes(ox - 1);
        d = v128.load(d0 + bytes(ox));
        ab = f32x4.add(ab, d);
        if (up) { a0 = madd(d, v128.load(x0 + c), a0); a1 = madd(d, v128.load(x0 + c, 4), a1); a2 = madd(d, v128.load(x0 + c, 8), a2); }
        a3 = madd(d, v128.load(x1 + c), a3); a4 = madd(d, v128.load(x1 + c, 4), a4); a5 = madd(d, v128.load(x1 + c, 8), a5);
        if (down) { a6 = madd(d, v128.load(x2 + c), a6); a7 = madd(d, v128.load(x2 + c, 4), a7); a8 = madd(d, v128.load(x2 + c, 8), a8); }
      }
      if (gap > 0) {
        // outputs end … w − 5: the vector at w − 8, its first 4 − gap lanes counted already
        const c = bytes(w - 9);
        d = v128.load(d0 + bytes(w - 8));
        ab = f32x4.add(ab, v128.and(d, keep));
        if (up) {
          a0 = f32x4.add(a0, v128.and(f32x4.mul(d, v128.load(x0 + c)), keep));
          a1 = f32x4.add(a1, v128.and(f32x4.mul(d, v128.load(x0 + c, 4)), keep));
          a2 = f32x4.add(a2, v128.and(f32x4.mul(d, v128.load(x0 + c, 8)), keep));
        }
        a3 = f32x4.add(a3, v128.and(f32x4.mul(d, v128.load(x1 + c)), keep));
        a4 = f32x4.add(a4, v128.and(f32x4.mul(d, v128.load(x1 + c, 4)), keep));
        a5 = f32x4.add(a5, v128.and(f32x4.mul(d, v128.load(x1 + c, 8)), keep));
        if (down) {
          a6 = f32x4.add(a6, v128.and(f32x4.mul(d, v128.load(x2 + c)), keep));
          a7 = f32x4.add(a7, v128.and(f32x4.mul(d, v128.load(x2 + c, 4)), keep));
          a8 = f32x4.add(a8, v128.and(f32x4.mul(d, v128.load(x2 + c, 8)), keep));
        }
      }
      // right edge: outputs w − 4 … w − 1, column w is padding
      const c = bytes(w - 5);
      d = v128.load(d0 + bytes(w - 4));
      ab = f32x4.add(ab, d);
      if (up) {
        const u = v128.load(x0 + c, 4);
        a0 = madd(d, v128.load(x0 + c), a0); a1 = madd(d, u, a1); a2 = madd(d, v128.shuffle<f32>(u, z, 1, 2, 3, 4), a2);
      }
      v = v128.load(x1 + c, 4);
      a3 = madd(d, v128.load(x1 + c), a3); a4 = madd(d, v, a4); a5 = madd(d, v128.shuffle<f32>(v, z, 1, 2, 3, 4), a5);
      if (down) {
        const u = v128.load(x2 + c, 4);
        a6 = madd(d, v128.load(x2 + c), a6); a7 = madd(d, u, a7); a8 = madd(d, v128.shuffle<f32>(u, z, 1, 2, 3, 4), a8);
      }
    }
    store<f32>(dwp, load<f32>(dwp) + lanes(a0)); store<f32>(dwp, load<f32>(dwp, 4) + lanes(a1), 4);
    store<f32>(dwp, load<f32>(dwp, 8) + lanes(a2), 8); store<f32>(dwp, load<f32>(dwp, 12) + lanes(a3), 12);
    store<f32>(dwp, load<f32>(dwp, 16) + lanes(a4), 16); store<f32>(dwp, load<f32>(dwp, 20) + lanes(a5), 20);
    store<f32>(dwp, load<f32>(dwp, 24) + lanes(a6), 24); store<f32>(dwp, load<f32>(dwp, 28) + lanes(a7), 28);
    store<f32>(dwp, load<f32>(dwp, 32) + lanes(a8), 32);
    if (db != 0) store<f32>(db, load<f32>(db) + lanes(ab));
  }
}
