// Keras-style training callbacks for fit({ callbacks: [...] }). A callback is any object with some
// of onTrainBegin / onBatch / onEpoch / onTrainEnd; returning false from onBatch or onEpoch stops
// training after that batch or epoch. EarlyStopping and ModelCheckpoint are the two Keras ships
// that everyone uses.

import type { Module } from './nn/module.js';
import type { Optimizer } from './optim/optimizer.js';
import { options } from './options.js';
import { save } from './io/weights.js';
import { writeFileAtomic } from './io/node.js';

/** What fit() logs after each epoch. `accuracy`/`valAccuracy` only for class labels, `val*` only with validation data. */
export interface EpochLogs {
  epoch: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  lr: number;
  /** Seconds this epoch took. */
  time: number;
}

/** What fit() passes to onBatch after each optimiser step. */
export interface BatchLogs {
  epoch: number;
  /** 1-based step within the epoch, of `batches`. */
  batch: number;
  batches: number;
  /** This batch's loss. */
  loss: number;
  /** Samples in this batch. */
  size: number;
}

export interface TrainContext {
  model: Module;
  optimizer: Optimizer;
  /** The keys every epoch's logs will have (e.g. ['loss', 'accuracy', 'valLoss', 'valAccuracy']). */
  logKeys: string[];
}

export interface Callback {
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onBatch?(logs: BatchLogs): void | boolean | Promise<void | boolean>;
  onEpoch?(logs: EpochLogs): void | boolean | Promise<void | boolean>;
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
}

export type Monitor = 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy';
const MONITORS: readonly string[] = ['loss', 'accuracy', 'valLoss', 'valAccuracy'];

/** Tracks the best value of a monitored log key: lower is better for losses, higher for accuracies. */
class Best {
  readonly lower: boolean;
  value: number;
  epoch = 0;

  constructor(readonly op: string, readonly monitor: string, readonly minDelta: number) {
    if (!MONITORS.includes(monitor)) throw new Error(`${op}: monitor must be one of ${MONITORS.join(', ')}, got ${String(monitor)}`);
    this.lower = !monitor.toLowerCase().endsWith('accuracy');
    this.value = this.lower ? Infinity : -Infinity;
  }

  check(ctx: TrainContext): void {
    if (!ctx.logKeys.includes(this.monitor)) {
      const hint = this.monitor.startsWith('val') ? '; pass validation or validationSplit to fit, or monitor a training key' : '';
      throw new Error(`${this.op}: monitor '${this.monitor}' is not in fit's epoch logs (they have ${ctx.logKeys.join(', ')})${hint}`);
    }
  }

  /** Whether this epoch beat the best by more than minDelta (and then records it). */
  improved(logs: EpochLogs): boolean {
    const v = (logs as unknown as Record<string, number>)[this.monitor];
    const better = this.lower ? v < this.value - this.minDelta : v > this.value + this.minDelta;
    if (better) { this.value = v; this.epoch = logs.epoch; }
    return better;
  }
}

function nonNegative(op: string, name: string, v: unknown, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw new Error(`${op}: ${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${String(v)}`);
  }
  return v;
}

export interface EarlyStoppingOptions {
  /** The epoch log to watch (default 'valLoss'). */
  monitor?: Monitor;
  /** Epochs in a row without improvement before training stops (default 0: the first one stops it). */
  patience?: number;
  /** An epoch improves when it beats the best so far by more than this (default 0). */
  minDelta?: number;
  /** At the end of training, put back the weights of the best epoch, bit for bit (default false). */
  restoreBestWeights?: boolean;
}

/**
 * Stops training when `monitor` has not improved for `patience` epochs in a row (at least one).
 * An epoch improves when it beats the best so far by more than `minDelta`: lower for losses,
 * higher for accuracies. With restoreBestWeights the model ends with the best epoch's weights
 * (whether training stopped early or ran all its epochs).
 */
export class EarlyStopping implements Callback {
  readonly monitor: Monitor;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  /** The epoch training stopped after (0 if it did not stop early). */
  stoppedEpoch = 0;
  /** The best epoch so far and its value. */
  bestEpoch = 0;
  best = NaN;
  #tracker: Best;
  #wait = 0;
  #weights: Record<string, Float32Array> | null = null;
  #model: Module | null = null;

  constructor(opts: EarlyStoppingOptions = {}) {
    const op = 'EarlyStopping';
    const { monitor = 'valLoss', patience = 0, minDelta = 0, restoreBestWeights = false } =
      options<EarlyStoppingOptions>(op, opts, ['monitor', 'patience', 'minDelta', 'restoreBestWeights']);
    this.patience = nonNegative(op, 'patience', patience, true);
    this.minDelta = nonNegative(op, 'minDelta', minDelta, false);
    if (typeof restoreBestWeights !== 'boolean') throw new Error(`${op}: restoreBestWeights must be true or false, got ${String(restoreBestWeights)}`);
    this.restoreBestWeights = restoreBestWeights;
    this.#tracker = new Best(op, monitor, this.minDelta);
    this.monitor = monitor;
  }

  onTrainBegin(ctx: TrainContext): void {
    this.#tracker.check(ctx);
    this.#tracker = new Best('EarlyStopping', this.monitor, this.minDelta);
    this.#wait = 0;
    this.#weights = null;
    this.#model = ctx.model;
    this.stoppedEpoch = 0;
    this.bestEpoch = 0;
    this.best = NaN;
  }

  onEpoch(logs: EpochLogs): boolean {
    if (this.#tracker.improved(logs)) {
      this.#wait = 0;
      this.bestEpoch = logs.epoch;
      this.best = this.#tracker.value;
      if (this.restoreBestWeights) this.#weights = this.#model!.stateDict();
      return true;
    }
    this.#wait++;
    if (this.#wait >= Math.max(1, this.patience)) {
      this.stoppedEpoch = logs.epoch;
      return false;
    }
    return true;
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.#weights) this.#model!.loadStateDict(this.#weights);
  }
}

export interface ModelCheckpointOptions {
  /** A file to write (Node, Deno, Bun), atomically; `{epoch}` in it becomes the epoch number. */
  path?: string;
  /** Called with the safetensors bytes (save(model)) instead of or besides writing a file; may be async. */
  onSave?: (bytes: Uint8Array, logs: EpochLogs) => void | Promise<void>;
  /** The epoch log that decides "best" (default 'valLoss'). */
  monitor?: Monitor;
  /** Save only when `monitor` improves on the best so far (default false: every epoch). */
  saveBestOnly?: boolean;
}

/** Saves the model's weights (save(model)'s safetensors bytes) after each epoch, or only after improving ones. */
export class ModelCheckpoint implements Callback {
  readonly path: string | undefined;
  readonly monitor: Monitor;
  readonly saveBestOnly: boolean;
  /** The epochs saved so far. */
  saved: number[] = [];
  #onSave: ModelCheckpointOptions['onSave'];
  #tracker: Best;
  #model: Module | null = null;

  constructor(opts: ModelCheckpointOptions) {
    const op = 'ModelCheckpoint';
    const { path, onSave, monitor = 'valLoss', saveBestOnly = false } = options<ModelCheckpointOptions>(op, opts,
      ['path', 'onSave', 'monitor', 'saveBestOnly'], { example: "{ path: 'best.safetensors' } or { onSave: (bytes, logs) => ... }" });
    if (path === undefined && onSave === undefined) throw new Error(`${op}: pass path (a file to write) or onSave (a function that receives the bytes)`);
    if (path !== undefined && (typeof path !== 'string' || path === '')) throw new Error(`${op}: path must be a non-empty string, got ${String(path)}`);
    if (onSave !== undefined && typeof onSave !== 'function') throw new Error(`${op}: onSave must be a function (bytes, logs) => ..., got ${typeof onSave}`);
    if (typeof saveBestOnly !== 'boolean') throw new Error(`${op}: saveBestOnly must be true or false, got ${String(saveBestOnly)}`);
    this.path = path;
    this.#onSave = onSave;
    this.saveBestOnly = saveBestOnly;
    this.#tracker = new Best(op, monitor, 0);
    this.monitor = monitor;
  }

  onTrainBegin(ctx: TrainContext): void {
    if (this.saveBestOnly) this.#tracker.check(ctx);
    this.#tracker = new Best('ModelCheckpoint', this.monitor, 0);
    this.#model = ctx.model;
    this.saved = [];
  }

  async onEpoch(logs: EpochLogs): Promise<void> {
    if (this.saveBestOnly && !this.#tracker.improved(logs)) return;
    const bytes = save(this.#model!);
    if (this.path !== undefined) await writeFileAtomic(this.path.replace(/\{epoch\}/g, String(logs.epoch)), bytes);
    if (this.#onSave) await this.#onSave(bytes, logs);
    this.saved.push(logs.epoch);
  }
}
