// ReduceLROnPlateau (PyTorch's torch.optim.lr_scheduler.ReduceLROnPlateau): step(metric) once per
// epoch with a validation metric (fit passes the validation loss). When the metric has not
// improved on the best seen for more than `patience` epochs, the lr becomes max(lr·factor, minLr)
// (unless that changes it by eps or less) and `cooldown` epochs pass before counting again.
// Improvement, by mode and thresholdMode:
//   min/rel: m < best·(1 − threshold)   min/abs: m < best − threshold
//   max/rel: m > best·(1 + threshold)   max/abs: m > best + threshold

import { Optimizer, checkNumber } from './optimizer.js';
import { LRScheduler } from './schedule.js';
import { options } from '../options.js';

export interface ReduceLROnPlateauOptions {
  /** 'min' (default: a loss) or 'max' (an accuracy). */
  mode?: 'min' | 'max';
  /** The lr's multiplier on a plateau, in [0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before the lr drops (default 10). */
  patience?: number;
  /** The least improvement that counts (default 1e-4). */
  threshold?: number;
  /** 'rel' (default: relative to best) or 'abs'. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a drop before counting again (default 0). */
  cooldown?: number;
  /** The lr never goes below this (default 0). */
  minLr?: number;
  /** A drop smaller than this is skipped (default 1e-8). */
  eps?: number;
}

const KEYS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'];

function count(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${op}: ${name} must be a non-negative integer, got ${String(v)}`);
  return v;
}

export class ReduceLROnPlateau extends LRScheduler {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  /** The best metric so far (±Infinity before the first step). */
  best: number;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;

  constructor(optimizer: Optimizer, opts: ReduceLROnPlateauOptions = {}) {
    const op = 'ReduceLROnPlateau';
    super(op, optimizer);
    const {
      mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8,
    } = options<ReduceLROnPlateauOptions>(op, opts, KEYS);
    if (mode !== 'min' && mode !== 'max') throw new Error(`${op}: mode must be 'min' or 'max', got ${String(mode)}`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') throw new Error(`${op}: thresholdMode must be 'rel' or 'abs', got ${String(thresholdMode)}`);
    this.mode = mode;
    this.thresholdMode = thresholdMode;
    this.factor = checkNumber(op, 'factor', factor, 0, 1, true);
    this.patience = count(op, 'patience', patience);
    this.threshold = checkNumber(op, 'threshold', threshold);
    this.cooldown = count(op, 'cooldown', cooldown);
    this.minLr = checkNumber(op, 'minLr', minLr);
    this.eps = checkNumber(op, 'eps', eps);
    this.best = this.worst();
  }

  private worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(m: number): boolean {
    const rel = this.thresholdMode === 'rel', t = this.threshold, b = this.best;
    if (this.mode === 'min') return rel ? m < b * (1 - t) : m < b - t;
    return rel ? m > b * (1 + t) : m > b + t;
  }

  /** The lr does not follow from the epoch alone: this is the current one. */
  lrAt(): number {
    return this.optimizer.lr;
  }

  /** One epoch with its metric (a validation loss in mode 'min'). */
  override step(metric?: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric)) {
      throw new Error(`ReduceLROnPlateau.step: needs the epoch's metric (e.g. the validation loss), got ${String(metric)}`);
    }
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      const old = this.optimizer.lr, next = Math.max(old * this.factor, this.minLr);
      if (old - next > this.eps) this.optimizer.lr = next;
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  override extraState(): Record<string, number | null> {
    // JSON has no Infinity: null stands for "no metric seen yet".
    return { best: Number.isFinite(this.best) ? this.best : null, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter };
  }

  override checkExtraState(values: Record<string, unknown>, where: string): () => void {
    const best = values.best === null ? this.worst() : values.best;
    if (typeof best !== 'number' || Number.isNaN(best)) throw new Error(`${where}: best must be a number or null, got ${String(values.best)}`);
    const bad = count(where, 'numBadEpochs', values.numBadEpochs), cool = count(where, 'cooldownCounter', values.cooldownCounter);
    return () => { this.best = best; this.numBadEpochs = bad; this.cooldownCounter = cool; };
  }
}
