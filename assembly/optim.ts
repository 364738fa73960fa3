// Optimiser updates, in place over flat parameter / gradient / state arrays of n floats, with
// PyTorch's semantics (torch.optim.SGD, Adam, AdamW; single-tensor, non-fused path) so results
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
