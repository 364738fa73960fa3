// LinearLR (PyTorch's torch.optim.lr_scheduler.LinearLR), the usual warm-up: the lr moves
// linearly from base·startFactor to base·endFactor over totalIters epochs, then stays:
//   lr(epoch) = base · (startFactor + (endFactor − startFactor) · min(epoch, totalIters) / totalIters)
// As in PyTorch, making it sets the lr for epoch 0 (base·startFactor) at once.

import { Optimizer, checkNumber } from './optimizer.js';
import { LRScheduler } from './schedule.js';
import { options } from '../options.js';

export interface LinearLROptions {
  /** Factor of the base lr at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor at epoch totalIters and after, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs of the ramp (default 5). */
  totalIters?: number;
}

export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: Optimizer, opts: LinearLROptions = {}) {
    super('LinearLR', optimizer);
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = options<LinearLROptions>('LinearLR', opts, ['startFactor', 'endFactor', 'totalIters']);
    this.startFactor = checkNumber('LinearLR', 'startFactor', startFactor, 0, 1);
    if (this.startFactor === 0) throw new Error('LinearLR: startFactor must be greater than 0 and at most 1 (as PyTorch), got 0');
    this.endFactor = checkNumber('LinearLR', 'endFactor', endFactor, 0, 1);
    if (!Number.isInteger(totalIters) || totalIters < 1) throw new Error(`LinearLR: totalIters must be a positive integer, got ${String(totalIters)}`);
    this.totalIters = totalIters;
    optimizer.lr = this.lrAt(0);
  }

  lrAt(epoch: number): number {
    return this.baseLr * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(epoch, this.totalIters)) / this.totalIters);
  }
}
