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
//
// Inference fast paths (SIMD builds), stride 2 both ways, dilation 1: max 2×2 unpadded and 3×3 with
// padding 0 or 1 (no argmax), average 2×2 and 3×3 with padding 0 or 1. They exist because the
// general loop above pays per row and per group for what these geometries fix in advance (XNNPACK
// vectorises over channels in NHWC; here the planes are NCHW, so over output columns): each group
// loads its rows' columns in 4-float runs and splits even and odd columns with one shuffle each.
// The max paths reduce each row left to right, then the rows top to bottom (a left-biased maximum
// in that order is the scan's, ±0 ties included) and check NaN from sums of the cells the groups
// read, once per plane (3×3) or once per call (2×2, whose planes may be as small as 5×5 outputs:
// then the planes that hold a NaN cell are found and redone); average sums in the scalar path's
// order. Both are tested bit for bit.

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
  if (ASC_FEATURE_SIMD) {
    if (argmax == 0 && kh == 2 && kw == 2 && strideH == 2 && strideW == 2 && padH == 0 && padW == 0 && dilH == 1 && dilW == 1) {
      maxPool2x2s2(x, y, planes, h, w, oh, ow);
      return;
    }
    if (argmax != 0 && kh == 2 && kw == 2 && strideH == 2 && strideW == 2 && padH == 0 && padW == 0 && dilH == 1 && dilW == 1 && min(ow, w >> 1) >= 4) {
      maxPool2x2s2Argmax(x, y, argmax, planes, h, w, oh, ow);
      return;
    }
    if (argmax == 0 && kh == 3 && kw == 3 && strideH == 2 && strideW == 2 && padH <= 1 && padW <= 1 && dilH == 1 && dilW == 1) {
      maxPool3x3s2(x, y, planes, h, w, oh, ow, padH, padW);
      return;
    }
  }
  const simdLo = interiorLo(strideW, padW), simdHi = interiorHi(w, kw, dilW, strideW, padW, ow);
  const useSimd = strideW <= 2 && simdHi - simdLo >= 4;
  const pair = kh == 2 && kw == 2 && strideW == 2 && dilH == 1 && dilW == 1;
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
          const pairRow = pair && kiHi - kiLo == 2;
          for (;;) {
            if (ox + 4 > simdHi) {
              if (ox >= simdHi) break;
              ox = simdHi - 4;
            }
            if (aRow != 0) {
              if (pairRow) maxPool2x2s2Group(xp, yRow, aRow, ox, y0, padW, w);
              else maxPoolGroup(xp, yRow, aRow, ox, y0, kiLo, kiHi, kw, strideW, padW, dilH, dilW, w);
            } else {
              const clean = pairRow ? !hasNaN(maxPool2x2s2Four(xp + bytes(y0 * w - padW), xp + bytes((y0 + 1) * w - padW), yRow, ox))
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

/**
 * Inference 2×2 stride 2, no padding or dilation: the output rows whose two input rows are inside
 * (all of them but a ceil-mode last row) and the columns whose windows are inside (all but a
 * ceil-mode last column, `full` of them). Each row runs its whole groups of four outputs, then its
 * last one to three outputs: three after a group as a group stepped back by one, otherwise two at
 * a time (pool2x2s2Two: both input rows in one vector, as MNIST's 11×11 → 5×5 planes need for
 * their fifth column). The rest, a plane narrower than two outputs, and a plane that met a NaN take
 * maxPoolCell. The row loop is instantiated once per full mod 4, so a row is straight-line code
 * but for its group loop: on small planes the loops' own instructions cost as much as the SIMD ones.
 */
function maxPool2x2s2(x: usize, y: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32): void {
  const rowsIn = min(oh, h >> 1), full = min(ow, w >> 1);
  const sum = full >= 2 ? pool2x2s2(x, y, planes, h, w, oh, ow, rowsIn, full, false) : f32x4.splat(0);
  // cell by cell where the groups did not reach (ceil mode's last row and column); the planes
  // with a NaN cell again, if the groups met a NaN (the sum is NaN then; ∞ − ∞ only sends the
  // planes to the check)
  const nan = hasNaN(sum) || full < 2;
  if (nan || full < ow || rowsIn < oh) {
    for (let pl = 0; pl < planes; pl++) {
      const xp = x + bytes(pl * h * w), yp = y + bytes(pl * oh * ow);
      const redo = full < 2 || nan && planeHasNaN(xp, h * w);
      if (redo || full < ow || rowsIn < oh) maxPoolCells(xp, yp, 0, redo ? 0 : rowsIn, redo ? 0 : full, h, w, oh, ow, 2, 2, 0, 0);
    }
  }
}

/**
 * The inside rows and columns of every plane of a 2×2 stride-2 max (avg = false) or average pool
 * (full ≥ 2), one row loop instantiated per full mod 4 (straight-line rows). Returns the max path's
 * NaN sum (avg: zero).
 */
function pool2x2s2(x: usize, y: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32, rowsIn: i32, full: i32, avg: bool): v128 {
  const rem = full & 3;
  if (avg) {
    if (rem == 0) return pool2x2s2Rows(x, y, planes, h, w, oh, ow, rowsIn, full, 0, true);
    if (rem == 1) return pool2x2s2Rows(x, y, planes, h, w, oh, ow, rowsIn, full, 1, true);
    if (rem == 2) return pool2x2s2Rows(x, y, planes, h, w, oh, ow, rowsIn, full, 2, true);
    return pool2x2s2Rows(x, y, planes, h, w, oh, ow, rowsIn, full, 3, true);
  }
  if (rem == 0) return pool2x2s2Rows(x, y, planes, h, w, oh, ow, rowsIn, full, 0, false);
  if (rem == 1) return pool2x2s2Rows(x, y, planes, h, w, oh, ow, rowsIn, full, 1, false);
  if (rem == 2) return pool2x2s2Rows(x, y, planes, h, w, oh, ow, rowsIn, full, 2, false);
  return pool2x2s2Rows(x, y, planes, h, w, oh, ow, rowsIn, full, 3, false);
}

/** pool2x2s2 for full mod 4 = rem (rem and avg are constants where it is inlined). */
@inline function pool2x2s2Rows(x: usize, y: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32,
                               rowsIn: i32, full: i32, rem: i32, avg: bool): v128 {
  const whole = full & ~3, rowStep = bytes(2 * w), yStep = bytes(ow);
  let sum = f32x4.splat(0), r0 = x, yRow = y;
  for (let pl = 0; pl < planes; pl++) {
    for (let oy = 0; oy < rowsIn; oy++, r0 += rowStep, yRow += yStep) {
      const r1 = r0 + bytes(w);
      if (rem < 2 || whole > 0) { // rem 0 or 1: a whole group always
        let ox = 0;
        do {
          sum = nanSum(sum, pool2x2s2Four(r0, r1, yRow, ox, avg), avg);
          ox += 4;
        } while (ox < whole);
      }
      if (rem == 3) {
        if (whole > 0) sum = nanSum(sum, pool2x2s2Four(r0, r1, yRow, full - 4, avg), avg);
        else sum = nanSum(nanSum(sum, pool2x2s2Two(r0, r1, yRow, 0, avg), avg), pool2x2s2Two(r0, r1, yRow, 1, avg), avg);
      } else if (rem != 0) {
        sum = nanSum(sum, pool2x2s2Two(r0, r1, yRow, full - 2, avg), avg);
      }
    }
    r0 += bytes((h - 2 * rowsIn) * w); // the plane's rows below the last window
    yRow += bytes((oh - rowsIn) * ow);
  }
  return sum;
}

/** sum + part for the max path's NaN check; the average path keeps no sum. */
@inline function nanSum(sum: v128, part: v128, avg: bool): v128 {
  return avg ? sum : f32x4.add(sum, part);
}

/** Outputs ox … ox + 3: maxPool2x2s2Four, or the average (the scalar order of adds, then × ¼, exact) and zero. */
@inline function pool2x2s2Four(r0: usize, r1: usize, yRow: usize, ox: i32, avg: bool): v128 {
  if (!avg) return maxPool2x2s2Four(r0, r1, yRow, ox);
  const at = bytes(2 * ox);
  v128.store(yRow + bytes(ox), f32x4.mul(avgRowS2(r1 + at, avgRowS2(r0 + at, f32x4.splat(0), 2, false), 2, false), f32x4.splat(0.25)));
  return f32x4.splat(0);
}

/**
 * Outputs ox and ox + 1 of a 2×2 stride-2 row from input rows r0 and r1: one vector holds both
 * rows' four cells, [r0 even, r0 even, r1 even, r1 even] against the odd ones. Max: each row's
 * pair, then the two rows, as maxPool2x2s2Four; returns the sum of the 8 cells. Average: +0, row 0
 * even, odd, row 1 even, odd (the scalar order), × ¼; returns zero.
 */
@inline function pool2x2s2Two(r0: usize, r1: usize, yRow: usize, ox: i32, avg: bool): v128 {
  const at = bytes(ox * 2), p = v128.load(r0 + at), q = v128.load(r1 + at);
  const even = v128.shuffle<f32>(p, q, 0, 2, 4, 6), odd = v128.shuffle<f32>(p, q, 1, 3, 5, 7);
  if (avg) {
    const top = f32x4.add(f32x4.add(f32x4.splat(0), even), odd);
    const s = f32x4.add(f32x4.add(top, v128.shuffle<f32>(even, even, 2, 3, 2, 3)), v128.shuffle<f32>(odd, odd, 2, 3, 2, 3));
    v128.store64_lane(yRow + bytes(ox), f32x4.mul(s, f32x4.splat(0.25)), 0);
    return f32x4.splat(0);
  }
  const rows = f32x4.pmax(even, odd);
  v128.store64_lane(yRow + bytes(ox), f32x4.pmax(rows, v128.shuffle<f32>(rows, rows, 2, 3, 2, 3)), 0);
  return f32x4.add(p, q);
}

/**
 * Training 2×2 stride 2, no padding or dilation, planes at least four outputs wide. The value is
 * maxPool2x2s2Four's left-biased maximum (the scan's, ±0 ties included), and the argmax is the cell
 * it picked, read off the same three comparisons pmax makes (a < b): the bottom row's when
 * top < bottom, then that row's right column when its left cell < its right. No compare-and-select
 * per cell. pmax drops a NaN, so each plane also sums the cells the groups read, and a plane whose
 * sum is NaN is redone cell by cell (as are ceil mode's last row and column). Each row runs whole
 * groups of four outputs, the last one stepped back to end at the last full window (recomputing a
 * few outputs, same bits). MNIST's pools at batch 32, one thread, in cache (SIMD build): 32×26²
 * planes 277 → 136 µs, 64×11² 125 → 66 µs against the general path's groups; 110–118 / 49–53 µs
 * once maxPoolCells runs only for a plane with cells left (a loop over every row did nothing).
 */
function maxPool2x2s2Argmax(x: usize, y: usize, argmax: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32): void {
  const rowsIn = min(oh, h >> 1), full = min(ow, w >> 1); // full ≥ 4
  const below = i32x4.splat(w), even = i32x4(0, 2, 4, 6);
  for (let pl = 0; pl < planes; pl++) {
    const xp = x + bytes(pl * h * w), yp = y + bytes(pl * oh * ow), ap = argmax + bytes(pl * oh * ow);
    let sum = f32x4.splat(0);
    for (let oy = 0; oy < rowsIn; oy++) {
      const row = 2 * oy * w, r0 = xp + bytes(row), r1 = r0 + bytes(w), o = oy * ow;
      for (let ox = 0; ; ox += 4) {
        if (ox + 4 > full) {
          if (ox >= full) break;
          ox = full - 4;
        }
        const at = bytes(2 * ox);
        const a0 = v128.load(r0 + at), a1 = v128.load(r0 + at, 16), b0 = v128.load(r1 + at), b1 = v128.load(r1 + at, 16);
        const c00 = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6), c01 = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
        const c10 = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6), c11 = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        const top = f32x4.pmax(c00, c01), bottom = f32x4.pmax(c10, c11);
        const lower = f32x4.lt(top, bottom); // pmax's own test: the bottom row's cell wins
        const odd = v128.bitselect(f32x4.lt(c10, c11), f32x4.lt(c00, c01), lower); // the right column's
        v128.store(yp + bytes(o + ox), f32x4.pmax(top, bottom));
        v128.store(ap + bytes(o + ox), i32x4.sub(i32x4.add(i32x4.splat(row + 2 * ox), i32x4.add(even, v128.and(lower, below))), odd));
        sum = f32x4.add(sum, f32x4.add(f32x4.add(a0, a1), f32x4.add(b0, b1)));
      }
    }
    const redo = hasNaN(sum); // a NaN cell (or ∞ − ∞: then the plane is redone for nothing, same bits)
    if (redo || full < ow || rowsIn < oh) maxPoolCells(xp, yp, ap, redo ? 0 : rowsIn, redo ? 0 : full, h, w, oh, ow, 2, 2, 0, 0);
  }
}

/** Whether any of the n floats at p is NaN. */
function planeHasNaN(p: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    const v = load<f32>(p + bytes(i));
    if (v != v) return true;
  }
  return false;
}

/**
 * Outputs ox … ox + 3 of a 2×2 stride-2 row from input rows r0 and r1 (where column −padW would
 * start, so output ox's window starts at r + 2·ox). Each row's even and odd columns first, then the
 * two rows: the scan's order, so ties (−0 against +0) go the scan's way. Returns the sum of the 16
 * cells, for the caller's NaN check (a NaN cell may lose to pmax; it never leaves the sum).
 */
@inline function maxPool2x2s2Four(r0: usize, r1: usize, yRow: usize, ox: i32): v128 {
  const at = bytes(ox * 2);
  const a0 = v128.load(r0 + at), a1 = v128.load(r0 + at, 16), b0 = v128.load(r1 + at), b1 = v128.load(r1 + at, 16);
  const top = f32x4.pmax(v128.shuffle<f32>(a0, a1, 0, 2, 4, 6), v128.shuffle<f32>(a0, a1, 1, 3, 5, 7));
  const bottom = f32x4.pmax(v128.shuffle<f32>(b0, b1, 0, 2, 4, 6), v128.shuffle<f32>(b0, b1, 1, 3, 5, 7));
  v128.store(yRow + bytes(ox), f32x4.pmax(top, bottom));
  return f32x4.add(f32x4.add(a0, a1), f32x4.add(b0, b1));
}

/**
 * Dilation 1, stride 2 both ways: every output of a plane's rows 0 … oh − 1 cell by cell, except
 * the columns below colsFrom of the rows below rowsFrom (done already); with the plane's argmax at
 * ap (0: none, inference).
 */
function maxPoolCells(xp: usize, yp: usize, ap: usize, rowsFrom: i32, colsFrom: i32, h: i32, w: i32, oh: i32, ow: i32,
                      kh: i32, kw: i32, padH: i32, padW: i32): void {
  for (let oy = 0; oy < oh; oy++) {
    const y0 = oy * 2 - padH, kiLo = tapLo(y0, 1), kiHi = tapHi(y0, kh, 1, h), yRow = yp + bytes(oy * ow);
    const aRow = ap == 0 ? 0 : ap + bytes(oy * ow);
    for (let ox = oy < rowsFrom ? colsFrom : 0; ox < ow; ox++) maxPoolCell(xp, yRow, aRow, ox, y0, kiLo, kiHi, kw, 2, padW, 1, 1, w);
  }
}

/**
 * Inference 3×3 stride 2, padding 0 or 1, no dilation (the ResNet stem pool). The plane runs in
 * strips of four output columns (maxStrip3x3s2), each walking down every output row: its three
 * input rows clamped into the plane, a padded row replaced by its neighbour (a repeated row cannot
 * change a left-biased maximum, and padded cells never win anyway), so the top and bottom rows need
 * no case of their own; with padding, outputs 0–3 use column 0 for the padded column −1 the same
 * way. Columns whose window passes the right edge go cell by cell.
 *
 * NaN: pmax drops a NaN in its second operand, so the strips also sum the cells they read, and a
 * plane whose sum is NaN is redone cell by cell. Each strip sums columns x0 … x0 + 7 of every row it
 * reads; the strips step 8 columns, so that covers every cell read but the last strip's column
 * x0 + 8, which is added after the plane.
 */
function maxPool3x3s2(x: usize, y: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32, padH: i32, padW: i32): void {
  // outputs whose window ends inside the row: 2·ox − padW + 2 ≤ w − 1
  const hi = min(ow, (w - 3 + padW) / 2 + 1), last = hi - 4, first = padW == 1 ? max(1, min(4, last)) : 0; // with padding, outputs 0–3 are the left group
  const lastCol = 2 * hi - padW, lastRow = min(2 * oh - padH, h - 1); // the last group's column x0 + 8, not in the strips' sums; the last row read
  // output rows whose window's third row is inside the plane (no clamp): 2·oy − padH + 2 ≤ h − 1
  const rowsIn = h - 3 + padH >= 0 ? min(oh, (h - 3 + padH) / 2 + 1) : 0;
  for (let pl = 0; pl < planes; pl++) {
    const xp = x + bytes(pl * h * w), yp = y + bytes(pl * oh * ow);
    if (last < 0) {
      maxPoolCells(xp, yp, 0, 0, 0, h, w, oh, ow, 3, 3, padH, padW);
      continue;
    }
    let sum = f32x4.splat(0);
    if (padW == 1) sum = maxStrip3x3s2(xp, yp, h, w, oh, ow, padH, padW, rowsIn, 0, EDGE, sum);
    if (first <= last) {
      for (let ox = first; ; ox = min(ox + 4, last)) {
        // a strip whose rows have 3 floats past its last window column reads them in one load
        if (2 * ox - padW + 11 < w) sum = maxStrip3x3s2(xp, yp, h, w, oh, ow, padH, padW, rowsIn, ox, WIDE, sum);
        else sum = maxStrip3x3s2(xp, yp, h, w, oh, ow, padH, padW, rowsIn, ox, INSIDE, sum);
        if (ox == last) break;
      }
    }
    let extra: f32 = 0;
    for (let iy = 0; iy <= lastRow; iy++) extra += load<f32>(xp + bytes(iy * w + lastCol));
    if (hasNaN(f32x4.add(sum, f32x4.splat(extra)))) maxPoolCells(xp, yp, 0, 0, 0, h, w, oh, ow, 3, 3, padH, padW);
    else if (hi < ow) maxPoolCells(xp, yp, 0, oh, hi, h, w, oh, ow, 3, 3, padH, padW);
  }
}

/**
 * Outputs ox … ox + 3 of every output row of a 3×3 stride-2 plane (edge: outputs 0–3 with one column
 * of padding), walking down the plane: an output row's third input row is the next one's first
 * (2·oy − padH + 2), so its row maximum is carried over and each output row reduces two new input
 * rows instead of three (the same values in the same order, so the same bits). The first rowsIn
 * output rows step pointers; the rest clamp their rows into the plane. Returns sum plus columns
 * x0 … x0 + 7 of every input row it read.
 */
@inline function maxStrip3x3s2(xp: usize, yp: usize, h: i32, w: i32, oh: i32, ow: i32, padH: i32, padW: i32,
                               rowsIn: i32, ox: i32, kind: i32, sum: v128): v128 {
  const col = xp + bytes(kind == EDGE ? 0 : 2 * ox - padW), rowBytes = bytes(w);
  let top = maxRowAt(col, kind); // row max(−padH, 0) = 0
  sum = f32x4.add(sum, f32x4.add(v128.load(col), v128.load(col, 16)));
  let yRow = yp + bytes(ox), rb = col + bytes((1 - padH) * w);
  for (let oy = 0; oy < rowsIn; oy++, yRow += bytes(ow), rb += 2 * rowBytes) {
    const rc = rb + rowBytes;
    const mb = maxRowAt(rb, kind), mc = maxRowAt(rc, kind);
    v128.store(yRow, f32x4.pmax(f32x4.pmax(top, mb), mc));
    top = mc;
    sum = f32x4.add(sum, sum8(rb, rc));
  }
  for (let oy = rowsIn; oy < oh; oy++, yRow += bytes(ow)) {
    const y0 = 2 * oy - padH;
    const rb = col + bytes(min(y0 + 1, h - 1) * w), rc = col + bytes(min(y0 + 2, h - 1) * w);
    const mc = maxRowAt(rc, kind);
    v128.store(yRow, f32x4.pmax(f32x4.pmax(top, maxRowAt(rb, kind)), mc));
    top = mc;
    sum = f32x4.add(sum, sum8(rb, rc));
  }
  return sum;
}

/** Columns 0 … 7 of rows a and b, summed lane-wise. */
@inline function sum8(a: usize, b: usize): v128 {
  return f32x4.add(f32x4.add(v128.load(a), v128.load(a, 16)), f32x4.add(v128.load(b), v128.load(b, 16)));
}

/** One input row's part of four 3×3 stride-2 windows starting at r (p, q: its columns 0–3 and 4–7): columns 0, 1, 2 of each, left-biased. */
@inline function maxRow3s2(r: usize, p: v128, q: v128): v128 {
  const d = v128.load(r, 8), e = v128.load(r, 20);
  const c0 = v128.shuffle<f32>(p, q, 0, 2, 4, 6), c1 = v128.shuffle<f32>(p, q, 1, 3, 5, 7);
  const c2 = v128.shuffle<f32>(d, e, 0, 2, 5, 7); // columns 2, 4, 6, 8
  return f32x4.pmax(f32x4.pmax(c0, c1), c2);
}

/** The same for outputs 0–3 with one column of padding: window columns −1, 0, 1 with column 0 standing in for −1. */
@inline function maxRowEdge(r: usize): v128 {
  const p = v128.load(r), q = v128.load(r, 16);
  const c1 = v128.shuffle<f32>(p, q, 0, 2, 4, 6), c2 = v128.shuffle<f32>(p, q, 1, 3, 5, 7);
  const c0 = v128.shuffle<f32>(c1, c2, 0, 4, 5, 6); // columns 0 (for −1), 1, 3, 5
  return f32x4.pmax(f32x4.pmax(c0, c1), c2);
}

/** Strips of maxPool3x3s2: outputs 0–3 with the padded column −1; inside; inside with 3 more columns in the row. */
const EDGE = 0, INSIDE = 1, WIDE = 2;

/** maxRowEdge(r) for the padded left strip, else maxRow3s2 at r; WIDE takes columns 2, 4, 6, 8 from the evens and one load of columns 8–11. */
@inline function maxRowAt(r: usize, kind: i32): v128 {
  if (kind == EDGE) return maxRowEdge(r);
  const p = v128.load(r), q = v128.load(r, 16);
  if (kind == INSIDE) return maxRow3s2(r, p, q);
  const c0 = v128.shuffle<f32>(p, q, 0, 2, 4, 6), c1 = v128.shuffle<f32>(p, q, 1, 3, 5, 7);
  return f32x4.pmax(f32x4.pmax(c0, c1), v128.shuffle<f32>(c0, v128.load(r, 32), 1, 2, 3, 4));
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
  if (ASC_FEATURE_SIMD) {
    if (kh == 2 && kw == 2 && strideH == 2 && strideW == 2 && padH == 0 && padW == 0) {
      avgPool2x2s2(x, y, planes, h, w, oh, ow, countIncludePad);
      return;
    }
    if (kh == kw && strideH == 2 && strideW == 2 && padH <= 1 && padW <= 1 && (padW == 0 || w >= 8)
        && min(ow, (w - kw + padW) / 2 + 1) >= 4) {
      if (kw == 2) { avgPoolS2(x, y, planes, h, w, oh, ow, 2, padH, padW, countIncludePad); return; }
      if (kw == 3) { avgPoolS2(x, y, planes, h, w, oh, ow, 3, padH, padW, countIncludePad); return; }
    }
  }
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

/**
 * 2×2 stride 2 without padding, laid out as maxPool2x2s2 (rows instantiated per full mod 4, a
 * row's last one or two outputs as one vector of both input rows, no per-plane set-up): inside
 * windows divide by 4 (a multiply by ¼, exact) after adding in the scalar path's order; ceil mode's
 * last row and column, and planes narrower than two outputs, go cell by cell.
 */
function avgPool2x2s2(x: usize, y: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32, includePad: bool): void {
  const rowsIn = min(oh, h >> 1), full = min(ow, w >> 1);
  if (full >= 2) pool2x2s2(x, y, planes, h, w, oh, ow, rowsIn, full, true);
  const done = full >= 2 ? rowsIn : 0, cols = full >= 2 ? full : 0;
  if (done < oh || cols < ow) {
    for (let pl = 0; pl < planes; pl++) {
      const xp = x + bytes(pl * h * w);
      for (let oy = 0; oy < oh; oy++) {
        const y0 = oy * 2, yRow = y + bytes((pl * oh + oy) * ow), kiHi = min(2, h - y0), rows = divSpan(y0, 2, h, 0, includePad);
        for (let ox = oy < done ? cols : 0; ox < ow; ox++) avgPoolCell(xp, yRow, ox, y0, 0, kiHi, rows, 2, 2, 0, w, includePad);
      }
    }
  }
}

/**
 * k×k (k = 2 or 3, a constant where it is inlined) stride 2, padding 0 or 1: each output row's valid
 * input rows (one to k) in turn, four outputs at a time, each row's columns left to right: the
 * scalar path's order of adds, from 0, so the same bits. With padding, outputs 0–3 take +0 for the
 * padded column −1 (0 + 0 is the sum's own start) and their own divisor in lane 0. The caller
 * checked that at least four outputs' windows end inside the row (hi ≥ 4) and, with padding,
 * that w ≥ 8 (the left group reads columns 0–7); columns past hi go cell by cell.
 */
@inline function avgPoolS2(x: usize, y: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32, k: i32,
                           padH: i32, padW: i32, includePad: bool): void {
  const hi = min(ow, (w - k + padW) / 2 + 1), last = hi - 4, first = padW == 1 ? max(1, min(4, last)) : 0; // with padding, outputs 0–3 are the left group
  const edgeCols = divSpan(-1, k, w, 1, includePad);
  // output rows padH … rowHi − 1 have all k rows inside the plane: divisor k·k (¼ exactly as a multiply)
  const rowHi = h - k + padH >= 0 ? min(oh, (h - k + padH) / 2 + 1) : 0;
  const full = f32x4.splat(<f32>(k * k)), inv = f32x4.splat(<f32>1 / <f32>(k * k));
  const fullEdge = f32x4.replace_lane(full, 0, <f32>(k * edgeCols));
  for (let pl = 0; pl < planes; pl++) {
    const xp = x + bytes(pl * h * w), yp = y + bytes(pl * oh * ow);
    for (let oy = 0; oy < min(padH, oh); oy++) avgRowCut(xp, yp, oy, h, w, ow, k, padH, padW, includePad, hi, first, last, edgeCols);
    for (let oy = padH; oy < rowHi; oy++) {
      const y0 = oy * 2 - padH, yRow = yp + bytes(oy * ow);
      const r0 = xp + bytes(y0 * w), r1 = r0 + bytes(w), r2 = r1 + bytes(w);
      if (padW == 1) {
        let s = avgRowEdge(r1, avgRowEdge(r0, f32x4.splat(0), k), k);
        if (k == 3) s = avgRowEdge(r2, s, k);
        v128.store(yRow, f32x4.div(s, fullEdge));
      }
      if (first <= last) {
        for (let ox = first; ; ox = min(ox + 4, last)) {
          const at = bytes(2 * ox - padW);
          let s: v128;
          if (k == 3 && 2 * ox - padW + 11 < w) { // 3 floats past the group's last column: one load for them
            s = avgRowS2(r2 + at, avgRowS2(r1 + at, avgRowS2(r0 + at, f32x4.splat(0), 3, true), 3, true), 3, true);
          } else {
            s = avgRowS2(r1 + at, avgRowS2(r0 + at, f32x4.splat(0), k, false), k, false);
            if (k == 3) s = avgRowS2(r2 + at, s, k, false);
          }
          v128.store(yRow + bytes(ox), k == 2 ? f32x4.mul(s, inv) : f32x4.div(s, full));
          if (ox == last) break;
        }
      }
      for (let ox = hi; ox < ow; ox++) avgPoolCell(xp, yRow, ox, y0, 0, k, k, k, 2, padW, w, includePad);
    }
    for (let oy = max(padH, rowHi); oy < oh; oy++) avgRowCut(xp, yp, oy, h, w, ow, k, padH, padW, includePad, hi, first, last, edgeCols);
  }
}

/** avgPoolS2's output row oy when its window is cut by the top or bottom edge: its valid rows, its own divisor. */
@inline function avgRowCut(xp: usize, yp: usize, oy: i32, h: i32, w: i32, ow: i32, k: i32, padH: i32, padW: i32,
                           includePad: bool, hi: i32, first: i32, last: i32, edgeCols: i32): void {
  const y0 = oy * 2 - padH, yRow = yp + bytes(oy * ow);
  const kiLo = max(0, -y0), kiHi = min(k, h - y0), r0 = xp + bytes((y0 + kiLo) * w);
  const rows = divSpan(y0, k, h, padH, includePad), div = f32x4.splat(<f32>(rows * k));
  if (padW == 1) {
    let s = f32x4.splat(0);
    for (let r = r0, ki = kiLo; ki < kiHi; ki++, r += bytes(w)) s = avgRowEdge(r, s, k);
    v128.store(yRow, f32x4.div(s, f32x4.replace_lane(div, 0, <f32>(rows * edgeCols))));
  }
  for (let ox = first; ox <= last; ox = ox == last ? hi : min(ox + 4, last)) {
    let s = f32x4.splat(0);
    for (let r = r0 + bytes(2 * ox - padW), ki = kiLo; ki < kiHi; ki++, r += bytes(w)) s = avgRowS2(r, s, k, false);
    v128.store(yRow + bytes(ox), f32x4.div(s, div));
  }
  for (let ox = hi; ox < ow; ox++) avgPoolCell(xp, yRow, ox, y0, kiLo, kiHi, rows, k, 2, padW, w, includePad);
}

/**
 * s + one input row's cells of four k-wide stride-2 windows starting at r, left to right. wide (k = 3,
 * the row holds columns up to 11): columns 2, 4, 6, 8 from the evens and one load of columns 8–11,
 * else from two loads that end at column 8.
 */
@inline function avgRowS2(r: usize, s: v128, k: i32, wide: bool): v128 {
  const p = v128.load(r), q = v128.load(r, 16), even = v128.shuffle<f32>(p, q, 0, 2, 4, 6);
  s = f32x4.add(f32x4.add(s, even), v128.shuffle<f32>(p, q, 1, 3, 5, 7));
  if (k == 3) {
    s = f32x4.add(s, wide ? v128.shuffle<f32>(even, v128.load(r, 32), 1, 2, 3, 4)
      : v128.shuffle<f32>(v128.load(r, 8), v128.load(r, 20), 0, 2, 5, 7));
  }
  return s;
}

/** The same for outputs 0–3 with one column of padding (window columns −1 … k − 2), +0 for column −1. */
@inline function avgRowEdge(r: usize, s: v128, k: i32): v128 {
  const p = v128.load(r), q = v128.load(r, 16);
  const even = v128.shuffle<f32>(p, q, 0, 2, 4, 6), odd = v128.shuffle<f32>(p, q, 1, 3, 5, 7);
  s = f32x4.add(f32x4.add(s, v128.shuffle<f32>(f32x4.splat(0), odd, 0, 4, 5, 6)), even); // columns −1, 1, 3, 5; 0, 2, 4, 6
  if (k == 3) s = f32x4.add(s, odd);
  return s;
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
