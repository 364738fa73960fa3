// Batch normalisation and layer normalisation, forward and backward, fused: one pass for the
// statistics and one for the output (forward), one pass for the gradient sums and one for dx
// (backward), instead of a chain of elementwise ops with a temporary per step.
//
// BatchNorm sees x as [n, c, hw] (BatchNorm1d: hw = 1; BatchNorm2d: hw = H·W) and normalises each
// channel over its n·hw values. With hw > 1 each (sample, channel) plane is contiguous, so the
// SIMD lanes run along the plane; with hw = 1 (BatchNorm1d on [n, c]) the lanes run across
// channels instead. Statistics are taken about a shift (the channel's first value), which keeps
// the one-pass variance Σ(x−s)²/m − (Σ(x−s)/m)² accurate when |mean| ≫ std. Plane sums run in
// f32x4 lanes and are added into f64 per plane, so the rounding error is that of one plane.
//
// LayerNorm normalises each of `rows` rows of `d` values (the trailing dimensions) with its own
// mean and biased variance; rows sit in cache, so it takes two passes over a row for the
// statistics (mean, then Σ(x − mean)²).
//
// Kernels are stateless: the statistics buffers (mean, invstd) and gradient sums are the
// caller's. `gamma`/`beta` (or their gradients) are 0 when the layer has no affine parameters.

@inline function hsum(v: v128): f64 {
  return (<f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1)) +
    (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
}

@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/**
 * y[i] = (x[i] − mu)·a + b for i < len. (Subtracting the mean first costs one op in a memory-bound
 * loop and avoids the cancellation of x·a − mu·a when |mean| ≫ std.)
 */
@inline function affine(x: usize, y: usize, len: i32, mu: f32, a: f32, b: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(mu), va = f32x4.splat(a), vb = f32x4.splat(b);
    for (; i + 4 <= len; i += 4) v128.store(at(y, i), f32x4.add(f32x4.mul(f32x4.sub(v128.load(at(x, i)), vm), va), vb));
  }
  for (; i < len; i++) store<f32>(at(y, i), (load<f32>(at(x, i)) - mu) * a + b);
}

// ---------------------------------------------------------------------------------------------
// BatchNorm

/**
 * Per channel of x [n, c, hw]: mean[ch] and var (biased) written as invstd[ch] = 1/√(var + eps);
 * returns nothing. With runMean ≠ 0, also running = (1 − momentum)·running + momentum·batch, the
 * running variance taking the unbiased variance (m/(m − 1)·var), as PyTorch. m = n·hw ≥ 2.
 */
function batchStats(x: usize, mean: usize, invstd: usize, runMean: usize, runVar: usize,
                    n: i32, c: i32, hw: i32, eps: f32, momentum: f32): void {
  const m = <f64>n * <f64>hw;
  if (hw == 1) {
    // BatchNorm1d: lanes across channels; mean[] holds Σ(x − s) and invstd[] Σ(x − s)² meanwhile,
    // with s = the first row.
    const rowBytes = <usize>c << 2;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= c; j += 4) {
        const s = v128.load(at(x, j));
        let s1 = f32x4.splat(0), s2 = s1;
        for (let r = 1; r < n; r++) {
          const d = f32x4.sub(v128.load(at(x + <usize>r * rowBytes, j)), s);
          s1 = f32x4.add(s1, d);
          s2 = f32x4.add(s2, f32x4.mul(d, d));
        }
        v128.store(at(mean, j), s1);
        v128.store(at(invstd, j), s2);
      }
    }
    for (; j < c; j++) {
      const s = load<f32>(at(x, j));
      let s1: f32 = 0, s2: f32 = 0;
      for (let r = 1; r < n; r++) {
        const d = load<f32>(at(x + <usize>r * rowBytes, j)) - s;
        s1 += d;
        s2 += d * d;
      }
      store<f32>(at(mean, j), s1);
      store<f32>(at(invstd, j), s2);
    }
    for (let ch = 0; ch < c; ch++) {
      const d = <f64>load<f32>(at(mean, ch)) / m;
      const v = max<f64>(<f64>load<f32>(at(invstd, ch)) / m - d * d, 0);
      finishChannel(ch, <f64>load<f32>(at(x, ch)) + d, v, m, mean, invstd, runMean, runVar, eps, momentum);
    }
    return;
  }
  const planeBytes = <usize>hw << 2, stride = <usize>c * planeBytes;
  for (let ch = 0; ch < c; ch++) {
    const base = x + <usize>ch * planeBytes;
    const s = load<f32>(base);
    let t1: f64 = 0, t2: f64 = 0;
    for (let r = 0; r < n; r++) {
      const p = base + <usize>r * stride;
      let i = 0;
      if (ASC_FEATURE_SIMD) {
        const vs = f32x4.splat(s);
        let a1 = f32x4.splat(0), a2 = a1, b1 = a1, b2 = a1;
        for (; i + 8 <= hw; i += 8) {
          const d0 = f32x4.sub(v128.load(at(p, i)), vs), d1 = f32x4.sub(v128.load(at(p, i), 16), vs);
          a1 = f32x4.add(a1, d0); a2 = f32x4.add(a2, f32x4.mul(d0, d0));
          b1 = f32x4.add(b1, d1); b2 = f32x4.add(b2, f32x4.mul(d1, d1));
        }
        for (; i + 4 <= hw; i += 4) {
          const d0 = f32x4.sub(v128.load(at(p, i)), vs);
          a1 = f32x4.add(a1, d0); a2 = f32x4.add(a2, f32x4.mul(d0, d0));
        }
        t1 += hsum(f32x4.add(a1, b1));
        t2 += hsum(f32x4.add(a2, b2));
      }
      let u1: f32 = 0, u2: f32 = 0;
      for (; i < hw; i++) {
        const d = load<f32>(at(p, i)) - s;
        u1 += d; u2 += d * d;
      }
      t1 += <f64>u1; t2 += <f64>u2;
    }
    const d = t1 / m;
    finishChannel(ch, <f64>s + d, max<f64>(t2 / m - d * d, 0), m, mean, invstd, runMean, runVar, eps, momentum);
  }
}

@inline function finishChannel(ch: i32, mu: f64, v: f64, m: f64, mean: usize, invstd: usize,
                               runMean: usize, runVar: usize, eps: f32, momentum: f32): void {
  store<f32>(at(mean, ch), <f32>mu);
  store<f32>(at(invstd, ch), <f32>(1 / Math.sqrt(v + <f64>eps)));
  if (runMean != 0) {
    const k = <f64>momentum;
    store<f32>(at(runMean, ch), <f32>((1 - k) * <f64>load<f32>(at(runMean, ch)) + k * mu));
    store<f32>(at(runVar, ch), <f32>((1 - k) * <f64>load<f32>(at(runVar, ch)) + k * v * m / (m - 1)));
  }
}

/**
 * BatchNorm forward on x [n, c, hw] into y (may alias x).
 * training ≠ 0: normalise with the batch's statistics (written to mean/invstd, which backward
 * reads) and, when runMean ≠ 0, update the running statistics with `momentum`; needs n·hw ≥ 2.
 * training = 0: normalise with the running statistics (mean/invstd get them, for backward).
 * y = (x − mean)·invstd·gamma + beta.
 */
export function batchNormForward(x: usize, y: usize, gamma: usize, beta: usize, mean: usize, invstd: usize,
                                 runMean: usize, runVar: usize, n: i32, c: i32, hw: i32,
                                 eps: f32, momentum: f32, training: i32): void {
  if (training) {
    batchStats(x, mean, invstd, runMean, runVar, n, c, hw, eps, momentum);
  } else {
    for (let ch = 0; ch < c; ch++) {
      store<f32>(at(mean, ch), load<f32>(at(runMean, ch)));
      store<f32>(at(invstd, ch), <f32>(1 / Math.sqrt(<f64>load<f32>(at(runVar, ch)) + <f64>eps)));
    }
  }
  if (hw == 1) {
    // y = (x − mean)·a + b with per-channel a = invstd·gamma, b = beta; lanes across channels.
    const rowBytes = <usize>c << 2;
    for (let r = 0; r < n; r++) {
      const xr = x + <usize>r * rowBytes, yr = y + <usize>r * rowBytes;
      let j = 0;
      if (ASC_FEATURE_SIMD) {
        for (; j + 4 <= c; j += 4) {
          let a = v128.load(at(invstd, j));
          if (gamma != 0) a = f32x4.mul(a, v128.load(at(gamma, j)));
          let h = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), v128.load(at(mean, j))), a);
          if (beta != 0) h = f32x4.add(h, v128.load(at(beta, j)));
          v128.store(at(yr, j), h);
        }
      }
      for (; j < c; j++) {
        let a = load<f32>(at(invstd, j));
        if (gamma != 0) a = a * load<f32>(at(gamma, j));
        let h = (load<f32>(at(xr, j)) - load<f32>(at(mean, j))) * a;
        if (beta != 0) h = h + load<f32>(at(beta, j));
        store<f32>(at(yr, j), h);
      }
    }
    return;
  }
  const planeBytes = <usize>hw << 2;
  for (let ch = 0; ch < c; ch++) {
    const g: f32 = gamma != 0 ? load<f32>(at(gamma, ch)) : 1;
    const a = load<f32>(at(invstd, ch)) * g;
    const b: f32 = beta != 0 ? load<f32>(at(beta, ch)) : 0;
    const mu = load<f32>(at(mean, ch));
    for (let r = 0; r < n; r++) {
      const o = (<usize>r * c + ch) * planeBytes;
      affine(x + o, y + o, hw, mu, a, b);
    }
  }
}

/**
 * BatchNorm backward. Writes dgamma[ch] = Σ dy·x̂ and dbeta[ch] = Σ dy (always: they are the
 * sums dx needs too; the caller adds them into the parameters' gradients), and, when dx ≠ 0,
 *   batchStats ≠ 0 (train mode): dx = gamma·invstd·(dy − dbeta/m − x̂·dgamma/m)
 *   batchStats = 0 (eval mode):  dx = gamma·invstd·dy
 * with x̂ = (x − mean)·invstd from the forward's mean/invstd. dx may alias dy.
 */
export function batchNormBackward(x: usize, dy: usize, dx: usize, gamma: usize, mean: usize, invstd: usize,
                                  dgamma: usize, dbeta: usize, n: i32, c: i32, hw: i32, batchStats: i32): void {
  const m = <f64>n * <f64>hw;
  if (hw == 1) {
    const rowBytes = <usize>c << 2;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= c; j += 4) {
        const mu = v128.load(at(mean, j));
        let s1 = f32x4.splat(0), s2 = s1;
        for (let r = 0; r < n; r++) {
          const g = v128.load(at(dy + <usize>r * rowBytes, j));
          s1 = f32x4.add(s1, g);
          s2 = f32x4.add(s2, f32x4.mul(g, f32x4.sub(v128.load(at(x + <usize>r * rowBytes, j)), mu)));
        }
        v128.store(at(dbeta, j), s1);
        v128.store(at(dgamma, j), f32x4.mul(s2, v128.load(at(invstd, j))));
      }
    }
    for (; j < c; j++) {
      const mu = load<f32>(at(mean, j));
      let s1: f32 = 0, s2: f32 = 0;
      for (let r = 0; r < n; r++) {
        const g = load<f32>(at(dy + <usize>r * rowBytes, j));
        s1 += g;
        s2 += g * (load<f32>(at(x + <usize>r * rowBytes, j)) - mu);
      }
      store<f32>(at(dbeta, j), s1);
      store<f32>(at(dgamma, j), s2 * load<f32>(at(invstd, j)));
    }
    if (dx == 0) return;
    // dx = gamma·invstd·(dy − dbeta/m − x̂·dgamma/m), lanes across channels.
    const im = <f32>(1 / m);
    for (let r = 0; r < n; r++) {
      const xr = x + <usize>r * rowBytes, gr = dy + <usize>r * rowBytes, dr = dx + <usize>r * rowBytes;
      j = 0;
      if (ASC_FEATURE_SIMD) {
        const vim = f32x4.splat(im);
        for (; j + 4 <= c; j += 4) {
          const is = v128.load(at(invstd, j));
          const a = gamma != 0 ? f32x4.mul(v128.load(at(gamma, j)), is) : is;
          let g = v128.load(at(gr, j));
          if (batchStats) {
            const h = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), v128.load(at(mean, j))), is);
            g = f32x4.sub(f32x4.sub(g, f32x4.mul(v128.load(at(dbeta, j)), vim)), f32x4.mul(h, f32x4.mul(v128.load(at(dgamma, j)), vim)));
          }
          v128.store(at(dr, j), f32x4.mul(a, g));
        }
      }
      for (; j < c; j++) {
        const is = load<f32>(at(invstd, j));
        const a = gamma != 0 ? load<f32>(at(gamma, j)) * is : is;
        let g = load<f32>(at(gr, j));
        if (batchStats) {
          const h = (load<f32>(at(xr, j)) - load<f32>(at(mean, j))) * is;
          g = (g - load<f32>(at(dbeta, j)) * im) - h * (load<f32>(at(dgamma, j)) * im);
        }
        store<f32>(at(dr, j), a * g);
      }
    }
    return;
  }
  const planeBytes = <usize>hw << 2, stride = <usize>c * planeBytes;
  for (let ch = 0; ch < c; ch++) {
    const mu = load<f32>(at(mean, ch));
    let t1: f64 = 0, t2: f64 = 0;
    for (let r = 0; r < n; r++) {
      const o = <usize>ch * planeBytes + <usize>r * stride;
      const p = x + o, q = dy + o;
      let i = 0;
      if (ASC_FEATURE_SIMD) {
        const vm = f32x4.splat(mu);
        let a1 = f32x4.splat(0), a2 = a1, b1 = a1, b2 = a1;
        for (; i + 8 <= hw; i += 8) {
          const g0 = v128.load(at(q, i)), g1 = v128.load(at(q, i), 16);
          a1 = f32x4.add(a1, g0); a2 = f32x4.add(a2, f32x4.mul(g0, f32x4.sub(v128.load(at(p, i)), vm)));
          b1 = f32x4.add(b1, g1); b2 = f32x4.add(b2, f32x4.mul(g1, f32x4.sub(v128.load(at(p, i), 16), vm)));
        }
        for (; i + 4 <= hw; i += 4) {
          const g0 = v128.load(at(q, i));
          a1 = f32x4.add(a1, g0); a2 = f32x4.add(a2, f32x4.mul(g0, f32x4.sub(v128.load(at(p, i)), vm)));
        }
        t1 += hsum(f32x4.add(a1, b1));
        t2 += hsum(f32x4.add(a2, b2));
      }
      let u1: f32 = 0, u2: f32 = 0;
      for (; i < hw; i++) {
        const g = load<f32>(at(q, i));
        u1 += g; u2 += g * (load<f32>(at(p, i)) - mu);
      }
      t1 += <f64>u1; t2 += <f64>u2;
    }
    store<f32>(at(dbeta, ch), <f32>t1);
    store<f32>(at(dgamma, ch), <f32>(t2 * <f64>load<f32>(at(invstd, ch))));
  }
  if (dx == 0) return;
  for (let ch = 0; ch < c; ch++) {
    // dx = dy·a + (x − mean)·b + k: the formula expanded, with a = gamma·invstd,
    // b = −a·invstd·dgamma/m, k = −a·dbeta/m (train mode); eval mode: b = k = 0.
    const ga: f64 = gamma != 0 ? <f64>load<f32>(at(gamma, ch)) : 1;
    const is = <f64>load<f32>(at(invstd, ch));
    const a64 = ga * is;
    const a = <f32>a64;
    const b = batchStats ? <f32>(-a64 * is * <f64>load<f32>(at(dgamma, ch)) / m) : <f32>0;
    const k = batchStats ? <f32>(-a64 * <f64>load<f32>(at(dbeta, ch)) / m) : <f32>0;
    const mu = load<f32>(at(mean, ch));
    for (let r = 0; r < n; r++) {
      const o = <usize>ch * planeBytes + <usize>r * stride;
      const p = x + o, q = dy + o, d = dx + o;
      let i = 0;
      if (ASC_FEATURE_SIMD) {
        const va = f32x4.splat(a), vb = f32x4.splat(b), vk = f32x4.splat(k), vm = f32x4.splat(mu);
        for (; i + 4 <= hw; i += 4) {
          v128.store(at(d, i), f32x4.add(f32x4.mul(v128.load(at(q, i)), va), f32x4.add(f32x4.mul(f32x4.sub(v128.load(at(p, i)), vm), vb), vk)));
        }
      }
      for (; i < hw; i++) store<f32>(at(d, i), load<f32>(at(q, i)) * a + ((load<f32>(at(p, i)) - mu) * b + k));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// LayerNorm

/**
 * Normalises each of `rows` rows of d values: y = (x − mean)·invstd·gamma + beta with the row's
 * mean and biased variance; writes mean[r] and invstd[r] = 1/√(var + eps) for backward. y may
 * alias x.
 */
export function layerNormForward(x: usize, y: usize, gamma: usize, beta: usize, mean: usize, invstd: usize,
                                 rows: i32, d: i32, eps: f32): void {
  const rowBytes = <usize>d << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, yr = y + <usize>r * rowBytes;
    let i = 0;
    let total: f64 = 0;
    if (ASC_FEATURE_SIMD) {
      let s = f32x4.splat(0);
      for (; i + 4 <= d; i += 4) s = f32x4.add(s, v128.load(at(xr, i)));
      total = hsum(s);
    }
    for (; i < d; i++) total += <f64>load<f32>(at(xr, i));
    const mu = <f32>(total / d);
    i = 0;
    let sq: f64 = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(mu);
      let s = f32x4.splat(0);
      for (; i + 4 <= d; i += 4) { const t = f32x4.sub(v128.load(at(xr, i)), vm); s = f32x4.add(s, f32x4.mul(t, t)); }
      sq = hsum(s);
    }
    for (; i < d; i++) { const t = load<f32>(at(xr, i)) - mu; sq += <f64>(t * t); }
    const is = <f32>(1 / Math.sqrt(sq / d + <f64>eps));
    store<f32>(at(mean, r), mu);
    store<f32>(at(invstd, r), is);
    i = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(mu), vi = f32x4.splat(is);
      for (; i + 4 <= d; i += 4) {
        let h = f32x4.mul(f32x4.sub(v128.load(at(xr, i)), vm), vi);
        if (gamma != 0) h = f32x4.mul(h, v128.load(at(gamma, i)));
        if (beta != 0) h = f32x4.add(h, v128.load(at(beta, i)));
        v128.store(at(yr, i), h);
      }
    }
    for (; i < d; i++) {
      let h = (load<f32>(at(xr, i)) - mu) * is;
      if (gamma != 0) h = h * load<f32>(at(gamma, i));
      if (beta != 0) h = h + load<f32>(at(beta, i));
      store<f32>(at(yr, i), h);
    }
  }
}

/**
 * LayerNorm backward. Adds Σ_rows dy·x̂ into dgamma and Σ_rows dy into dbeta (each when ≠ 0; the
 * caller zeroes them first or passes the gradients to accumulate into), and, when dx ≠ 0, writes
 * dx = invstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·gamma. dx may alias dy.
 */
export function layerNormBackward(x: usize, dy: usize, dx: usize, gamma: usize, mean: usize, invstd: usize,
                                  dgamma: usize, dbeta: usize, rows: i32, d: i32): void {
  const rowBytes = <usize>d << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, gr = dy + <usize>r * rowBytes;
    const mu = load<f32>(at(mean, r)), is = load<f32>(at(invstd, r));
    let i = 0;
    let s1: f64 = 0, s2: f64 = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(mu), vi = f32x4.splat(is);
      let a1 = f32x4.splat(0), a2 = a1;
      for (; i + 4 <= d; i += 4) {
        const dyv = v128.load(at(gr, i));
        const h = f32x4.mul(f32x4.sub(v128.load(at(xr, i)), vm), vi);
        if (dgamma != 0) v128.store(at(dgamma, i), f32x4.add(v128.load(at(dgamma, i)), f32x4.mul(dyv, h)));
        if (dbeta != 0) v128.store(at(dbeta, i), f32x4.add(v128.load(at(dbeta, i)), dyv));
        const g = gamma != 0 ? f32x4.mul(dyv, v128.load(at(gamma, i))) : dyv;
        a1 = f32x4.add(a1, g);
        a2 = f32x4.add(a2, f32x4.mul(g, h));
      }
      s1 = hsum(a1); s2 = hsum(a2);
    }
    for (; i < d; i++) {
      const dyv = load<f32>(at(gr, i));
      const h = (load<f32>(at(xr, i)) - mu) * is;
      if (dgamma != 0) store<f32>(at(dgamma, i), load<f32>(at(dgamma, i)) + dyv * h);
      if (dbeta != 0) store<f32>(at(dbeta, i), load<f32>(at(dbeta, i)) + dyv);
      const g = gamma != 0 ? dyv * load<f32>(at(gamma, i)) : dyv;
      s1 += <f64>g; s2 += <f64>(g * h);
    }
    if (dx == 0) continue;
    const m1 = <f32>(s1 / d), m2 = <f32>(s2 / d);
    const dr = dx + <usize>r * rowBytes;
    i = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(mu), vi = f32x4.splat(is), v1 = f32x4.splat(m1), v2 = f32x4.splat(m2);
      for (; i + 4 <= d; i += 4) {
        const dyv = v128.load(at(gr, i));
        const h = f32x4.mul(f32x4.sub(v128.load(at(xr, i)), vm), vi);
        const g = gamma != 0 ? f32x4.mul(dyv, v128.load(at(gamma, i))) : dyv;
        v128.store(at(dr, i), f32x4.mul(vi, f32x4.sub(f32x4.sub(g, v1), f32x4.mul(h, v2))));
      }
    }
    for (; i < d; i++) {
      const dyv = load<f32>(at(gr, i));
      const h = (load<f32>(at(xr, i)) - mu) * is;
      const g = gamma != 0 ? dyv * load<f32>(at(gamma, i)) : dyv;
      store<f32>(at(dr, i), is * ((g - m1) - h * m2));
    }
  }
}
