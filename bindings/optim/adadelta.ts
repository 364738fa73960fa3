// Adadelta (Zeiler), PyTorch's form (torch.optim.Adadelta):
//   g ← g + wd·p;  sq ← ρ·sq + (1 − ρ)·g²;  δ = √(acc + eps)/√(sq + eps)·g
//   acc ← ρ·acc + (1 − ρ)·δ²;  p ← p − lr·δ

import { Tensor } from '../tensor.js';
import { wasm } from '../runtime.js';
import { BufferedOptimizer } from './buffered.js';

export interface AdadeltaOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
}

export class Adadelta extends BufferedOptimizer {
  declare rho: number;
  declare eps: number;
  declare weightDecay: number;

  constructor(params: readonly Tensor[], options: AdadeltaOptions = {}) {
    super('Adadelta', params, options, 1, {
      rho: [0.9, 0, 1, false], eps: [1e-6, 0, Infinity, false], weightDecay: [0, 0, Infinity, false],
    }, ['squareAvg', 'accDelta']);
  }

  protected fields(): string[] {
    return ['squareAvg', 'accDelta'];
  }

  protected update(p: Tensor, g: Tensor, t: Record<string, Tensor>): void {
    wasm('Adadelta.step').adadeltaStep(p.ptr, g.ptr, t.squareAvg.ptr, t.accDelta.ptr, p.size, this._lr, this.rho, this.eps, this.weightDecay);
  }
}
