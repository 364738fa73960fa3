// Adam (Kingma & Ba) and AdamW (decoupled weight decay, Loshchilov & Hutter), PyTorch's form:
//   Adam:  g ← g + wd·p           AdamW: p ← p·(1 − lr·wd)
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + eps)

import { Tensor } from '../tensor.js';
import { wasm, heapF32 } from '../runtime.js';
import { Optimizer, checkNumber } from './optimizer.js';
import { options as checkOptions } from '../options.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

interface Moments { m: Tensor; v: Tensor; step: number }

export class Adam extends Optimizer {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  protected readonly decoupled: number;
  private readonly moments = new Map<Tensor, Moments>();

  constructor(params: readonly Tensor[], options: AdamOptions = {}, name = 'Adam', decoupled = false, defaultDecay = 0) {
    const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = defaultDecay } =
      checkOptions<AdamOptions>(name, options, ['lr', 'betas', 'eps', 'weightDecay']);
    super(name, params, lr);
    if (!Array.isArray(betas) || betas.length !== 2) throw new Error(`${name}: betas must be [beta1, beta2]`);
    this.beta1 = checkNumber(name, 'betas[0]', betas[0], 0, 1, true);
    this.beta2 = checkNumber(name, 'betas[1]', betas[1], 0, 1, true);
    this.eps = checkNumber(name, 'eps', eps);
    this.weightDecay = checkNumber(name, 'weightDecay', weightDecay);
    this.decoupled = decoupled ? 1 : 0;
  }

  step(): void {
    this.checkBeforeStep();
    const K = wasm(`${this.name}.step`);
    // Allocate any missing state first, so running out of memory updates nothing.
    for (const p of this.params) {
      if (!p.grad || this.moments.has(p)) continue;
      const m = this.stateLike(p);
      let v: Tensor;
      try {
        v = this.stateLike(p);
      } catch (err) {
        m.dispose();
        throw err;
      }
      this.moments.set(p, { m, v, step: 0 });
    }
    for (const p of this.params) {
      const g = p.grad;
      if (!g) continue;
      const s = this.moments.get(p)!;
      s.step++;
      K.adamStep(p.ptr, g.ptr, s.m.ptr, s.v.ptr, p.size, this._lr, this.beta1, this.beta2, this.eps, this.weightDecay, s.step, this.decoupled);
    }
  }

  stateDict(): Record<string, Float32Array | number> {
    const out: Record<string, Float32Array | number> = {};
    this.params.forEach((p, i) => {
      const s = this.moments.get(p);
      if (s) { out[`${i}.m`] = s.m.data(); out[`${i}.v`] = s.v.data(); out[`${i}.step`] = s.step; }
    });
    return out;
  }

  override loadStateDict(state: Record<string, Float32Array | number[] | number>): void {
    const entries = this.checkState(state, { m: 'tensor', v: 'tensor', step: 'count' });
    const made = this.allocState(entries.keys(), (p) => this.moments.has(p), 2);
    for (const [p, [m, v]] of made) this.moments.set(p, { m, v, step: 0 });
    this.params.forEach((p, i) => {
      const s = this.moments.get(p);
      if (!s) return;
      const e = entries.get(i);
      if (!e) { s.m.dispose(); s.v.dispose(); this.moments.delete(p); return; }
      const heap = heapF32();
      heap.set(e.m as Float32Array, s.m.ptr >>> 2);
      heap.set(e.v as Float32Array, s.v.ptr >>> 2);
      s.step = e.step as number;
    });
  }

  dispose(): void {
    for (const s of this.moments.values()) { s.m.dispose(); s.v.dispose(); }
    this.moments.clear();
  }
}

/** Adam with decoupled weight decay (default 0.01, as PyTorch). */
export class AdamW extends Adam {
  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    super(params, options, 'AdamW', true, 0.01);
  }
}
