// float64 references for assembly/optim.ts, following torch.optim.SGD / Adam / AdamW
// (single-tensor path). State arrays are updated in place like the kernels'.

export interface SgdOptions { lr: number; momentum: number; weightDecay: number; nesterov: boolean }

export function sgdStep(p: Float64Array, g: ArrayLike<number>, v: Float64Array, o: SgdOptions): void {
  for (let i = 0; i < p.length; i++) {
    let d = g[i] + o.weightDecay * p[i];
    if (o.momentum !== 0) {
      v[i] = o.momentum * v[i] + d;
      d = o.nesterov ? d + o.momentum * v[i] : v[i];
    }
    p[i] -= o.lr * d;
  }
}

export interface AdamOptions { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean }

export function adamStep(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, step: number, o: AdamOptions): void {
  const bc1 = 1 - o.beta1 ** step, bc2 = 1 - o.beta2 ** step;
  for (let i = 0; i < p.length; i++) {
    let d = g[i];
    if (o.decoupled) p[i] *= 1 - o.lr * o.weightDecay;
    else d += o.weightDecay * p[i];
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * d;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * d * d;
    p[i] -= (o.lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + o.eps);
  }
}
