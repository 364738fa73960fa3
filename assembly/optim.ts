// Optimiser updates, in place over flat parameter / gradient / state arrays of n floats, with
// PyTorch's semantics (torch.optim.SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta; single-tensor, non-fused path) so results
// and hyper-parameters carry over. State buffers start at zero and are owned by the caller.
// Plain f32 mul/add in both the SIMD and scalar paths (no FMA): the builds agree bit for bit.

const PLAIN = 0, MOMENTUM = 1, NESTEROV = 2;

@inline function sgdLoop(p: usize, g: usize, v: usize, n: i32, lr: f32, momentum: f32, wd: f32, kind: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vmom = f32x4.splat(momentum), vwd = f32x4.splat(wd);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pi = v128.load(p + o);
      let d = f32x4.add(v128.load(g + o), f32x4.mul(vwd, pi));
      if (kind != PLAIN) {
        const vi = f32x4.add(f32x4.mul(vmom, v128.load(v + o)), d);
        v128.store(v + o, vi);
        d = kind == NESTEROV ? f32x4.add(d, f32x4.mul(vmom, vi)) : vi;
      }
      v128.store(p + o, f32x4.sub(pi, f32x4.mul(vlr, d)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    let d = load<f32>(g + o) + wd * pi;
    if (kind != PLAIN) {
      const vi = momentum * load<f32>(v + o) + d;
      store<f32>(v + o, vi);
      d = kind == NESTEROV ? d + momentum * vi : vi;
    }
    store<f32>(p + o, pi - lr * d);
  }
}

/**
 * SGD: d = g + wd·p; if momentum ≠ 0 { v = momentum·v + d; d = nesterov ? d + momentum·v : v };
 * p −= lr·d. v is not touched when momentum is 0.
 */
export function sgdStep(p: usize, g: usize, v: usize, n: i32, lr: f32, momentum: f32, weightDecay: f32, nesterov: i32): void {
  if (momentum == 0) sgdLoop(p, g, v, n, lr, momentum, weightDecay, PLAIN);
  else if (nesterov) sgdLoop(p, g, v, n, lr, momentum, weightDecay, NESTEROV);
  else sgdLoop(p, g, v, n, lr, momentum, weightDecay, MOMENTUM);
}

/**
 * Adam (decoupled = 0: d = g + wd·p) or AdamW (decoupled = 1: p *= 1 − lr·wd first, d = g):
 *   m = β1·m + (1 − β1)·d;  v = β2·v + (1 − β2)·d²
 *   p −= (lr / (1 − β1^step)) · m / (sqrt(v) / sqrt(1 − β2^step) + eps)
 * step counts from 1. The bias corrections are computed once, in f64, as PyTorch does.
 */
export function adamStep(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32, eps: f32,
                         weightDecay: f32, step: i32, decoupled: i32): void {
  const bc1 = 1 - Math.pow(<f64>beta1, <f64>step);
  const bc2 = 1 - Math.pow(<f64>beta2, <f64>step);
  const stepSize = <f32>(<f64>lr / bc1);
  const sqrtBc2 = <f32>Math.sqrt(bc2);
  const b1c = <f32>(1 - <f64>beta1), b2c = <f32>(1 - <f64>beta2);
  const decay: f32 = decoupled ? <f32>(1 - <f64>lr * <f64>weightDecay) : 1;
  const wd: f32 = decoupled ? 0 : weightDecay;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(beta1), vb2 = f32x4.splat(beta2), vb1c = f32x4.splat(b1c), vb2c = f32x4.splat(b2c);
    const vwd = f32x4.splat(wd), vdecay = f32x4.splat(decay), veps = f32x4.splat(eps);
    const vstep = f32x4.splat(stepSize), vsqrtBc2 = f32x4.splat(sqrtBc2);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pi = v128.load(p + o);
      const d = f32x4.add(v128.load(g + o), f32x4.mul(vwd, pi));
      const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vb1c, d));
      const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vb2c, f32x4.mul(d, d)));
      v128.store(m + o, mi);
      v128.store(v + o, vi);
      const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), vsqrtBc2), veps);
      v128.store(p + o, f32x4.sub(f32x4.mul(pi, vdecay), f32x4.mul(vstep, f32x4.div(mi, denom))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    const d = load<f32>(g + o) + wd * pi;
    const mi = beta1 * load<f32>(m + o) + b1c * d;
    const vi = beta2 * load<f32>(v + o) + b2c * (d * d);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    const denom = sqrt<f32>(vi) / sqrtBc2 + eps;
    store<f32>(p + o, pi * decay - stepSize * (mi / denom));
  }
}

/**
 * RMSprop (torch.optim.RMSprop): d = g + wd·p;  sq = α·sq + (1 − α)·d²;
 * centered: ga = α·ga + (1 − α)·d, avg = sqrt(sq − ga²) + eps, else avg = sqrt(sq) + eps;
 * momentum > 0: buf = momentum·buf + d / avg, p −= lr·buf;  else p −= lr·d / avg.
 * ga and buf are read only when centered / momentum > 0.
 */
export function rmspropStep(p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32, lr: f32, alpha: f32, eps: f32,
                            momentum: f32, weightDecay: f32, centered: i32): void {
  const a1 = <f32>(1 - <f64>alpha);
  const useMom = momentum > 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(alpha), va1 = f32x4.splat(a1), vwd = f32x4.splat(weightDecay), veps = f32x4.splat(eps);
    const vlr = f32x4.splat(lr), vmom = f32x4.splat(momentum);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pi = v128.load(p + o);
      const d = f32x4.add(v128.load(g + o), f32x4.mul(vwd, pi));
      const s = f32x4.add(f32x4.mul(va, v128.load(sq + o)), f32x4.mul(va1, f32x4.mul(d, d)));
      v128.store(sq + o, s);
      let avg: v128;
      if (centered) {
        const m = f32x4.add(f32x4.mul(va, v128.load(ga + o)), f32x4.mul(va1, d));
        v128.store(ga + o, m);
        avg = f32x4.add(f32x4.sqrt(f32x4.sub(s, f32x4.mul(m, m))), veps);
      } else {
        avg = f32x4.add(f32x4.sqrt(s), veps);
      }
      let step = f32x4.div(d, avg);
      if (useMom) {
        step = f32x4.add(f32x4.mul(vmom, v128.load(buf + o)), step);
        v128.store(buf + o, step);
      }
      v128.store(p + o, f32x4.sub(pi, f32x4.mul(vlr, step)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    const d = load<f32>(g + o) + weightDecay * pi;
    const s = alpha * load<f32>(sq + o) + a1 * (d * d);
    store<f32>(sq + o, s);
    let avg: f32;
    if (centered) {
      const m = alpha * load<f32>(ga + o) + a1 * d;
      store<f32>(ga + o, m);
      avg = sqrt<f32>(s - m * m) + eps;
    } else {
      avg = sqrt<f32>(s) + eps;
    }
    let step = d / avg;
    if (useMom) {
      step = momentum * load<f32>(buf + o) + step;
      store<f32>(buf + o, step);
    }
    store<f32>(p + o, pi - lr * step);
  }
}

/**
 * Adagrad (torch.optim.Adagrad): d = g + wd·p;  sum += d²;  p −= clr · d / (sqrt(sum) + eps),
 * where the caller passes clr = lr / (1 + (step − 1)·lrDecay).
 */
export function adagradStep(p: usize, g: usize, sum: usize, n: i32, clr: f32, eps: f32, weightDecay: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vclr = f32x4.splat(clr), vwd = f32x4.splat(weightDecay), veps = f32x4.splat(eps);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pi = v128.load(p + o);
      const d = f32x4.add(v128.load(g + o), f32x4.mul(vwd, pi));
      const s = f32x4.add(v128.load(sum + o), f32x4.mul(d, d));
      v128.store(sum + o, s);
      v128.store(p + o, f32x4.sub(pi, f32x4.mul(vclr, f32x4.div(d, f32x4.add(f32x4.sqrt(s), veps)))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    const d = load<f32>(g + o) + weightDecay * pi;
    const s = load<f32>(sum + o) + d * d;
    store<f32>(sum + o, s);
    store<f32>(p + o, pi - clr * (d / (sqrt<f32>(s) + eps)));
  }
}

/**
 * Adadelta (torch.optim.Adadelta): d = g + wd·p;  sq = ρ·sq + (1 − ρ)·d²;
 * delta = sqrt(acc + eps) / sqrt(sq + eps) · d;  acc = ρ·acc + (1 − ρ)·delta²;  p −= lr·delta.
 */
export function adadeltaStep(p: usize, g: usize, sq: usize, acc: usize, n: i32, lr: f32, rho: f32, eps: f32, weightDecay: f32): void {
  const r1 = <f32>(1 - <f64>rho);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vr = f32x4.splat(rho), vr1 = f32x4.splat(r1), vwd = f32x4.splat(weightDecay), veps = f32x4.splat(eps), vlr = f32x4.splat(lr);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pi = v128.load(p + o);
      const d = f32x4.add(v128.load(g + o), f32x4.mul(vwd, pi));
      const s = f32x4.add(f32x4.mul(vr, v128.load(sq + o)), f32x4.mul(vr1, f32x4.mul(d, d)));
      v128.store(sq + o, s);
      const a = v128.load(acc + o);
      const delta = f32x4.mul(f32x4.div(f32x4.sqrt(f32x4.add(a, veps)), f32x4.sqrt(f32x4.add(s, veps))), d);
      v128.store(acc + o, f32x4.add(f32x4.mul(vr, a), f32x4.mul(vr1, f32x4.mul(delta, delta))));
      v128.store(p + o, f32x4.sub(pi, f32x4.mul(vlr, delta)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    const d = load<f32>(g + o) + weightDecay * pi;
    const s = rho * load<f32>(sq + o) + r1 * (d * d);
    store<f32>(sq + o, s);
    const a = load<f32>(acc + o);
    const delta = sqrt<f32>(a + eps) / sqrt<f32>(s + eps) * d;
    store<f32>(acc + o, rho * a + r1 * (delta * delta));
    store<f32>(p + o, pi - lr * delta);
  }
}
