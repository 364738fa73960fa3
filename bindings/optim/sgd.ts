// Stochastic gradient descent with momentum, Nesterov momentum and weight decay, in PyTorch's
// form:  g ← g + wd·p;  v ← μ·v + g;  p ← p − lr·(nesterov ? g + μ·v : v)   (v = g when μ = 0).

import { Tensor } from '../tensor.js';
import { wasm, heapF32 } from '../runtime.js';
import { Optimizer, checkNumber } from './optimizer.js';
import { options as checkOptions } from '../options.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  private readonly velocity = new Map<Tensor, Tensor>();

  constructor(params: readonly Tensor[], options: SGDOptions) {
    const { lr, momentum = 0, nesterov = false, weightDecay = 0 } = checkOptions<SGDOptions>('SGD', options,
      ['lr', 'momentum', 'nesterov', 'weightDecay'], { required: ['lr'], example: '{ lr: 0.01, momentum: 0.9 }' });
    super('SGD', params, lr);
    this.momentum = checkNumber('SGD', 'momentum', momentum);
    this.weightDecay = checkNumber('SGD', 'weightDecay', weightDecay);
    if (nesterov && momentum <= 0) throw new Error('SGD: nesterov needs momentum > 0');
    this.nesterov = nesterov;
  }

  step(): void {
    this.checkBeforeStep();
    const K = wasm('SGD.step');
    // Allocate any missing state first, so running out of memory updates nothing.
    if (this.momentum !== 0) {
      for (const p of this.params) if (p.grad && !this.velocity.has(p)) this.velocity.set(p, this.stateLike(p));
    }
    for (const p of this.params) {
      const g = p.grad;
      if (!g) continue;
      const v = this.momentum !== 0 ? this.velocity.get(p)!.ptr : 0;
      K.sgdStep(p.ptr, g.ptr, v, p.size, this._lr, this.momentum, this.weightDecay, this.nesterov ? 1 : 0);
    }
  }

  stateDict(): Record<string, Float32Array | number> {
    const out: Record<string, Float32Array | number> = {};
    this.params.forEach((p, i) => { const v = this.velocity.get(p); if (v) out[`${i}.momentum`] = v.data(); });
    return out;
  }

  override loadStateDict(state: Record<string, Float32Array | number[] | number>): void {
    const entries = this.checkState(state, { momentum: 'tensor' });
    const made = this.allocState(entries.keys(), (p) => this.velocity.has(p), 1);
    for (const [p, [v]] of made) this.velocity.set(p, v);
    this.params.forEach((p, i) => {
      const v = this.velocity.get(p);
      if (!v) return;
      const e = entries.get(i);
      if (e) heapF32().set(e.momentum as Float32Array, v.ptr >>> 2);
      else { v.dispose(); this.velocity.delete(p); }
    });
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}
