// Adagrad (Duchi et al.), PyTorch's form (torch.optim.Adagrad):
//   g ← g + wd·p;  clr = lr / (1 + (step − 1)·lrDecay);  sum ← sum + g²;  p ← p − clr·g/(√sum + eps)
// sum starts at initialAccumulatorValue.

import { Tensor } from '../tensor.js';
import { wasm } from '../runtime.js';
import { BufferedOptimizer } from './buffered.js';

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  eps?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
}

export class Adagrad extends BufferedOptimizer {
  declare lrDecay: number;
  declare eps: number;
  declare weightDecay: number;
  declare initialAccumulatorValue: number;

  constructor(params: readonly Tensor[], options: AdagradOptions = {}) {
    super('Adagrad', params, options, 0.01, {
      lrDecay: [0, 0, Infinity, false], eps: [1e-10, 0, Infinity, false], weightDecay: [0, 0, Infinity, false],
      initialAccumulatorValue: [0, 0, Infinity, false],
    }, ['sum']);
  }

  protected fields(): string[] {
    return ['sum'];
  }

  protected override initial(): number {
    return this.initialAccumulatorValue;
  }

  protected update(p: Tensor, g: Tensor, t: Record<string, Tensor>, step: number): void {
    const clr = this._lr / (1 + (step - 1) * this.lrDecay);
    wasm('Adagrad.step').adagradStep(p.ptr, g.ptr, t.sum.ptr, p.size, clr, this.eps, this.weightDecay);
  }
}
