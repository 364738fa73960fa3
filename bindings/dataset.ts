// Data sets as fit/evaluate/DataLoader see them: { x, y, shape } checked once (prepare), split
// into training and validation parts without copying (split), and copied a batch at a time into
// tensors (gather, batch).

import { Tensor, empty, shapeError, shapeStr, describe, assertLive } from './tensor.js';
import { wasm, heapF32 } from './runtime.js';
import type { LossSpec } from './train.js';

/** Samples: x row-major (n × prod(shape)), y class labels or float targets. */
export interface Dataset {
  x: Float32Array | Tensor;
  /** Int32Array (or number[]) of class labels; Float32Array or Tensor of targets for 'mse'. */
  y: Int32Array | number[] | Float32Array | Tensor;
  /** The shape of one sample, e.g. [784]; defaults to x's per-sample size (or x.shape.slice(1)). */
  shape?: number[];
}


/** A data set checked once, with a way to copy any list of samples into a batch tensor. */
export interface Prepared {
  n: number;
  features: number;
  shape: number[];
  labels: Int32Array | null;
  targets: Float32Array | Tensor | null;
  targetShape: number[];
  x: Float32Array | Tensor;
  /** Row of sample 0 in x and targets (a validationSplit's part reads rows offset … offset + n). */
  offset: number;
}

export function prepare(data: Dataset, op: string, lossSpec: LossSpec | undefined): Prepared {
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
  return { n, features, shape, labels, targets, targetShape, x, offset: 0 };
}

/**
 * Copies samples idx[start .. start+count) (or start .. start+count) of a row-major source, whose
 * sample 0 is row `offset`, into a new [count, ...shape] tensor.
 */
export function gather(src: Float32Array | Tensor, rowSize: number, shape: number[], idx: Int32Array | null, start: number, count: number, op: string, offset = 0): Tensor {
  const t = empty([count, ...shape], op);
  const heap = heapF32();
  const dst = t.ptr >>> 2;
  if (offset !== 0 && !(src instanceof Tensor)) src = src.subarray(offset * rowSize);
  if (src instanceof Tensor) {
    const base = (src.ptr >>> 2) + offset * rowSize;
    if (!idx) heap.copyWithin(dst, base + start * rowSize, base + (start + count) * rowSize);
    else for (let i = 0; i < count; i++) { const r = idx[start + i]; heap.copyWithin(dst + i * rowSize, base + r * rowSize, base + (r + 1) * rowSize); }
  } else if (!idx) {
    heap.set(src.subarray(start * rowSize, (start + count) * rowSize), dst);
  } else {
    for (let i = 0; i < count; i++) { const r = idx[start + i]; heap.set(src.subarray(r * rowSize, (r + 1) * rowSize), dst + i * rowSize); }
  }
  return t;
}

export function checkBatchFinite(t: Tensor, what: string, idx: Int32Array | null, start: number, rowSize: number, context: string): void {
  const bad = wasm('fit').countNonFinite(t.ptr, t.size) as number;
  if (bad === 0) return;
  const heap = heapF32(), p = t.ptr >>> 2;
  let first = 0;
  while (first < t.size && Number.isFinite(heap[p + first])) first++;
  const row = Math.floor(first / rowSize);
  const sample = idx ? idx[start + row] : start + row;
  throw shapeError(context.split(' ')[0], `${what} of sample ${sample} contains ${heap[p + first]} (${context.slice(context.indexOf(' ') + 1)}); nothing was updated`, t._shape);
}


/** The samples of batch rows idx[start .. start+count) (or start .. start+count): x, labels or targets. */
export function batch(d: Prepared, idx: Int32Array | null, start: number, count: number, op: string, labelBuf: Int32Array | null):
  { x: Tensor; labels: Int32Array | null; target: Tensor | null } {
  const x = gather(d.x, d.features, d.shape, idx, start, count, op, d.offset);
  let labels: Int32Array | null = null;
  if (d.labels) {
    if (idx && labelBuf) { for (let i = 0; i < count; i++) labelBuf[i] = d.labels[idx[start + i]]; labels = labelBuf.subarray(0, count); }
    else labels = d.labels.subarray(start, start + count);
  }
  let target: Tensor | null = null;
  if (d.targets) {
    const tSize = d.targetShape.reduce((a, b) => a * b, 1);
    try {
      target = gather(d.targets, tSize, d.targetShape, idx, start, count, op, d.offset);
    } catch (err) {
      x.dispose();
      throw err;
    }
  }
  return { x, labels, target };
}

/** Keras' validation_split: the last ⌈fraction·n⌉ samples (before any shuffling) validate, the rest train. */
export function split(d: Prepared, fraction: unknown, op: string): [Prepared, Prepared] {
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1)) throw new Error(`${op}: validationSplit must be a fraction in (0, 1), got ${String(fraction)}`);
  const nVal = Math.ceil(d.n * fraction), nTrain = d.n - nVal;
  if (nTrain < 1) throw new Error(`${op}: validationSplit ${fraction} of ${d.n} samples leaves none to train on`);
  const part = (offset: number, n: number): Prepared => ({
    ...d, n, offset: d.offset + offset, labels: d.labels ? d.labels.subarray(offset, offset + n) : null,
  });
  return [part(0, nTrain), part(nTrain, nVal)];
}
