// Classification metrics, scikit-learn's argument order (yTrue first). yPred is an Int32Array (or
// number[]) of predicted classes, or a Tensor of scores [n, classes] whose row-wise argmax (the
// first maximum, as torch.argmax) is the prediction.

import { Tensor, assertLive, describe } from './tensor.js';
import { options } from './options.js';

export type Classes = Int32Array | number[];

function classes(op: string, name: string, v: unknown): Int32Array {
  if (v instanceof Int32Array) {
    for (let i = 0; i < v.length; i++) if (v[i] < 0) throw new Error(`${op}: ${name}[${i}] is ${v[i]}, not a class index (≥ 0)`);
    return v;
  }
  if (!Array.isArray(v)) throw new Error(`${op}: ${name} must be an Int32Array or number[] of class indices, got ${describe(v)}`);
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 0x7fffffff) throw new Error(`${op}: ${name}[${i}] is ${String(c)}, not a class index (an integer ≥ 0)`);
    out[i] = c;
  }
  return out;
}

/** Scores [n, classes] as a copy of their values, checked. */
function scores(op: string, t: Tensor, n: number): { values: Float32Array; cols: number } {
  assertLive(t, op);
  if (t.rank !== 2) throw new Error(`${op}: scores must be a Tensor [samples, classes], got shape [${t.shape.join(',')}]`);
  const [rows, cols] = t.shape;
  if (rows !== n) throw new Error(`${op}: yTrue has ${n} samples but the scores have ${rows} rows; shape [${rows},${cols}]`);
  return { values: t.data(), cols };
}

/** Row-wise argmax of scores [n, classes] (the first of equal maxima). */
function argmaxRows(values: Float32Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0, bestV = values[r * cols];
    for (let c = 1; c < cols; c++) if (values[r * cols + c] > bestV) { bestV = values[r * cols + c]; best = c; }
    out[r] = best;
  }
  return out;
}

/** yTrue and the predicted classes, same length; numClasses from the scores' width if they are a Tensor. */
function pair(op: string, yTrue: unknown, yPred: unknown): { t: Int32Array; p: Int32Array; width: number } {
  const t = classes(op, 'yTrue', yTrue);
  let p: Int32Array, width = 0;
  if (yPred instanceof Tensor) {
    const s = scores(op, yPred, t.length);
    p = argmaxRows(s.values, t.length, s.cols);
    width = s.cols;
  } else {
    p = classes(op, 'yPred', yPred);
    if (p.length !== t.length) throw new Error(`${op}: yTrue has ${t.length} samples but yPred has ${p.length}`);
  }
  if (t.length === 0) throw new Error(`${op}: yTrue is empty (0 samples)`);
  return { t, p, width };
}

function maxPlusOne(a: Int32Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m + 1;
}

/**
 * The confusion matrix: m[i][j] counts samples of true class i predicted as j (rows true,
 * columns predicted, as scikit-learn). numClasses defaults to the scores' width, or one more than
 * the largest class seen; a class ≥ numClasses is an Error.
 */
export function confusionMatrix(yTrue: Classes, yPred: Classes | Tensor, numClasses?: number): number[][] {
  const op = 'confusionMatrix';
  const { t, p, width } = pair(op, yTrue, yPred);
  const seen = Math.max(maxPlusOne(t), maxPlusOne(p));
  let k = numClasses ?? Math.max(width, seen);
  if (numClasses !== undefined) {
    if (typeof numClasses !== 'number' || !Number.isInteger(numClasses) || numClasses < 1) throw new Error(`${op}: numClasses must be a positive integer, got ${String(numClasses)}`);
    if (seen > numClasses) throw new Error(`${op}: class ${seen - 1} appears but numClasses is ${numClasses}`);
    k = numClasses;
  }
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < t.length; i++) m[t[i]][p[i]]++;
  return m;
}

/**
 * The fraction of samples whose true class is among the k highest scores. A class tied with the
 * k-th score counts as in the top k (as TensorFlow's in_top_k).
 */
export function topKAccuracy(yTrue: Classes, scoresT: Tensor, k: number): number {
  const op = 'topKAccuracy';
  const t = classes(op, 'yTrue', yTrue);
  if (!(scoresT instanceof Tensor)) throw new Error(`${op}: scores must be a Tensor [samples, classes], got ${describe(scoresT)}`);
  const { values, cols } = scores(op, scoresT, t.length);
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) throw new Error(`${op}: k must be a positive integer, got ${String(k)}`);
  if (t.length === 0) throw new Error(`${op}: yTrue is empty (0 samples)`);
  let hits = 0;
  for (let r = 0; r < t.length; r++) {
    if (t[r] >= cols) throw new Error(`${op}: yTrue[${r}] is ${t[r]}, but the scores have ${cols} classes`);
    const own = values[r * cols + t[r]];
    let above = 0;
    for (let c = 0; c < cols; c++) if (values[r * cols + c] > own) above++;
    if (above < k) hits++;
  }
  return hits / t.length;
}

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

export interface PerClassPrecisionRecallF1 {
  /** One value per class 0 … numClasses − 1. */
  precision: number[];
  recall: number[];
  f1: number[];
  /** True samples per class. */
  support: number[];
}

export interface PrecisionRecallF1Options {
  /** 'macro' (default): the unweighted mean over classes; 'none': per class. */
  average?: 'macro' | 'none';
  /** Classes 0 … numClasses − 1 (default as confusionMatrix). */
  numClasses?: number;
}

/**
 * Precision, recall and F1 per class, or their macro average (the mean of the per-class values,
 * so macro F1 is the mean of the per-class F1s, as scikit-learn). A class never predicted has
 * precision 0, a class never true recall 0 (scikit-learn's zero_division=0); the macro average
 * runs over the classes that occur in yTrue or yPred, as scikit-learn's.
 */
export function precisionRecallF1(yTrue: Classes, yPred: Classes | Tensor, opts?: PrecisionRecallF1Options & { average?: 'macro' }): PrecisionRecallF1;
export function precisionRecallF1(yTrue: Classes, yPred: Classes | Tensor, opts: PrecisionRecallF1Options & { average: 'none' }): PerClassPrecisionRecallF1;
export function precisionRecallF1(yTrue: Classes, yPred: Classes | Tensor, opts: PrecisionRecallF1Options = {}): PrecisionRecallF1 | PerClassPrecisionRecallF1 {
  const op = 'precisionRecallF1';
  const { average = 'macro', numClasses } = options<PrecisionRecallF1Options>(op, opts, ['average', 'numClasses']);
  if (average !== 'macro' && average !== 'none') throw new Error(`${op}: average must be 'macro' or 'none', got ${String(average)}`);
  const m = confusionMatrix(yTrue, yPred, numClasses);
  const k = m.length;
  const precision: number[] = [], recall: number[] = [], f1: number[] = [], support: number[] = [];
  const present: number[] = [];
  for (let c = 0; c < k; c++) {
    let predicted = 0, actual = 0;
    for (let i = 0; i < k; i++) { predicted += m[i][c]; actual += m[c][i]; }
    const tp = m[c][c];
    const pr = predicted ? tp / predicted : 0, rc = actual ? tp / actual : 0;
    precision.push(pr); recall.push(rc); f1.push(pr + rc ? (2 * pr * rc) / (pr + rc) : 0); support.push(actual);
    if (predicted || actual) present.push(c);
  }
  if (average === 'none') return { precision, recall, f1, support };
  const mean = (v: number[]) => present.reduce((s, c) => s + v[c], 0) / present.length;
  return { precision: mean(precision), recall: mean(recall), f1: mean(f1) };
}
