// Learning-rate schedules, PyTorch's semantics: made after the optimiser (which keeps its lr as
// the base), step() once per epoch sets the lr for the next epoch.
//   StepLR             base · γ^⌊epoch/stepSize⌋
//   ExponentialLR      base · γ^epoch
//   CosineAnnealingLR  etaMin + (base − etaMin)·(1 + cos(π·epoch/tMax))/2

import { Optimizer, checkNumber } from './optimizer.js';
import { options } from '../options.js';

export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  readonly baseLr: number;
  /** Epochs stepped so far. */
  lastEpoch = 0;

  constructor(name: string, optimizer: Optimizer) {
    if (!(optimizer instanceof Optimizer)) throw new Error(`${name}: expected an optimiser (optim.SGD, optim.Adam, ...)`);
    this.optimizer = optimizer;
    this.baseLr = optimizer.lr;
  }

  /** The learning rate for a given epoch. */
  abstract lrAt(epoch: number): number;

  /** Advances one epoch and sets the optimiser's lr (ReduceLROnPlateau takes the epoch's metric). */
  step(_metric?: number): void {
    this.lastEpoch++;
    this.optimizer.lr = this.lrAt(this.lastEpoch);
  }

  /** @internal State besides lastEpoch that a checkpoint stores (JSON numbers or null). */
  extraState(): Record<string, number | null> {
    return {};
  }

  /** @internal Checks extraState() values read from a checkpoint; returns the function that sets them. */
  checkExtraState(_values: Record<string, unknown>, _where: string): () => void {
    return () => {};
  }

  getLastLr(): number {
    return this.optimizer.lr;
  }
}

export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: Optimizer, opts: { stepSize: number; gamma?: number }) {
    super('StepLR', optimizer);
    const { stepSize, gamma = 0.1 } = options<{ stepSize: number; gamma?: number }>('StepLR', opts, ['stepSize', 'gamma'],
      { required: ['stepSize'], example: '{ stepSize: 10, gamma: 0.1 }' });
    if (!Number.isInteger(stepSize) || stepSize < 1) throw new Error(`StepLR: stepSize must be a positive integer, got ${stepSize}`);
    this.stepSize = stepSize;
    this.gamma = checkNumber('StepLR', 'gamma', gamma);
  }
  lrAt(epoch: number): number {
    return this.baseLr * Math.pow(this.gamma, Math.floor(epoch / this.stepSize));
  }
}

export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  constructor(optimizer: Optimizer, opts: { gamma: number }) {
    super('ExponentialLR', optimizer);
    const { gamma } = options<{ gamma: number }>('ExponentialLR', opts, ['gamma'], { required: ['gamma'], example: '{ gamma: 0.95 }' });
    this.gamma = checkNumber('ExponentialLR', 'gamma', gamma);
  }
  lrAt(epoch: number): number {
    return this.baseLr * Math.pow(this.gamma, epoch);
  }
}

export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: Optimizer, opts: { tMax: number; etaMin?: number }) {
    super('CosineAnnealingLR', optimizer);
    const { tMax, etaMin = 0 } = options<{ tMax: number; etaMin?: number }>('CosineAnnealingLR', opts, ['tMax', 'etaMin'],
      { required: ['tMax'], example: '{ tMax: 50, etaMin: 0 }' });
    if (!Number.isInteger(tMax) || tMax < 1) throw new Error(`CosineAnnealingLR: tMax must be a positive integer, got ${tMax}`);
    this.tMax = tMax;
    this.etaMin = checkNumber('CosineAnnealingLR', 'etaMin', etaMin);
  }
  lrAt(epoch: number): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}
