// GEMM: C[m,n] (+)= op(A)[m,k] · op(B)[k,n], op = identity or transpose.
//
// BLIS-style blocking: B is packed into panels of NR columns (KC deep), A into panels
// of MR rows, and a register-blocked MR×NR micro-kernel runs over the panels.
//
// The tile is 4×8 in the SIMD builds. V8's TurboFan issues every load of an iteration before
// the arithmetic, so the live v128 values are accumulators + B vectors + A broadcasts; x64 has
// 15 allocatable xmm registers. 6×8 needs 20 and 5×8 needs 17: both spill accumulators to the
// stack, and the store→load→FMA chain caps the loop (micro-kernel alone, k = 256, Node 20:
// 6×8 relaxed 38.6, 5×8 relaxed 36.6 GFLOP/s). 4×8 needs 14 and reaches 55–57 GFLOP/s with
// relaxed_madd (FMA) and 41.5 with mul + add. The scalar build uses a 4×4 tile.
// Edge tiles run the same kernel into a small scratch tile and merge the valid part,
// so the micro-kernel has no branches on tile size.

import { workspace, edgeTile } from './workspace';
import { activateRows } from './elementwise';

const NR: i32 = ASC_FEATURE_SIMD ? 8 : 4;
const MR: i32 = 4;
const KC: i32 = 256; // one B micro-panel (KC×NR floats = 8 KiB) stays in L1
const MC: i32 = MR * 16; // one packed A block (MC×KC) stays in L2
const NC: i32 = 1024; // bounds the packed B block (KC×NC floats = 1 MiB)
/** Narrowest part of a split GEMM, columns or rows (gemmRange). */
const PART_MIN: i32 = 64;

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** MR×NR tile of C (row stride ldc bytes) (+)= packed A panel [kc][MR] · packed B panel [kc][NR]. */
function microKernel(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, accumulate: bool): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
    let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    for (let k = 0; k < kc; k++) {
      const b0 = v128.load(bp), b1 = v128.load(bp, 16);
      let a = v128.load32_splat(ap);
      c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
      a = v128.load32_splat(ap, 4);
      c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
      a = v128.load32_splat(ap, 8);
      c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
      a = v128.load32_splat(ap, 12);
      c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
      ap += 16;
      bp += 32;
    }
    if (accumulate) {
      c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16)); c += ldc;
      c10 = f32x4.add(c10, v128.load(c)); c11 = f32x4.add(c11, v128.load(c, 16)); c += ldc;
      c20 = f32x4.add(c20, v128.load(c)); c21 = f32x4.add(c21, v128.load(c, 16)); c += ldc;
      c30 = f32x4.add(c30, v128.load(c)); c31 = f32x4.add(c31, v128.load(c, 16));
      c -= ldc * 3;
    }
    v128.store(c, c00); v128.store(c, c01, 16); c += ldc;
    v128.store(c, c10); v128.store(c, c11, 16); c += ldc;
    v128.store(c, c20); v128.store(c, c21, 16); c += ldc;
    v128.store(c, c30); v128.store(c, c31, 16);
  } else {
    let c00: f32 = 0, c01: f32 = 0, c02: f32 = 0, c03: f32 = 0;
    let c10: f32 = 0, c11: f32 = 0, c12: f32 = 0, c13: f32 = 0;
    let c20: f32 = 0, c21: f32 = 0, c22: f32 = 0, c23: f32 = 0;
    let c30: f32 = 0, c31: f32 = 0, c32: f32 = 0, c33: f32 = 0;
    for (let k = 0; k < kc; k++) {
      const b0 = load<f32>(bp), b1 = load<f32>(bp, 4), b2 = load<f32>(bp, 8), b3 = load<f32>(bp, 12);
      let a = load<f32>(ap);
      c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
      a = load<f32>(ap, 4);
      c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
      a = load<f32>(ap, 8);
      c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
      a = load<f32>(ap, 12);
      c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
      ap += 16;
      bp += 16;
    }
    if (accumulate) {
      c00 += load<f32>(c); c01 += load<f32>(c, 4); c02 += load<f32>(c, 8); c03 += load<f32>(c, 12); c += ldc;
      c10 += load<f32>(c); c11 += load<f32>(c, 4); c12 += load<f32>(c, 8); c13 += load<f32>(c, 12); c += ldc;
      c20 += load<f32>(c); c21 += load<f32>(c, 4); c22 += load<f32>(c, 8); c23 += load<f32>(c, 12); c += ldc;
      c30 += load<f32>(c); c31 += load<f32>(c, 4); c32 += load<f32>(c, 8); c33 += load<f32>(c, 12);
      c -= ldc * 3;
    }
    store<f32>(c, c00); store<f32>(c, c01, 4); store<f32>(c, c02, 8); store<f32>(c, c03, 12); c += ldc;
    store<f32>(c, c10); store<f32>(c, c11, 4); store<f32>(c, c12, 8); store<f32>(c, c13, 12); c += ldc;
    store<f32>(c, c20); store<f32>(c, c21, 4); store<f32>(c, c22, 8); store<f32>(c, c23, 12); c += ldc;
    store<f32>(c, c30); store<f32>(c, c31, 4); store<f32>(c, c32, 8); store<f32>(c, c33, 12);
  }
}

/**
 * Packs rows [i0, i0+mc) × depth [p0, p0+kc) of op(A) into MR-row panels laid out [panel][k][MR],
 * zero-filling rows past mc. (rs, cs) are the element strides of op(A) along rows and depth.
 */
function packA(a: usize, rs: usize, cs: usize, mc: i32, kc: i32, dst: usize): void {
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    const src = a + <usize>i * rs * 4;
    if (rows == MR && cs == 1) {
      // op(A) is row-major: read MR rows along k, 4 depth steps at a time transposed in registers
      // (SIMD builds), then one by one. A column part of a split GEMM packs all of A, so this copy
      // is repeated per part: scalar, it made 8 parts of 64×784·784×256 cost 1.21× the whole call.
      let k0 = 0;
      if (ASC_FEATURE_SIMD) {
        const step = rs * 4;
        let s = src, d = dst;
        for (; k0 + 4 <= kc; k0 += 4) {
          transpose4x4(s, step, d, <usize>MR << 2);
          s += 16; d += <usize>(4 * MR) << 2;
        }
      }
      for (let r = 0; r < MR; r++) {
        let s = src + <usize>r * rs * 4 + (<usize>k0 << 2), d = dst + (<usize>r << 2) + (<usize>(k0 * MR) << 2);
        for (let k = k0; k < kc; k++) {
          store<f32>(d, load<f32>(s));
          s += 4; d += <usize>MR << 2;
        }
      }
    } else if (ASC_FEATURE_SIMD && rows == MR && rs == 1) {
      // op(A) is column-major (A transposed): each depth step's MR rows are contiguous.
      let s = src, d = dst;
      for (let k = 0; k < kc; k++) {
        v128.store(d, v128.load(s));
        s += cs * 4; d += <usize>MR << 2;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const s = src + <usize>k * cs * 4, d = dst + (<usize>(k * MR) << 2);
        let r = 0;
        for (; r < rows; r++) store<f32>(d + (<usize>r << 2), load<f32>(s + <usize>r * rs * 4));
        for (; r < MR; r++) store<f32>(d + (<usize>r << 2), 0);
      }
    }
    dst += <usize>(MR * kc) << 2;
  }
}

/**
 * Packs depth [p0, p0+kc) × columns [j0, j0+nc) of op(B) into NR-column panels laid out
 * [panel][k][NR], zero-filling columns past nc. (rs, cs) are the element strides of op(B)
 * along depth and columns.
 */
function packB(b: usize, rs: usize, cs: usize, kc: i32, nc: i32, dst: usize): void {
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const src = b + <usize>j * cs * 4;
    if (cols == NR && cs == 1) {
      // op(B) is row-major: each k row of the panel is NR contiguous floats.
      let s = src, d = dst;
      for (let k = 0; k < kc; k++) {
        if (ASC_FEATURE_SIMD) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
        } else {
          store<f32>(d, load<f32>(s)); store<f32>(d, load<f32>(s, 4), 4);
          store<f32>(d, load<f32>(s, 8), 8); store<f32>(d, load<f32>(s, 12), 12);
        }
        s += rs * 4; d += <usize>NR << 2;
      }
    } else if (cols == NR) {
      // op(B) is column-major (B transposed, a Dense weight): 4 depth steps of 8 columns at a time,
      // transposed in registers (SIMD builds), then each column walked contiguously for the rest.
      let k0 = 0;
      if (ASC_FEATURE_SIMD && rs == 1) {
        const step = cs * 4;
        let s = src, d = dst;
        for (; k0 + 4 <= kc; k0 += 4) {
          transpose4x4(s, step, d, <usize>NR << 2);
          transpose4x4(s + 4 * step, step, d + 16, <usize>NR << 2);
          s += 16; d += <usize>(4 * NR) << 2;
        }
      }
      for (let c = 0; c < NR; c++) {
        let s = src + <usize>c * cs * 4 + <usize>k0 * rs * 4, d = dst + (<usize>c << 2) + (<usize>(k0 * NR) << 2);
        for (let k = k0; k < kc; k++) {
          store<f32>(d, load<f32>(s));
          s += rs * 4; d += <usize>NR << 2;
        }
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const s = src + <usize>k * rs * 4, d = dst + (<usize>(k * NR) << 2);
        let c = 0;
        for (; c < cols; c++) store<f32>(d + (<usize>c << 2), load<f32>(s + <usize>c * cs * 4));
        for (; c < NR; c++) store<f32>(d + (<usize>c << 2), 0);
      }
    }
    dst += <usize>(NR * kc) << 2;
  }
}

/** Bytes of workspace one part of gemmPart needs (the same for every part): a packed B block and a packed A block. */
export function gemmWorkspace(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32,
                              transA: bool, transB: bool, accumulate: bool, bias: usize): usize {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const kcMax = min(KC, k), ncMax = min(NC, n);
  return (<usize>(kcMax * ((ncMax + NR - 1) / NR * NR)) << 2) + (<usize>(kcMax * MC) << 2);
}

/**
 * C[m,n] = op(A)[m,k] · op(B)[k,n] (+ C when accumulate) (+ bias[n] broadcast over rows when bias != 0).
 * A is stored [m,k] (or [k,m] when transA), B is [k,n] (or [n,k] when transB), C is [m,n]; all dense row-major.
 */
export function gemm(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32,
                     transA: bool, transB: bool, accumulate: bool, bias: usize): void {
  gemmPart(a, b, c, m, n, k, transA, transB, accumulate, bias, 0, 1);
}

/**
 * Part `part` of `parts` of gemm(): one block of C's columns (or rows), cut on NR-column (MR-row)
 * tile boundaries, so every element of C is computed by the same tile and the same sequence of
 * operations whatever the number of parts: the results are bit-identical for any `parts`. Columns
 * are split when n ≥ m (each part then packs all of A, the smaller operand to repeat), rows
 * otherwise, and always the side with at least `parts` tiles when one has fewer.
 */
export function gemmPart(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32,
                         transA: bool, transB: bool, accumulate: bool, bias: usize, part: i32, parts: i32): void {
  gemmRange(a, b, c, m, n, k, transA, transB, accumulate, bias, part, parts, 0, 0);
}

/**
 * C[m,n] = act(op(A)·op(B) + bias) for inference (no accumulate): gemm() with the activation
 * fused into the store of each output tile (act: elementwise.ts's ACT_ codes, alpha the leaky
 * slope or ELU α). Bit for bit gemm() followed by the activation kernel.
 */
export function gemmAct(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32,
                        transA: bool, transB: bool, bias: usize, act: i32, alpha: f32): void {
  gemmRange(a, b, c, m, n, k, transA, transB, false, bias, 0, 1, act, alpha);
}

/**
 * Part `part` of `parts` of gemmAct(): gemmPart's split of C (the activation is elementwise, so it
 * rides along with each part's tiles): bit-identical for any `parts`.
 */
export function gemmActPart(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, transA: bool, transB: bool,
                            bias: usize, act: i32, alpha: f32, part: i32, parts: i32): void {
  gemmRange(a, b, c, m, n, k, transA, transB, false, bias, part, parts, act, alpha);
}

/** Bytes of workspace gemmAct (and one part of gemmActPart) needs (same arguments). */
export function gemmActWorkspace(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32,
                                 transA: bool, transB: bool, bias: usize, act: i32, alpha: f32): usize {
  return gemmWorkspace(a, b, c, m, n, k, transA, transB, false, bias);
}

/** Whether a split of an m×n product into `parts` cuts columns (NR panels) rather than rows (MR tiles). */
@inline function splitsColumns(m: i32, n: i32, parts: i32): bool {
  const tm = (m + MR - 1) / MR, tn = (n + NR - 1) / NR;
  return (n >= m && tn >= parts) || tm < parts;
}

/**
 * How many of `parts` parts of an m×n product (gemmPart, gemmActPart) get tiles: each takes at
 * least PART_MIN columns (rows), the rest are empty. Every part packs its own copy of the operand it
 * does not split (all of A for a column part), so narrow parts multiply that work: with packA's
 * scalar copy, parts 1 / 2 / 4 / 6 / 8 of the Dense forward 32×1600·128×1600ᵀ took 1 / 1.18 / 1.29
 * / 1.39 / 1.52× the whole call's time, run one after another. Its SIMD copy brought 6 parts of
 * the bench's GEMMs to 1.00–1.04× the whole call (Aᵀ·B the most). The pool cuts a job into no more
 * chunks than this (bindings/threads/kernels.ts), so the threads' home runs share the tiles evenly.
 */
export function gemmParts(m: i32, n: i32, parts: i32): i32 {
  if (parts <= 1) return 1;
  return min(parts, max(1, (splitsColumns(m, n, parts) ? n : m) / PART_MIN));
}

function gemmRange(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, transA: bool, transB: bool,
                   accumulate: bool, bias: usize, part: i32, parts: i32, act: i32, alpha: f32): void {
  if (m <= 0 || n <= 0) return;
  let i0 = 0, i1 = m, j0 = 0, j1 = n;
  if (parts > 1) {
    const tm = (m + MR - 1) / MR, tn = (n + NR - 1) / NR;
    const byCols = splitsColumns(m, n, parts);
    const used = gemmParts(m, n, parts); // the first `used` parts get tiles; the rest are empty
    if (part >= used) return;
    if (byCols) {
      j0 = min(n, <i32>(<i64>tn * part / used) * NR);
      j1 = min(n, <i32>(<i64>tn * (part + 1) / used) * NR);
    } else {
      i0 = min(m, <i32>(<i64>tm * part / used) * MR);
      i1 = min(m, <i32>(<i64>tm * (part + 1) / used) * MR);
    }
    if (i0 >= i1 || j0 >= j1) return;
  }
  const mb = i1 - i0, nb = j1 - j0;
  if (bias != 0) {
    for (let i = i0; i < i1; i++) {
      const row = c + ((<usize>i * n + j0) << 2);
      if (accumulate) addRow(row, bias + (<usize>j0 << 2), nb); else memory.copy(row, bias + (<usize>j0 << 2), <usize>nb << 2);
    }
    accumulate = true;
  }
  if (k <= 0) {
    if (!accumulate) {
      for (let i = i0; i < i1; i++) memory.fill(c + ((<usize>i * n + j0) << 2), 0, <usize>nb << 2);
    }
    if (act != 0) activateRows(c + ((<usize>i0 * n + j0) << 2), <usize>n << 2, mb, nb, act, alpha);
    return;
  }
  // Element strides of op(A) (rows, depth) and op(B) (depth, columns).
  const ars = <usize>(transA ? 1 : k), acs = <usize>(transA ? m : 1);
  const brs = <usize>(transB ? 1 : n), bcs = <usize>(transB ? k : 1);
  if (mb == 1) {
    // one row (batch-1 inference, its backward): B read in place, nothing packed
    gemvRow(a + (<usize>i0 * ars << 2), acs, b + (<usize>j0 * bcs << 2), brs, bcs, c + ((<usize>i0 * n + j0) << 2), nb, k,
      accumulate, act, alpha);
    return;
  }
  const kcMax = min(KC, k), ncMax = min(NC, nb);
  const bBytes = <usize>(kcMax * ((ncMax + NR - 1) / NR * NR)) << 2;
  const ws = workspace(bBytes + (<usize>(kcMax * MC) << 2));
  const bp = ws, ap = ws + bBytes;
  a += <usize>i0 * ars << 2;
  b += <usize>j0 * bcs << 2;
  c += (<usize>i0 * n + j0) << 2;

  for (let jc = 0; jc < nb; jc += NC) {
    const nc = min(NC, nb - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(b + ((<usize>pc * brs + <usize>jc * bcs) << 2), brs, bcs, kc, nc, bp);
      for (let ic = 0; ic < mb; ic += MC) {
        const mc = min(MC, mb - ic);
        packA(a + ((<usize>ic * ars + <usize>pc * acs) << 2), ars, acs, mc, kc, ap);
        gemmPacked(ap, bp, c + ((<usize>ic * n + jc) << 2), n, mc, nc, kc, accumulate || pc > 0,
          pc + kc >= k ? act : 0, alpha);
      }
    }
  }
}

/**
 * c[0, n) (+)= a · op(B) for one row a (element stride as along depth), B read in place with
 * strides (brs along depth, bcs along columns): no packing, which for one row costs more than the
 * product. Each column runs the micro-kernel's own sequence — the lane of a vector across NR
 * columns, madd over each KC block from zero in depth order, that block's sum added to C — so the
 * result is bit for bit gemm()'s (tested against gemm on every build).
 */
function gemvRow(a: usize, as: usize, b: usize, brs: usize, bcs: usize, c: usize, n: i32, k: i32,
                 accumulate: bool, act: i32, alpha: f32): void {
  const aStep = as << 2, bStep = brs << 2, colStep = bcs << 2;
  for (let j = 0; j < n; j += NR) {
    const cols = min(NR, n - j);
    const bj = b + <usize>j * colStep, cj = c + (<usize>j << 2);
    if (ASC_FEATURE_SIMD && brs == 1 && bcs != 1 && j + 2 * NR <= n) {
      gemvRowT16(a, aStep, bj, colStep, cj, k, accumulate, act, alpha);
      j += NR; // and NR more by the loop
      continue;
    }
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc), add = accumulate || pc > 0;
      let ap = a + <usize>pc * aStep, bp = bj + <usize>pc * bStep;
      if (ASC_FEATURE_SIMD) {
        let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
        if (cols == NR && bcs == 1) {
          for (let p = 0; p < kc; p++) {
            const av = v128.load32_splat(ap);
            c0 = madd(av, v128.load(bp), c0); c1 = madd(av, v128.load(bp, 16), c1);
            ap += aStep; bp += bStep;
          }
        } else {
          let p = 0;
          if (cols == NR && brs == 1) {
            // B transposed (a Dense weight [n, k]): see gemvRowT16
            for (; p + 4 <= kc; p += 4) {
              const a0 = v128.load32_splat(ap), a1 = v128.load32_splat(ap + aStep);
              const a2 = v128.load32_splat(ap + 2 * aStep), a3 = v128.load32_splat(ap + 3 * aStep);
              c0 = madd4T(bp, colStep, a0, a1, a2, a3, c0);
              c1 = madd4T(bp + 4 * colStep, colStep, a0, a1, a2, a3, c1);
              ap += 4 * aStep; bp += 16;
            }
          }
          // columns apart or fewer than NR (and the depth tail): gather the lanes, zeros past n
          for (; p < kc; p++) {
            const av = v128.load32_splat(ap);
            c0 = madd(av, gather4(bp, colStep, cols), c0);
            c1 = madd(av, gather4(bp + 4 * colStep, colStep, cols - 4), c1);
            ap += aStep; bp += bStep;
          }
        }
        if (cols == NR) {
          if (add) { c0 = f32x4.add(c0, v128.load(cj)); c1 = f32x4.add(c1, v128.load(cj, 16)); }
          v128.store(cj, c0); v128.store(cj, c1, 16);
        } else {
          storeLanes(cj, c0, c1, cols, add);
        }
      } else {
        // the scalar build's 4-column micro-kernel: acc += a·b per column
        for (let l = 0; l < cols; l++) {
          let acc: f32 = 0, ap2 = ap, bp2 = bp + <usize>l * colStep;
          for (let p = 0; p < kc; p++) {
            acc += load<f32>(ap2) * load<f32>(bp2);
            ap2 += aStep; bp2 += bStep;
          }
          const d = cj + (<usize>l << 2);
          store<f32>(d, add ? acc + load<f32>(d) : acc);
        }
      }
    }
    if (act != 0) activateRows(cj, 0, 1, cols, act, alpha);
  }
}

/**
 * gemvRow for 16 columns of a transposed B (a Dense weight [n, k]: each column contiguous along
 * depth), SIMD builds. Four depth steps at a time, 4 floats of each column transposed in registers
 * into the lanes of those steps (madd4T), then the same madds in the same order as one step at a
 * time, so the bits are gemvRow's. Sixteen columns, not eight: each column's sum is one chain of
 * dependent madds, and four chains (not two) keep the FMA latency of the relaxed build hidden
 * (Dense 1600→128 at batch 1, relaxed: 43 µs with two chains, the same as gathering lanes).
 */
function gemvRowT16(a: usize, aStep: usize, b: usize, colStep: usize, c: usize, k: i32, accumulate: bool, act: i32, alpha: f32): void {
  const g1 = 4 * colStep, g2 = 8 * colStep, g3 = 12 * colStep;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    let ap = a + <usize>pc * aStep, bp = b + (<usize>pc << 2);
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const a0 = v128.load32_splat(ap), a1 = v128.load32_splat(ap + aStep);
      const a2 = v128.load32_splat(ap + 2 * aStep), a3 = v128.load32_splat(ap + 3 * aStep);
      c0 = madd4T(bp, colStep, a0, a1, a2, a3, c0);
      c1 = madd4T(bp + g1, colStep, a0, a1, a2, a3, c1);
      c2 = madd4T(bp + g2, colStep, a0, a1, a2, a3, c2);
      c3 = madd4T(bp + g3, colStep, a0, a1, a2, a3, c3);
      ap += 4 * aStep; bp += 16;
    }
    for (; p < kc; p++) {
      const av = v128.load32_splat(ap);
      c0 = madd(av, gather4(bp, colStep, 4), c0);
      c1 = madd(av, gather4(bp + g1, colStep, 4), c1);
      c2 = madd(av, gather4(bp + g2, colStep, 4), c2);
      c3 = madd(av, gather4(bp + g3, colStep, 4), c3);
      ap += aStep; bp += 4;
    }
    if (accumulate || pc > 0) {
      c0 = f32x4.add(c0, v128.load(c)); c1 = f32x4.add(c1, v128.load(c, 16));
      c2 = f32x4.add(c2, v128.load(c, 32)); c3 = f32x4.add(c3, v128.load(c, 48));
    }
    v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
  }
  if (act != 0) activateRows(c, 0, 1, 16, act, alpha);
}

/**
 * acc after four madds with a0 … a3 against depth steps 0 … 3 of 4 transposed columns at q
 * (column l at q + l·step, 4 consecutive floats each): a 4×4 transpose in registers.
 */
@inline function madd4T(q: usize, step: usize, a0: v128, a1: v128, a2: v128, a3: v128, acc: v128): v128 {
  const r0 = v128.load(q), r1 = v128.load(q + step), r2 = v128.load(q + 2 * step), r3 = v128.load(q + 3 * step);
  const lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  acc = madd(a0, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5), acc);
  acc = madd(a1, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7), acc);
  acc = madd(a2, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5), acc);
  return madd(a3, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7), acc);
}

/**
 * 4 floats of each of 4 rows at p (rows step bytes apart), stored transposed: 4 rows of 4 at d,
 * dStep bytes apart; two rounds of shuffles in registers. (broadcast.ts's transpose uses it too.)
 */
@inline export function transpose4x4(p: usize, step: usize, d: usize, dStep: usize): void {
  const r0 = v128.load(p), r1 = v128.load(p + step), r2 = v128.load(p + 2 * step), r3 = v128.load(p + 3 * step);
  const lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5));
  v128.store(d + dStep, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7));
  v128.store(d + 2 * dStep, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5));
  v128.store(d + 3 * dStep, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7));
}

/** Lanes 0–3 at p, p + step, … for the lanes < count (count may be ≤ 0 or ≥ 4), zeros for the rest. */
@inline function gather4(p: usize, step: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  if (count > 0) v = v128.load32_lane(p, v, 0);
  if (count > 1) v = v128.load32_lane(p + step, v, 1);
  if (count > 2) v = v128.load32_lane(p + 2 * step, v, 2);
  if (count > 3) v = v128.load32_lane(p + 3 * step, v, 3);
  return v;
}

/** c[0, cols) = (c +) the first cols lanes of [c0, c1], as mergeTile does for an edge tile. */
@inline function storeLanes(c: usize, c0: v128, c1: v128, cols: i32, add: bool): void {
  if (cols > 0) putLane(c, 0, f32x4.extract_lane(c0, 0), add);
  if (cols > 1) putLane(c, 1, f32x4.extract_lane(c0, 1), add);
  if (cols > 2) putLane(c, 2, f32x4.extract_lane(c0, 2), add);
  if (cols > 3) putLane(c, 3, f32x4.extract_lane(c0, 3), add);
  if (cols > 4) putLane(c, 4, f32x4.extract_lane(c1, 0), add);
  if (cols > 5) putLane(c, 5, f32x4.extract_lane(c1, 1), add);
  if (cols > 6) putLane(c, 6, f32x4.extract_lane(c1, 2), add);
}

@inline function putLane(c: usize, l: i32, v: f32, add: bool): void {
  const d = c + (<usize>l << 2);
  store<f32>(d, add ? load<f32>(d) + v : v);
}

function mergeTile(tile: usize, c: usize, ldc: usize, rows: i32, cols: i32, accumulate: bool): void {
  for (let r = 0; r < rows; r++) {
    const s = tile + (<usize>(r * NR) << 2), d = c + <usize>r * ldc;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(d + o, accumulate ? load<f32>(d + o) + load<f32>(s + o) : load<f32>(s + o));
    }
  }
}

@inline function addRow(dst: usize, src: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

// ---------------------------------------------------------------------------------------------
// Packed-operand entry points, for kernels that pack their own operands: convolution writes
// im2col straight into B panels and packs the weights once per call instead of once per image.
// Layouts are those of packA/packB: A is ceil(m/MR) panels of [k][MR], B is ceil(n/NR) panels
// of [k][NR], both zero-filled past m (n). Values in B columns past n never reach C, so a packer
// may leave anything finite or not there.

export const GEMM_MR: i32 = MR;
export const GEMM_NR: i32 = NR;

/** Packs op(A) rows [0, m) × depth [0, k) (element strides rs along rows, cs along depth) into MR-row panels. */
export function gemmPackA(a: usize, rs: usize, cs: usize, m: i32, k: i32, dst: usize): void {
  packA(a, rs, cs, m, k, dst);
}

/** Packs op(B) depth [0, k) × columns [0, n) (element strides rs along depth, cs along columns) into NR-column panels. */
export function gemmPackB(b: usize, rs: usize, cs: usize, k: i32, n: i32, dst: usize): void {
  packB(b, rs, cs, k, n, dst);
}

/**
 * C[m, n] (row stride ldc floats) (+ C when accumulate) = packed A [m × kc] · packed B [kc × n].
 * Runs the micro-kernel over every B panel (outer) and A panel (inner); no packing. Edge tiles go
 * through this thread's edge-tile scratch (in front of its workspace, see workspace.ts). With act
 * (elementwise.ts's ACT_ codes; only on the last depth block), each finished column panel goes
 * through the activation before the next one.
 */
export function gemmPacked(ap: usize, bp: usize, c: usize, ldc: i32, m: i32, n: i32, kc: i32, accumulate: bool,
                           act: i32 = 0, alpha: f32 = 0): void {
  const ldcBytes = <usize>ldc << 2;
  const tile = edgeTile();
  for (let jr = 0; jr < n; jr += NR) {
    const cols = min(NR, n - jr);
    const bpanel = bp + (<usize>jr * kc << 2);
    for (let ir = 0; ir < m; ir += MR) {
      const rows = min(MR, m - ir);
      const ct = c + ((<usize>ir * ldc + jr) << 2);
      // One call site, a full tile into C or an edge tile into the scratch, so that binaryen inlines
      // the micro-kernel here: called from two sites it stayed a function, and Node 20's V8 ran
      // the SIMD build's mul + add loop 14% slower (GFLOP/s, one thread, the two forms alternating
      // in one process: 64×784·784×256 40.1 → 45.6, 512³ 41.4 → 47.4, Dense 1600→128 at batch 32
      // 39.4 → 45.0; Deno's relaxed build 1.10×; Chromium, Bun and the scalar build 1.00–1.01×,
      // Node's relaxed build 0.98–0.99×; the same bits).
      const full = rows == MR && cols == NR;
      microKernel(kc, ap + (<usize>ir * kc << 2), bpanel, full ? ct : tile, full ? ldcBytes : <usize>NR << 2, full && accumulate);
      if (!full) mergeTile(tile, ct, ldcBytes, rows, cols, accumulate);
    }
    // the fused epilogue: the finished column panel (m × NR, still in L1) through the activation,
    // one call per panel rather than per 4×8 tile (per tile, the calls cost MNIST conv1 ~15%)
    if (act != 0) activateRows(c + (<usize>jr << 2), ldcBytes, m, cols, act, alpha);
  }
}
