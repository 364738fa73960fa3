// fit / evaluate / predict: the Keras-style loop over shuffled minibatches. Each step runs in a
// tidy(), so memory stays flat however long training runs; a NaN/Inf loss (or gradient) stops
// training with an Error before the optimiser touches the weights.

import { Tensor, empty, track, tidy, shapeError, shapeStr, describe, assertLive } from './tensor.js';
import { noGrad } from './autograd.js';
import { wasm, heapF32, heapI32 } from './runtime.js';
import { permutation } from './random.js';
import { Module } from './nn/module.js';
import { Optimizer } from './optim/optimizer.js';
import type { LRScheduler } from './optim/schedule.js';
import { ReduceLROnPlateau } from './optim/plateau.js';
import { softmaxCrossEntropy } from './ops/softmaxCrossEntropy.js';
import { svm } from './ops/svm.js';
import { mse } from './ops/mse.js';
import { options as checkOptions } from './options.js';

/** Samples: x row-major (n × prod(shape)), y class labels or float targets. */
export interface Dataset {
  x: Float32Array | Tensor;
  /** Int32Array (or number[]) of class labels; Float32Array or Tensor of targets for 'mse'. */
  y: Int32Array | number[] | Float32Array | Tensor;
  /** The shape of one sample, e.g. [784]; defaults to x's per-sample size (or x.shape.slice(1)). */
  shape?: number[];
}

export type LossFn = (output: Tensor, target: Int32Array | Tensor) => Tensor;
export type LossSpec = 'softmaxCrossEntropy' | 'svm' | 'mse' | LossFn;

export interface EpochLogs {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  lr: number;
  /** Seconds this epoch took. */
  time: number;
}

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
  /** 'auto' (default): a progress line on a TTY only; true: also a line per epoch elsewhere; false: silent. */
  verbose?: boolean | 'auto';
}

const FIT_KEYS = ['epochs', 'optimizer', 'batchSize', 'loss', 'validation', 'scheduler', 'shuffle', 'onEpoch', 'verbose'];

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

/** A data set checked once, with a way to copy any list of samples into a batch tensor. */
interface Prepared {
  n: number;
  features: number;
  shape: number[];
  labels: Int32Array | null;
  targets: Float32Array | Tensor | null;
  targetShape: number[];
  x: Float32Array | Tensor;
}

function prepare(data: Dataset, op: string, lossSpec: LossSpec): Prepared {
  if (data === null || typeof data !== 'object') throw new Error(`${op}: data must be { x, y, shape }`);
  const { x, y } = data;
  const xIsTensor = x instanceof Tensor;
  if (xIsTensor) assertLive(x, op);
  else if (!(x instanceof Float32Array)) throw new Error(`${op}: data.x must be a Float32Array or a Tensor, got ${describe(x)}`);
  const wantsTargets = lossSpec === 'mse' || y instanceof Float32Array || y instanceof Tensor;
  if (wantsTargets && typeof lossSpec === 'string' && lossSpec !== 'mse') {
    throw new Error(`${op}: data.y is a ${describe(y)} of float targets, but loss '${lossSpec}' needs class labels: `
      + `pass loss: 'mse' for regression, or an Int32Array of labels (Int32Array.from(y)) for classification`);
  }
  let labels: Int32Array | null = null;
  let targets: Float32Array | Tensor | null = null;
  let n: number;
  if (wantsTargets) {
    if (y instanceof Tensor) { assertLive(y, op); targets = y; }
    else if (y instanceof Float32Array) targets = y;
    else if (Array.isArray(y)) targets = Float32Array.from(y);
    else throw new Error(`${op}: data.y must be a Float32Array or Tensor of targets for this loss, got ${describe(y)}`);
    n = xIsTensor ? (x as Tensor)._shape[0] : data.shape ? (x as Float32Array).length / data.shape.reduce((a, b) => a * b, 1) : (targets instanceof Tensor ? targets._shape[0] : targets.length);
  } else {
    if (y instanceof Int32Array) labels = y;
    else if (Array.isArray(y)) {
      labels = new Int32Array(y.length);
      for (let i = 0; i < y.length; i++) {
        if (!Number.isInteger(y[i])) throw new Error(`${op}: label ${y[i]} of sample ${i} is not an integer; shape [${y.length}]`);
        labels[i] = y[i];
      }
    } else {
      throw new Error(`${op}: data.y must be an Int32Array (or number[]) of class labels for loss '${typeof lossSpec === 'string' ? lossSpec : 'custom'}', got ${describe(y)}${ArrayBuffer.isView(y) ? ' (convert it with Int32Array.from(...))' : ''}`);
    }
    n = labels.length;
  }
  if (n === 0) throw new Error(`${op}: the data set is empty (data.y holds 0 samples); pass at least one sample`);
  const total = xIsTensor ? (x as Tensor).size : (x as Float32Array).length;
  let shape = data.shape ? data.shape.slice() : xIsTensor ? (x as Tensor)._shape.slice(1) : [total / n];
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`${op}: data.shape must be the shape of one sample (positive integers), got ${shapeStr(shape ?? [])}`);
  }
  if (shape.length === 0) shape = [1];
  const features = shape.reduce((a, b) => a * b, 1);
  if (!(n >= 1) || !Number.isInteger(n) || n * features !== total) {
    throw shapeError(op, `data.x holds ${total} values, which is not ${n} samples of shape ${shapeStr(shape)}`,
      xIsTensor ? (x as Tensor)._shape : [total], [n, ...shape]);
  }
  if (xIsTensor && (x as Tensor)._shape[0] !== n) {
    throw shapeError(op, `data.x has ${(x as Tensor)._shape[0]} rows but data.y has ${n} samples`, (x as Tensor)._shape, [n]);
  }
  let targetShape: number[] = [];
  if (targets) {
    const tTotal = targets instanceof Tensor ? targets.size : targets.length;
    if (tTotal % n !== 0) throw shapeError(op, `data.y holds ${tTotal} values, not a whole number per each of ${n} samples`, [tTotal], [n, ...shape]);
    targetShape = targets instanceof Tensor ? targets._shape.slice(1) : [tTotal / n];
    if (targetShape.length === 0) targetShape = [1];
  }
  return { n, features, shape, labels, targets, targetShape, x };
}

/** Copies samples idx[start .. start+count) of a row-major source into a new [count, ...shape] tensor. */
function gather(src: Float32Array | Tensor, rowSize: number, shape: number[], idx: Int32Array | null, start: number, count: number, op: string): Tensor {
  const t = empty([count, ...shape], op);
  const heap = heapF32();
  const dst = t.ptr >>> 2;
  if (src instanceof Tensor) {
    const base = src.ptr >>> 2;
    if (!idx) heap.copyWithin(dst, base + start * rowSize, base + (start + count) * rowSize);
    else for (let i = 0; i < count; i++) { const r = idx[start + i]; heap.copyWithin(dst + i * rowSize, base + r * rowSize, base + (r + 1) * rowSize); }
  } else if (!idx) {
    heap.set(src.subarray(start * rowSize, (start + count) * rowSize), dst);
  } else {
    for (let i = 0; i < count; i++) { const r = idx[start + i]; heap.set(src.subarray(r * rowSize, (r + 1) * rowSize), dst + i * rowSize); }
  }
  return t;
}

function checkBatchFinite(t: Tensor, what: string, idx: Int32Array | null, start: number, rowSize: number, context: string): void {
  const bad = wasm('fit').countNonFinite(t.ptr, t.size) as number;
  if (bad === 0) return;
  const heap = heapF32(), p = t.ptr >>> 2;
  let first = 0;
  while (first < t.size && Number.isFinite(heap[p + first])) first++;
  const row = Math.floor(first / rowSize);
  const sample = idx ? idx[start + row] : start + row;
  throw shapeError(context.split(' ')[0], `${what} of sample ${sample} contains ${heap[p + first]} (${context.slice(context.indexOf(' ') + 1)}); nothing was updated`, t._shape);
}

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
      const probe = gather(d.x, d.features, d.shape, null, 0, 1, op);
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

function progress(verbose: boolean | 'auto'): Progress {
  const out = (globalThis as any).process?.stdout;
  const tty = verbose !== false && !!out?.isTTY && typeof out.write === 'function';
  return {
    line(text) { if (tty) out.write(`\r${text}\x1b[K`); },
    done(text) {
      if (tty) out.write(`\r${text}\x1b[K\n`);
      else if (verbose === true) console.log(text);
    },
  };
}

/**
 * Trains `model` on `data` for `options.epochs` epochs of shuffled minibatches and returns the
 * history. A NaN/Inf in a batch, the loss or a gradient throws an Error naming the epoch and
 * step; the weights and optimiser state are then as they were before that step.
 */
export async function fit(model: Module, data: Dataset, options: FitOptions): Promise<History> {
  const op = 'fit';
  if (!(model instanceof Module)) throw new Error(`fit: expected an nn.Module, got ${describe(model)}`);
  checkOptions<FitOptions>(op, options, FIT_KEYS, { required: ['epochs', 'optimizer'], example: '{ epochs: 10, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }) }' });
  const { optimizer, scheduler, onEpoch, loss: lossSpec = 'softmaxCrossEntropy', shuffle = true, verbose = 'auto' } = options;
  const epochs = checkPositiveInt(op, 'epochs', options.epochs);
  const batchSize = checkPositiveInt(op, 'batchSize', options.batchSize ?? 32);
  if (!(optimizer instanceof Optimizer)) throw new Error(`fit: options.optimizer must be an optimiser (new optim.SGD(model.parameters(), { lr }))`);
  const d = prepare(data, op, lossSpec);
  const val = options.validation ? prepare(options.validation, 'fit (validation)', lossSpec) : null;
  if (val && val.features !== d.features) throw shapeError(op, 'validation samples differ in size from training samples', [d.n, ...d.shape], [val.n, ...val.shape]);
  checkLabelRange(model, d, op);
  if (val) checkLabelRange(model, val, 'fit (validation)');
  if (scheduler instanceof ReduceLROnPlateau && !val) throw new Error('fit: ReduceLROnPlateau steps on the validation loss; pass options.validation');

  const history: History = { loss: [], accuracy: [], valLoss: [], valAccuracy: [], lr: [], time: [] };
  const show = progress(verbose);
  const steps = Math.ceil(d.n / batchSize);
  const order = shuffle ? new Int32Array(d.n) : null;
  const labelBatch = d.labels ? new Int32Array(batchSize) : null;
  const argmax = d.labels ? empty([batchSize], op, false) : null;
  const params = optimizer.params;
  const names = new Map(model.namedParameters().map(([name, p]) => [p, name]));
  const K = wasm(op);
  const wasTraining = model.training;
  let lastYield = now();
  model.train();
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const t0 = now();
      if (order) permutation(d.n, order);
      let lossSum = 0, correct = 0, lastDraw = 0;
      for (let s = 0; s < steps; s++) {
        const start = s * batchSize, count = Math.min(batchSize, d.n - start);
        const where = `epoch ${epoch}, step ${s + 1}`;
        let labels: Int32Array | null = null;
        if (d.labels && labelBatch) {
          if (order) { for (let i = 0; i < count; i++) labelBatch[i] = d.labels[order[start + i]]; labels = labelBatch.subarray(0, count); }
          else labels = d.labels.subarray(start, start + count);
        }
        const value = tidy(() => {
          const xb = gather(d.x, d.features, d.shape, order, start, count, op);
          checkBatchFinite(xb, 'x', order, start, d.features, `fit ${where}`);
          let tb: Tensor | null = null;
          if (d.targets) {
            const tSize = d.targetShape.reduce((a, b) => a * b, 1);
            tb = gather(d.targets, tSize, d.targetShape, order, start, count, op);
            checkBatchFinite(tb, 'y', order, start, tSize, `fit ${where}`);
          }
          const out = model.forward(xb);
          const l = lossOf(lossSpec, out, labels, tb);
          if (!(l instanceof Tensor) || l.size !== 1) throw new Error(`fit: the loss function must return a one-element Tensor, got ${l instanceof Tensor ? shapeStr(l._shape) : describe(l)}`);
          const v = l.item();
          if (!Number.isFinite(v)) {
            throw new Error(`fit: loss is ${v} at ${where} (batch shape ${shapeStr(xb._shape)}); the step was not applied, weights and optimiser state are as before it`);
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
        const t = now();
        if (t - lastDraw > 100 || s === steps - 1) {
          lastDraw = t;
          show.line(`epoch ${epoch}/${epochs} ${s + 1}/${steps} loss ${(lossSum / (start + count)).toFixed(4)}${labels ? ` accuracy ${(correct / (start + count)).toFixed(4)}` : ''}`);
        }
      }
      const logs: EpochLogs = { epoch, loss: lossSum / d.n, accuracy: d.labels ? correct / d.n : NaN, lr: optimizer.lr, time: 0 };
      history.loss.push(logs.loss);
      if (d.labels) history.accuracy.push(logs.accuracy);
      history.lr.push(optimizer.lr);
      if (val) {
        const r = evaluateOn(model, val, batchSize, lossSpec, 'fit (validation)');
        model.train();
        logs.valLoss = r.loss;
        logs.valAccuracy = r.accuracy;
        history.valLoss.push(r.loss);
        if (val.labels) history.valAccuracy.push(r.accuracy);
      }
      scheduler?.step(logs.valLoss); // the validation loss: ReduceLROnPlateau's metric, ignored by the others
      logs.time = (now() - t0) / 1000;
      history.time.push(logs.time);
      show.done(`epoch ${epoch}/${epochs} loss ${logs.loss.toFixed(4)}${d.labels ? ` accuracy ${logs.accuracy.toFixed(4)}` : ''}` +
        `${val ? ` val_loss ${logs.valLoss!.toFixed(4)}${val.labels ? ` val_accuracy ${logs.valAccuracy!.toFixed(4)}` : ''}` : ''} (${logs.time.toFixed(2)} s)`);
      if (onEpoch) {
        const r = await onEpoch(logs);
        if (r === false) break;
      }
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
  return history;
}

function evaluateOn(model: Module, d: Prepared, batchSize: number, lossSpec: LossSpec, op: string): { loss: number; accuracy: number } {
  const wasTraining = model.training;
  model.eval();
  const argmax = d.labels ? empty([batchSize], op, false) : null;
  try {
    return noGrad(() => {
      let lossSum = 0, correct = 0;
      for (let start = 0; start < d.n; start += batchSize) {
        const count = Math.min(batchSize, d.n - start);
        const labels = d.labels ? d.labels.subarray(start, start + count) : null;
        lossSum += tidy(() => {
          const xb = gather(d.x, d.features, d.shape, null, start, count, op);
          checkBatchFinite(xb, 'x', null, start, d.features, `${op.split(' ')[0]} batch at sample ${start}`);
          let tb: Tensor | null = null;
          if (d.targets) {
            const tSize = d.targetShape.reduce((a, b) => a * b, 1);
            tb = gather(d.targets, tSize, d.targetShape, null, start, count, op);
          }
          const out = model.forward(xb);
          if (labels && argmax) correct += countCorrect(out, labels, argmax);
          return lossOf(lossSpec, out, labels, tb).item();
        }) * count;
      }
      return { loss: lossSum / d.n, accuracy: d.labels ? correct / d.n : NaN };
    });
  } finally {
    argmax?.dispose();
    model.train(wasTraining);
  }
}

/** Mean loss and accuracy of `model` on `data`, in eval mode without recording gradients. */
export function evaluate(model: Module, data: Dataset, options: { batchSize?: number; loss?: LossSpec } = {}): { loss: number; accuracy: number } {
  const op = 'evaluate';
  const { batchSize = 256, loss = 'softmaxCrossEntropy' } = checkOptions<{ batchSize?: number; loss?: LossSpec }>(op, options, ['batchSize', 'loss']);
  if (!(model instanceof Module)) throw new Error(`evaluate: expected an nn.Module, got ${describe(model)}`);
  checkPositiveInt(op, 'batchSize', batchSize);
  const d = prepare(data, op, loss);
  checkLabelRange(model, d, op);
  return evaluateOn(model, d, batchSize, loss, op);
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
