// 2-D max and average pooling, NCHW, PyTorch semantics. The caller passes the output size
// (floor or ceil mode, computed in bindings/ops/window.ts); a window may then reach past the padded
// edge (ceil mode), and only its cells inside the input are read.
//
// Max pooling (with dilation: taps at y0 + ki·dilH, x0 + kj·dilW): padded cells never win (they
// are skipped, not treated as −∞ or 0); the scan runs over the window row by row and a cell
// replaces the running maximum when it is greater, or NaN (PyTorch's `val > max || isnan(val)`),
// so ties go to the first cell in scan order and NaN propagates. argmax holds the flat index
// iy·w + ix within the input plane; argmax = 0 (a null pointer) skips it (inference). A window
// with no input cell at all gives −∞ and −1.
//
// Average pooling: the divisor is PyTorch's. With countIncludePad, the window clipped to the padded
// input, (min(y0 + kh, h + padH) − y0) · (min(x0 + kw, w + padW) − x0), y0 = oy·strideH − padH
// (kh·kw except where a ceil-mode window passes the padded edge); without it, the number of input
// cells in the window. Padded cells add 0 to the sum.
//
// The SIMD builds run four adjacent outputs at once across each output row where the windows lie
// inside the row (stride 1 or 2); the edges, other strides and the scalar build take the scalar path,
// which visits the cells in the same order, so every build gives the same bits. Without argmax the
// SIMD max is `pmax(best, v)` = `best < v ? v : best`, the scan's own rule for every non-NaN v; a
// group that met a NaN is redone by the scalar path, so NaN results keep their bits too.

import { workspace } from './workspace';

@inline function bytes(floats: i32): usize {
  return <usize>floats << 2;
}

/** The first tap k ≥ 0 with start + k·dil ≥ 0 (no division without dilation: this runs per row and per edge cell). */
@inline function tapLo(start: i32, dil: i32): i32 {
  if (start >= 0) return 0;
  return dil == 1 ? -start : (dil - 1 - start) / dil;
}

/** One past the last tap k < kernel with start + k·dil < size. */
@inline function tapHi(start: i32, kernel: i32, dil: i32, size: i32): i32 {
  const room = size - start;
  if (room <= 0) return 0;
  return min(kernel, dil == 1 ? room : (room + dil - 1) / dil);
}

/** First output column whose window starts inside the row: ceil(pad / stride). */
@inline function interiorLo(stride: i32, pad: i32): i32 {
  return (pad + stride - 1) / stride;
}

/** One past the last output column whose window (last tap at x0 + (k − 1)·dil) ends inside the row (≤ ow). */
@inline function interiorHi(w: i32, k: i32, dil: i32, stride: i32, pad: i32, ow: i32): i32 {
  const span = w - 1 + pad - (k - 1) * dil;
  return span < 0 ? 0 : min(ow, span / stride + 1);
}

/** Four lanes of x at columns x0, x0 + s, x0 + 2s, x0 + 3s (s = 1 or 2), reading no further than the last. */
@inline function loadStrided(p: usize, s: i32): v128 {
  if (s == 1) return v128.load(p);
  return v128.shuffle<f32>(v128.load(p), v128.load(p, 12), 0, 2, 5, 7);
}

/**
 * y[n, c, oh, ow] = max over each window of x[n, c, h, w]; argmax[n, c, oh, ow] (unless argmax = 0)
 * = the winning cell's index within its h×w plane.
 */
export function maxPool2dForward(x: usize, y: usize, argmax: usize, n: i32, c: i32, h: i32, w: i32,
                                 kh: i32, kw: i32, strideH: i32, strideW: i32, padH: i32, padW: i32,
                                 dilH: i32, dilW: i32, oh: i32, ow: i32): void {
  if (n <= 0 || c <= 0 || oh <= 0 || ow <= 0 || h <= 0 || w <= 0) return;
  const planes = n * c, inPlane = h * w;
  const simdLo = interiorLo(strideW, padW), simdHi = interiorHi(w, kw, dilW, strideW, padW, ow);
  const useSimd = strideW <= 2 && simdHi - simdLo >= 4;
  const pair = kh == 2 && kw == 2 && strideW == 2 && dilH == 1 && dilW == 1;
  const stem = kh == 3 && kw == 3 && strideW == 2 && dilH == 1 && dilW == 1;
  for (let pl = 0; pl < planes; pl++) {
    const xp = x + bytes(pl * inPlane);
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * strideH - padH;
      const kiLo = tapLo(y0, dilH), kiHi = tapHi(y0, kh, dilH, h);
      const o = (pl * oh + oy) * ow;
      const yRow = y + bytes(o), aRow = argmax == 0 ? 0 : argmax + bytes(o);
      let ox = 0;
      if (ASC_FEATURE_SIMD) {
        if (useSimd && kiLo < kiHi) {
          // Scalar up to the interior, then groups of four; the last group steps back to end at
          // simdHi, recomputing a few outputs (same inputs, same results) instead of going scalar.
          for (; ox < simdLo; ox++) maxPoolCell(xp, yRow, aRow, ox, y0, kiLo, kiHi, kw, strideW, padW, dilH, dilW, w);
          const pairRow = pair && kiHi - kiLo == 2, stemRow = stem && kiHi - kiLo == 3;
          for (;;) {
            if (ox + 4 > simdHi) {
              if (ox >= simdHi) break;
              ox = simdHi - 4;
            }
            if (aRow != 0) {
              if (pairRow) maxPool2x2s2Group(xp, yRow, aRow, ox, y0, padW, w);
              else maxPoolGroup(xp, yRow, aRow, ox, y0, kiLo, kiHi, kw, strideW, padW, dilH, dilW, w);
            } else {
              const clean = pairRow ? maxPool2x2s2Values(xp, yRow, ox, y0, padW, w)
                : stemRow ? maxPool3x3s2Values(xp, yRow, ox, y0, padW, w)
                : maxPoolValues(xp, yRow, ox, y0, kiLo, kiHi, kw, strideW, padW, dilH, dilW, w);
              if (!clean) {
                for (let j = ox; j < ox + 4; j++) maxPoolCell(xp, yRow, 0, j, y0, kiLo, kiHi, kw, strideW, padW, dilH, dilW, w);
              }
            }
            ox += 4;
          }
        }
      }
      for (; ox < ow; ox++) maxPoolCell(xp, yRow, aRow, ox, y0, kiLo, kiHi, kw, strideW, padW, dilH, dilW, w);
    }
  }
}

/** Four adjacent outputs whose windows lie inside the row (stride 1 or 2), in scan order. */
@inline function maxPoolGroup(xp: usize, yRow: usize, aRow: usize, ox: i32, y0: i32, kiLo: i32, kiHi: i32,
                              kw: i32, strideW: i32, padW: i32, dilH: i32, dilW: i32, w: i32): void {
  const laneStep = i32x4(0, strideW, 2 * strideW, 3 * strideW);
  const x0 = ox * strideW - padW;
  let best = f32x4.splat(-Infinity);
  let idx = i32x4.add(i32x4.splat((y0 + kiLo * dilH) * w + x0), laneStep);
  for (let ki = kiLo; ki < kiHi; ki++) {
    const row = (y0 + ki * dilH) * w + x0;
    for (let kj = 0; kj < kw; kj++) {
      const at = row + kj * dilW;
      const v = loadStrided(xp + bytes(at), strideW);
      const m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
      best = v128.bitselect(v, best, m);
      idx = v128.bitselect(i32x4.add(i32x4.splat(at), laneStep), idx, m);
    }
  }
  v128.store(yRow + bytes(ox), best);
  v128.store(aRow + bytes(ox), idx);
}

/** The same without argmax; false (nothing stored) when a cell was NaN. */
@inline function maxPoolValues(xp: usize, yRow: usize, ox: i32, y0: i32, kiLo: i32, kiHi: i32,
                               kw: i32, strideW: i32, padW: i32, dilH: i32, dilW: i32, w: i32): bool {
  const x0 = ox * strideW - padW;
  let best = f32x4.splat(-Infinity), sum = f32x4.splat(0);
  for (let ki = kiLo; ki < kiHi; ki++) {
    const row = (y0 + ki * dilH) * w + x0;
    for (let kj = 0; kj < kw; kj++) {
      const v = loadStrided(xp + bytes(row + kj * dilW), strideW);
      best = f32x4.pmax(best, v);
      sum = f32x4.add(sum, v);
    }
  }
  if (hasNaN(sum)) return false;
  v128.store(yRow + bytes(ox), best);
  return true;
}

/**
 * Whether a sum of the cells has a NaN lane: a NaN cell makes its lane NaN (so does ∞ − ∞, which
 * only sends the group to the exact scalar path). One add per cell instead of a compare and an or.
 */
@inline function hasNaN(sum: v128): bool {
  return v128.any_true(f32x4.ne(sum, sum));
}

/**
 * 3×3 stride 2 (the ResNet stem pool) with all three rows inside, without argmax: the three rows
 * reduced first (plain loads, no strided ones), then even, odd and next-even
 * columns. This order differs from the scan's, which matters only for which of −0 and +0 wins and
 * for NaN: a group with a NaN or a zero result is redone by the scalar path. False then.
 */
@inline function maxPool3x3s2Values(xp: usize, yRow: usize, ox: i32, y0: i32, padW: i32, w: i32): bool {
  const r0 = xp + bytes(y0 * w + ox * 2 - padW), r1 = r0 + bytes(w), r2 = r1 + bytes(w);
  // per row: columns 0–3, 4–7, 2–5 and 5–8 (two-source shuffles of two lanes each compile to one shufps)
  const a0 = v128.load(r0), a1 = v128.load(r0, 16), a2 = v128.load(r0, 8), a3 = v128.load(r0, 20);
  const b0 = v128.load(r1), b1 = v128.load(r1, 16), b2 = v128.load(r1, 8), b3 = v128.load(r1, 20);
  const c0 = v128.load(r2), c1 = v128.load(r2, 16), c2 = v128.load(r2, 8), c3 = v128.load(r2, 20);
  const v0 = f32x4.pmax(f32x4.pmax(a0, b0), c0), v1 = f32x4.pmax(f32x4.pmax(a1, b1), c1);
  const v2 = f32x4.pmax(f32x4.pmax(a2, b2), c2), v3 = f32x4.pmax(f32x4.pmax(a3, b3), c3);
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(b0, b1)), f32x4.add(f32x4.add(c0, c1), f32x4.add(a3, f32x4.add(b3, c3))));
  const even = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), odd = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
  const next = v128.shuffle<f32>(v2, v3, 0, 2, 5, 7); // columns 2, 4, 6, 8
  const best = f32x4.pmax(f32x4.pmax(even, odd), next);
  if (hasNaN(s) || v128.any_true(f32x4.eq(best, f32x4.splat(0)))) return false;
  v128.store(yRow + bytes(ox), best);
  return true;
}

/** The 2×2 stride-2 window with both rows inside: two rows of 8, split into even and odd columns. */
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

/** The same without argmax; false (nothing stored) when one of the 16 cells was NaN. */
@inline function maxPool2x2s2Values(xp: usize, yRow: usize, ox: i32, y0: i32, padW: i32, w: i32): bool {
  const r0 = xp + bytes(y0 * w + ox * 2 - padW), r1 = r0 + bytes(w);
  const a0 = v128.load(r0), a1 = v128.load(r0, 16), b0 = v128.load(r1), b1 = v128.load(r1, 16);
  if (hasNaN(f32x4.add(f32x4.add(a0, a1), f32x4.add(b0, b1)))) return false;
  let best = f32x4.pmax(v128.shuffle<f32>(a0, a1, 0, 2, 4, 6), v128.shuffle<f32>(a0, a1, 1, 3, 5, 7));
  best = f32x4.pmax(best, v128.shuffle<f32>(b0, b1, 0, 2, 4, 6));
  best = f32x4.pmax(best, v128.shuffle<f32>(b0, b1, 1, 3, 5, 7));
  v128.store(yRow + bytes(ox), best);
  return true;
}

@inline function maxPoolCell(xp: usize, yRow: usize, aRow: usize, ox: i32, y0: i32, kiLo: i32, kiHi: i32,
                             kw: i32, strideW: i32, padW: i32, dilH: i32, dilW: i32, w: i32): void {
  const x0 = ox * strideW - padW;
  const kjLo = tapLo(x0, dilW), kjHi = tapHi(x0, kw, dilW, w);
  let best: f32 = -Infinity;
  let idx = kiLo < kiHi && kjLo < kjHi ? (y0 + kiLo * dilH) * w + x0 + kjLo * dilW : -1;
  for (let ki = kiLo; ki < kiHi; ki++) {
    const row = (y0 + ki * dilH) * w + x0;
    for (let kj = kjLo; kj < kjHi; kj++) {
      const at = row + kj * dilW;
      const v = load<f32>(xp + bytes(at));
      if (v > best || v != v) { best = v; idx = at; }
    }
  }
  store<f32>(yRow + bytes(ox), best);
  if (aRow != 0) store<i32>(aRow + bytes(ox), idx);
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

/**
 * The divisor's extent along one axis for a window starting at `start`: with countIncludePad, the
 * window clipped to the padded input; without, the number of its cells inside the input.
 */
@inline function divSpan(start: i32, k: i32, size: i32, pad: i32, includePad: bool): i32 {
  return includePad ? min(start + k, size + pad) - start : min(start + k, size) - max(start, 0);
}

/** y[n, c, oh, ow] = mean of each window of x (PyTorch's divisor, see the top of the file). */
export function avgPool2dForward(x: usize, y: usize, n: i32, c: i32, h: i32, w: i32,
                                 kh: i32, kw: i32, strideH: i32, strideW: i32, padH: i32, padW: i32,
                                 oh: i32, ow: i32, countIncludePad: bool): void {
  if (n <= 0 || c <= 0 || oh <= 0 || ow <= 0 || h <= 0 || w <= 0) return;
  const planes = n * c, inPlane = h * w;
  const simdLo = interiorLo(strideW, padW), simdHi = interiorHi(w, kw, 1, strideW, padW, ow);
  const useSimd = strideW <= 2 && simdHi - simdLo >= 4;
  const pair = kh == 2 && kw == 2 && strideW == 2;
  for (let pl = 0; pl < planes; pl++) {
    const xp = x + bytes(pl * inPlane);
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * strideH - padH;
      const kiLo = max(0, -y0), kiHi = min(kh, h - y0), rows = divSpan(y0, kh, h, padH, countIncludePad);
      const yRow = y + bytes((pl * oh + oy) * ow);
      let ox = 0;
      if (ASC_FEATURE_SIMD) {
        if (useSimd) {
          for (; ox < simdLo; ox++) avgPoolCell(xp, yRow, ox, y0, kiLo, kiHi, rows, kw, strideW, padW, w, countIncludePad);
          // interior columns: the x extent of the divisor is kw either way
          const div = f32x4.splat(<f32>(rows * kw));
          const pairRow = pair && kiHi - kiLo == 2;
          for (; ox < simdHi; ox += 4) {
            if (ox + 4 > simdHi) ox = simdHi - 4; // the last group steps back (recomputes, same results)
            const x0 = ox * strideW - padW;
            let s = f32x4.splat(0);
            if (pairRow) {
              const r0 = xp + bytes((y0 + kiLo) * w + x0), r1 = r0 + bytes(w);
              const a0 = v128.load(r0), a1 = v128.load(r0, 16), b0 = v128.load(r1), b1 = v128.load(r1, 16);
              s = f32x4.add(s, v128.shuffle<f32>(a0, a1, 0, 2, 4, 6));
              s = f32x4.add(s, v128.shuffle<f32>(a0, a1, 1, 3, 5, 7));
              s = f32x4.add(s, v128.shuffle<f32>(b0, b1, 0, 2, 4, 6));
              s = f32x4.add(s, v128.shuffle<f32>(b0, b1, 1, 3, 5, 7));
            } else {
              for (let ki = kiLo; ki < kiHi; ki++) {
                const row = (y0 + ki) * w + x0;
                for (let kj = 0; kj < kw; kj++) s = f32x4.add(s, loadStrided(xp + bytes(row + kj), strideW));
              }
            }
            v128.store(yRow + bytes(ox), f32x4.div(s, div));
          }
        }
      }
      for (; ox < ow; ox++) avgPoolCell(xp, yRow, ox, y0, kiLo, kiHi, rows, kw, strideW, padW, w, countIncludePad);
    }
  }
}

@inline function avgPoolCell(xp: usize, yRow: usize, ox: i32, y0: i32, kiLo: i32, kiHi: i32, rows: i32,
                             kw: i32, strideW: i32, padW: i32, w: i32, includePad: bool): void {
  const x0 = ox * strideW - padW;
  const kjLo = max(0, -x0), kjHi = min(kw, w - x0);
  let s: f32 = 0;
  for (let ki = kiLo; ki < kiHi; ki++) {
    const row = (y0 + ki) * w + x0;
    for (let kj = kjLo; kj < kjHi; kj++) s += load<f32>(xp + bytes(row + kj));
  }
  store<f32>(yRow + bytes(ox), s / <f32>(rows * divSpan(x0, kw, w, padW, includePad)));
}

/** Bytes of workspace avgPool2dBackward takes (same arguments): one scratch row. */
export function avgPool2dBackwardWorkspace(dy: usize, dx: usize, n: i32, c: i32, h: i32, w: i32,
                                           kh: i32, kw: i32, strideH: i32, strideW: i32, padH: i32, padW: i32,
                                           oh: i32, ow: i32, countIncludePad: bool): usize {
  return w > 0 ? bytes(w) : 0;
}

/**
 * dx[n, c, h, w] = gradient of avgPool2dForward: each dy / divisor added to its window's input cells
 * (overwrites dx). Per output row, the contributions of all its windows to one input row are summed
 * once into a scratch row r (this thread's workspace), and r is added to each of the window's input rows.
 */
export function avgPool2dBackward(dy: usize, dx: usize, n: i32, c: i32, h: i32, w: i32,
                                  kh: i32, kw: i32, strideH: i32, strideW: i32, padH: i32, padW: i32,
                                  oh: i32, ow: i32, countIncludePad: bool): void {
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return;
  const planes = n * c, inPlane = h * w;
  memory.fill(dx, 0, bytes(planes * inPlane));
  if (oh <= 0 || ow <= 0) return;
  const r = workspace(bytes(w));
  // Windows that tile the row (2 wide, stride 2) do not overlap: the SIMD builds write r four outputs at a time.
  const pair = kw == 2 && strideW == 2;
  const simdLo = interiorLo(strideW, padW), simdHi = interiorHi(w, kw, 1, strideW, padW, ow);
  for (let pl = 0; pl < planes; pl++) {
    const dxp = dx + bytes(pl * inPlane);
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * strideH - padH;
      const kiLo = max(0, -y0), kiHi = min(kh, h - y0), rows = divSpan(y0, kh, h, padH, countIncludePad);
      if (kiLo >= kiHi) continue;
      const gRow = dy + bytes((pl * oh + oy) * ow);
      memory.fill(r, 0, bytes(w));
      let ox = 0;
      if (ASC_FEATURE_SIMD) {
        if (pair) {
          for (; ox < simdLo; ox++) avgPoolScatter(r, gRow, ox, rows, kw, strideW, padW, w, countIncludePad);
          const div = f32x4.splat(<f32>(rows * 2));
          for (; ox + 4 <= simdHi; ox += 4) {
            const g = f32x4.div(v128.load(gRow + bytes(ox)), div);
            const d = r + bytes(ox * 2 - padW);
            v128.store(d, v128.shuffle<f32>(g, g, 0, 0, 1, 1));
            v128.store(d, v128.shuffle<f32>(g, g, 2, 2, 3, 3), 16);
          }
        }
      }
      for (; ox < ow; ox++) avgPoolScatter(r, gRow, ox, rows, kw, strideW, padW, w, countIncludePad);
      for (let ki = kiLo; ki < kiHi; ki++) addRow(dxp + bytes((y0 + ki) * w), r, w);
    }
  }
}

/** r[x] += dy[ox] / divisor for the window's columns x inside the row. */
@inline function avgPoolScatter(r: usize, gRow: usize, ox: i32, rows: i32, kw: i32, strideW: i32, padW: i32, w: i32,
                                includePad: bool): void {
  const x0 = ox * strideW - padW;
  const kjLo = max(0, -x0), kjHi = min(kw, w - x0);
  const g = load<f32>(gRow + bytes(ox)) / <f32>(rows * divSpan(x0, kw, w, padW, includePad));
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
