// RMSprop (Hinton's lecture 6e), PyTorch's form (torch.optim.RMSprop):
//   g ← g + wd·p;  sq ← α·sq + (1 − α)·g²
//   avg = √(sq − ga²) + eps with ga ← α·ga + (1 − α)·g when centered, else √sq + eps
//   momentum > 0: buf ← momentum·buf + g/avg, p ← p − lr·buf;  else p ← p − lr·g/avg

import { Tensor } from '../tensor.js';
import { wasm } from '../runtime.js';
import { BufferedOptimizer } from './buffered.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  momentum?: number;
  centered?: boolean;
  weightDecay?: number;
}

export class RMSprop extends BufferedOptimizer {
  declare alpha: number;
  declare eps: number;
  declare momentum: number;
  declare centered: boolean;
  declare weightDecay: number;

  constructor(params: readonly Tensor[], options: RMSpropOptions = {}) {
    super('RMSprop', params, options, 0.01, {
      alpha: [0.99, 0, 1, false], eps: [1e-8, 0, Infinity, false], momentum: [0, 0, Infinity, false], centered: false,
      weightDecay: [0, 0, Infinity, false],
    }, ['squareAvg', 'gradAvg', 'momentumBuffer']);
  }

  protected fields(): string[] {
    return ['squareAvg', ...(this.centered ? ['gradAvg'] : []), ...(this.momentum > 0 ? ['momentumBuffer'] : [])];
  }

  protected update(p: Tensor, g: Tensor, t: Record<string, Tensor>): void {
    wasm('RMSprop.step').rmspropStep(p.ptr, g.ptr, t.squareAvg.ptr, this.centered ? t.gradAvg.ptr : 0, this.momentum > 0 ? t.momentumBuffer.ptr : 0,
      p.size, this._lr, this.alpha, this.eps, this.momentum, this.weightDecay, this.centered ? 1 : 0);
  }
}
