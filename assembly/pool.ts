// 2-D max and average pooling, NCHW, PyTorch semantics (ceil_mode = false):
//   out = floor((in + 2·pad − k) / stride) + 1      (rows that do not fit are dropped)
//
// Max pooling: padded cells never win (they are skipped, not treated as −∞ or 0); the scan runs
// over the window row by row and a cell replaces the running maximum when it is greater, or NaN
// (PyTorch's `val > max || isnan(val)`), so ties go to the first cell in scan order and NaN
// propagates. argmax holds the flat index iy·w + ix within the input plane. A window with no
// input cell at all (only possible with padding ≥ kernel, which PyTorch forbids) gives −∞ and −1.
//
// Average pooling: PyTorch's count_include_pad = True. The divisor is the window clipped to the
// padded input, (min(y0 + kh, h + padH) − y0) · (min(x0 + kw, w + padW) − x0) with y0 = oy·strideH
// − padH; with floor-mode output sizes the window never passes the padded edge, so this is always
// kh·kw. Padded cells add 0 to the sum.
//
// The SIMD builds run four adjacent outputs at once across each output row where the windows lie
// inside the row (stride 1 or 2); the edges, other strides and the scalar build take the scalar path,
// which visits the cells in the same order, so every build gives the same bits.

import { workspace } from './workspace';

@inline function bytes(floats: i32): usize {
  return <usize>floats << 2;
}

/** PyTorch's pooling output size (floor mode); 0 when nothing fits. */
@inline function poolOut(size: i32, k: i32, stride: i32, pad: i32): i32 {
  const span = size + 2 * pad - k;
  return span < 0 || stride <= 0 || k <= 0 ? 0 : span / stride + 1;
}

/** First output column whose window starts inside the row: ceil(pad / stride). */
@inline function interiorLo(stride: i32, pad: i32): i32 {
  return (pad + stride - 1) / stride;
}

/** One past the last output column whose window ends inside the row (≤ ow). */
@inline function interiorHi(w: i32, k: i32, stride: i32, pad: i32, ow: i32): i32 {
  const span = w + pad - k;
  return span < 0 ? 0 : min(ow, span / stride + 1);
}

/** Four lanes of x at columns x0, x0 + s, x0 + 2s, x0 + 3s (s = 1 or 2), reading no further than the last. */
@inline function loadStrided(p: usize, s: i32): v128 {
  if (s == 1) return v128.load(p);
  return v128.shuffle<f32>(v128.load(p), v128.load(p, 12), 0, 2, 5, 7);
}

/**
 * y[n, c, outH, outW] = max over each window of x[n, c, h, w]; argmax[n, c, outH, outW] = the
 * winning cell's index within its h×w plane.
 */
export function maxPool2dForward(x: usize, y: usize, argmax: usize, n: i32, c: i32, h: i32, w: i32,
                                 kh: i32, kw: i32, strideH: i32, strideW: i32, padH: i32, padW: i32): void {
  const oh = poolOut(h, kh, strideH, padH), ow = poolOut(w, kw, strideW, padW);
  if (n <= 0 || c <= 0 || oh <= 0 || ow <= 0 || h <= 0 || w <= 0) return;
  const planes = n * c, inPlane = h * w;
  const simdLo = interiorLo(strideW, padW), simdHi = interiorHi(w, kw, strideW, padW, ow);
  const useSimd = strideW <= 2;
  for (let pl = 0; pl < planes; pl++) {
    const xp = x + bytes(pl * inPlane);
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * strideH - padH;
      const kiLo = max(0, -y0), kiHi = min(kh, h - y0);
      const yRow = y + bytes((pl * oh + oy) * ow), aRow = argmax + bytes((pl * oh + oy) * ow);
      let ox = 0;
      if (ASC_FEATURE_SIMD) {
        if (useSimd && kiLo < kiHi && simdHi - simdLo >= 4) {
          // Scalar up to the interior, then groups of four; the last group steps back to end at
          // simdHi, recomputing a few outputs (same inputs, same results) instead of going scalar.
          for (; ox < simdLo; ox++) maxPoolCell(xp, yRow, aRow, ox, y0, kiLo, kiHi, kw, strideW, padW, w);
          const pair = kh == 2 && kw == 2 && strideW == 2 && kiHi - kiLo == 2;
          for (;;) {
            if (ox + 4 > simdHi) {
              if (ox >= simdHi) break;
              ox = simdHi - 4;
            }
            if (pair) maxPool2x2s2Group(xp, yRow, aRow, ox, y0, padW, w);
            else maxPoolGroup(xp, yRow, aRow, ox, y0, kiLo, kiHi, kw, strideW, padW, w);
            ox += 4;
          }
        }
      }
      for (; ox < ow; ox++) maxPoolCell(xp, yRow, aRow, ox, y0, kiLo, kiHi, kw, strideW, padW, w);
    }
  }
}

/** Four adjacent outputs whose windows lie inside the row (stride 1 or 2), in scan order. */
@inline function maxPoolGroup(xp: usize, yRow: usize, aRow: usize, ox: i32, y0: i32, kiLo: i32, kiHi: i32,
                              kw: i32, strideW: i32, padW: i32, w: i32): void {
  const laneStep = i32x4(0, strideW, 2 * strideW, 3 * strideW);
  const x0 = ox * strideW - padW;
  let best = f32x4.splat(-Infinity);
  let idx = i32x4.add(i32x4.splat((y0 + kiLo) * w + x0), laneStep);
  for (let ki = kiLo; ki < kiHi; ki++) {
    const row = (y0 + ki) * w + x0;
    for (let kj = 0; kj < kw; kj++) {
      const v = loadStrided(xp + bytes(row + kj), strideW);
      const m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
      best = v128.bitselect(v, best, m);
      idx = v128.bitselect(i32x4.add(i32x4.splat(row + kj), laneStep), idx, m);
    }
  }
  v128.store(yRow + bytes(ox), best);
  v128.store(aRow + bytes(ox), idx);
}

/** The same for the 2×2 stride-2 window with both rows inside: two rows of 8, split into even and odd columns. */
@inline function maxPool2x2s2Group(xp: usize, yRow: usize, aRow: usize, ox: i32, y0: i32, padW: i32, w: i32): void {
  const x0 = ox * 2 - padW, i0 = y0 * w + x0;
  const r0 = xp + bytes(i0), r1 = r0 + bytes(w);
  const a0 = v128.load(r0), a1 = v128.load(r0, 16), b0 = v128.load(r1), b1 = v128.load(r1, 16);
  let best = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6);
  const base = i32x4.add(i32x4.splat(i0), i32x4(0, 2, 4, 6));
  let idx = base;
  let v = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
  let m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
  best = v128.bitselect(v, best, m);
  idx = v128.bitselect(i32x4.add(base, i32x4.splat(1)), idx, m);
  v = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
  m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
  best = v128.bitselect(v, best, m);
  idx = v128.bitselect(i32x4.add(base, i32x4.splat(w)), idx, m);
  v = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
  m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
  best = v128.bitselect(v, best, m);
  idx = v128.bitselect(i32x4.add(base, i32x4.splat(w + 1)), idx, m);
  v128.store(yRow + bytes(ox), best);
  v128.store(aRow + bytes(ox), idx);
}

@inline function maxPoolCell(xp: usize, yRow: usize, aRow: usize, ox: i32, y0: i32, kiLo: i32, kiHi: i32,
                             kw: i32, strideW: i32, padW: i32, w: i32): void {
  const x0 = ox * strideW - padW;
  const kjLo = max(0, -x0), kjHi = min(kw, w - x0);
  let best: f32 = -Infinity;
  let idx = kiLo < kiHi && kjLo < kjHi ? (y0 + kiLo) * w + x0 + kjLo : -1;
  for (let ki = kiLo; ki < kiHi; ki++) {
    const row = (y0 + ki) * w + x0;
    for (let kj = kjLo; kj < kjHi; kj++) {
      const v = load<f32>(xp + bytes(row + kj));
      if (v > best || v != v) { best = v; idx = row + kj; }
    }
  }
  store<f32>(yRow + bytes(ox), best);
  store<i32>(aRow + bytes(ox), idx);
}

/**
 * dx[n, c, h, w] = gradient of maxPool2dForward: dy scattered to the argmax cells (overwrites dx;
 * windows that share a winner add up). Entries with argmax < 0 are skipped.
 */
export function maxPool2dBackward(dy: usize, argmax: usize, dx: usize, n: i32, c: i32, h: i32, w: i32,
                                  outH: i32, outW: i32): void {
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return;
  const planes = n * c, inPlane = h * w, outPlane = max(0, outH) * max(0, outW);
  memory.fill(dx, 0, bytes(planes * inPlane));
  for (let pl = 0; pl < planes; pl++) {
    const dxp = dx + bytes(pl * inPlane);
    let g = dy + bytes(pl * outPlane), a = argmax + bytes(pl * outPlane);
    for (let o = 0; o < outPlane; o++) {
      const i = load<i32>(a);
      if (i >= 0) {
        const d = dxp + bytes(i);
        store<f32>(d, load<f32>(d) + load<f32>(g));
      }
      g += 4;
      a += 4;
    }
  }
}

/** PyTorch's count_include_pad divisor for one window axis: the window clipped to the padded input. */
@inline function padSpan(start: i32, k: i32, size: i32, pad: i32): i32 {
  return min(start + k, size + pad) - start;
}

/** y[n, c, outH, outW] = mean of each window of x (padded cells count as zeros). */
export function avgPool2dForward(x: usize, y: usize, n: i32, c: i32, h: i32, w: i32,
                                 kh: i32, kw: i32, strideH: i32, strideW: i32, padH: i32, padW: i32): void {
  const oh = poolOut(h, kh, strideH, padH), ow = poolOut(w, kw, strideW, padW);
  if (n <= 0 || c <= 0 || oh <= 0 || ow <= 0 || h <= 0 || w <= 0) return;
  const planes = n * c, inPlane = h * w;
  const simdLo = interiorLo(strideW, padW), simdHi = interiorHi(w, kw, strideW, padW, ow);
  const useSimd = strideW <= 2;
  for (let pl = 0; pl < planes; pl++) {
    const xp = x + bytes(pl * inPlane);
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * strideH - padH;
      const kiLo = max(0, -y0), kiHi = min(kh, h - y0), rows = padSpan(y0, kh, h, padH);
      const yRow = y + bytes((pl * oh + oy) * ow);
      let ox = 0;
      if (ASC_FEATURE_SIMD) {
        if (useSimd && simdHi - simdLo >= 4) {
          for (; ox < simdLo; ox++) avgPoolCell(xp, yRow, ox, y0, kiLo, kiHi, rows, kw, strideW, padW, w);
          // interior columns: the x extent of the divisor is kw
          const div = f32x4.splat(<f32>(rows * kw));
          for (; ox < simdHi; ox += 4) {
            if (ox + 4 > simdHi) ox = simdHi - 4; // the last group steps back (recomputes, same results)
            const x0 = ox * strideW - padW;
            let s = f32x4.splat(0);
            for (let ki = kiLo; ki < kiHi; ki++) {
              const row = (y0 + ki) * w + x0;
              for (let kj = 0; kj < kw; kj++) s = f32x4.add(s, loadStrided(xp + bytes(row + kj), strideW));
            }
            v128.store(yRow + bytes(ox), f32x4.div(s, div));
          }
        }
      }
      for (; ox < ow; ox++) avgPoolCell(xp, yRow, ox, y0, kiLo, kiHi, rows, kw, strideW, padW, w);
    }
  }
}

@inline function avgPoolCell(xp: usize, yRow: usize, ox: i32, y0: i32, kiLo: i32, kiHi: i32, rows: i32,
                             kw: i32, strideW: i32, padW: i32, w: i32): void {
  const x0 = ox * strideW - padW;
  const kjLo = max(0, -x0), kjHi = min(kw, w - x0);
  let s: f32 = 0;
  for (let ki = kiLo; ki < kiHi; ki++) {
    const row = (y0 + ki) * w + x0;
    for (let kj = kjLo; kj < kjHi; kj++) s += load<f32>(xp + bytes(row + kj));
  }
  store<f32>(yRow + bytes(ox), s / <f32>(rows * padSpan(x0, kw, w, padW)));
}

/**
 * dx[n, c, h, w] = gradient of avgPool2dForward: each dy / divisor added to its window's input cells
 * (overwrites dx). Per output row, the contributions of all its windows to one input row are summed
 * once into a scratch row r (in the workspace), and r is added to each of the window's input rows.
 */
export function avgPool2dBackward(dy: usize, dx: usize, n: i32, c: i32, h: i32, w: i32,
                                  kh: i32, kw: i32, strideH: i32, strideW: i32, padH: i32, padW: i32): void {
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return;
  const planes = n * c, inPlane = h * w;
  memory.fill(dx, 0, bytes(planes * inPlane));
  const oh = poolOut(h, kh, strideH, padH), ow = poolOut(w, kw, strideW, padW);
  if (oh <= 0 || ow <= 0) return;
  const r = workspace(bytes(w));
  // Windows that tile the row (2 wide, stride 2) do not overlap: the SIMD builds write r four outputs at a time.
  const pair = kw == 2 && strideW == 2;
  const simdLo = interiorLo(strideW, padW), simdHi = interiorHi(w, kw, strideW, padW, ow);
  for (let pl = 0; pl < planes; pl++) {
    const dxp = dx + bytes(pl * inPlane);
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * strideH - padH;
      const kiLo = max(0, -y0), kiHi = min(kh, h - y0), rows = padSpan(y0, kh, h, padH);
      if (kiLo >= kiHi) continue;
      const gRow = dy + bytes((pl * oh + oy) * ow);
      memory.fill(r, 0, bytes(w));
      let ox = 0;
      if (ASC_FEATURE_SIMD) {
        if (pair) {
          for (; ox < simdLo; ox++) avgPoolScatter(r, gRow, ox, rows, kw, strideW, padW, w);
          const div = f32x4.splat(<f32>(rows * 2));
          for (; ox + 4 <= simdHi; ox += 4) {
            const g = f32x4.div(v128.load(gRow + bytes(ox)), div);
            const d = r + bytes(ox * 2 - padW);
            v128.store(d, v128.shuffle<f32>(g, g, 0, 0, 1, 1));
            v128.store(d, v128.shuffle<f32>(g, g, 2, 2, 3, 3), 16);
          }
        }
      }
      for (; ox < ow; ox++) avgPoolScatter(r, gRow, ox, rows, kw, strideW, padW, w);
      for (let ki = kiLo; ki < kiHi; ki++) addRow(dxp + bytes((y0 + ki) * w), r, w);
    }
  }
}

/** r[x] += dy[ox] / divisor for the window's columns x inside the row. */
@inline function avgPoolScatter(r: usize, gRow: usize, ox: i32, rows: i32, kw: i32, strideW: i32, padW: i32, w: i32): void {
  const x0 = ox * strideW - padW;
  const kjLo = max(0, -x0), kjHi = min(kw, w - x0);
  const g = load<f32>(gRow + bytes(ox)) / <f32>(rows * padSpan(x0, kw, w, padW));
  for (let kj = kjLo; kj < kjHi; kj++) {
    const d = r + bytes(x0 + kj);
    store<f32>(d, load<f32>(d) + g);
  }
}

/** dst[0, n) += src[0, n). */
@inline function addRow(dst: usize, src: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = bytes(i);
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = bytes(i);
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}
