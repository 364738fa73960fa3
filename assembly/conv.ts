// 2-D convolution, NCHW, weight [cOut, cIn, kh, kw], bias [cOut]: PyTorch's Conv2d (a
// cross-correlation) with stride, zero padding and dilation. Output size per axis:
//   out = floor((in + 2·pad − dil·(k − 1) − 1) / stride) + 1     (rows that do not fit are dropped)
//
// All three kernels are im2col + the GEMM micro-kernel, one image at a time, with K = cIn·kh·kw and
// P = outH·outW:
//   forward          Y[cOut, P]  = W[cOut, K] · col[K, P] (+ bias per row)
//   backward weight  dW[cOut, K] (+)= Σ_images dY[cOut, P] · colᵀ[P, K]      dbias = Σ dY
//   backward input   dcol[K, P]  = Wᵀ[K, cOut] · dY[cOut, P], then col2im scatter-adds dcol into dx
//                    (3×3 stride 1 with 8–512 output channels: a Winograd forward of dy instead)
// One input channel with a 3×3 stride-1 kernel (a grey image's first layer) runs forward and
// backward weight directly on the planes, without im2col (directApplies); for inference the
// forward can also take a 2×2 max pool of each plane while it is in L1 (conv2dForwardActPool).
// The im2col matrix is never stored: the packers below write it straight into the GEMM's packed
// B-panel layout ([k][NR] per NR columns), one panel at a time, which the micro-kernel then reads
// from L1. The weights are packed once per call, not once per image.
// A padded input is copied once per image into a zero-bordered buffer, so every gather is in bounds
// and the packers need no bounds checks; backward input likewise scatters into a padded dx buffer.

import { workspace, laneOffsets } from './workspace';
import { activateRows } from './elementwise';
import { GEMM_MR, GEMM_NR, gemmPackA, gemmPackB, gemmPacked } from './gemm';
import { winogradApplies, winogradWorkspace, winogradForward, winogradWeightsBytes,
  winogradWeightGrad, winogradWeightGradWorkspace, winogradBackwardData, winogradBackwardDataWorkspace,
  transformWeightsTransposed } from './winograd';
import { maxPool2dForward } from './pool';

const MR: i32 = GEMM_MR;
const NR: i32 = GEMM_NR;
// Depth block: one packed B panel (KC × NR floats, 16 KiB in the SIMD builds) stays in L1.
const KC: i32 = 512;
/** Fewest dW panels a column group of conv2dBackwardWeightPart takes (each group packs its image block's dy rows again). */
const PART_MIN_PANELS: i32 = 2;
// Bound on the dcol block of backward input (floats): K × (columns per block).
const DCOL_FLOATS: i32 = 1 << 17;

// Geometry of the current call, shared by the packers (set by setGeometry). These are wasm
// globals, which belong to one instance, so each thread of the threads builds has its own set.
let gC: i32 = 0, gH: i32 = 0, gW: i32 = 0;
let gKh: i32 = 0, gKw: i32 = 0, gSh: i32 = 0, gSw: i32 = 0, gPh: i32 = 0, gPw: i32 = 0, gDh: i32 = 0, gDw: i32 = 0;
let gOh: i32 = 0, gOw: i32 = 0;
let gHp: i32 = 0, gWp: i32 = 0; // the (padded) image the packers read: h + 2·padH, w + 2·padW

@inline function bytes(floats: i32): usize {
  return <usize>floats << 2;
}

@inline function roundUp(x: i32, m: i32): i32 {
  return (x + m - 1) / m * m;
}

/** PyTorch's output size; 0 when nothing fits or a stride/dilation is not positive. */
@inline function outSize(size: i32, k: i32, stride: i32, pad: i32, dil: i32): i32 {
  const span = size + 2 * pad - dil * (k - 1) - 1;
  return span < 0 || stride <= 0 || dil <= 0 || k <= 0 ? 0 : span / stride + 1;
}

/** Records the geometry; false when the output is empty. */
function setGeometry(c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                     ph: i32, pw: i32, dh: i32, dw: i32): bool {
  gC = c; gH = h; gW = w; gKh = kh; gKw = kw; gSh = sh; gSw = sw; gPh = ph; gPw = pw; gDh = dh; gDw = dw;
  gOh = outSize(h, kh, sh, ph, dh);
  gOw = outSize(w, kw, sw, pw, dw);
  gHp = h + 2 * ph;
  gWp = w + 2 * pw;
  return gOh > 0 && gOw > 0 && c > 0 && h > 0 && w > 0 && ph >= 0 && pw >= 0;
}

/** Copies c planes of h×w at src into dst as (h + 2·ph)×(w + 2·pw) planes with zero borders. */
function padImage(src: usize, dst: usize, c: i32, h: i32, w: i32, ph: i32, pw: i32): void {
  const wp = w + 2 * pw, rowBytes = bytes(w), padBytes = bytes(pw);
  for (let ch = 0; ch < c; ch++) {
    memory.fill(dst, 0, bytes(ph * wp + pw));
    dst += bytes(ph * wp + pw);
    for (let y = 0; y < h; y++) {
      memory.copy(dst, src, rowBytes);
      src += rowBytes;
      dst += rowBytes;
      memory.fill(dst, 0, y + 1 < h ? padBytes << 1 : padBytes);
      dst += y + 1 < h ? padBytes << 1 : padBytes;
    }
    memory.fill(dst, 0, bytes(ph * wp));
    dst += bytes(ph * wp);
  }
}

/** The interior of c padded planes at src back to h×w planes at dst (overwrite). */
function unpadImage(src: usize, dst: usize, c: i32, h: i32, w: i32, ph: i32, pw: i32): void {
  const wp = w + 2 * pw, hp = h + 2 * ph, rowBytes = bytes(w);
  for (let ch = 0; ch < c; ch++) {
    let s = src + bytes(ch * hp * wp + ph * wp + pw);
    for (let y = 0; y < h; y++) {
      memory.copy(dst, s, rowBytes);
      dst += rowBytes;
      s += bytes(wp);
    }
  }
}

/** n floats at dst := v. */
function fillValue(dst: usize, v: f32, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vv = f32x4.splat(v);
    for (; i + 4 <= n; i += 4) v128.store(dst + bytes(i), vv);
  }
  for (; i < n; i++) store<f32>(dst + bytes(i), v);
}

/** Sum of n floats at src. */
function sum(src: usize, n: i32): f32 {
  let s: f32 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let a = f32x4.splat(0), b = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      a = f32x4.add(a, v128.load(src + bytes(i)));
      b = f32x4.add(b, v128.load(src + bytes(i), 16));
    }
    a = f32x4.add(a, b);
    s = f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3);
  }
  for (; i < n; i++) s += load<f32>(src + bytes(i));
  return s;
}

/**
 * Forward im2col panel: rows [k0, k0 + kc) of col (k = (c, ki, kj)) × the NR output positions
 * [j0, j0 + NR) into dst as [k][NR]. Positions past P read element 0 (their columns are dropped).
 * img is the padded image (gHp × gWp planes).
 */
function packColPanel(img: usize, j0: i32, k0: i32, kc: i32, dst: usize): void {
  const laneOff = laneOffsets();
  const ow = gOw, p = gOh * gOw, sw = gSw, rowStride = gSh * gWp;
  let oy = j0 / ow, ox = j0 - oy * ow;
  for (let t = 0; t < NR; t++) {
    let off = 0;
    if (j0 + t < p) {
      off = oy * rowStride + ox * sw;
      if (++ox == ow) { ox = 0; oy++; }
    }
    store<i32>(laneOff + (<usize>t << 2), off);
  }
  const kk = gKh * gKw, kw = gKw, kh = gKh, dw = gDw;
  const plane = gHp * gWp, rowStep = gDh * gWp, rowBack = rowStep - (kw - 1) * dw;
  let c = k0 / kk, r = k0 - c * kk;
  let ki = r / kw, kj = r - ki * kw;
  let base = c * plane + ki * rowStep + kj * dw;
  if (ASC_FEATURE_SIMD) {
    const o0 = <usize>load<i32>(laneOff) << 2, o1 = <usize>load<i32>(laneOff, 4) << 2;
    const o2 = <usize>load<i32>(laneOff, 8) << 2, o3 = <usize>load<i32>(laneOff, 12) << 2;
    const o4 = <usize>load<i32>(laneOff, 16) << 2, o5 = <usize>load<i32>(laneOff, 20) << 2;
    const o6 = <usize>load<i32>(laneOff, 24) << 2, o7 = <usize>load<i32>(laneOff, 28) << 2;
    // Mode 1: the 8 positions are consecutive pixels (stride 1, one output row); mode 2: every other pixel.
    const mode = o7 == o0 + 28 ? 1 : o7 == o0 + 56 && sw == 2 ? 2 : 0;
    for (let k = 0; k < kc; k++) {
      const s = img + bytes(base);
      if (mode == 1) {
        v128.store(dst, v128.load(s + o0));
        v128.store(dst, v128.load(s + o0, 16), 16);
      } else if (mode == 2) {
        const q = s + o0;
        v128.store(dst, v128.shuffle<f32>(v128.load(q), v128.load(q, 16), 0, 2, 4, 6));
        // elements 8..11 and 11..14: the last load ends on the last lane, never past it
        v128.store(dst, v128.shuffle<f32>(v128.load(q, 32), v128.load(q, 44), 0, 2, 5, 7), 16);
      } else {
        copyLanes(s, o0, o1, o2, o3, o4, o5, o6, o7, dst);
      }
      dst += 32;
      if (++kj < kw) base += dw;
      else {
        kj = 0;
        if (++ki < kh) base += rowBack;
        else { ki = 0; c++; base = c * plane; }
      }
    }
  } else {
    for (let k = 0; k < kc; k++) {
      const s = img + bytes(base);
      for (let t = 0; t < NR; t++) {
        store<f32>(dst + (<usize>t << 2), load<f32>(s + bytes(load<i32>(laneOff + (<usize>t << 2)))));
      }
      dst += bytes(NR);
      if (++kj < kw) base += dw;
      else {
        kj = 0;
        if (++ki < kh) base += rowBack;
        else { ki = 0; c++; base = c * plane; }
      }
    }
  }
}

/** One [NR] row of an im2col panel in the SIMD builds: the floats at s + o0 … s + o7 (byte offsets) to dst. */
@inline function copyLanes(s: usize, o0: usize, o1: usize, o2: usize, o3: usize, o4: usize, o5: usize, o6: usize, o7: usize, dst: usize): void {
  store<f32>(dst, load<f32>(s + o0)); store<f32>(dst, load<f32>(s + o1), 4);
  store<f32>(dst, load<f32>(s + o2), 8); store<f32>(dst, load<f32>(s + o3), 12);
  store<f32>(dst, load<f32>(s + o4), 16); store<f32>(dst, load<f32>(s + o5), 20);
  store<f32>(dst, load<f32>(s + o6), 24); store<f32>(dst, load<f32>(s + o7), 28);
}

/**
 * Backward-weight im2col panel: colᵀ, i.e. output positions [p0, p0 + kc) (the depth) × the NR
 * col rows [k0, k0 + NR) (the columns) into dst as [p][NR]. Rows past K read element 0.
 */
function packColTPanel(img: usize, k0: i32, p0: i32, kc: i32, dst: usize): void {
  const laneOff = laneOffsets();
  const kk = gKh * gKw, kw = gKw, K = gC * kk;
  const plane = gHp * gWp, rowStep = gDh * gWp;
  for (let t = 0; t < NR; t++) {
    const k = k0 + t;
    let off = 0;
    if (k < K) {
      const c = k / kk, r = k - c * kk, ki = r / kw, kj = r - ki * kw;
      off = c * plane + ki * rowStep + kj * gDw;
    }
    store<i32>(laneOff + (<usize>t << 2), off);
  }
  const ow = gOw, sw = gSw, rowStride = gSh * gWp;
  let oy = p0 / ow, ox = p0 - oy * ow;
  let pos = oy * rowStride + ox * sw;
  if (ASC_FEATURE_SIMD) {
    const o0 = <usize>load<i32>(laneOff) << 2, o1 = <usize>load<i32>(laneOff, 4) << 2;
    const o2 = <usize>load<i32>(laneOff, 8) << 2, o3 = <usize>load<i32>(laneOff, 12) << 2;
    const o4 = <usize>load<i32>(laneOff, 16) << 2, o5 = <usize>load<i32>(laneOff, 20) << 2;
    const o6 = <usize>load<i32>(laneOff, 24) << 2, o7 = <usize>load<i32>(laneOff, 28) << 2;
    for (let p = 0; p < kc;) {
      const s = img + bytes(pos);
      if (sw == 1 && ox + 4 <= ow && p + 4 <= kc) {
        // four positions of one output row: each column's four values are adjacent in x, so
        // one load per column and two 4×4 transposes
        transposeStore(v128.load(s + o0), v128.load(s + o1), v128.load(s + o2), v128.load(s + o3), dst);
        transposeStore(v128.load(s + o4), v128.load(s + o5), v128.load(s + o6), v128.load(s + o7), dst + 16);
        dst += 128;
        p += 4;
        pos += 4;
        ox += 4;
      } else {
        copyLanes(s, o0, o1, o2, o3, o4, o5, o6, o7, dst);
        dst += 32;
        p++;
        pos += sw;
        ox++;
      }
      if (ox == ow) { ox = 0; oy++; pos = oy * rowStride; }
    }
  } else {
    for (let p = 0; p < kc; p++) {
      const s = img + bytes(pos);
      for (let t = 0; t < NR; t++) {
        store<f32>(dst + (<usize>t << 2), load<f32>(s + bytes(load<i32>(laneOff + (<usize>t << 2)))));
      }
      dst += bytes(NR);
      pos += sw;
      if (++ox == ow) { ox = 0; oy++; pos = oy * rowStride; }
    }
  }
}

/**
 * Columns a, b, c, d (four positions each) as four rows of a [position][NR] panel: row i gets
 * (a[i], b[i], c[i], d[i]) at dst + i·NR floats.
 */
@inline function transposeStore(a: v128, b: v128, c: v128, d: v128, dst: usize): void {
  const abLo = v128.shuffle<f32>(a, b, 0, 4, 1, 5), cdLo = v128.shuffle<f32>(c, d, 0, 4, 1, 5);
  const abHi = v128.shuffle<f32>(a, b, 2, 6, 3, 7), cdHi = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(abLo, cdLo, 0, 1, 4, 5));
  v128.store(dst, v128.shuffle<f32>(abLo, cdLo, 2, 3, 6, 7), 32);
  v128.store(dst, v128.shuffle<f32>(abHi, cdHi, 0, 1, 4, 5), 64);
  v128.store(dst, v128.shuffle<f32>(abHi, cdHi, 2, 3, 6, 7), 96);
}

/**
 * col2im: adds the dcol block (K rows, row stride ldd floats, output positions [j0, j0 + nc))
 * into the padded image gradient img.
 */
function col2im(dcol: usize, ldd: i32, j0: i32, nc: i32, img: usize): void {
  const kk = gKh * gKw, kw = gKw, kh = gKh, K = gC * kk, ow = gOw, sw = gSw, dw = gDw;
  const plane = gHp * gWp, rowStep = gDh * gWp, rowStride = gSh * gWp, rowBack = rowStep - (kw - 1) * dw;
  const oy0 = j0 / ow, ox0 = j0 - oy0 * ow;
  let c = 0, ki = 0, kj = 0, base = 0;
  for (let k = 0; k < K; k++) {
    let src = dcol + bytes(k * ldd);
    let oy = oy0, ox = ox0, j = 0;
    while (j < nc) {
      const run = min(ow - ox, nc - j);
      const d = img + bytes(base + oy * rowStride + ox * sw);
      if (sw == 1) {
        let i = 0;
        if (ASC_FEATURE_SIMD) {
          for (; i + 4 <= run; i += 4) {
            const o = bytes(i);
            v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(src + o)));
          }
        }
        for (; i < run; i++) {
          const o = bytes(i);
          store<f32>(d + o, load<f32>(d + o) + load<f32>(src + o));
        }
      } else {
        for (let i = 0; i < run; i++) {
          const o = bytes(i * sw);
          store<f32>(d + o, load<f32>(d + o) + load<f32>(src + bytes(i)));
        }
      }
      src += bytes(run);
      j += run;
      ox = 0;
      oy++;
    }
    if (++kj < kw) base += dw;
    else {
      kj = 0;
      if (++ki < kh) base += rowBack;
      else { ki = 0; c++; base = c * plane; }
    }
  }
}

/** The first of `count` work units that part `part` of `parts` takes (a balanced split, in order). */
@inline function splitAt(count: i32, part: i32, parts: i32): i32 {
  return <i32>(<i64>count * part / parts);
}

/** Bytes of workspace one part of conv2dForwardPart needs: packed weights, a padded image, one B panel. */
export function conv2dForwardWorkspace(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                       cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                       padH: i32, padW: i32, dilH: i32, dilW: i32): usize {
  if (n <= 0 || cOut <= 0) return 0;
  if (!setGeometry(cIn, h, wIn, kh, kw, strideH, strideW, padH, padW, dilH, dilW)) return 0;
  if (winogradApplies(cIn, kh, kw, strideH, strideW, dilH, dilW)) return winogradWorkspace(n, cIn, h, wIn, cOut, padH, padW);
  if (directApplies(cIn, kh, kw, strideH, strideW, dilH, dilW)) return bytes(directPadFloats(h, wIn, padH, padW));
  const depth = cIn * kh * kw + (bias != 0 ? 1 : 0);
  const xpFloats = padH > 0 || padW > 0 ? roundUp(cIn * gHp * gWp, 4) : 0;
  return bytes(roundUp(cOut, MR) * depth + xpFloats + min(depth, KC) * NR);
}

/**
 * y[n, cOut, outH, outW] = conv2d(x[n, cIn, h, w], w[cOut, cIn, kh, kw]) + bias[cOut] (bias = 0: none).
 */
export function conv2dForward(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                              cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                              padH: i32, padW: i32, dilH: i32, dilW: i32): void {
  conv2dForwardPart(x, w, bias, y, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, 0, 1);
}

/**
 * Part `part` of `parts` of conv2dForward: the work units are (image, NR-column panel of output
 * positions) in order, split into `parts` contiguous runs; every part packs the weights into its
 * own workspace. Each output element is computed the same way for any `parts` (bit-identical).
 */
export function conv2dForwardPart(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                  cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                  padH: i32, padW: i32, dilH: i32, dilW: i32, part: i32, parts: i32): void {
  convForwardRange(x, w, bias, y, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, part, parts, 0, 0);
}

/**
 * y = act(conv2dForward(...)): the activation (elementwise.ts's ACT_ codes, alpha the leaky slope
 * or ELU α) fused into the GEMM's store of each output tile of the last depth block. Bit for bit
 * conv2dForward followed by the activation kernel. Inference runs it, and so does training for the
 * activations whose backward reads the output (bindings/ops/fused.ts fusesUnderTape).
 */
export function conv2dForwardAct(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                 cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                 padH: i32, padW: i32, dilH: i32, dilW: i32, act: i32, alpha: f32): void {
  convForwardRange(x, w, bias, y, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, 0, 1, act, alpha);
}

/**
 * Part `part` of `parts` of conv2dForwardAct: conv2dForwardPart's (image, NR-panel) units, the
 * activation applied to each part's own tiles: bit-identical for any `parts`.
 */
export function conv2dForwardActPart(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                     cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                     padH: i32, padW: i32, dilH: i32, dilW: i32, act: i32, alpha: f32,
                                     part: i32, parts: i32): void {
  convForwardRange(x, w, bias, y, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, part, parts, act, alpha);
}

/**
 * conv2dForwardAct (act 0: none) with the Winograd path's transformed weights u kept by the caller
 * (winogradRefresh of these weights; winogradWeightsBytes > 0 for this geometry): the same bits,
 * without transforming the weights on every call. `pool` ≠ 0: y is then [n, cOut, ⌊outH/2⌋,
 * ⌊outW/2⌋], the 2×2 stride-2 max pool (floor) of that output, with maxPool2dForward's bits (and
 * with `argmax` ≠ 0 its winners): F(2×2, 3×3)'s output tiles are the pool's windows, so each tile
 * is pooled where it is computed and the full-size output is never written (MNIST conv2 at batch
 * 32: 991 KB).
 */
export function conv2dForwardPrepared(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                      cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                      padH: i32, padW: i32, dilH: i32, dilW: i32, act: i32, alpha: f32, u: usize, pool: i32, argmax: usize): void {
  conv2dForwardPreparedPart(x, w, bias, y, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, act, alpha, u, pool, argmax, 0, 1);
}

/** Part `part` of `parts` of conv2dForwardPrepared (conv2dForwardPart's split: bit-identical for any `parts`). */
export function conv2dForwardPreparedPart(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                          cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                          padH: i32, padW: i32, dilH: i32, dilW: i32, act: i32, alpha: f32, u: usize, pool: i32,
                                          argmax: usize, part: i32, parts: i32): void {
  if (n <= 0 || cOut <= 0 || winogradWeightsBytes(cIn, cOut, kh, kw, strideH, strideW, dilH, dilW) == 0) return;
  if (!setGeometry(cIn, h, wIn, kh, kw, strideH, strideW, padH, padW, dilH, dilW)) return;
  winogradForward(x, w, bias, y, n, cIn, h, wIn, cOut, padH, padW, part, parts, act, alpha, u, pool != 0, argmax);
}

/** Bytes of workspace conv2dForwardPrepared needs (same arguments). */
export function conv2dForwardPreparedWorkspace(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                               cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                               padH: i32, padW: i32, dilH: i32, dilW: i32, act: i32, alpha: f32, u: usize, pool: i32, argmax: usize): usize {
  return conv2dForwardWorkspace(x, w, bias, y, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW);
}

/** Bytes of workspace conv2dForwardAct (and one part of conv2dForwardActPart) needs (same arguments). */
export function conv2dForwardActWorkspace(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                          cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                          padH: i32, padW: i32, dilH: i32, dilW: i32, act: i32, alpha: f32): usize {
  return conv2dForwardWorkspace(x, w, bias, y, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW);
}

/**
 * Whether conv2dForwardActPool runs this geometry: the direct path (one input channel, 3×3, stride
 * 1, no dilation; directApplies), whose planes are whole while they are in L1.
 */
export function conv2dPoolFuses(cIn: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): bool {
  return directApplies(cIn, kh, kw, sh, sw, dh, dw);
}

/**
 * y[n, cOut, ⌊outH/2⌋, ⌊outW/2⌋] = maxPool2d(act(conv2dForward(...)), 2) (kernel 2, stride 2,
 * floor) for a geometry conv2dPoolFuses takes (others: nothing is written), and with `argmax` ≠ 0
 * (training) the pool's int32 winners as maxPool2dForward writes them. Each output plane is
 * computed into this thread's workspace, goes through the activation and then through
 * maxPool2dForward itself into y, so the bits are the three ops' and the full-size output never
 * leaves L1 (MNIST conv1 at batch 32: 2.8 MB neither written nor read back).
 */
export function conv2dForwardActPool(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                     cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                     padH: i32, padW: i32, dilH: i32, dilW: i32, act: i32, alpha: f32, argmax: usize): void {
  conv2dForwardActPoolPart(x, w, bias, y, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, act, alpha, argmax, 0, 1);
}

/** Part `part` of `parts` of conv2dForwardActPool: the direct forward's (image, output channel) planes. */
export function conv2dForwardActPoolPart(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                         cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                         padH: i32, padW: i32, dilH: i32, dilW: i32, act: i32, alpha: f32,
                                         argmax: usize, part: i32, parts: i32): void {
  if (n <= 0 || cOut <= 0 || !directApplies(cIn, kh, kw, strideH, strideW, dilH, dilW)) return;
  if (!setGeometry(cIn, h, wIn, kh, kw, strideH, strideW, padH, padW, dilH, dilW)) return;
  directForward(x, w, bias, y, n, h, wIn, cOut, padH, padW, part, parts, act, alpha, true, argmax);
}

/** Bytes of workspace conv2dForwardActPool (and one part of it) needs: a padded image and one output plane. */
export function conv2dForwardActPoolWorkspace(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                              cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                              padH: i32, padW: i32, dilH: i32, dilW: i32, act: i32, alpha: f32, argmax: usize): usize {
  if (n <= 0 || cOut <= 0 || !directApplies(cIn, kh, kw, strideH, strideW, dilH, dilW)) return 0;
  if (!setGeometry(cIn, h, wIn, kh, kw, strideH, strideW, padH, padW, dilH, dilW)) return 0;
  return bytes(directPadFloats(h, wIn, padH, padW) + roundUp(gOh * gOw, 4));
}

function convForwardRange(x: usize, w: usize, bias: usize, y: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                          cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32, padH: i32, padW: i32,
                          dilH: i32, dilW: i32, part: i32, parts: i32, act: i32, alpha: f32): void {
  if (n <= 0 || cOut <= 0) return;
  if (!setGeometry(cIn, h, wIn, kh, kw, strideH, strideW, padH, padW, dilH, dilW)) return;
  if (winogradApplies(cIn, kh, kw, strideH, strideW, dilH, dilW)) {
    winogradForward(x, w, bias, y, n, cIn, h, wIn, cOut, padH, padW, part, parts, act, alpha, 0, false, 0);
    return;
  }
  if (directApplies(cIn, kh, kw, strideH, strideW, dilH, dilW)) {
    directForward(x, w, bias, y, n, h, wIn, cOut, padH, padW, part, parts, act, alpha, false, 0);
    return;
  }
  const P = gOh * gOw, K = cIn * kh * kw;
  const panels = (P + NR - 1) / NR;
  const u0 = splitAt(n * panels, part, parts), u1 = splitAt(n * panels, part + 1, parts);
  if (u0 >= u1) return;
  // The bias rides in the GEMM as one more depth row: a column of biases in the packed weights
  // against a row of ones in the packed im2col, so y needs no separate fill or accumulate pass.
  const depth = bias != 0 ? K + 1 : K;
  const padded = padH > 0 || padW > 0;
  const mPad = roundUp(cOut, MR), kcMax = min(depth, KC);
  const wpFloats = mPad * depth, xpFloats = padded ? roundUp(cIn * gHp * gWp, 4) : 0;
  const ws = workspace(bytes(wpFloats + xpFloats + kcMax * NR));
  const wp = ws, xp = wp + bytes(wpFloats), bp = xp + bytes(xpFloats);
  for (let pc = 0; pc < depth; pc += KC) {
    const kc = min(KC, depth - pc), rows = min(kc, K - pc); // rows of W in this block; kc − rows = bias row
    for (let i = 0; i < cOut; i += MR) {
      const panel = wp + bytes(mPad * pc + i * kc);
      gemmPackA(w + bytes(i * K + pc), <usize>K, 1, min(MR, cOut - i), rows, panel);
      if (rows < kc) {
        for (let r = 0; r < MR; r++) store<f32>(panel + bytes(rows * MR + r), i + r < cOut ? load<f32>(bias + bytes(i + r)) : 0);
      }
    }
  }
  for (let img = u0 / panels; img * panels < u1; img++) {
    const q0 = max(u0 - img * panels, 0) * NR, q1 = min(P, (u1 - img * panels) * NR);
    let src = x + bytes(img * cIn * h * wIn);
    const yn = y + bytes(img * cOut * P);
    if (padded) {
      padImage(src, xp, cIn, h, wIn, padH, padW);
      src = xp;
    }
    for (let pc = 0; pc < depth; pc += KC) {
      const kc = min(KC, depth - pc), rows = min(kc, K - pc), wblock = wp + bytes(mPad * pc);
      for (let j0 = q0; j0 < q1; j0 += NR) {
        packColPanel(src, j0, pc, rows, bp);
        if (rows < kc) fillValue(bp + bytes(rows * NR), 1, NR);
        gemmPacked(wblock, bp, yn + bytes(j0), P, cOut, min(NR, P - j0), kc, pc > 0, pc + kc >= depth ? act : 0, alpha);
      }
    }
  }
}

/**
 * Whether the forward runs directly (directForward): one input channel, 3×3, stride 1, no
 * dilation, a grey image's first layer (MNIST conv1). im2col + GEMM would have depth 9 (+ the bias
 * row): the packing and the 4×8 tiles' stores outweigh the 9 multiply-adds per output. The taps
 * are summed in im2col's order (from the first product, the bias last), so the bits are the GEMM
 * path's.
 */
@inline function directApplies(cIn: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): bool {
  return cIn == 1 && kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1;
}

/**
 * Part `part` of `parts` of the direct forward (directApplies): the work units are the
 * (image, output channel) planes in order. Each output row is the 3 input rows under it times the
 * 9 taps, 4 outputs per vector (the last vector of a row moved back to end on its last column, so
 * it overlaps the one before, which it rewrites with the same values), the bias added after the
 * 9 taps; the plane then goes through the activation while it is in L1.
 */
function directForward(x: usize, w: usize, bias: usize, y: usize, n: i32, h: i32, wIn: i32, cOut: i32,
                       ph: i32, pw: i32, part: i32, parts: i32, act: i32, alpha: f32, pool: bool, argmax: usize): void {
  const oh = h + 2 * ph - 2, ow = wIn + 2 * pw - 2, P = oh * ow, wp = wIn + 2 * pw;
  const u0 = splitAt(n * cOut, part, parts), u1 = splitAt(n * cOut, part + 1, parts);
  if (u0 >= u1) return;
  const padded = ph > 0 || pw > 0, xpFloats = directPadFloats(h, wIn, ph, pw);
  // pool: each plane goes to a scratch plane after the padded image, then through the pool into y
  const ws = xpFloats > 0 || pool ? workspace(bytes(xpFloats + (pool ? roundUp(P, 4) : 0))) : 0;
  const xp = ws, plane = ws + bytes(xpFloats), poh = oh >> 1, pow = ow >> 1;
  let cur = -1, src: usize = 0;
  for (let u = u0; u < u1; u++) {
    const img = u / cOut, o = u - img * cOut;
    if (img != cur) {
      cur = img;
      src = x + bytes(img * h * wIn);
      if (padded) {
        padImage(src, xp, 1, h, wIn, ph, pw);
        src = xp;
      }
    }
    const wo = w + bytes(o * 9), out = pool ? plane : y + bytes((img * cOut + o) * P);
    const b: f32 = bias != 0 ? load<f32>(bias + bytes(o)) : 0;
    let r = 0;
    if (ASC_FEATURE_SIMD && ow >= 4) {
      const w0 = v128.load32_splat(wo), w1 = v128.load32_splat(wo, 4), w2 = v128.load32_splat(wo, 8);
      const w3 = v128.load32_splat(wo, 12), w4 = v128.load32_splat(wo, 16), w5 = v128.load32_splat(wo, 20);
      const w6 = v128.load32_splat(wo, 24), w7 = v128.load32_splat(wo, 28), w8 = v128.load32_splat(wo, 32);
      const bv = f32x4.splat(b);
      // two output rows at a time: the 4 input rows under them are loaded once for both
      for (; r + 2 <= oh; r += 2) {
        const s0 = src + bytes(r * wp), s1 = s0 + bytes(wp), s2 = s1 + bytes(wp), s3 = s2 + bytes(wp);
        const d = out + bytes(r * ow), d1 = d + bytes(ow);
        for (let col = 0; ; col = min(col + 4, ow - 4)) {
          const c = bytes(col);
          let x0 = v128.load(s1 + c), x1 = v128.load(s1 + c, 4), x2 = v128.load(s1 + c, 8);
          let a0 = f32x4.mul(w0, v128.load(s0 + c));
          a0 = madd3(w1, v128.load(s0 + c, 4), a0); a0 = madd3(w2, v128.load(s0 + c, 8), a0);
          let a1 = f32x4.mul(w0, x0);
          a0 = madd3(w3, x0, a0); a1 = madd3(w1, x1, a1); a0 = madd3(w4, x1, a0); a1 = madd3(w2, x2, a1); a0 = madd3(w5, x2, a0);
          x0 = v128.load(s2 + c); x1 = v128.load(s2 + c, 4); x2 = v128.load(s2 + c, 8);
          a0 = madd3(w6, x0, a0); a1 = madd3(w3, x0, a1); a0 = madd3(w7, x1, a0); a1 = madd3(w4, x1, a1);
          a0 = madd3(w8, x2, a0); a1 = madd3(w5, x2, a1);
          a1 = madd3(w6, v128.load(s3 + c), a1); a1 = madd3(w7, v128.load(s3 + c, 4), a1); a1 = madd3(w8, v128.load(s3 + c, 8), a1);
          v128.store(d + c, bias != 0 ? f32x4.add(a0, bv) : a0);
          v128.store(d1 + c, bias != 0 ? f32x4.add(a1, bv) : a1);
          if (col + 4 >= ow) break;
        }
      }
      for (; r < oh; r++) {
        const s0 = src + bytes(r * wp), s1 = s0 + bytes(wp), s2 = s1 + bytes(wp), d = out + bytes(r * ow);
        for (let col = 0; ; col = min(col + 4, ow - 4)) {
          const c = bytes(col);
          let acc = f32x4.mul(w0, v128.load(s0 + c));
          acc = madd3(w1, v128.load(s0 + c, 4), acc); acc = madd3(w2, v128.load(s0 + c, 8), acc);
          acc = madd3(w3, v128.load(s1 + c), acc); acc = madd3(w4, v128.load(s1 + c, 4), acc); acc = madd3(w5, v128.load(s1 + c, 8), acc);
          acc = madd3(w6, v128.load(s2 + c), acc); acc = madd3(w7, v128.load(s2 + c, 4), acc); acc = madd3(w8, v128.load(s2 + c, 8), acc);
          v128.store(d + c, bias != 0 ? f32x4.add(acc, bv) : acc);
          if (col + 4 >= ow) break;
        }
      }
    }
    for (; r < oh; r++) {
      const s0 = src + bytes(r * wp), s1 = s0 + bytes(wp), s2 = s1 + bytes(wp), d = out + bytes(r * ow);
      for (let col = 0; col < ow; col++) {
        const c = bytes(col);
        let acc: f32 = load<f32>(wo) * load<f32>(s0 + c);
        for (let t = 1; t < 9; t++) {
          const row = t < 3 ? s0 : t < 6 ? s1 : s2, kj = t - (t / 3) * 3;
          acc += load<f32>(wo + bytes(t)) * load<f32>(row + c + bytes(kj));
        }
        store<f32>(d + c, bias != 0 ? acc + b : acc);
      }
    }
    if (act != 0) activateRows(out, 0, 1, P, act, alpha);
    if (pool) {
      const at = bytes((img * cOut + o) * poh * pow);
      maxPool2dForward(out, y + at, argmax != 0 ? argmax + at : 0, 1, 1, oh, ow, 2, 2, 2, 2, 0, 0, 1, 1, poh, pow);
    }
  }
}

/** Floats of the direct path's padded image (0 without padding). */
@inline function directPadFloats(h: i32, wIn: i32, ph: i32, pw: i32): i32 {
  return ph > 0 || pw > 0 ? roundUp((h + 2 * ph) * (wIn + 2 * pw), 4) : 0;
}

@inline function madd3(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Bytes of workspace one part of conv2dBackwardInputPart needs: packed Wᵀ, a padded image, a B block, a dcol block. */
export function conv2dBackwardInputWorkspace(dy: usize, w: usize, dx: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                             cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                             padH: i32, padW: i32, dilH: i32, dilW: i32): usize {
  if (n <= 0 || cIn <= 0 || h <= 0 || wIn <= 0 || cOut <= 0) return 0;
  if (!setGeometry(cIn, h, wIn, kh, kw, strideH, strideW, padH, padW, dilH, dilW)) return 0;
  if (winogradBackwardApplies(cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW)) {
    return winogradBackwardDataWorkspace(n, cIn, h, wIn, cOut, padH, padW);
  }
  const P = gOh * gOw, K = cIn * kh * kw;
  const ncb = min(roundUp(P, NR), max(NR, DCOL_FLOATS / K / NR * NR));
  const xpFloats = padH > 0 || padW > 0 ? roundUp(cIn * gHp * gWp, 4) : 0;
  return bytes(roundUp(K, MR) * cOut + xpFloats + min(cOut, KC) * ncb + K * ncb);
}

/**
 * Whether backward input runs by Winograd (winograd.ts winogradBackwardData, the forward's
 * transforms transposed): a 3×3 stride-1 convolution whose cOut (the products' depth) the forward
 * would take that way, with padding ≤ 2. MNIST conv2 at batch 32, one thread: 4.36 ms by im2col,
 * 2.88 ms as a Winograd forward convolution of dy with the flipped weights (until 2026-12-02), and
 * 2.14–2.26 ms transposed (36 tiles an image instead of 49; ARCHITECTURE.md).
 */
function winogradBackwardApplies(cOut: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32): bool {
  return winogradApplies(cOut, kh, kw, sh, sw, dh, dw) && ph <= 2 && pw <= 2;
}

/**
 * Bytes of the transformed weights that conv2dBackwardInputPrepared takes (U', see
 * winogradBackwardData); 0 when backward input does not run by Winograd for this geometry.
 */
export function conv2dBackwardInputPreparedBytes(n: i32, cIn: i32, h: i32, wIn: i32, cOut: i32, kh: i32, kw: i32,
                                                 strideH: i32, strideW: i32, padH: i32, padW: i32, dilH: i32, dilW: i32): usize {
  if (n <= 0 || cIn <= 0 || h <= 0 || wIn <= 0 || cOut <= 0) return 0;
  if (!setGeometry(cIn, h, wIn, kh, kw, strideH, strideW, padH, padW, dilH, dilW)) return 0;
  if (!winogradBackwardApplies(cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW)) return 0;
  return winogradWeightsBytes(cOut, cIn, 3, 3, 1, 1, 1, 1);
}

/**
 * u (conv2dBackwardInputPreparedBytes) = U', the weights transformed for winogradBackwardData,
 * which every part of conv2dBackwardInputPart otherwise makes again for itself.
 */
export function conv2dBackwardInputPrepare(w: usize, cIn: i32, cOut: i32, u: usize): void {
  transformWeightsTransposed(w, cIn, cOut, u);
}

/**
 * conv2dBackwardInput on the Winograd path with U' transformed beforehand (conv2dBackwardInputPrepare
 * into u): the same bits. The pool prepares once per call instead of once per part (kernels.ts).
 */
export function conv2dBackwardInputPrepared(dy: usize, u: usize, dx: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                            cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                            padH: i32, padW: i32, dilH: i32, dilW: i32): void {
  conv2dBackwardInputPreparedPart(dy, u, dx, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, 0, 1);
}

export function conv2dBackwardInputPreparedPart(dy: usize, u: usize, dx: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                                cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                                padH: i32, padW: i32, dilH: i32, dilW: i32, part: i32, parts: i32): void {
  if (conv2dBackwardInputPreparedBytes(n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW) == 0) return;
  winogradBackwardData(dy, 0, u, dx, n, cIn, h, wIn, cOut, padH, padW, splitAt(n, part, parts), splitAt(n, part + 1, parts));
}

/** Bytes of workspace one part of conv2dBackwardInputPreparedPart needs. */
export function conv2dBackwardInputPreparedWorkspace(dy: usize, u: usize, dx: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                                     cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                                     padH: i32, padW: i32, dilH: i32, dilW: i32): usize {
  if (conv2dBackwardInputPreparedBytes(n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW) == 0) return 0;
  return winogradBackwardDataWorkspace(n, cIn, h, wIn, cOut, padH, padW);
}

/**
 * dx[n, cIn, h, w] = gradient of conv2dForward wrt x, given dy[n, cOut, outH, outW] (overwrites dx).
 */
export function conv2dBackwardInput(dy: usize, w: usize, dx: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                    cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                    padH: i32, padW: i32, dilH: i32, dilW: i32): void {
  conv2dBackwardInputPart(dy, w, dx, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, 0, 1);
}

/**
 * Part `part` of `parts` of conv2dBackwardInput: a contiguous run of images (col2im adds
 * overlapping windows into one image, so an image is never split). Bit-identical for any `parts`.
 */
export function conv2dBackwardInputPart(dy: usize, w: usize, dx: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                        cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                        padH: i32, padW: i32, dilH: i32, dilW: i32, part: i32, parts: i32): void {
  if (n <= 0 || cIn <= 0 || h <= 0 || wIn <= 0) return;
  const live = cOut > 0 && setGeometry(cIn, h, wIn, kh, kw, strideH, strideW, padH, padW, dilH, dilW);
  const img0 = splitAt(n, part, parts), img1 = splitAt(n, part + 1, parts);
  if (live && winogradBackwardApplies(cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW)) {
    winogradBackwardData(dy, w, 0, dx, n, cIn, h, wIn, cOut, padH, padW, img0, img1);
    return;
  }
  if (img0 >= img1) return;
  const imageFloats = cIn * h * wIn;
  if (!live) {
    memory.fill(dx + bytes(img0 * imageFloats), 0, bytes((img1 - img0) * imageFloats));
    return;
  }
  const P = gOh * gOw, K = cIn * kh * kw;
  const padded = padH > 0 || padW > 0;
  const mPad = roundUp(K, MR), kcMax = min(cOut, KC);
  const ncb = min(roundUp(P, NR), max(NR, DCOL_FLOATS / K / NR * NR));
  const wpFloats = mPad * cOut, xpFloats = padded ? roundUp(cIn * gHp * gWp, 4) : 0;
  const ws = workspace(bytes(wpFloats + xpFloats + kcMax * ncb + K * ncb));
  const wp = ws, xp = wp + bytes(wpFloats), bp = xp + bytes(xpFloats), dcol = bp + bytes(kcMax * ncb);
  // Wᵀ: row i of op(A) is column i of W (element stride 1), depth co has stride K.
  for (let pc = 0; pc < cOut; pc += KC) {
    gemmPackA(w + bytes(pc * K), 1, <usize>K, K, min(KC, cOut - pc), wp + bytes(mPad * pc));
  }
  for (let img = img0; img < img1; img++) {
    const dxn = dx + bytes(img * imageFloats), dyn = dy + bytes(img * cOut * P);
    const dst = padded ? xp : dxn;
    memory.fill(dst, 0, bytes(padded ? cIn * gHp * gWp : imageFloats));
    for (let j0 = 0; j0 < P; j0 += ncb) {
      const nc = min(ncb, P - j0);
      for (let pc = 0; pc < cOut; pc += KC) {
        const kc = min(KC, cOut - pc);
        gemmPackB(dyn + bytes(pc * P + j0), <usize>P, 1, kc, nc, bp);
        gemmPacked(wp + bytes(mPad * pc), bp, dcol, ncb, K, nc, kc, pc > 0);
      }
      col2im(dcol, ncb, j0, nc, dst);
    }
    if (padded) unpadImage(xp, dxn, cIn, h, wIn, padH, padW);
  }
}

/** Bytes of workspace one part of conv2dBackwardWeightPart needs: a padded image, packed dy rows, one B panel. */
/**
 * The weight gradient is a sum over the batch. It is summed in up to WEIGHT_BLOCKS blocks of
 * consecutive images, fixed by the shape alone: block 0 is summed straight into dw (added to what
 * is there when accumulating), every later block on its own, and those are then added to dw in
 * block order. So its parts can split the batch (each reading only its own images' x and dy, which
 * the threads' earlier parts of the step wrote: the forward, the pools and the maps split the batch
 * too) and still give the same bits for any count of parts. Blocks 1… need a partial sum each
 * (`conv2dBackwardWeightPartials`), bounded by WEIGHT_BLOCK_FLOATS in all; a layer whose dw is
 * larger than that gets one block and splits only its columns, as before.
 * Split over columns alone, MNIST conv2's weight gradient (batch 32) packed all of dy once per
 * part: 6 parts run one after another took 1.06× the whole call.
 */
const WEIGHT_BLOCKS: i32 = 8;
const WEIGHT_BLOCK_FLOATS: i32 = 1 << 20;

/** Floats of one block's partial sum: dw's cOut·K, then dbias's cOut, each rounded up to 4. */
@inline function weightBlockFloats(cOut: i32, K: i32): i32 {
  return roundUp(cOut * K, 4) + roundUp(cOut, 4);
}

/** Image blocks of the weight gradient's sum (see WEIGHT_BLOCKS): a function of the shape only. */
function weightBlocks(n: i32, cOut: i32, K: i32): i32 {
  if (n <= 1 || cOut <= 0 || K <= 0) return 1;
  return min(min(n, WEIGHT_BLOCKS), 1 + WEIGHT_BLOCK_FLOATS / weightBlockFloats(cOut, K));
}

/**
 * Column groups per image block for `parts` parts: the direct path's output channels, the Winograd
 * path's NR-panels of input channels, or im2col's NR-column panels of dw (K = cIn·kh·kw columns).
 */
function weightGroups(blocks: i32, parts: i32, cIn: i32, cOut: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  const K = max(0, cIn) * max(0, kh) * max(0, kw);
  const most = directApplies(cIn, kh, kw, sh, sw, dh, dw) ? cOut
    : winogradApplies(cIn, kh, kw, sh, sw, dh, dw) ? (cIn + NR - 1) / NR : max(1, (K + NR - 1) / NR / PART_MIN_PANELS);
  return max(1, min(most, (parts + blocks - 1) / blocks));
}

export function conv2dBackwardWeightWorkspace(x: usize, dy: usize, dw: usize, dbias: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                              cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                              padH: i32, padW: i32, dilH: i32, dilW: i32, accumulate: i32): usize {
  if (cOut <= 0 || n <= 0) return 0;
  if (!setGeometry(cIn, h, wIn, kh, kw, strideH, strideW, padH, padW, dilH, dilW)) return 0;
  const kcMax = min(gOh * gOw, KC);
  const xpFloats = padH > 0 || padW > 0 ? roundUp(cIn * gHp * gWp, 4) : 0;
  if (directApplies(cIn, kh, kw, strideH, strideW, dilH, dilW)) return bytes(xpFloats + cOut * DIRECT_SUMS);
  if (winogradApplies(cIn, kh, kw, strideH, strideW, dilH, dilW)) return winogradWeightGradWorkspace(cIn, h, wIn, cOut, padH, padW);
  return bytes(xpFloats + roundUp(cOut, MR) * kcMax + kcMax * NR);
}

/** Bytes of the partial sums conv2dBackwardWeightPart writes (its `partials`; 0: none, one image block). */
export function conv2dBackwardWeightPartials(x: usize, dy: usize, dw: usize, dbias: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                             cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                             padH: i32, padW: i32, dilH: i32, dilW: i32, accumulate: i32): usize {
  const K = max(0, cIn) * max(0, kh) * max(0, kw);
  return bytes((weightBlocks(n, cOut, K) - 1) * weightBlockFloats(cOut, K));
}

/**
 * How many parts conv2dBackwardWeightPart has work for when the pool would cut it into `chunks`:
 * every image block, times the column groups that bring the count up to `chunks`.
 */
export function conv2dBackwardWeightUnits(x: usize, dy: usize, dw: usize, dbias: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                          cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                          padH: i32, padW: i32, dilH: i32, dilW: i32, accumulate: i32, chunks: i32): i32 {
  const K = max(0, cIn) * max(0, kh) * max(0, kw), blocks = weightBlocks(n, cOut, K);
  return blocks * weightGroups(blocks, chunks, cIn, cOut, kh, kw, strideH, strideW, dilH, dilW);
}

/**
 * dw[cOut, cIn, kh, kw] and dbias[cOut] (dbias = 0: none) = gradients of conv2dForward given x and dy,
 * summed over the batch; added to the existing values when accumulate != 0, else overwritten.
 * The image blocks one after another (WEIGHT_BLOCKS), each later one summed in the workspace and
 * added to dw at once: the bits of conv2dBackwardWeightPart + conv2dBackwardWeightSum.
 */
export function conv2dBackwardWeight(x: usize, dy: usize, dw: usize, dbias: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                     cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                     padH: i32, padW: i32, dilH: i32, dilW: i32, accumulate: i32): void {
  if (cOut <= 0) return;
  const K = max(0, cIn) * max(0, kh) * max(0, kw), blocks = weightBlocks(n, cOut, K);
  // a later block's sum goes right after the scratch weightUnit asks for (the same size again)
  const unit = (conv2dBackwardWeightWorkspace(x, dy, dw, dbias, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW,
    padH, padW, dilH, dilW, accumulate) + 15) & ~(<usize>15);
  const partial = blocks > 1 ? workspace(unit + bytes(weightBlockFloats(cOut, K))) + unit : 0;
  for (let b = 0; b < blocks; b++) {
    const into = b == 0 ? dw : partial, intoBias = b == 0 || dbias == 0 ? dbias : partial + bytes(roundUp(cOut * K, 4));
    weightUnit(x, dy, into, intoBias, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW,
      b == 0 ? accumulate : 0, b, blocks, 0, 1);
    if (b > 0) addBlocks(partial, dw, dbias, cOut, K, 1);
  }
}

/**
 * Part `part` of `parts` of conv2dBackwardWeight, for the pool: the units are (image block, column
 * group), blocks outer (conv2dBackwardWeightUnits), in contiguous runs per part. Block 0 goes into
 * dw and dbias, block b ≥ 1 into its partial sum at `partials` (conv2dBackwardWeightPartials bytes);
 * conv2dBackwardWeightSum then adds those to dw in block order. Bit-identical for any `parts`.
 */
export function conv2dBackwardWeightPart(x: usize, dy: usize, dw: usize, dbias: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                         cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                         padH: i32, padW: i32, dilH: i32, dilW: i32, accumulate: i32, partials: usize,
                                         part: i32, parts: i32): void {
  if (cOut <= 0) return;
  const K = max(0, cIn) * max(0, kh) * max(0, kw), blocks = weightBlocks(n, cOut, K);
  const groups = weightGroups(blocks, parts, cIn, cOut, kh, kw, strideH, strideW, dilH, dilW);
  const units = blocks * groups, u0 = splitAt(units, part, parts), u1 = splitAt(units, part + 1, parts);
  const stride = bytes(weightBlockFloats(cOut, K));
  for (let u = u0; u < u1; u++) {
    const b = u / groups;
    const into = b == 0 ? dw : partials + <usize>(b - 1) * stride;
    const intoBias = b == 0 || dbias == 0 ? dbias : into + bytes(roundUp(cOut * K, 4));
    weightUnit(x, dy, into, intoBias, n, cIn, h, wIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW,
      b == 0 ? accumulate : 0, b, blocks, u % groups, groups);
  }
}

/** After every part of conv2dBackwardWeightPart: dw and dbias += the partial sums of blocks 1…, in block order. */
export function conv2dBackwardWeightSum(x: usize, dy: usize, dw: usize, dbias: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                                        cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                                        padH: i32, padW: i32, dilH: i32, dilW: i32, accumulate: i32, partials: usize): void {
  if (cOut <= 0) return;
  const K = max(0, cIn) * max(0, kh) * max(0, kw);
  addBlocks(partials, dw, dbias, cOut, K, weightBlocks(n, cOut, K) - 1);
}

/** dw (and dbias, unless 0) += `count` partial sums laid out weightBlockFloats apart from `src`, in order. */
function addBlocks(src: usize, dw: usize, dbias: usize, cOut: i32, K: i32, count: i32): void {
  const stride = bytes(weightBlockFloats(cOut, K)), biasAt = bytes(roundUp(cOut * K, 4));
  for (let b = 0; b < count; b++) {
    addInto(dw, src + <usize>b * stride, cOut * K);
    if (dbias != 0) addInto(dbias, src + <usize>b * stride + biasAt, cOut);
  }
}

/** dst[i] += src[i] for i < count (elementwise, so the bits do not depend on the vector width). */
function addInto(dst: usize, src: usize, count: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= count; i += 4) v128.store(dst + bytes(i), f32x4.add(v128.load(dst + bytes(i)), v128.load(src + bytes(i))));
  }
  for (; i < count; i++) store<f32>(dst + bytes(i), load<f32>(dst + bytes(i)) + load<f32>(src + bytes(i)));
}

/**
 * Image block `block` of `blocks` summed into dw / dbias (row stride K, as dw), restricted to column
 * group `group` of `groups`: a run of dw's NR-column panels and of dbias's entries, or on the direct
 * path a run of output channels. accumulate: add to what is there, else overwrite.
 */
function weightUnit(x: usize, dy: usize, dw: usize, dbias: usize, n: i32, cIn: i32, h: i32, wIn: i32,
                    cOut: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
                    padH: i32, padW: i32, dilH: i32, dilW: i32, accumulate: i32,
                    block: i32, blocks: i32, group: i32, groups: i32): void {
  const K = max(0, cIn) * max(0, kh) * max(0, kw);
  const img0 = splitAt(n, block, blocks), img1 = splitAt(n, block + 1, blocks);
  const direct = directApplies(cIn, kh, kw, strideH, strideW, dilH, dilW);
  const co0 = splitAt(cOut, group, groups), co1 = splitAt(cOut, group + 1, groups);
  const panels = (K + NR - 1) / NR;
  const k0 = direct ? 0 : splitAt(panels, group, groups) * NR, k1 = direct ? K : min(K, splitAt(panels, group + 1, groups) * NR);
  const r0 = direct ? co0 : 0, r1 = direct ? co1 : cOut; // dw rows this unit writes
  const live = img0 < img1 && setGeometry(cIn, h, wIn, kh, kw, strideH, strideW, padH, padW, dilH, dilW);
  if (!live) {
    if (accumulate == 0) {
      for (let co = r0; co < r1 && k0 < k1; co++) memory.fill(dw + bytes(co * K + k0), 0, bytes(k1 - k0));
      if (dbias != 0 && co0 < co1) memory.fill(dbias + bytes(co0), 0, bytes(co1 - co0));
    }
    return;
  }
  const P = gOh * gOw;
  if (dbias != 0) {
    for (let co = co0; co < co1; co++) {
      let s: f32 = accumulate != 0 ? load<f32>(dbias + bytes(co)) : 0;
      for (let img = img0; img < img1; img++) s += sum(dy + bytes((img * cOut + co) * P), P);
      store<f32>(dbias + bytes(co), s);
    }
  }
  if (direct) {
    if (co0 < co1) directWeightGrad(x, dy, dw, img0, img1, cOut, h, wIn, padH, padW, co0, co1, accumulate);
    return;
  }
  if (winogradApplies(cIn, kh, kw, strideH, strideW, dilH, dilW)) {
    const cPanels = (cIn + NR - 1) / NR; // a group's input channels: whole NR-panels of the products' columns
    const c0 = splitAt(cPanels, group, groups) * NR, c1 = min(cIn, splitAt(cPanels, group + 1, groups) * NR);
    if (c0 < c1) winogradWeightGrad(x, dy, dw, img0, img1, cIn, h, wIn, cOut, padH, padW, accumulate != 0, c0, c1);
    return;
  }
  if (k0 >= k1) return;
  const padded = padH > 0 || padW > 0;
  const mPad = roundUp(cOut, MR), kcMax = min(P, KC);
  const xpFloats = padded ? roundUp(cIn * gHp * gWp, 4) : 0;
  const ws = workspace(bytes(xpFloats + mPad * kcMax + kcMax * NR));
  const xp = ws, ap = xp + bytes(xpFloats), bp = ap + bytes(mPad * kcMax);
  for (let img = img0; img < img1; img++) {
    let src = x + bytes(img * cIn * h * wIn);
    const dyn = dy + bytes(img * cOut * P);
    if (padded) {
      padImage(src, xp, cIn, h, wIn, padH, padW);
      src = xp;
    }
    for (let p0 = 0; p0 < P; p0 += KC) {
      const kc = min(KC, P - p0), acc = accumulate != 0 || img > img0 || p0 > 0;
      gemmPackA(dyn + bytes(p0), <usize>P, 1, cOut, kc, ap);
      for (let kb = k0; kb < k1; kb += NR) {
        packColTPanel(src, kb, p0, kc, bp);
        gemmPacked(ap, bp, dw + bytes(kb), K, cOut, min(NR, K - kb), kc, acc);
      }
    }
  }
}

/** Floats per output channel of directWeightGrad's running sums: 9 vectors (SIMD builds), then 9 scalars from DIRECT_SCALARS. */
const DIRECT_SUMS: i32 = 48; // 36 + 9, padded so every channel's vectors stay 16-byte aligned
const DIRECT_SCALARS: i32 = 36;

/**
 * dw[co, 0, i, j] (+)= Σ_images Σ_(r, c) dy[img, co, r, c] · xpad[img, 0, r + i, c + j] for the
 * output channels [co0, co1) of a one-input-channel 3×3 stride-1 convolution (directApplies), read
 * in place. im2col + GEMM packed the whole batch's 9 × n·P columns and dy's rows again in every
 * part: MNIST conv1's weight gradient (dy 2.8 MB at batch 32) was mostly that copying, and its
 * parts duplicated it. Images outer (each padded once), channels inner, each channel's nine running
 * sums kept in the workspace between images (vectors in the SIMD builds: vectorTaps; scalars where
 * a row is narrower than a vector, and in the scalar build: scalarTaps). Each channel's order is
 * fixed, so any split of the channels gives the same bits.
 */
function directWeightGrad(x: usize, dy: usize, dw: usize, img0: i32, img1: i32, cOut: i32, h: i32, wIn: i32, ph: i32, pw: i32,
                          co0: i32, co1: i32, accumulate: i32): void {
  const oh = gOh, ow = gOw, P = oh * ow, wp = gWp;
  const padded = ph > 0 || pw > 0, xpFloats = padded ? roundUp(gHp * wp, 4) : 0;
  const ws = workspace(bytes(xpFloats + (co1 - co0) * DIRECT_SUMS));
  const sums = ws + bytes(xpFloats);
  memory.fill(sums, 0, bytes((co1 - co0) * DIRECT_SUMS));
  for (let img = img0; img < img1; img++) {
    let src = x + bytes(img * h * wIn);
    if (padded) {
      padImage(src, ws, 1, h, wIn, ph, pw);
      src = ws;
    }
    for (let co = co0; co < co1; co++) {
      const d = dy + bytes((img * cOut + co) * P), acc = sums + bytes((co - co0) * DIRECT_SUMS);
      if (ASC_FEATURE_SIMD && ow >= 4) vectorTaps(src, d, wp, oh, ow, acc);
      else scalarTaps(src, d, wp, oh, ow, acc + bytes(DIRECT_SCALARS));
    }
  }
  for (let co = co0; co < co1; co++) {
    const acc = sums + bytes((co - co0) * DIRECT_SUMS), out = dw + bytes(co * 9);
    for (let t = 0; t < 9; t++) {
      const v = acc + bytes(4 * t);
      const s: f32 = ((load<f32>(v) + load<f32>(v, 4)) + (load<f32>(v, 8) + load<f32>(v, 12))) + load<f32>(acc + bytes(DIRECT_SCALARS + t));
      store<f32>(out + bytes(t), accumulate != 0 ? load<f32>(out + bytes(t)) + s : s);
    }
  }
}

/** directWeightGrad for one image and channel, one output at a time: t[0 … 8] += the taps. */
function scalarTaps(src: usize, d: usize, wp: i32, oh: i32, ow: i32, t: usize): void {
  let t0 = load<f32>(t), t1 = load<f32>(t, 4), t2 = load<f32>(t, 8), t3 = load<f32>(t, 12), t4 = load<f32>(t, 16);
  let t5 = load<f32>(t, 20), t6 = load<f32>(t, 24), t7 = load<f32>(t, 28), t8 = load<f32>(t, 32);
  for (let r = 0; r < oh; r++) {
    const s0 = src + bytes(r * wp), s1 = s0 + bytes(wp), s2 = s1 + bytes(wp), d0 = d + bytes(r * ow);
    for (let c = 0; c < ow; c++) {
      const e = load<f32>(d0 + bytes(c)), o = bytes(c);
      t0 += e * load<f32>(s0 + o); t1 += e * load<f32>(s0 + o, 4); t2 += e * load<f32>(s0 + o, 8);
      t3 += e * load<f32>(s1 + o); t4 += e * load<f32>(s1 + o, 4); t5 += e * load<f32>(s1 + o, 8);
      t6 += e * load<f32>(s2 + o); t7 += e * load<f32>(s2 + o, 4); t8 += e * load<f32>(s2 + o, 8);
    }
  }
  store<f32>(t, t0); store<f32>(t, t1, 4); store<f32>(t, t2, 8); store<f32>(t, t3, 12); store<f32>(t, t4, 16);
  store<f32>(t, t5, 20); store<f32>(t, t6, 24); store<f32>(t, t7, 28); store<f32>(t, t8, 32);
}

/**
 * directWeightGrad for one image and channel (ow ≥ 4), 4 output columns per vector: acc[0 … 8]
 * (v128 each) += the taps. One kernel row at a time: its three taps' sums stay in registers with
 * the one dy vector and three input vectors they need, and a second set of three for every other
 * vector keeps six chains of dependent adds in flight. All nine sums at once, with two output rows
 * per step sharing their input rows (likely more live vectors than x64's 16 registers), were
 * slower: MNIST conv1's weight gradient at batch 32 went 654 → 523 µs (SIMD) and 668 → 495 µs
 * (relaxed; 684 µs with one set of three, the FMA's latency), alternating in one process. A row's
 * last ow mod 4 columns are the last vector's (it overlaps the one before, as the direct
 * forward's), its products masked to the new lanes: the mask is applied to the product, so no
 * covered lane is counted twice and no 0 · ∞ appears.
 */
function vectorTaps(src: usize, d: usize, wp: i32, oh: i32, ow: i32, acc: usize): void {
  const vec = ow & ~3, last = bytes(ow - 4);
  // lanes of the last vector that the vectors before it did not cover (all lanes when ow is a multiple of 4: not used then)
  const tail = i32x4.gt_s(i32x4(ow - 4, ow - 3, ow - 2, ow - 1), i32x4.splat(vec - 1));
  for (let i = 0; i < 3; i++) {
    const at = acc + bytes(12 * i); // taps 3i, 3i + 1, 3i + 2
    let a0 = v128.load(at), a1 = v128.load(at, 16), a2 = v128.load(at, 32);
    // a second set of sums for every other vector: six chains of dependent adds instead of three
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0);
    for (let r = 0; r < oh; r++) {
      const s = src + bytes((r + i) * wp), e = d + bytes(r * ow);
      let c = 0;
      for (; c + 8 <= vec; c += 8) {
        const o = bytes(c), ev = v128.load(e + o), fv = v128.load(e + o, 16);
        a0 = madd3(ev, v128.load(s + o), a0); a1 = madd3(ev, v128.load(s + o, 4), a1); a2 = madd3(ev, v128.load(s + o, 8), a2);
        b0 = madd3(fv, v128.load(s + o, 16), b0); b1 = madd3(fv, v128.load(s + o, 20), b1); b2 = madd3(fv, v128.load(s + o, 24), b2);
      }
      if (c < vec) {
        const o = bytes(c), ev = v128.load(e + o);
        a0 = madd3(ev, v128.load(s + o), a0); a1 = madd3(ev, v128.load(s + o, 4), a1); a2 = madd3(ev, v128.load(s + o, 8), a2);
      }
      if (vec < ow) {
        const ev = v128.load(e + last), q = s + last;
        a0 = f32x4.add(a0, v128.and(f32x4.mul(ev, v128.load(q)), tail));
        a1 = f32x4.add(a1, v128.and(f32x4.mul(ev, v128.load(q, 4)), tail));
        a2 = f32x4.add(a2, v128.and(f32x4.mul(ev, v128.load(q, 8)), tail));
      }
    }
    v128.store(at, f32x4.add(a0, b0)); v128.store(at, f32x4.add(a1, b1), 16); v128.store(at, f32x4.add(a2, b2), 32);
  }
}
