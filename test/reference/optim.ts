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

export interface RmspropOptions { lr: number; alpha: number; eps: number; momentum: number; centered: boolean; weightDecay: number }

/** torch.optim.RMSprop; state [squareAvg, gradAvg, momentumBuffer]. */
export function rmspropStep(p: Float64Array, g: ArrayLike<number>, [sq, ga, buf]: Float64Array[], o: RmspropOptions): void {
  for (let i = 0; i < p.length; i++) {
    const d = g[i] + o.weightDecay * p[i];
    sq[i] = o.alpha * sq[i] + (1 - o.alpha) * d * d;
    let avg: number;
    if (o.centered) {
      ga[i] = o.alpha * ga[i] + (1 - o.alpha) * d;
      avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + o.eps;
    } else {
      avg = Math.sqrt(sq[i]) + o.eps;
    }
    if (o.momentum > 0) {
      buf[i] = o.momentum * buf[i] + d / avg;
      p[i] -= o.lr * buf[i];
    } else {
      p[i] -= o.lr * d / avg;
    }
  }
}

export interface AdagradOptions { lr: number; lrDecay: number; eps: number; weightDecay: number }

/** torch.optim.Adagrad; state [sum]; step counts from 1. */
export function adagradStep(p: Float64Array, g: ArrayLike<number>, [sum]: Float64Array[], step: number, o: AdagradOptions): void {
  const clr = o.lr / (1 + (step - 1) * o.lrDecay);
  for (let i = 0; i < p.length; i++) {
    const d = g[i] + o.weightDecay * p[i];
    sum[i] += d * d;
    p[i] -= clr * d / (Math.sqrt(sum[i]) + o.eps);
  }
}

export interface AdadeltaOptions { lr: number; rho: number; eps: number; weightDecay: number }

/** torch.optim.Adadelta; state [squareAvg, accDelta]. */
export function adadeltaStep(p: Float64Array, g: ArrayLike<number>, [sq, acc]: Float64Array[], o: AdadeltaOptions): void {
  for (let i = 0; i < p.length; i++) {
    const d = g[i] + o.weightDecay * p[i];
    sq[i] = o.rho * sq[i] + (1 - o.rho) * d * d;
    const delta = Math.sqrt(acc[i] + o.eps) / Math.sqrt(sq[i] + o.eps) * d;
    acc[i] = o.rho * acc[i] + (1 - o.rho) * delta * delta;
    p[i] -= o.lr * delta;
  }
}
