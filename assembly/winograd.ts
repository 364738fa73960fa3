// 3×3 stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016). Each 2×2 block of outputs (a "tile") comes
// from the 4×4 input patch d_c under it, per input channel c, as
//     Y = Aᵀ [ Σ_c U_c ⊙ V_c ] A,   U_c = G g_c Gᵀ (the 3×3 filter),  V_c = Bᵀ d_c B
// so a tile costs 16 multiply-adds per input channel instead of the direct form's 36 (2.25×
// fewer). At each of the 16 points ξ the sum over c is a matrix product,
//     M_ξ[cOut, tiles] = U_ξ[cOut, cIn] · V_ξ[cIn, tiles],
// which runs on the GEMM micro-kernel (gemmPacked): U_ξ is transformed and packed once per call
// into A panels, the input transform writes V_ξ straight into one B panel of NR tiles at a time
// (the tiles of every image in one sequence, so a panel may span two images), and the output
// transform adds the bias, applies the fused activation and stores the tile, or (pooled) the
// max of its four outputs: the tile is a 2×2 stride-2 pool window.
// Accuracy: the transforms' coefficients are 0, ±1 and ±½, so the rounding stays near direct
// summation's (MNIST conv2's shape, float32 against float64: 5.3e-6 max abs error, the test
// tolerance there 1.7e-4); F(4×4, 3×3) would cut the products to 4/9 of F(2×2)'s but measured
// 5.7e-5, ten times worse, so it is not used.
// Each output element is computed the same way whatever the panel it lands in (lanes of the
// micro-kernel are independent), so conv2dForwardPart's split is bit-identical for any `parts`.

import { workspace } from './workspace';
import { GEMM_MR, GEMM_NR, gemmPacked } from './gemm';
import { activateRows } from './elementwise';

const MR: i32 = GEMM_MR;
const NR: i32 = GEMM_NR;
const PTS: i32 = 16; // 4×4 transform points
// Input channels for which the Winograd path is taken. Below MIN_C the GEMM's depth is too short
// to pay for the transforms (measured: see ARCHITECTURE.md); above MAX_C U_ξ's panels would need
// depth blocks.
const MIN_C: i32 = 8;
const MAX_C: i32 = 512;

@inline function bytes(floats: i32): usize {
  return <usize>floats << 2;
}

@inline function roundUp(x: i32, m: i32): i32 {
  return (x + m - 1) / m * m;
}

/** Whether conv2dForward runs this geometry through Winograd F(2×2, 3×3). */
export function winogradApplies(cIn: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): bool {
  return kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1 && cIn >= MIN_C && cIn <= MAX_C;
}

/**
 * Bytes of the transformed weights U of a convolution that takes the Winograd path (0 for one
 * that does not), for a caller that keeps them across calls (winogradRefresh).
 */
export function winogradWeightsBytes(cIn: i32, cOut: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): usize {
  if (cOut <= 0 || !winogradApplies(cIn, kh, kw, sh, sw, dh, dw)) return 0;
  return bytes(PTS * roundUp(cOut, MR) * cIn);
}

/**
 * Keeps u (winogradWeightsBytes) the transform of the weights w [cOut, cIn, 3, 3]: unless `known`
 * and w still has the bits of `copy` (cOut·cIn·9 floats, compared as integers so NaNs and −0
 * count), copies w to `copy` and transforms it into u. Returns 1 when it transformed. Comparing
 * the values themselves, not a version number, means no way of writing the weights (an optimiser,
 * loadStateDict, a kernel on the tensor's pointer) can leave u stale.
 */
export function winogradRefresh(w: usize, cIn: i32, cOut: i32, copy: usize, u: usize, known: i32): i32 {
  const n = cOut * cIn * 9;
  if (known != 0 && sameBits(w, copy, n)) return 0;
  memory.copy(copy, w, bytes(n));
  transformWeights(w, cIn, cOut, u);
  return 1;
}

function sameBits(a: usize, b: usize, n: i32): bool {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) {
      const o = bytes(i);
      const d = v128.or(v128.xor(v128.load(a + o), v128.load(b + o)), v128.xor(v128.load(a + o, 16), v128.load(b + o, 16)));
      if (v128.any_true(d)) return false;
    }
  }
  for (; i < n; i++) if (load<u32>(a + bytes(i)) != load<u32>(b + bytes(i))) return false;
  return true;
}

/** Images held at once: a panel of NR tiles spans at most ceil(NR / tiles) + 1 of them. */
@inline function slotCount(n: i32, tiles: i32): i32 {
  return min(n, (NR + tiles - 1) / tiles + 1);
}

/** Bytes of workspace winogradForward needs (output size ≥ 1 already checked). */
export function winogradWorkspace(n: i32, cIn: i32, h: i32, w: i32, cOut: i32, ph: i32, pw: i32): usize {
  const oh = h + 2 * ph - 2, ow = w + 2 * pw - 2;
  const th = (oh + 1) >> 1, tw = (ow + 1) >> 1;
  const plane = (2 * th + 2) * (2 * tw + 2);
  return bytes(PTS * roundUp(cOut, MR) * cIn + roundUp(slotCount(n, th * tw) * cIn * plane, 4)
    + PTS * cIn * NR + PTS * cOut * NR + 4 * NR * cOut + 4 * NR);
}

/**
 * U_ξ = (G g Gᵀ)_ξ for every filter, packed as gemmPacked's A operand: per point ξ,
 * ceil(cOut / MR) panels of [cIn][MR] (rows past cOut zero).
 *   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
 */
export function transformWeights(w: usize, cIn: i32, cOut: i32, u: usize): void {
  transformFilters(w, cIn, cOut, u, cIn * 9, 9);
}

/**
 * transformWeights for filters that are rows × depth with their own strides (floats): filter
 * (row o, depth c) at w + o·rowStep + c·depthStep, packed with the rows as the A panels' rows.
 */
function transformFilters(w: usize, depth: i32, rows: i32, u: usize, rowStep: i32, depthStep: i32): void {
  const mPad = roundUp(rows, MR), ptStride = bytes(mPad * depth);
  for (let o0 = 0; o0 < mPad; o0 += MR) {
    for (let c = 0; c < depth; c++) {
      const dst = u + bytes((o0 * depth) + c * MR);
      if (ASC_FEATURE_SIMD) {
        // lanes: the MR rows o0 … o0 + 3 (the forward's output channels)
        const g = w + bytes(o0 * rowStep + c * depthStep), step = bytes(rowStep), lanes = rows - o0;
        const g00 = gather(g, step, lanes), g01 = gather(g + 4, step, lanes), g02 = gather(g + 8, step, lanes);
        const g10 = gather(g + 12, step, lanes), g11 = gather(g + 16, step, lanes), g12 = gather(g + 20, step, lanes);
        const g20 = gather(g + 24, step, lanes), g21 = gather(g + 28, step, lanes), g22 = gather(g + 32, step, lanes);
        const half = f32x4.splat(0.5);
        // rows: s = G g
        const s10 = f32x4.mul(f32x4.add(f32x4.add(g00, g10), g20), half), s20 = f32x4.mul(f32x4.add(f32x4.sub(g00, g10), g20), half);
        const s11 = f32x4.mul(f32x4.add(f32x4.add(g01, g11), g21), half), s21 = f32x4.mul(f32x4.add(f32x4.sub(g01, g11), g21), half);
        const s12 = f32x4.mul(f32x4.add(f32x4.add(g02, g12), g22), half), s22 = f32x4.mul(f32x4.add(f32x4.sub(g02, g12), g22), half);
        // columns: U = s Gᵀ, point ξ = 4·row + column
        filterRow(g00, g01, g02, dst, ptStride, 0);
        filterRow(s10, s11, s12, dst, ptStride, 4);
        filterRow(s20, s21, s22, dst, ptStride, 8);
        filterRow(g20, g21, g22, dst, ptStride, 12);
      } else {
        for (let r = 0; r < MR; r++) {
          const d = dst + bytes(r);
          if (o0 + r >= rows) {
            for (let p = 0; p < PTS; p++) store<f32>(d + <usize>p * ptStride, 0);
            continue;
          }
          const g = w + bytes((o0 + r) * rowStep + c * depthStep);
          for (let i = 0; i < 4; i++) {
            // row i of G g
            let a: f32, b: f32, e: f32;
            const r0 = g, r1 = g + 12, r2 = g + 24;
            if (i == 0) { a = load<f32>(r0); b = load<f32>(r0, 4); e = load<f32>(r0, 8); }
            else if (i == 3) { a = load<f32>(r2); b = load<f32>(r2, 4); e = load<f32>(r2, 8); }
            else if (i == 1) {
              a = (load<f32>(r0) + load<f32>(r1) + load<f32>(r2)) * 0.5;
              b = (load<f32>(r0, 4) + load<f32>(r1, 4) + load<f32>(r2, 4)) * 0.5;
              e = (load<f32>(r0, 8) + load<f32>(r1, 8) + load<f32>(r2, 8)) * 0.5;
            } else {
              a = (load<f32>(r0) - load<f32>(r1) + load<f32>(r2)) * 0.5;
              b = (load<f32>(r0, 4) - load<f32>(r1, 4) + load<f32>(r2, 4)) * 0.5;
              e = (load<f32>(r0, 8) - load<f32>(r1, 8) + load<f32>(r2, 8)) * 0.5;
            }
            const q = d + <usize>(4 * i) * ptStride;
            store<f32>(q, a);
            store<f32>(q + ptStride, (a + b + e) * 0.5);
            store<f32>(q + 2 * ptStride, (a - b + e) * 0.5);
            store<f32>(q + 3 * ptStride, e);
          }
        }
      }
    }
  }
}

/** Lanes at p, p + step, … for the lanes < count (count ≥ 1), zeros past it. */
@inline function gather(p: usize, step: usize, count: i32): v128 {
  let v = v128.load32_zero(p);
  if (count > 1) v = v128.load32_lane(p + step, v, 1);
  if (count > 2) v = v128.load32_lane(p + 2 * step, v, 2);
  if (count > 3) v = v128.load32_lane(p + 3 * step, v, 3);
  return v;
}

/** Row (a, b, e) of G g times Gᵀ: points ξ0 … ξ0 + 3 of one A panel row. */
@inline function filterRow(a: v128, b: v128, e: v128, dst: usize, ptStride: usize, xi0: i32): void {
  const half = f32x4.splat(0.5);
  const q = dst + <usize>xi0 * ptStride;
  v128.store(q, a);
  v128.store(q + ptStride, f32x4.mul(f32x4.add(f32x4.add(a, b), e), half));
  v128.store(q + 2 * ptStride, f32x4.mul(f32x4.add(f32x4.sub(a, b), e), half));
  v128.store(q + 3 * ptStride, e);
}

/** Copies image `img` (cIn planes h×w) into a zeroed hq×wq slot with its top-left at (ph, pw). */
function copyImage(x: usize, img: i32, cIn: i32, h: i32, w: i32, ph: i32, pw: i32, hq: i32, wq: i32, dst: usize): void {
  memory.fill(dst, 0, bytes(cIn * hq * wq));
  let src = x + bytes(img * cIn * h * w);
  for (let c = 0; c < cIn; c++) {
    let d = dst + bytes(c * hq * wq + ph * wq + pw);
    for (let y = 0; y < h; y++) {
      memory.copy(d, src, bytes(w));
      src += bytes(w);
      d += bytes(wq);
    }
  }
}

/**
 * V_ξ = (Bᵀ d B)_ξ of 4 tiles (lanes) of one channel, for the 4×4 patches at src + o0 … o3 (bytes,
 * rows wqB bytes apart), stored at dst + ξ·ptStride. Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
 */
@inline function inputTiles(src: usize, o0: usize, o1: usize, o2: usize, o3: usize, wqB: usize, dst: usize, ptStride: usize): void {
  // rows of d, each as 4 vectors (columns 0–3) across the lanes
  let p0 = src + o0, p1 = src + o1, p2 = src + o2, p3 = src + o3;
  // lanes 0, 1 and lanes 2, 3 neighbouring tiles of one tile row each (always, for an even number
  // of tiles per row): each pair's columns 2l … 2l + 3 are the even/odd elements of 6 consecutive floats
  const pairs = o1 == o0 + 8 && o3 == o2 + 8;
  let d00: v128, d01: v128, d02: v128, d03: v128, d10: v128, d11: v128, d12: v128, d13: v128;
  let d20: v128, d21: v128, d22: v128, d23: v128, d30: v128, d31: v128, d32: v128, d33: v128;
  if (pairs) {
    d00 = evens(p0, p2, 0); d01 = odds(p0, p2, 0); d02 = evens(p0, p2, 8); d03 = odds(p0, p2, 8);
    p0 += wqB; p2 += wqB;
    d10 = evens(p0, p2, 0); d11 = odds(p0, p2, 0); d12 = evens(p0, p2, 8); d13 = odds(p0, p2, 8);
    p0 += wqB; p2 += wqB;
    d20 = evens(p0, p2, 0); d21 = odds(p0, p2, 0); d22 = evens(p0, p2, 8); d23 = odds(p0, p2, 8);
    p0 += wqB; p2 += wqB;
    d30 = evens(p0, p2, 0); d31 = odds(p0, p2, 0); d32 = evens(p0, p2, 8); d33 = odds(p0, p2, 8);
  } else {
    d00 = lanes4(p0, p1, p2, p3, 0); d01 = lanes4(p0, p1, p2, p3, 4); d02 = lanes4(p0, p1, p2, p3, 8); d03 = lanes4(p0, p1, p2, p3, 12);
    p0 += wqB; p1 += wqB; p2 += wqB; p3 += wqB;
    d10 = lanes4(p0, p1, p2, p3, 0); d11 = lanes4(p0, p1, p2, p3, 4); d12 = lanes4(p0, p1, p2, p3, 8); d13 = lanes4(p0, p1, p2, p3, 12);
    p0 += wqB; p1 += wqB; p2 += wqB; p3 += wqB;
    d20 = lanes4(p0, p1, p2, p3, 0); d21 = lanes4(p0, p1, p2, p3, 4); d22 = lanes4(p0, p1, p2, p3, 8); d23 = lanes4(p0, p1, p2, p3, 12);
    p0 += wqB; p1 += wqB; p2 += wqB; p3 += wqB;
    d30 = lanes4(p0, p1, p2, p3, 0); d31 = lanes4(p0, p1, p2, p3, 4); d32 = lanes4(p0, p1, p2, p3, 8); d33 = lanes4(p0, p1, p2, p3, 12);
  }
  // t = Bᵀ d (rows), then V = t B (columns), point ξ = 4·row + column
  inputRow(f32x4.sub(d00, d20), f32x4.sub(d01, d21), f32x4.sub(d02, d22), f32x4.sub(d03, d23), dst, ptStride, 0);
  inputRow(f32x4.add(d10, d20), f32x4.add(d11, d21), f32x4.add(d12, d22), f32x4.add(d13, d23), dst, ptStride, 4);
  inputRow(f32x4.sub(d20, d10), f32x4.sub(d21, d11), f32x4.sub(d22, d12), f32x4.sub(d23, d13), dst, ptStride, 8);
  inputRow(f32x4.sub(d10, d30), f32x4.sub(d11, d31), f32x4.sub(d12, d32), f32x4.sub(d13, d33), dst, ptStride, 12);
}

/**
 * One B panel [channels][NR] of the products: per channel (planes `plane` floats apart from src),
 * the NR tiles at the offsets in `info` (bytes, rows rowB apart) transformed to their 16 points at
 * vp + ξ·vStride: Bᵀ d B of the 4×4 patches (the forward), or with `dy` A dY Aᵀ of the 2×2 blocks
 * (backward input). `dy` is a constant at each call, so the inlined loop keeps one transform.
 */
@inline function transformPanel(src: usize, plane: i32, channels: i32, info: usize, rowB: usize, vp: usize, vStride: usize, dy: bool): void {
  for (let c = 0; c < channels; c++) {
    const s = src + bytes(c * plane), dst = vp + bytes(c * NR);
    if (ASC_FEATURE_SIMD) {
      for (let l = 0; l < NR; l += 4) {
        const o = info + bytes(l);
        const o0 = <usize>load<i32>(o), o1 = <usize>load<i32>(o, 4), o2 = <usize>load<i32>(o, 8), o3 = <usize>load<i32>(o, 12);
        if (dy) dyTiles(s, o0, o1, o2, o3, rowB, dst + bytes(l), vStride);
        else inputTiles(s, o0, o1, o2, o3, rowB, dst + bytes(l), vStride);
      }
    } else {
      if (dy) for (let l = 0; l < NR; l++) dyTileScalar(s + <usize>load<i32>(info + bytes(l)), rowB, dst + bytes(l), vStride);
      else for (let l = 0; l < NR; l++) inputTileScalar(s + <usize>load<i32>(info + bytes(l)), rowB, dst + bytes(l), vStride);
    }
  }
}

/** Elements 0 and 2 of the 4 floats at p + off, then those at q + off. */
@inline function evens(p: usize, q: usize, off: usize): v128 {
  return v128.shuffle<f32>(v128.load(p + off), v128.load(q + off), 0, 2, 4, 6);
}

/** Elements 1 and 3 of the 4 floats at p + off, then those at q + off. */
@inline function odds(p: usize, q: usize, off: usize): v128 {
  return v128.shuffle<f32>(v128.load(p + off), v128.load(q + off), 1, 3, 5, 7);
}

@inline function lanes4(p0: usize, p1: usize, p2: usize, p3: usize, off: usize): v128 {
  let v = v128.load32_zero(p0 + off);
  v = v128.load32_lane(p1 + off, v, 1);
  v = v128.load32_lane(p2 + off, v, 2);
  return v128.load32_lane(p3 + off, v, 3);
}

@inline function inputRow(t0: v128, t1: v128, t2: v128, t3: v128, dst: usize, ptStride: usize, xi0: i32): void {
  const q = dst + <usize>xi0 * ptStride;
  v128.store(q, f32x4.sub(t0, t2));
  v128.store(q + ptStride, f32x4.add(t1, t2));
  v128.store(q + 2 * ptStride, f32x4.sub(t2, t1));
  v128.store(q + 3 * ptStride, f32x4.sub(t1, t3));
}

/** The scalar build's input transform of one tile: the same operations as inputTiles, one lane. */
function inputTileScalar(p: usize, wqB: usize, dst: usize, ptStride: usize): void {
  for (let i = 0; i < 4; i++) {
    // row i of Bᵀ d: d0 − d2, d1 + d2, d2 − d1, d1 − d3
    const pa = p + <usize>(i == 0 ? 0 : i == 2 ? 2 : 1) * wqB, pb = p + <usize>(i == 0 || i == 1 ? 2 : i == 2 ? 1 : 3) * wqB;
    const t0 = inputPair(pa, pb, 0, i == 1), t1 = inputPair(pa, pb, 4, i == 1);
    const t2 = inputPair(pa, pb, 8, i == 1), t3 = inputPair(pa, pb, 12, i == 1);
    const q = dst + <usize>(4 * i) * ptStride;
    store<f32>(q, t0 - t2);
    store<f32>(q + ptStride, t1 + t2);
    store<f32>(q + 2 * ptStride, t2 - t1);
    store<f32>(q + 3 * ptStride, t1 - t3);
  }
}

@inline function inputPair(pa: usize, pb: usize, off: usize, add: bool): f32 {
  return add ? load<f32>(pa + off) + load<f32>(pb + off) : load<f32>(pa + off) - load<f32>(pb + off);
}

/**
 * Part `part` of `parts` of y = act(conv3×3(x) + bias), stride 1, no dilation, padding (ph, pw):
 * the work units are NR-tile panels over every image's tiles in order (tiles of one image
 * row-major), split into contiguous runs. act 0: none. `prepared`: U already transformed (0:
 * transform w here). `pool`: y is instead the 2×2 stride-2 floor max pool of that output
 * (poolTiles), with its winners' indices at `argmax` unless 0.
 */
export function winogradForward(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32, cOut: i32,
                                ph: i32, pw: i32, part: i32, parts: i32, act: i32, alpha: f32, prepared: usize, pool: bool, argmax: usize): void {
  const oh = h + 2 * ph - 2, ow = wIn + 2 * pw - 2, P = oh * ow;
  // pooled (a 2×2 stride-2 floor max pool after the activation): each whole tile is one window
  const qw = ow >> 1, Q = (oh >> 1) * qw;
  const th = (oh + 1) >> 1, tw = (ow + 1) >> 1, T = th * tw;
  const hq = 2 * th + 2, wq = 2 * tw + 2, plane = hq * wq, total = n * T;
  const panels = (total + NR - 1) / NR;
  const p0 = <i32>(<i64>panels * part / parts), p1 = <i32>(<i64>panels * (part + 1) / parts);
  if (p0 >= p1) return;
  const slots = slotCount(n, T), mPad = roundUp(cOut, MR);
  const ws = workspace(winogradWorkspace(n, cIn, h, wIn, cOut, ph, pw));
  const xq = ws + bytes(PTS * mPad * cIn), vp = xq + bytes(roundUp(slots * cIn * plane, 4));
  const u = prepared != 0 ? prepared : ws;
  const mp = vp + bytes(PTS * cIn * NR), stage = mp + bytes(PTS * cOut * NR), info = stage + bytes(4 * NR * cOut);
  const uStride = bytes(mPad * cIn), vStride = bytes(cIn * NR), mStride = bytes(cOut * NR), wqB = bytes(wq);
  if (prepared == 0) transformWeights(w, cIn, cOut, u);
  let next = p0 * NR / T; // the next image to copy into its slot
  const end = min(total, p1 * NR);
  for (let g = p0 * NR; g < end; g += NR) {
    const cols = min(NR, end - g);
    const last = (g + cols - 1) / T;
    for (; next <= last; next++) copyImage(x, next, cIn, h, wIn, ph, pw, hq, wq, xq + bytes((next % slots) * cIn * plane));
    // per lane (tile): input offset in its slot (bytes), output offset (floats), edge flags
    for (let l = 0; l < NR; l++) {
      const gl = g + (l < cols ? l : 0), img = gl / T, t = gl - img * T, ty = t / tw, tx = t - ty * tw;
      store<i32>(info + bytes(l), bytes((img % slots) * cIn * plane + 2 * ty * wq + 2 * tx));
      store<i32>(info + bytes(NR + l), pool ? img * cOut * Q + ty * qw + tx : img * cOut * P + 2 * ty * ow + 2 * tx);
      store<i32>(info + bytes(2 * NR + l), (2 * tx + 1 < ow ? 1 : 0) | (2 * ty + 1 < oh ? 2 : 0));
      store<i32>(info + bytes(3 * NR + l), 2 * ty * ow + 2 * tx); // the tile's first cell in its output plane (the pool's argmax)
    }
    // input transform: V_ξ's panel [cIn][NR]
    transformPanel(xq, plane, cIn, info, wqB, vp, vStride, false);
    // the 16 products M_ξ[cOut][NR] = U_ξ · V_ξ
    for (let p = 0; p < PTS; p++) {
      gemmPacked(u + <usize>p * uStride, vp + <usize>p * vStride, mp + <usize>p * mStride, NR, cOut, cols, cIn, false);
    }
    // output transform Aᵀ M A (Aᵀ = [1 1 1 0; 0 1 −1 −1]) + bias, activation, stores
    // into stage [cOut][4][NR] (the 2×2 outputs of each tile as rows of NR lanes)
    for (let o = 0; o < cOut; o++) {
      const m = mp + bytes(o * NR), so = stage + bytes(o * 4 * NR);
      const b: f32 = bias != 0 ? load<f32>(bias + bytes(o)) : 0;
      if (ASC_FEATURE_SIMD) {
        const bv = f32x4.splat(b);
        for (let l = 0; l < NR; l += 4) {
          const q = m + bytes(l);
          const m0 = v128.load(q), m1 = v128.load(q + mStride), m2 = v128.load(q + 2 * mStride), m3 = v128.load(q + 3 * mStride);
          const m4 = v128.load(q + 4 * mStride), m5 = v128.load(q + 5 * mStride), m6 = v128.load(q + 6 * mStride), m7 = v128.load(q + 7 * mStride);
          const m8 = v128.load(q + 8 * mStride), m9 = v128.load(q + 9 * mStride), m10 = v128.load(q + 10 * mStride), m11 = v128.load(q + 11 * mStride);
          const m12 = v128.load(q + 12 * mStride), m13 = v128.load(q + 13 * mStride), m14 = v128.load(q + 14 * mStride), m15 = v128.load(q + 15 * mStride);
          // rows: u0 = M0 + M1 + M2, u1 = M1 − M2 − M3 (M_i: row i of the 4×4 points)
          const u00 = f32x4.add(f32x4.add(m0, m4), m8), u01 = f32x4.add(f32x4.add(m1, m5), m9);
          const u02 = f32x4.add(f32x4.add(m2, m6), m10), u03 = f32x4.add(f32x4.add(m3, m7), m11);
          const u10 = f32x4.sub(f32x4.sub(m4, m8), m12), u11 = f32x4.sub(f32x4.sub(m5, m9), m13);
          const u12 = f32x4.sub(f32x4.sub(m6, m10), m14), u13 = f32x4.sub(f32x4.sub(m7, m11), m15);
          const s = so + bytes(l);
          v128.store(s, f32x4.add(f32x4.add(f32x4.add(u00, u01), u02), bv));
          v128.store(s + bytes(NR), f32x4.add(f32x4.sub(f32x4.sub(u01, u02), u03), bv));
          v128.store(s + bytes(2 * NR), f32x4.add(f32x4.add(f32x4.add(u10, u11), u12), bv));
          v128.store(s + bytes(3 * NR), f32x4.add(f32x4.sub(f32x4.sub(u11, u12), u13), bv));
        }
      } else {
        for (let l = 0; l < cols; l++) {
          const q = m + bytes(l);
          const u00 = load<f32>(q) + load<f32>(q + 4 * mStride) + load<f32>(q + 8 * mStride);
          const u01 = load<f32>(q + mStride) + load<f32>(q + 5 * mStride) + load<f32>(q + 9 * mStride);
          const u02 = load<f32>(q + 2 * mStride) + load<f32>(q + 6 * mStride) + load<f32>(q + 10 * mStride);
          const u03 = load<f32>(q + 3 * mStride) + load<f32>(q + 7 * mStride) + load<f32>(q + 11 * mStride);
          const u10 = load<f32>(q + 4 * mStride) - load<f32>(q + 8 * mStride) - load<f32>(q + 12 * mStride);
          const u11 = load<f32>(q + 5 * mStride) - load<f32>(q + 9 * mStride) - load<f32>(q + 13 * mStride);
          const u12 = load<f32>(q + 6 * mStride) - load<f32>(q + 10 * mStride) - load<f32>(q + 14 * mStride);
          const u13 = load<f32>(q + 7 * mStride) - load<f32>(q + 11 * mStride) - load<f32>(q + 15 * mStride);
          const s = so + bytes(l);
          store<f32>(s, u00 + u01 + u02 + b);
          store<f32>(s + bytes(NR), u01 - u02 - u03 + b);
          store<f32>(s + bytes(2 * NR), u10 + u11 + u12 + b);
          store<f32>(s + bytes(3 * NR), u11 - u12 - u13 + b);
        }
      }
    }
    if (act != 0) activateRows(stage, bytes(NR), 4 * cOut, cols, act, alpha);
    if (pool) {
      poolTiles(stage, info, y, argmax, cOut, Q, ow, cols);
      continue;
    }
    // stores: 4 neighbouring whole tiles of one tile row as two runs of 8 floats (SIMD builds), else one by one
    for (let l = 0; l < cols; l += 4) {
      let whole = ASC_FEATURE_SIMD && l + 4 <= cols;
      const y0 = load<i32>(info + bytes(NR + l));
      for (let i = 0; i < 4 && whole; i++) {
        whole = load<i32>(info + bytes(NR + l + i)) == y0 + 2 * i && load<i32>(info + bytes(2 * NR + l + i)) == 3;
      }
      for (let o = 0; o < cOut; o++) {
        const yo = y + bytes(o * P), so = stage + bytes(o * 4 * NR);
        if (ASC_FEATURE_SIMD && whole) {
          const s = so + bytes(l), d = yo + bytes(y0);
          const r00 = v128.load(s), r01 = v128.load(s + bytes(NR)), r10 = v128.load(s + bytes(2 * NR)), r11 = v128.load(s + bytes(3 * NR));
          v128.store(d, v128.shuffle<f32>(r00, r01, 0, 4, 1, 5));
          v128.store(d, v128.shuffle<f32>(r00, r01, 2, 6, 3, 7), 16);
          v128.store(d + bytes(ow), v128.shuffle<f32>(r10, r11, 0, 4, 1, 5));
          v128.store(d + bytes(ow), v128.shuffle<f32>(r10, r11, 2, 6, 3, 7), 16);
          continue;
        }
        for (let t = l; t < min(l + 4, cols); t++) {
          const d = yo + bytes(load<i32>(info + bytes(NR + t))), f = load<i32>(info + bytes(2 * NR + t)), s = so + bytes(t);
          store<f32>(d, load<f32>(s));
          if (f & 1) store<f32>(d, load<f32>(s + bytes(NR)), 4);
          if (f & 2) {
            store<f32>(d + bytes(ow), load<f32>(s + bytes(2 * NR)));
            if (f & 1) store<f32>(d + bytes(ow), load<f32>(s + bytes(3 * NR)), 4);
          }
        }
      }
    }
  }
}

/**
 * The pooled stores: per whole tile (edge flags 3), the max of its four outputs in
 * maxPool2dForward's cell order (0,0), (0,1), (1,0), (1,1), keeping the first of equal values and
 * the last NaN (pool.ts maxPoolCell), so the bits are the pool's; with `argmax` (training) also the
 * winner's index in the full-size output plane, as maxPool2dForward writes it. A tile the output's
 * last odd row or column cuts is in no window. The maxima are taken four lanes at a time and
 * without branches (with a compare-and-branch per value the random signs cost 0.4 ms of MNIST
 * conv2's 2.2 ms); four neighbouring whole tiles of one row go as one store, others lane by lane
 * from the stage.
 */
function poolTiles(stage: usize, info: usize, y: usize, argmax: usize, cOut: i32, Q: i32, ow: i32, cols: i32): void {
  for (let l = 0; l < cols; l += 4) {
    const lanes = min(4, cols - l), y0 = load<i32>(info + bytes(NR + l));
    let whole = ASC_FEATURE_SIMD && lanes == 4;
    for (let i = 0; i < lanes; i++) {
      whole = whole && load<i32>(info + bytes(NR + l + i)) == y0 + i && load<i32>(info + bytes(2 * NR + l + i)) == 3;
    }
    for (let o = 0; o < cOut; o++) {
      const yo = y + bytes(o * Q), ao = argmax + bytes(o * Q), s = stage + bytes(o * 4 * NR + l);
      if (ASC_FEATURE_SIMD) {
        const first = v128.load(info + bytes(3 * NR + l));
        let best = v128.load(s), idx = first;
        for (let r = 1; r < 4; r++) {
          const v = v128.load(s + bytes(r * NR));
          const m = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
          best = v128.bitselect(v, best, m);
          if (argmax != 0) idx = v128.bitselect(i32x4.add(first, i32x4.splat((r >> 1) * ow + (r & 1))), idx, m);
        }
        if (whole) {
          v128.store(yo + bytes(y0), best);
          if (argmax != 0) v128.store(ao + bytes(y0), idx);
          continue;
        }
        // the stage's rows are spent: rows 0 and 1 now hold the maxima and their indices
        v128.store(s, best);
        v128.store(s + bytes(NR), idx);
      } else {
        for (let i = 0; i < lanes; i++) {
          const c = s + bytes(i), first = load<i32>(info + bytes(3 * NR + l + i));
          let best = load<f32>(c), idx = first;
          for (let r = 1; r < 4; r++) {
            const v = load<f32>(c + bytes(r * NR));
            const win = v > best || v != v;
            best = select<f32>(v, best, win);
            idx = select<i32>(first + (r >> 1) * ow + (r & 1), idx, win);
          }
          store<f32>(c, best);
          store<i32>(c + bytes(NR), idx);
        }
      }
      for (let i = 0; i < lanes; i++) {
        if (load<i32>(info + bytes(2 * NR + l + i)) != 3) continue;
        const at = bytes(load<i32>(info + bytes(NR + l + i)));
        store<f32>(yo + at, load<f32>(s + bytes(i)));
        if (argmax != 0) store<i32>(ao + at, load<i32>(s + bytes(NR + i)));
      }
    }
  }
}

// The weight gradient by the same transforms. Forward is bilinear in (g, d): Y = Aᵀ[(G g Gᵀ) ⊙
// (Bᵀ d B)]A, so the gradient of a filter from one tile is its transpose,
//     dg = Gᵀ [ (A dY Aᵀ) ⊙ (Bᵀ d B) ] G
// (F(3×3, 2×2): the 2×2 dY of the tile, the 4×4 input patch d under it, a 3×3 result). Summed over
// the tiles of a block of images, at each point ξ that is a matrix product over tiles,
//     S_ξ[cOut, cIn] = Σ_tiles (A dY Aᵀ)_ξ[cOut, tile] · (Bᵀ d B)_ξ[cIn, tile],
// 16 products of cOut·cIn·tiles multiply-adds: 16 per tile and filter against im2col's 36 (9 taps
// × 4 outputs; 2.25× fewer), run on gemmPacked with the transforms written straight into its
// packed operands, WG_KC tiles at a time.
// dw then gets Gᵀ S G per filter. The tiles are the forward's (dY zero past the output's last odd
// row or column), so the same geometry holds.

/** Tiles per product of winogradWeightGrad: 16 × (cOut + cIn) × WG_KC transformed floats (MNIST conv2: 384 KB) stay in L2. */
const WG_KC: i32 = 64;
// Floats between the 16 points' operands beyond their size: a tile's transform stores one vector to
// each point, and at a power-of-two stride (MNIST conv2: 16 KB) those 16 stores share a cache set.
const WG_SKEW: i32 = 16;

/** Bytes of workspace winogradWeightGrad needs (output size ≥ 1 already checked). */
export function winogradWeightGradWorkspace(cIn: i32, h: i32, w: i32, cOut: i32, ph: i32, pw: i32): usize {
  const oh = h + 2 * ph - 2, ow = w + 2 * pw - 2;
  const th = (oh + 1) >> 1, tw = (ow + 1) >> 1;
  return bytes(roundUp(cIn * (2 * th + 2) * (2 * tw + 2), 4) + roundUp(cOut * 4 * th * tw, 4)
    + PTS * (WG_KC * (roundUp(cOut, MR) + roundUp(cIn, NR)) + 2 * WG_SKEW) + PTS * roundUp(cOut * cIn, 4));
}

/**
 * dw[cOut, cIn, 3, 3] (+)= the gradient of the 3×3 stride-1 convolution's weights from images
 * [img0, img1) of x [n, cIn, h, w] and dy [n, cOut, oh, ow], padding (ph, pw), for the input
 * channels [c0, c1) (c0 a multiple of NR): added to dw when `accumulate`, else written. The
 * images' tiles in order, WG_KC at a time, so the sum's order is a function of the shape and the
 * images alone, and each channel's lanes are the same whatever the range around them.
 */
export function winogradWeightGrad(x: usize, dy: usize, dw: usize, img0: i32, img1: i32, cIn: i32, h: i32, wIn: i32,
                                   cOut: i32, ph: i32, pw: i32, accumulate: bool, c0: i32, c1: i32): void {
  const oh = h + 2 * ph - 2, ow = wIn + 2 * pw - 2;
  const th = (oh + 1) >> 1, tw = (ow + 1) >> 1, T = th * tw;
  const hq = 2 * th + 2, wq = 2 * tw + 2, plane = hq * wq, dq = 2 * tw, dPlane = 2 * th * dq;
  const mPad = roundUp(cOut, MR), nPad = roundUp(c1 - c0, NR);
  const xs = workspace(winogradWeightGradWorkspace(cIn, h, wIn, cOut, ph, pw));
  const ds = xs + bytes(roundUp(cIn * plane, 4)), ap = ds + bytes(roundUp(cOut * dPlane, 4));
  const aStride = bytes(WG_KC * mPad + WG_SKEW), bStride = bytes(WG_KC * nPad + WG_SKEW), sStride = bytes(roundUp(cOut * cIn, 4));
  const bp = ap + <usize>PTS * aStride, s = bp + <usize>PTS * bStride;
  const wqB = bytes(wq), dqB = bytes(dq);
  const total = (img1 - img0) * T;
  let loaded = -1;
  for (let g0 = 0; g0 < total; g0 += WG_KC) {
    const kc = min(WG_KC, total - g0);
    for (let t = 0; t < kc; t++) {
      const g = g0 + t, img = img0 + g / T, tile = g % T, ty = tile / tw, tx = tile - ty * tw;
      if (img != loaded) {
        copyImage(x, img, cIn, h, wIn, ph, pw, hq, wq, xs);
        copyImage(dy, img, cOut, oh, ow, 0, 0, 2 * th, dq, ds);
        loaded = img;
      }
      // (Bᵀ d B)_ξ into B panels [kc][NR] of input channels: lanes are channels (past cIn: the last one, never stored)
      const xo = bytes(2 * ty * wq + 2 * tx);
      for (let c = c0; c < c0 + nPad; c += ASC_FEATURE_SIMD ? 4 : 1) {
        const dst = bp + bytes((c - c0) / NR * NR * kc + t * NR + c % NR);
        if (ASC_FEATURE_SIMD) {
          inputTiles(xs + xo, bytes(min(c, cIn - 1) * plane), bytes(min(c + 1, cIn - 1) * plane),
            bytes(min(c + 2, cIn - 1) * plane), bytes(min(c + 3, cIn - 1) * plane), wqB, dst, bStride);
        } else {
          inputTileScalar(xs + xo + bytes(min(c, cIn - 1) * plane), wqB, dst, bStride);
        }
      }
      // (A dY Aᵀ)_ξ into A panels [kc][MR] of output channels, A = [1 0; 1 1; 1 −1; 0 −1]
      const yo = bytes(2 * ty * dq + 2 * tx);
      for (let c = 0; c < mPad; c += MR) {
        const dst = ap + bytes(c * kc + t * MR);
        if (ASC_FEATURE_SIMD) {
          const p0 = ds + yo + bytes(min(c, cOut - 1) * dPlane), p1 = ds + yo + bytes(min(c + 1, cOut - 1) * dPlane);
          const p2 = ds + yo + bytes(min(c + 2, cOut - 1) * dPlane), p3 = ds + yo + bytes(min(c + 3, cOut - 1) * dPlane);
          dyPoints(lanes4(p0, p1, p2, p3, 0), lanes4(p0, p1, p2, p3, 4),
            lanes4(p0 + dqB, p1 + dqB, p2 + dqB, p3 + dqB, 0), lanes4(p0 + dqB, p1 + dqB, p2 + dqB, p3 + dqB, 4), dst, aStride);
        } else {
          for (let l = 0; l < MR; l++) {
            dyTileScalar(ds + yo + bytes(min(c + l, cOut - 1) * dPlane), dqB, dst + bytes(l), aStride);
          }
        }
      }
    }
    for (let p = 0; p < PTS; p++) {
      gemmPacked(ap + <usize>p * aStride, bp + <usize>p * bStride, s + <usize>p * sStride + bytes(c0), cIn, cOut, c1 - c0, kc, g0 > 0);
    }
  }
  gradOutput(s, sStride, dw, cOut, cIn, c0, c1, accumulate);
}

/** The 16 points of A dY Aᵀ at dst + ξ·stride, from the 2×2 blocks (a b; e f) of 4 lanes. */
@inline function dyPoints(a: v128, b: v128, e: v128, f: v128, dst: usize, stride: usize): void {
  gradRow(a, b, dst, stride, 0);
  gradRow(f32x4.add(a, e), f32x4.add(b, f), dst, stride, 4);
  gradRow(f32x4.sub(a, e), f32x4.sub(b, f), dst, stride, 8);
  gradRow(f32x4.neg(e), f32x4.neg(f), dst, stride, 12);
}

/** Row ξ0 … ξ0 + 3 of A dY Aᵀ from row (p, q) of A dY: p, p + q, p − q, −q. */
@inline function gradRow(p: v128, q: v128, dst: usize, stride: usize, xi0: i32): void {
  const d = dst + <usize>xi0 * stride;
  v128.store(d, p);
  v128.store(d + stride, f32x4.add(p, q));
  v128.store(d + 2 * stride, f32x4.sub(p, q));
  v128.store(d + 3 * stride, f32x4.neg(q));
}

/** The scalar build's A dY Aᵀ of one 2×2 block of dy at p (rows rowB bytes apart), its 16 points at dst + ξ·stride. */
@inline function dyTileScalar(p: usize, rowB: usize, dst: usize, stride: usize): void {
  const a = load<f32>(p), b = load<f32>(p, 4), e = load<f32>(p + rowB), f = load<f32>(p + rowB, 4);
  gradRowScalar(a, b, dst, stride, 0);
  gradRowScalar(a + e, b + f, dst, stride, 4);
  gradRowScalar(a - e, b - f, dst, stride, 8);
  gradRowScalar(-e, -f, dst, stride, 12);
}

@inline function gradRowScalar(p: f32, q: f32, dst: usize, stride: usize, xi0: i32): void {
  const d = dst + <usize>xi0 * stride;
  store<f32>(d, p);
  store<f32>(d + stride, p + q);
  store<f32>(d + 2 * stride, p - q);
  store<f32>(d + 3 * stride, -q);
}

/**
 * dw[co, ci] (+)= Gᵀ S G for ci in [c0, c1), S the 4×4 points of filter (co, ci) (S_ξ[co, ci], sStride bytes apart):
 * the rows r0 = S0 + ½(S1 + S2), r1 = ½(S1 − S2), r2 = ½(S1 + S2) + S3 of the points' rows S_i,
 * then the same across each row's four columns. Four input channels at a time (SIMD builds).
 */
function gradOutput(s: usize, sStride: usize, dw: usize, cOut: i32, cIn: i32, c0: i32, c1: i32, accumulate: bool): void {
  for (let co = 0; co < cOut; co++) {
    let ci = c0;
    if (ASC_FEATURE_SIMD) {
      const half = f32x4.splat(0.5);
      for (; ci + 4 <= c1; ci += 4) {
        const q = s + bytes(co * cIn + ci);
        for (let i = 0; i < 3; i++) {
          // row i of Gᵀ S: from the points' rows 0–3 (each 4 columns, ξ = 4·row + column)
          let r0: v128, r1: v128, r2: v128, r3: v128;
          if (i == 0) {
            r0 = gradCombine0(q, sStride, 0, half); r1 = gradCombine0(q, sStride, 1, half);
            r2 = gradCombine0(q, sStride, 2, half); r3 = gradCombine0(q, sStride, 3, half);
          } else if (i == 1) {
            r0 = gradCombine1(q, sStride, 0, half); r1 = gradCombine1(q, sStride, 1, half);
            r2 = gradCombine1(q, sStride, 2, half); r3 = gradCombine1(q, sStride, 3, half);
          } else {
            r0 = gradCombine2(q, sStride, 0, half); r1 = gradCombine2(q, sStride, 1, half);
            r2 = gradCombine2(q, sStride, 2, half); r3 = gradCombine2(q, sStride, 3, half);
          }
          const sum12 = f32x4.mul(f32x4.add(r1, r2), half);
          const o0 = f32x4.add(r0, sum12), o1 = f32x4.mul(f32x4.sub(r1, r2), half), o2 = f32x4.add(sum12, r3);
          const out = dw + bytes((co * cIn + ci) * 9 + 3 * i);
          storeTap(out, o0, accumulate); storeTap(out + 4, o1, accumulate); storeTap(out + 8, o2, accumulate);
        }
      }
    }
    for (; ci < c1; ci++) {
      const q = s + bytes(co * cIn + ci);
      for (let i = 0; i < 3; i++) {
        const r0 = gradCombineScalar(q, sStride, i, 0), r1 = gradCombineScalar(q, sStride, i, 1);
        const r2 = gradCombineScalar(q, sStride, i, 2), r3 = gradCombineScalar(q, sStride, i, 3);
        const sum12: f32 = (r1 + r2) * 0.5;
        const out = dw + bytes((co * cIn + ci) * 9 + 3 * i);
        const o0 = r0 + sum12, o1: f32 = (r1 - r2) * 0.5, o2 = sum12 + r3;
        store<f32>(out, accumulate ? load<f32>(out) + o0 : o0);
        store<f32>(out, accumulate ? load<f32>(out, 4) + o1 : o1, 4);
        store<f32>(out, accumulate ? load<f32>(out, 8) + o2 : o2, 8);
      }
    }
  }
}

/** Column j of row 0 of Gᵀ S: S[0][j] + ½(S[1][j] + S[2][j]). */
@inline function gradCombine0(q: usize, st: usize, j: i32, half: v128): v128 {
  const s1 = v128.load(q + <usize>(4 + j) * st), s2 = v128.load(q + <usize>(8 + j) * st);
  return f32x4.add(v128.load(q + <usize>j * st), f32x4.mul(f32x4.add(s1, s2), half));
}

/** Column j of row 1 of Gᵀ S: ½(S[1][j] − S[2][j]). */
@inline function gradCombine1(q: usize, st: usize, j: i32, half: v128): v128 {
  return f32x4.mul(f32x4.sub(v128.load(q + <usize>(4 + j) * st), v128.load(q + <usize>(8 + j) * st)), half);
}

/** Column j of row 2 of Gᵀ S: ½(S[1][j] + S[2][j]) + S[3][j]. */
@inline function gradCombine2(q: usize, st: usize, j: i32, half: v128): v128 {
  const s1 = v128.load(q + <usize>(4 + j) * st), s2 = v128.load(q + <usize>(8 + j) * st);
  return f32x4.add(f32x4.mul(f32x4.add(s1, s2), half), v128.load(q + <usize>(12 + j) * st));
}

/** Column j of row i of Gᵀ S for one filter (the scalar tail and build): the same operations as gradCombine0–2. */
@inline function gradCombineScalar(q: usize, st: usize, i: i32, j: i32): f32 {
  const s0 = load<f32>(q + <usize>j * st), s1 = load<f32>(q + <usize>(4 + j) * st);
  const s2 = load<f32>(q + <usize>(8 + j) * st), s3 = load<f32>(q + <usize>(12 + j) * st);
  if (i == 0) return s0 + (s1 + s2) * 0.5;
  if (i == 1) return (s1 - s2) * 0.5;
  return (s1 + s2) * 0.5 + s3;
}

/** The lanes of v into dw's taps of four filters, 9 floats apart (added to what is there when accumulating). */
@inline function storeTap(p: usize, v: v128, accumulate: bool): void {
  const f0 = f32x4.extract_lane(v, 0), f1 = f32x4.extract_lane(v, 1), f2 = f32x4.extract_lane(v, 2), f3 = f32x4.extract_lane(v, 3);
  if (accumulate) {
    store<f32>(p, load<f32>(p) + f0); store<f32>(p, load<f32>(p, 36) + f1, 36);
    store<f32>(p, load<f32>(p, 72) + f2, 72); store<f32>(p, load<f32>(p, 108) + f3, 108);
  } else {
    store<f32>(p, f0); store<f32>(p, f1, 36); store<f32>(p, f2, 72); store<f32>(p, f3, 108);
  }
}

// Backward input, the forward's transforms transposed. The forward takes the 4×4 patch d under
// each 2×2 output tile to Y = Aᵀ [Σ_c U_c ⊙ (Bᵀ d_c B)] A, so the gradient of input channel ci's
// patch under a tile is
//     dd_ci = B [Σ_co U_co,ci ⊙ (A dY_co Aᵀ)] Bᵀ,
// and dx is the sum of every tile's dd, the patches of neighbouring tiles overlapping by two rows
// or columns, cropped of the padding. At each point ξ the sum over co is a matrix product,
//     dV_ξ[cIn, tiles] = U'_ξ[cIn, cOut] · dM_ξ[cOut, tiles],   dM = A dY Aᵀ, U' = U with rows and depth swapped,
// over the forward's tiles, one per 2×2 block of dy: MNIST conv2's 11×11 dy has 36 against the 49
// that dx's 13×13 needs when backward input runs as a forward convolution of dy with the flipped
// weights (its form before 2026-12-02). Each image's patches go into four planes by the parity of
// their tile's row and column, where no two overlap (a patch is 4 wide at a stride of 2), so each
// is stored, not added; dx is the four planes' sum in a fixed order, whatever the split. (Added
// patch by patch into one plane, each tile's load met the store of its neighbour's overlapping half
// just before: 0.63 of the MNIST conv2 call's 2.63 ms went to those adds.)

/** Bytes of workspace winogradBackwardData needs: U', the dy and patch slots, the panels. */
export function winogradBackwardDataWorkspace(n: i32, cIn: i32, h: i32, w: i32, cOut: i32, ph: i32, pw: i32): usize {
  const oh = h + 2 * ph - 2, ow = w + 2 * pw - 2;
  const th = (oh + 1) >> 1, tw = (ow + 1) >> 1, T = th * tw, slots = slotCount(n, T);
  return bytes(PTS * roundUp(cIn, MR) * cOut + roundUp(slots * cOut * 4 * T, 4)
    + roundUp(slots * cIn * 4 * (2 * th + 2) * (2 * tw + 2), 4) + PTS * cOut * NR + PTS * cIn * NR + 2 * NR);
}

/**
 * U'_ξ[cIn, cOut] = (G g Gᵀ)_ξ of every filter of w [cOut, cIn, 3, 3], packed as gemmPacked's A
 * operand with the input channels as rows. u holds winogradWeightsBytes(cOut, cIn, 3, 3, 1, 1, 1, 1).
 */
export function transformWeightsTransposed(w: usize, cIn: i32, cOut: i32, u: usize): void {
  transformFilters(w, cOut, cIn, u, 9, cIn * 9);
}

/**
 * dx[img, cIn, h, w] for the images [img0, img1), the gradient of the 3×3 stride-1 convolution
 * with padding (ph, pw) from dy [n, cOut, oh, ow] (overwrites dx). u: U' already transformed
 * (transformWeightsTransposed), or 0 to transform w here. The tiles of the images in order, NR to
 * a panel; a panel may span several images, each in a slot of its own (slotCount).
 */
export function winogradBackwardData(dy: usize, w: usize, u: usize, dx: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                     cOut: i32, ph: i32, pw: i32, img0: i32, img1: i32): void {
  if (img0 >= img1) return;
  const oh = h + 2 * ph - 2, ow = wIn + 2 * pw - 2;
  const th = (oh + 1) >> 1, tw = (ow + 1) >> 1, T = th * tw;
  // dy slots: cOut planes of 2th × 2tw; patch slots: cIn × 4 parity planes of (2th + 2) × (2tw + 2)
  const yq = 2 * tw, yPlane = 4 * T, aw = 2 * tw + 2, aPlane = (2 * th + 2) * aw, aChan = 4 * aPlane;
  const slots = slotCount(n, T), mPad = roundUp(cIn, MR);
  const ws = workspace(winogradBackwardDataWorkspace(n, cIn, h, wIn, cOut, ph, pw));
  const ys = ws + bytes(PTS * mPad * cOut);
  const acc = ys + bytes(roundUp(slots * cOut * yPlane, 4)), vp = acc + bytes(roundUp(slots * cIn * aChan, 4));
  const mp = vp + bytes(PTS * cOut * NR), info = mp + bytes(PTS * cIn * NR);
  if (u == 0) {
    transformWeightsTransposed(w, cIn, cOut, ws);
    u = ws;
  }
  const uStride = bytes(mPad * cOut), vStride = bytes(cOut * NR), mStride = bytes(cIn * NR), yqB = bytes(yq), awB = bytes(aw);
  let next = img0, flushed = img0;
  const end = img1 * T;
  for (let g = img0 * T; g < end; g += NR) {
    const cols = min(NR, end - g), last = (g + cols - 1) / T;
    for (; next <= last; next++) {
      const s = next % slots;
      copyImage(dy, next, cOut, oh, ow, 0, 0, 2 * th, yq, ys + bytes(s * cOut * yPlane));
      memory.fill(acc + bytes(s * cIn * aChan), 0, bytes(cIn * aChan));
    }
    // per lane (tile): its 2×2 block of dy in the slot, its 4×4 patch in its parity plane (bytes)
    for (let l = 0; l < NR; l++) {
      const gl = g + (l < cols ? l : 0), img = gl / T, t = gl - img * T, ty = t / tw, tx = t - ty * tw, s = img % slots;
      store<i32>(info + bytes(l), bytes(s * cOut * yPlane + 2 * ty * yq + 2 * tx));
      store<i32>(info + bytes(NR + l), bytes(s * cIn * aChan + ((ty & 1) * 2 + (tx & 1)) * aPlane + 2 * ty * aw + 2 * tx));
    }
    // dM_ξ = (A dY Aᵀ)_ξ: the panel [cOut][NR], A = [1 0; 1 1; 1 −1; 0 −1]
    transformPanel(ys, yPlane, cOut, info, yqB, vp, vStride, true);
    // the 16 products dV_ξ[cIn][NR] = U'_ξ · dM_ξ
    for (let p = 0; p < PTS; p++) {
      gemmPacked(u + <usize>p * uStride, vp + <usize>p * vStride, mp + <usize>p * mStride, NR, cIn, cols, cOut, false);
    }
    // dd = B dV Bᵀ, each tile's patch stored in its plane
    for (let c = 0; c < cIn; c++) {
      const m = mp + bytes(c * NR), a = acc + bytes(c * aChan);
      if (ASC_FEATURE_SIMD) {
        for (let l = 0; l < cols; l += 4) patchTiles(m + bytes(l), mStride, info + bytes(NR + l), a, awB, min(4, cols - l));
      } else {
        for (let l = 0; l < cols; l++) patchTileScalar(m + bytes(l), mStride, a + <usize>load<i32>(info + bytes(NR + l)), awB);
      }
    }
    // the images whose last tile is in: the sums of their four planes, cropped of the padding, are dx
    for (const done = (g + cols) / T; flushed < done; flushed++) {
      for (let c = 0; c < cIn; c++) {
        let src = acc + bytes(((flushed % slots) * cIn + c) * aChan + ph * aw + pw), d = dx + bytes((flushed * cIn + c) * h * wIn);
        for (let r = 0; r < h; r++) {
          sumPlanes(d, src, bytes(aPlane), wIn);
          src += awB;
          d += bytes(wIn);
        }
      }
    }
  }
}

/** dst[0, n) = ((p0 + p1) + p2) + p3, the rows at src, src + plane, src + 2·plane, src + 3·plane. */
@inline function sumPlanes(dst: usize, src: usize, plane: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const q = src + bytes(j);
      v128.store(dst + bytes(j), f32x4.add(f32x4.add(f32x4.add(v128.load(q), v128.load(q + plane)), v128.load(q + 2 * plane)), v128.load(q + 3 * plane)));
    }
  }
  for (; j < n; j++) {
    const q = src + bytes(j);
    store<f32>(dst + bytes(j), load<f32>(q) + load<f32>(q + plane) + load<f32>(q + 2 * plane) + load<f32>(q + 3 * plane));
  }
}

/** (A dY Aᵀ)_ξ of 4 tiles (lanes) of one channel, their 2×2 blocks at src + o0 … o3 (rows yqB bytes apart). */
@inline function dyTiles(src: usize, o0: usize, o1: usize, o2: usize, o3: usize, yqB: usize, dst: usize, stride: usize): void {
  let a: v128, b: v128, e: v128, f: v128;
  if (o1 == o0 + 8 && o2 == o0 + 16 && o3 == o0 + 24) {
    // four neighbouring tiles of one tile row: 8 consecutive floats of each of the two rows
    const p = src + o0, q = p + yqB;
    a = evens(p, p + 16, 0); b = odds(p, p + 16, 0);
    e = evens(q, q + 16, 0); f = odds(q, q + 16, 0);
  } else {
    a = lanes4(src + o0, src + o1, src + o2, src + o3, 0); b = lanes4(src + o0, src + o1, src + o2, src + o3, 4);
    const s = src + yqB;
    e = lanes4(s + o0, s + o1, s + o2, s + o3, 0); f = lanes4(s + o0, s + o1, s + o2, s + o3, 4);
  }
  dyPoints(a, b, e, f, dst, stride);
}

/** Row i of B X for the rows x0 … x3 of X, B = [1 0 0 0; 0 1 −1 1; −1 1 1 0; 0 0 0 −1]. */
@inline function patchMix(i: i32, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  if (i == 0) return x0;
  if (i == 1) return f32x4.add(f32x4.sub(x1, x2), x3);
  if (i == 2) return f32x4.sub(f32x4.add(x1, x2), x0);
  return f32x4.neg(x3);
}

/**
 * dd = B dV Bᵀ of `lanes` (1–4) tiles, dV's points at m + ξ·stride (a vector of 4 tiles each), each
 * stored as its tile's 4×4 patch at a + the offset in `offs` (rows awB bytes apart).
 */
@inline function patchTiles(m: usize, stride: usize, offs: usize, a: usize, awB: usize, lanes: i32): void {
  // B dV: rows of points (ξ = 4·row + column), each a vector across the tiles
  const v0 = v128.load(m), v1 = v128.load(m + stride), v2 = v128.load(m + 2 * stride), v3 = v128.load(m + 3 * stride);
  const v4 = v128.load(m + 4 * stride), v5 = v128.load(m + 5 * stride), v6 = v128.load(m + 6 * stride), v7 = v128.load(m + 7 * stride);
  const v8 = v128.load(m + 8 * stride), v9 = v128.load(m + 9 * stride), v10 = v128.load(m + 10 * stride), v11 = v128.load(m + 11 * stride);
  const v12 = v128.load(m + 12 * stride), v13 = v128.load(m + 13 * stride), v14 = v128.load(m + 14 * stride), v15 = v128.load(m + 15 * stride);
  for (let i = 0; i < 4; i++) {
    const c0 = patchMix(i, v0, v4, v8, v12), c1 = patchMix(i, v1, v5, v9, v13);
    const c2 = patchMix(i, v2, v6, v10, v14), c3 = patchMix(i, v3, v7, v11, v15);
    // row i of (B dV) Bᵀ: the same mix across its columns, then transposed to one vector per tile
    const f0 = patchMix(0, c0, c1, c2, c3), f1 = patchMix(1, c0, c1, c2, c3), f2 = patchMix(2, c0, c1, c2, c3), f3 = patchMix(3, c0, c1, c2, c3);
    const t0 = v128.shuffle<f32>(f0, f1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(f2, f3, 0, 4, 1, 5);
    const t2 = v128.shuffle<f32>(f0, f1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(f2, f3, 2, 6, 3, 7);
    const row = <usize>i * awB;
    v128.store(a + <usize>load<i32>(offs) + row, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
    if (lanes > 1) v128.store(a + <usize>load<i32>(offs, 4) + row, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
    if (lanes > 2) v128.store(a + <usize>load<i32>(offs, 8) + row, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
    if (lanes > 3) v128.store(a + <usize>load<i32>(offs, 12) + row, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
  }
}

/** The scalar build's patchMix: row i of B X for the rows' elements x0 … x3, the same operations. */
@inline function patchMixScalar(i: i32, x0: f32, x1: f32, x2: f32, x3: f32): f32 {
  if (i == 0) return x0;
  if (i == 1) return x1 - x2 + x3;
  if (i == 2) return x1 + x2 - x0;
  return -x3;
}

/** The scalar build's patchTiles for one tile (patch at p): the same operations, one lane. */
function patchTileScalar(m: usize, stride: usize, p: usize, awB: usize): void {
  for (let i = 0; i < 4; i++) {
    // column j of row i of B dV, from the points' column j in rows 0–3 (ξ = 4·row + column)
    const c0 = patchMixScalar(i, load<f32>(m), load<f32>(m + 4 * stride), load<f32>(m + 8 * stride), load<f32>(m + 12 * stride));
    const c1 = patchMixScalar(i, load<f32>(m + stride), load<f32>(m + 5 * stride), load<f32>(m + 9 * stride), load<f32>(m + 13 * stride));
    const c2 = patchMixScalar(i, load<f32>(m + 2 * stride), load<f32>(m + 6 * stride), load<f32>(m + 10 * stride), load<f32>(m + 14 * stride));
    const c3 = patchMixScalar(i, load<f32>(m + 3 * stride), load<f32>(m + 7 * stride), load<f32>(m + 11 * stride), load<f32>(m + 15 * stride));
    const q = p + <usize>i * awB;
    store<f32>(q, patchMixScalar(0, c0, c1, c2, c3));
    store<f32>(q + 4, patchMixScalar(1, c0, c1, c2, c3));
    store<f32>(q + 8, patchMixScalar(2, c0, c1, c2, c3));
    store<f32>(q + 12, patchMixScalar(3, c0, c1, c2, c3));
  }
}
