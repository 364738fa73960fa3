// Inverted dropout with a counter-based PRNG: element i is kept when hash(seed, i) ≥ p·2²⁴ (on the
// hash's top 24 bits), so the mask depends only on (seed, i, p) — the same in every build, for any
// split of the work, with no state to carry between calls. The binding passes a fresh seed per step.
// hash = lowbias32(lowbias32(i ^ key) + key) with key = lowbias32(seed) (lowbias32: Chris Wellons'
// two-multiply integer finaliser); two rounds so that different seeds do not give shifted copies
// of one stream.

@inline function lowbias32(x: u32): u32 {
  x ^= x >>> 16;
  x *= 0x7feb352d;
  x ^= x >>> 15;
  x *= 0x846ca68b;
  x ^= x >>> 16;
  return x;
}

@inline function lowbias32x4(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x7feb352d));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(0x846ca68b));
  x = v128.xor(x, i32x4.shr_u(x, 16));
  return x;
}

/**
 * y = x · mask and mask[i] = 0 (dropped, probability p) or 1 / (1 − p) (kept), for n floats.
 * p ≤ 0 keeps everything (mask 1); p ≥ 1 drops everything (mask 0).
 */
export function dropoutForward(x: usize, y: usize, mask: usize, n: i32, p: f32, seed: u32): void {
  const key = lowbias32(seed);
  const dropAll = p >= 1;
  const threshold = p > 0 ? <u32>(<f64>p * 16777216.0) : 0;
  const scale: f32 = dropAll ? 0 : <f32>(1.0 / (1.0 - <f64>p));
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const keyv = i32x4.splat(key), scalev = f32x4.splat(scale), thr = i32x4.splat(threshold);
    let idx = i32x4(0, 1, 2, 3);
    const four = i32x4.splat(4);
    for (; i + 4 <= n; i += 4) {
      const h = lowbias32x4(i32x4.add(lowbias32x4(v128.xor(idx, keyv)), keyv));
      const m = v128.and(i32x4.ge_u(i32x4.shr_u(h, 8), thr), scalev);
      const o = <usize>i << 2;
      v128.store(mask + o, m);
      v128.store(y + o, f32x4.mul(v128.load(x + o), m));
      idx = i32x4.add(idx, four);
    }
  }
  for (; i < n; i++) {
    const h = lowbias32(lowbias32(<u32>i ^ key) + key);
    const m: f32 = (h >>> 8) >= threshold ? scale : 0;
    const o = <usize>i << 2;
    store<f32>(mask + o, m);
    store<f32>(y + o, load<f32>(x + o) * m);
  }
}

/** dx = dy · mask (the mask dropoutForward wrote), for n floats. */
export function dropoutBackward(dy: usize, mask: usize, dx: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), v128.load(mask + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dy + o) * load<f32>(mask + o));
  }
}
