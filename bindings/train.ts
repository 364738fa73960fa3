// fit / evaluate / predict: the Keras-style loop over shuffled minibatches. Each step runs in a
// tidy(), so memory stays flat however long training runs; a NaN/Inf loss (or gradient) stops
// training with an Error before the optimiser touches the weights.

import { Tensor, empty, track, tidy, shapeError, shapeStr, describe, assertLive } from './tensor.js';
import { noGrad } from './autograd.js';
import { wasm, heapF32, heapI32 } from './runtime.js';
import { permutation } from './random.js';
import { prepare, gather, batch, split, checkBatchFinite, type Dataset, type Prepared } from './dataset.js';
import { DataLoader } from './data/loader.js';
import type { Callback, EpochLogs, BatchLogs, TrainContext } from './callbacks.js';
import { confusionMatrix, precisionRecallF1, topKAccuracy } from './metrics.js';
import { Module } from './nn/module.js';
import { Optimizer } from './optim/optimizer.js';
import type { LRScheduler } from './optim/schedule.js';
import { ReduceLROnPlateau } from './optim/plateau.js';
import { softmaxCrossEntropy } from './ops/softmaxCrossEntropy.js';
import { svm } from './ops/svm.js';
import { mse } from './ops/mse.js';
import { options as checkOptions } from './options.js';

export type LossFn = (output: Tensor, target: Int32Array | Tensor) => Tensor;
export type LossSpec = 'softmaxCrossEntropy' | 'svm' | 'mse' | LossFn;

export type { Dataset, EpochLogs, BatchLogs };

export interface FitOptions {
  epochs: number;
  optimizer: Optimizer;
  batchSize?: number;
  loss?: LossSpec;
  validation?: Dataset;
  /** Stepped after every epoch (ReduceLROnPlateau with the validation loss, so it needs `validation`). */
  scheduler?: LRScheduler;
  shuffle?: boolean;
  /** Called after every epoch; returning false stops training. May be async. */
  onEpoch?: (logs: EpochLogs) => void | boolean | Promise<void | boolean>;
  /** Called after every optimiser step; returning false stops training after this batch. May be async. */
  onBatch?: (logs: BatchLogs) => void | boolean | Promise<void | boolean>;
  /** Keras-style callbacks (callbacks.EarlyStopping, callbacks.ModelCheckpoint, or any object with their hooks). */
  callbacks?: Callback[];
  /** Hold out the last fraction of the samples (before shuffling) as validation data, as Keras' validation_split. */
  validationSplit?: number;
  /**
   * 'auto' (default) or true: a progress line redrawn in place on a terminal, one line per epoch
   * when stdout is a file or pipe (CI logs), nothing where there is no process.stdout (browsers,
   * workers); 2: one line per epoch (console.log) everywhere; 1: the progress line only; false or 0: silent.
   */
  verbose?: boolean | 'auto' | 0 | 1 | 2;
}

const FIT_KEYS = ['epochs', 'optimizer', 'batchSize', 'loss', 'validation', 'validationSplit', 'scheduler', 'shuffle', 'onEpoch', 'onBatch', 'callbacks', 'verbose'];

export interface History {
  loss: number[];
  /** Training accuracy per epoch (classification only; empty for regression). */
  accuracy: number[];
  valLoss: number[];
  valAccuracy: number[];
  lr: number[];
  time: number[];
}

const now = (): number => (globalThis.performance ? globalThis.performance.now() : Date.now());

function lossOf(spec: LossSpec, output: Tensor, labels: Int32Array | null, target: Tensor | null): Tensor {
  if (typeof spec === 'function') return spec(output, (labels ?? target)!);
  switch (spec) {
    case 'softmaxCrossEntropy': return softmaxCrossEntropy(output, labels!);
    case 'svm': return svm(output, labels!, 1);
    case 'mse': return mse(output, target!);
    default: throw new Error(`fit: unknown loss '${String(spec)}' (use 'softmaxCrossEntropy', 'svm', 'mse' or a function)`);
  }
}

/** Correct predictions of output [rows, classes] against labels, via the argmaxRows kernel. */
function countCorrect(output: Tensor, labels: Int32Array, argmax: Tensor): number {
  if (output.rank !== 2 || output._shape[1] < 2) return NaN;
  const rows = output._shape[0];
  wasm('accuracy').argmaxRows(output.ptr, argmax.ptr, rows, output._shape[1]);
  const got = heapI32(), p = argmax.ptr >>> 2;
  let correct = 0;
  for (let i = 0; i < rows; i++) if (got[p + i] === labels[i]) correct++;
  return correct;
}

/** Checks that every label is in [0, classes) for the model's output width, before training starts. */
function checkLabelRange(model: Module, d: Prepared, op: string): void {
  if (!d.labels) return;
  // The probe runs in eval mode: dropout then draws nothing from the generator, so fit() called
  // twice (resumed from a checkpoint) shuffles and drops exactly as one longer fit() would.
  const wasTraining = model.training;
  model.eval();
  let out: number[];
  try {
    out = noGrad(() => tidy(() => {
      const probe = gather(d.x, d.features, d.shape, null, 0, 1, op, d.offset);
      return model.forward(probe).shape;
    }));
  } finally {
    model.train(wasTraining);
  }
  const classes = out[out.length - 1];
  for (let i = 0; i < d.n; i++) {
    const v = d.labels[i];
    if (!(v >= 0 && v < classes)) {
      throw shapeError(op, `label ${v} of sample ${i} is outside [0, ${classes}) (the model outputs ${classes} classes)`, [d.n], out);
    }
  }
}

function checkPositiveInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

interface Progress { line(text: string): void; done(text: string): void }

/**
 * Keras' verbose: 0 silent, 1 a progress line redrawn in place (on a TTY), 2 one line per epoch.
 * 'auto' and true are 1 on a TTY and 2 when stdout is a file or pipe (CI logs); where there is no
 * process.stdout (browsers, workers) they print nothing.
 */
function progress(verbose: FitOptions['verbose']): Progress {
  if (verbose !== undefined && ![true, false, 'auto', 0, 1, 2].includes(verbose)) {
    throw new Error(`fit: verbose must be 'auto', true, false, 0, 1 or 2, got ${String(verbose)}`);
  }
  const out = (globalThis as any).process?.stdout;
  const writable = !!out && typeof out.write === 'function';
  const tty = writable && !!out.isTTY;
  const level = verbose === false || verbose === 0 ? 0 : verbose === 2 ? 2 : verbose === 1 ? 1 : !writable ? 0 : tty ? 1 : 2;
  const inPlace = level === 1 && tty;
  return {
    line(text) { if (inPlace) out.write(`\r${text}\x1b[K`); },
    done(text) {
      if (inPlace) out.write(`\r${text}\x1b[K\n`);
      else if (level !== 0) console.log(text);
    },
  };
}

function epochLine(logs: EpochLogs, epochs: number): string {
  const f = (v: number | undefined, name: string) => (v === undefined ? '' : ` ${name} ${v.toFixed(4)}`);
  return `epoch ${logs.epoch}/${epochs}${f(logs.loss, 'loss')}${f(logs.accuracy, 'accuracy')}${f(logs.valLoss, 'val_loss')}${f(logs.valAccuracy, 'val_accuracy')} (${logs.time.toFixed(2)} s)`;
}

/** Calls `hook` on every callback that has it, in order; true when one returned false (stop). */
async function each<K extends keyof Callback>(callbacks: Callback[], hook: K, arg: Parameters<NonNullable<Callback[K]>>[0]): Promise<boolean> {
  let stop = false;
  for (const cb of callbacks) {
    const fn = cb[hook] as ((a: unknown) => unknown) | undefined;
    if (typeof fn !== 'function') continue;
    let r = fn.call(cb, arg);
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') r = await r;
    if (r === false) stop = true;
  }
  return stop;
}

function checkCallbacks(op: string, callbacks: unknown): Callback[] {
  if (callbacks === undefined) return [];
  if (!Array.isArray(callbacks)) throw new Error(`${op}: callbacks must be an array (e.g. [new callbacks.EarlyStopping({ patience: 3 })]), got ${describe(callbacks)}`);
  const hooks = ['onTrainBegin', 'onBatch', 'onEpoch', 'onTrainEnd'];
  callbacks.forEach((cb, i) => {
    if (cb === null || typeof cb !== 'object' || !hooks.some((h) => typeof (cb as Record<string, unknown>)[h] === 'function')) {
      throw new Error(`${op}: callbacks[${i}] must be an object with ${hooks.join(', ')} methods (e.g. callbacks.EarlyStopping), got ${describe(cb)}`);
    }
  });
  return callbacks as Callback[];
}

/**
 * Trains `model` on `data` ({ x, y, shape } or a DataLoader) for `options.epochs` epochs of
 * shuffled minibatches and returns the history. A NaN/Inf in a batch, the loss or a gradient
 * throws an Error naming the epoch and step; the weights and optimiser state are then as they
 * were before that step.
 */
export async function fit(model: Module, data: Dataset | DataLoader, options: FitOptions): Promise<History> {
  const op = 'fit';
  if (!(model instanceof Module)) throw new Error(`fit: expected an nn.Module, got ${describe(model)}`);
  checkOptions<FitOptions>(op, options, FIT_KEYS, { required: ['epochs', 'optimizer'], example: '{ epochs: 10, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }) }' });
  const { optimizer, scheduler, onEpoch, onBatch, loss: lossSpec = 'softmaxCrossEntropy', verbose = 'auto' } = options;
  const epochs = checkPositiveInt(op, 'epochs', options.epochs);
  if (!(optimizer instanceof Optimizer)) throw new Error(`fit: options.optimizer must be an optimiser (new optim.SGD(model.parameters(), { lr }))`);
  if (onEpoch !== undefined && typeof onEpoch !== 'function') throw new Error(`fit: onEpoch must be a function, got ${describe(onEpoch)}`);
  if (onBatch !== undefined && typeof onBatch !== 'function') throw new Error(`fit: onBatch must be a function, got ${describe(onBatch)}`);
  const callbacks = checkCallbacks(op, options.callbacks);
  if (options.validation !== undefined && options.validationSplit !== undefined) throw new Error('fit: pass validation or validationSplit, not both');
  const show = progress(verbose);

  let d: Prepared, batchSize: number, dropLast = false, loader: DataLoader | null = null;
  if (data instanceof DataLoader) {
    for (const key of ['batchSize', 'shuffle', 'validationSplit'] as const) {
      if (options[key] !== undefined) throw new Error(`fit: ${key} comes from the DataLoader (or, for validationSplit, pass validation); leave it out of fit's options`);
    }
    loader = data;
    d = data._data;
    if (d.targets && typeof lossSpec === 'string' && lossSpec !== 'mse') {
      throw new Error(`fit: the DataLoader holds float targets, but loss '${lossSpec}' needs class labels: pass loss: 'mse' for regression`);
    }
    if (d.labels && lossSpec === 'mse') throw new Error("fit: the DataLoader holds class labels, but loss 'mse' needs float targets (a Float32Array or Tensor y)");
    batchSize = data.batchSize;
    dropLast = data.dropLast;
  } else {
    batchSize = checkPositiveInt(op, 'batchSize', options.batchSize ?? 32);
    if (options.shuffle !== undefined && typeof options.shuffle !== 'boolean') throw new Error(`fit: shuffle must be true or false, got ${String(options.shuffle)}`);
    d = prepare(data, op, lossSpec);
  }
  let val = options.validation !== undefined ? prepare(options.validation, 'fit (validation)', lossSpec) : null;
  if (options.validationSplit !== undefined) [d, val] = split(d, options.validationSplit, op);
  if (val && val.features !== d.features) throw shapeError(op, 'validation samples differ in size from training samples', [d.n, ...d.shape], [val.n, ...val.shape]);
  checkLabelRange(model, d, op);
  if (val) checkLabelRange(model, val, 'fit (validation)');
  if (scheduler instanceof ReduceLROnPlateau && !val) throw new Error('fit: ReduceLROnPlateau steps on the validation loss; pass options.validation (or validationSplit)');
  batchSize = Math.min(batchSize, d.n);
  const shuffle = loader ? loader.shuffle : options.shuffle ?? true;

  const logKeys = ['loss', ...(d.labels ? ['accuracy'] : []), ...(val ? ['valLoss'] : []), ...(val?.labels ? ['valAccuracy'] : [])];
  const ctx: TrainContext = { model, optimizer, logKeys };
  const history: History = { loss: [], accuracy: [], valLoss: [], valAccuracy: [], lr: [], time: [] };
  const steps = dropLast ? Math.floor(d.n / batchSize) : Math.ceil(d.n / batchSize);
  const order = shuffle ? new Int32Array(d.n) : null;
  const labelBatch = d.labels ? new Int32Array(batchSize) : null;
  const params = optimizer.params;
  const names = new Map(model.namedParameters().map(([name, p]) => [p, name]));
  const K = wasm(op);
  await each(callbacks, 'onTrainBegin', ctx);
  const argmax = d.labels ? empty([batchSize], op, false) : null;
  const wasTraining = model.training;
  let lastYield = now();
  model.train();
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const t0 = now();
      const ord = loader ? loader._order(order!) : order ? permutation(d.n, order) : null;
      let lossSum = 0, correct = 0, seen = 0, lastDraw = 0, stop = false;
      for (let s = 0; s < steps; s++) {
        const start = s * batchSize, count = Math.min(batchSize, d.n - start);
        const where = `epoch ${epoch}, step ${s + 1}`;
        let labels: Int32Array | null = null;
        const value = tidy(() => {
          const b = batch(d, ord, start, count, op, labelBatch);
          labels = b.labels;
          checkBatchFinite(b.x, 'x', ord, start, d.features, `fit ${where}`);
          if (b.target) checkBatchFinite(b.target, 'y', ord, start, b.target.size / count, `fit ${where}`);
          const out = model.forward(b.x);
          const l = lossOf(lossSpec, out, labels, b.target);
          if (!(l instanceof Tensor) || l.size !== 1) throw new Error(`fit: the loss function must return a one-element Tensor, got ${l instanceof Tensor ? shapeStr(l._shape) : describe(l)}`);
          const v = l.item();
          if (!Number.isFinite(v)) {
            throw new Error(`fit: loss is ${v} at ${where} (batch shape ${shapeStr(b.x._shape)}); the step was not applied, weights and optimiser state are as before it`);
          }
          if (labels && argmax) correct += countCorrect(out, labels, argmax);
          optimizer.zeroGrad();
          l.backward();
          for (const p of params) {
            const g = p.grad;
            if (g && K.countNonFinite(g.ptr, g.size) !== 0) {
              throw shapeError(op, `the gradient of ${names.get(p) ?? 'a parameter'} holds NaN/Inf at ${where}; the step was not applied, weights and optimiser state are as before it`, p._shape);
            }
          }
          optimizer.step();
          return v;
        });
        lossSum += value * count;
        seen += count;
        const t = now();
        if (t - lastDraw > 100 || s === steps - 1) {
          lastDraw = t;
          show.line(`epoch ${epoch}/${epochs} ${s + 1}/${steps} loss ${(lossSum / seen).toFixed(4)}${labels ? ` accuracy ${(correct / seen).toFixed(4)}` : ''}`);
        }
        const batchLogs: BatchLogs = { epoch, batch: s + 1, batches: steps, loss: value, size: count };
        if (onBatch && (await onBatch(batchLogs)) === false) stop = true;
        if (await each(callbacks, 'onBatch', batchLogs)) stop = true;
        if (stop) break;
      }
      const logs: EpochLogs = { epoch, loss: lossSum / seen, lr: optimizer.lr, time: 0 };
      if (d.labels) logs.accuracy = correct / seen;
      history.loss.push(logs.loss);
      if (logs.accuracy !== undefined) history.accuracy.push(logs.accuracy);
      history.lr.push(optimizer.lr);
      if (val) {
        const r = evaluateOn(model, val, batchSize, lossSpec, 'fit (validation)', []);
        model.train();
        logs.valLoss = r.loss;
        history.valLoss.push(r.loss);
        if (r.accuracy !== undefined) { logs.valAccuracy = r.accuracy; history.valAccuracy.push(r.accuracy); }
      }
      scheduler?.step(logs.valLoss); // the validation loss: ReduceLROnPlateau's metric, ignored by the others
      logs.time = (now() - t0) / 1000;
      history.time.push(logs.time);
      show.done(epochLine(logs, epochs));
      if (onEpoch && (await onEpoch(logs)) === false) stop = true;
      if (await each(callbacks, 'onEpoch', logs)) stop = true;
      if (stop) break;
      // Let a browser paint and other tasks run, at most every 50 ms.
      if (now() - lastYield > 50) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = now();
      }
    }
  } finally {
    argmax?.dispose();
    model.train(wasTraining);
  }
  await each(callbacks, 'onTrainEnd', ctx);
  return history;
}

/** What evaluate() can add on request (classification only). */
export type EvaluateMetric = 'confusionMatrix' | 'precisionRecallF1' | `top${number}Accuracy`;

export interface EvaluateResult {
  loss: number;
  /** Classification only (absent for regression, so no NaN). */
  accuracy?: number;
  confusionMatrix?: number[][];
  /** Macro averages, with metrics: ['precisionRecallF1']. */
  precision?: number;
  recall?: number;
  f1?: number;
  /** top5Accuracy etc., with metrics: ['top5Accuracy']. */
  [topK: `top${number}Accuracy`]: number;
}

function checkMetrics(op: string, metrics: unknown, labels: boolean): Array<{ name: string; k: number }> {
  if (metrics === undefined) return [];
  if (!Array.isArray(metrics)) throw new Error(`${op}: metrics must be an array such as ['confusionMatrix', 'precisionRecallF1', 'top5Accuracy'], got ${describe(metrics)}`);
  return metrics.map((m) => {
    const top = typeof m === 'string' ? /^top([1-9][0-9]*)Accuracy$/.exec(m) : null;
    if (m !== 'confusionMatrix' && m !== 'precisionRecallF1' && !top) {
      throw new Error(`${op}: unknown metric ${typeof m === 'string' ? `'${m}'` : describe(m)} (use 'confusionMatrix', 'precisionRecallF1' or 'top<k>Accuracy', e.g. 'top5Accuracy')`);
    }
    if (!labels) throw new Error(`${op}: metric '${m}' needs class labels, and this data has float targets (regression)`);
    return { name: m as string, k: top ? Number(top[1]) : 0 };
  });
}

function evaluateOn(model: Module, d: Prepared, batchSize: number, lossSpec: LossSpec, op: string, metrics: Array<{ name: string; k: number }>): EvaluateResult {
  const wasTraining = model.training;
  model.eval();
  const argmax = d.labels ? empty([batchSize], op, false) : null;
  const wantsPredictions = metrics.some((m) => m.k === 0);
  const predicted = wantsPredictions ? new Int32Array(d.n) : null;
  const topHits = metrics.filter((m) => m.k > 0).map((m) => ({ ...m, hits: 0 }));
  let width = 0;
  try {
    const result = noGrad(() => {
      let lossSum = 0, correct = 0;
      for (let start = 0; start < d.n; start += batchSize) {
        const count = Math.min(batchSize, d.n - start);
        lossSum += tidy(() => {
          const b = batch(d, null, start, count, op, null);
          checkBatchFinite(b.x, 'x', null, start, d.features, `${op.split(' ')[0]} batch at sample ${start}`);
          const out = model.forward(b.x);
          if (b.labels && argmax) {
            correct += countCorrect(out, b.labels, argmax);
            if (predicted || topHits.length) {
              if (out.rank !== 2) throw shapeError(op, 'metrics need outputs [batch, classes]', out._shape);
              width = out._shape[1];
              if (predicted) predicted.set(heapI32().subarray(argmax.ptr >>> 2, (argmax.ptr >>> 2) + count), start);
              for (const t of topHits) t.hits += Math.round(topKAccuracy(b.labels, out, t.k) * count);
            }
          }
          return lossOf(lossSpec, out, b.labels, b.target).item();
        }) * count;
      }
      const r: EvaluateResult = { loss: lossSum / d.n };
      if (d.labels) r.accuracy = correct / d.n;
      return r;
    });
    for (const m of metrics) {
      if (m.name === 'confusionMatrix') result.confusionMatrix = confusionMatrix(d.labels!, predicted!, Math.max(width, 1));
      if (m.name === 'precisionRecallF1') Object.assign(result, precisionRecallF1(d.labels!, predicted!, { numClasses: Math.max(width, 1) }));
    }
    for (const t of topHits) result[t.name as `top${number}Accuracy`] = t.hits / d.n;
    return result;
  } finally {
    argmax?.dispose();
    model.train(wasTraining);
  }
}

export interface EvaluateOptions {
  batchSize?: number;
  loss?: LossSpec;
  /** Extra classification metrics: 'confusionMatrix', 'precisionRecallF1' (macro), 'top<k>Accuracy'. */
  metrics?: EvaluateMetric[];
}

/**
 * Mean loss (and, for class labels, accuracy and any requested metrics) of `model` on `data`, in
 * eval mode (dropout off) without recording gradients; the model's mode is restored afterwards.
 */
export function evaluate(model: Module, data: Dataset, options: EvaluateOptions = {}): EvaluateResult {
  const op = 'evaluate';
  const { batchSize = 256, loss = 'softmaxCrossEntropy', metrics } = checkOptions<EvaluateOptions>(op, options, ['batchSize', 'loss', 'metrics']);
  if (!(model instanceof Module)) throw new Error(`evaluate: expected an nn.Module, got ${describe(model)}`);
  checkPositiveInt(op, 'batchSize', batchSize);
  const d = prepare(data, op, loss);
  const wanted = checkMetrics(op, metrics, d.labels !== null);
  checkLabelRange(model, d, op);
  return evaluateOn(model, d, Math.min(batchSize, d.n), loss, op, wanted);
}

/**
 * The model's outputs for every sample of `x` (a Tensor [n, ...], or a Float32Array with the
 * per-sample `shape`), computed in batches in eval mode without recording gradients.
 */
export function predict(model: Module, x: Float32Array | Tensor, options: { shape?: number[]; batchSize?: number } = {}): Tensor {
  const op = 'predict';
  const { shape, batchSize = 256 } = checkOptions<{ shape?: number[]; batchSize?: number }>(op, options, ['shape', 'batchSize']);
  if (!(model instanceof Module)) throw new Error(`predict: expected an nn.Module, got ${describe(model)}`);
  checkPositiveInt(op, 'batchSize', batchSize);
  let n: number, features: number, sampleShape: number[];
  if (x instanceof Tensor) {
    assertLive(x, op);
    n = x._shape[0];
    sampleShape = x._shape.slice(1);
    if (sampleShape.length === 0) sampleShape = [1];
    features = x.size / n;
  } else if (x instanceof Float32Array) {
    sampleShape = shape ? shape.slice() : [x.length];
    features = sampleShape.reduce((a, b) => a * b, 1);
    n = x.length / features;
    if (!Number.isInteger(n) || n < 1) throw shapeError(op, `x holds ${x.length} values, not a whole number of samples of shape ${shapeStr(sampleShape)}`, [x.length], sampleShape);
  } else {
    throw new Error(`predict: x must be a Float32Array or a Tensor, got ${describe(x)}`);
  }
  const wasTraining = model.training;
  model.eval();
  try {
    let result: Tensor | null = null;
    try {
      noGrad(() => {
        let outRow = 0;
        for (let start = 0; start < n; start += batchSize) {
          const count = Math.min(batchSize, n - start);
          tidy(() => {
            const xb = gather(x, features, sampleShape, null, start, count, op);
            checkBatchFinite(xb, 'x', null, start, features, `${op} batch at sample ${start}`);
            const out = model.forward(xb);
            if (!result) {
              outRow = out.size / count;
              result = empty([n, ...out._shape.slice(1)], op, false);
            }
            heapF32().copyWithin((result.ptr >>> 2) + start * outRow, out.ptr >>> 2, (out.ptr >>> 2) + out.size);
          });
        }
      });
    } catch (err) {
      (result as Tensor | null)?.dispose();
      throw err;
    }
    return track(result!);
  } finally {
    model.train(wasTraining);
  }
}
