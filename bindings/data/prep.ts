// Small array helpers for getting data ready for fit(): one-hot targets, per-feature
// standardisation, and a seeded train/test split. They work on plain typed arrays (row-major,
// `features` values per sample), like { x, y } data sets, and allocate no tensors.

import { options } from '../options.js';
import { permutation, generator } from '../random.js';
import { describe } from '../tensor.js';
import type { Dataset } from '../dataset.js';

function classList(op: string, labels: unknown): Int32Array {
  if (labels instanceof Int32Array) return labels;
  if (Array.isArray(labels) && labels.every((v) => Number.isInteger(v))) return Int32Array.from(labels);
  throw new Error(`${op}: labels must be an Int32Array or number[] of class indices, got ${describe(labels)}`);
}

/**
 * Class labels as one-hot rows: [n, numClasses] row-major, 1 at each label's column (for 'mse' or
 * a custom loss). numClasses defaults to the largest label + 1.
 */
export function oneHot(labels: Int32Array | number[], numClasses?: number): Float32Array {
  const op = 'oneHot';
  const y = classList(op, labels);
  let max = -1;
  for (let i = 0; i < y.length; i++) {
    if (y[i] < 0) throw new Error(`${op}: label ${y[i]} of sample ${i} is negative`);
    if (y[i] > max) max = y[i];
  }
  const k = numClasses ?? max + 1;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) throw new Error(`${op}: numClasses must be a positive integer, got ${String(numClasses)}`);
  if (max >= k) throw new Error(`${op}: label ${max} is outside [0, ${k}) (numClasses ${k})`);
  if (y.length * k > 2 ** 28) throw new Error(`${op}: ${y.length} × ${k} values is too many for one array`);
  const out = new Float32Array(y.length * k);
  for (let i = 0; i < y.length; i++) out[i * k + y[i]] = 1;
  return out;
}

export interface NormalizeOptions {
  /** Values per sample (columns); default: mean's length, else required. */
  features?: number;
  /** Per-feature means and standard deviations to apply (e.g. the training set's); computed from x when omitted. */
  mean?: Float32Array | number[];
  std?: Float32Array | number[];
}

export interface Normalized {
  x: Float32Array;
  mean: Float32Array;
  std: Float32Array;
}

/**
 * Standardises each feature column: (x − mean) / std, with the population std (as scikit-learn's
 * StandardScaler); a constant column (std 0) is only centred. Returns the new values and the
 * mean/std used, to apply the same transform to test data: normalize(test, { mean, std }).
 */
export function normalize(x: Float32Array, opts: NormalizeOptions = {}): Normalized {
  const op = 'normalize';
  const { features: f, mean, std } = options<NormalizeOptions>(op, opts, ['features', 'mean', 'std'], { example: '{ features: 4 } or { mean, std }' });
  if (!(x instanceof Float32Array)) throw new Error(`${op}: x must be a Float32Array (row-major samples), got ${describe(x)}`);
  if ((mean === undefined) !== (std === undefined)) throw new Error(`${op}: pass both mean and std, or neither`);
  const vec = (name: string, v: unknown): Float32Array => {
    if (v instanceof Float32Array) return v;
    if (Array.isArray(v) && v.every((e) => typeof e === 'number' && Number.isFinite(e))) return Float32Array.from(v);
    throw new Error(`${op}: ${name} must be a Float32Array or number[] of finite values, got ${describe(v)}`);
  };
  const m0 = mean === undefined ? null : vec('mean', mean);
  const s0 = std === undefined ? null : vec('std', std);
  const features = f ?? m0?.length;
  if (features === undefined) throw new Error(`${op}: missing required option 'features' (values per sample): pass { features: 4 }`);
  if (typeof features !== 'number' || !Number.isInteger(features) || features < 1) throw new Error(`${op}: features must be a positive integer, got ${String(features)}`);
  if (x.length === 0 || x.length % features !== 0) throw new Error(`${op}: x holds ${x.length} values, not a whole number of samples of ${features} features`);
  if (m0 && (m0.length !== features || s0!.length !== features)) throw new Error(`${op}: mean and std must hold ${features} values each, got ${m0.length} and ${s0!.length}`);
  const n = x.length / features;
  let m = m0, s = s0;
  if (!m || !s) {
    const sum = new Float64Array(features), sq = new Float64Array(features);
    for (let i = 0; i < n; i++) for (let j = 0; j < features; j++) sum[j] += x[i * features + j];
    for (let j = 0; j < features; j++) sum[j] /= n;
    for (let i = 0; i < n; i++) for (let j = 0; j < features; j++) { const d = x[i * features + j] - sum[j]; sq[j] += d * d; }
    m = Float32Array.from(sum);
    s = Float32Array.from(sq, (v) => Math.sqrt(v / n));
  }
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < features; j++) {
      const d = s[j] > 0 ? s[j] : 1;
      out[i * features + j] = (x[i * features + j] - m[j]) / d;
    }
  }
  if (!out.every(Number.isFinite)) throw new Error(`${op}: x holds NaN or Infinity`);
  return { x: out, mean: m, std: s };
}

export interface TrainTestSplitOptions {
  /** The fraction of samples for the test part (default 0.25, as scikit-learn), or a count of samples. */
  testSize?: number;
  /** Shuffle before splitting (default true). */
  shuffle?: boolean;
  /** Shuffle from a generator of this seed (default: the global seeded generator). */
  seed?: number;
}

type ArrayData = { x: Float32Array; y: Int32Array | Float32Array | number[]; shape?: number[] };

/** scikit-learn's train_test_split for a { x, y, shape } data set of typed arrays: two new data sets, copies. */
export function trainTestSplit(data: ArrayData, opts: TrainTestSplitOptions = {}): { train: Dataset; test: Dataset } {
  const op = 'trainTestSplit';
  const { testSize = 0.25, shuffle = true, seed } = options<TrainTestSplitOptions>(op, opts, ['testSize', 'shuffle', 'seed']);
  if (data === null || typeof data !== 'object') throw new Error(`${op}: data must be { x, y, shape }, got ${describe(data)}`);
  const { x, y, shape } = data;
  if (!(x instanceof Float32Array)) throw new Error(`${op}: data.x must be a Float32Array, got ${describe(x)}`);
  if (!(y instanceof Int32Array) && !(y instanceof Float32Array) && !Array.isArray(y)) throw new Error(`${op}: data.y must be an Int32Array, Float32Array or number[], got ${describe(y)}`);
  const n = y.length;
  if (n < 2) throw new Error(`${op}: needs at least 2 samples, got ${n}`);
  const features = x.length / n;
  if (!Number.isInteger(features) || features < 1) throw new Error(`${op}: data.x holds ${x.length} values, not a whole number per each of ${n} samples`);
  if (shape !== undefined && (!Array.isArray(shape) || shape.reduce((a, b) => a * b, 1) !== features)) throw new Error(`${op}: data.shape [${String(shape)}] does not hold ${features} values per sample`);
  if (typeof shuffle !== 'boolean') throw new Error(`${op}: shuffle must be true or false, got ${String(shuffle)}`);
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) throw new Error(`${op}: seed must be a finite number, got ${String(seed)}`);
  if (typeof testSize !== 'number' || !(testSize > 0) || (testSize >= 1 && !Number.isInteger(testSize))) {
    throw new Error(`${op}: testSize must be a fraction in (0, 1) or a whole number of samples, got ${String(testSize)}`);
  }
  const nTest = testSize < 1 ? Math.ceil(testSize * n) : testSize;
  if (nTest >= n) throw new Error(`${op}: testSize ${testSize} of ${n} samples leaves none to train on`);
  const order = shuffle ? permutation(n, undefined, seed === undefined ? undefined : generator(seed)) : Int32Array.from({ length: n }, (_, i) => i);
  const floats = y instanceof Float32Array || (Array.isArray(y) && !y.every((v) => Number.isInteger(v)));
  const part = (from: number, to: number): Dataset => {
    const idx = order.subarray(from, to);
    const px = new Float32Array(idx.length * features);
    idx.forEach((r, i) => px.set(x.subarray(r * features, (r + 1) * features), i * features));
    const py = floats ? Float32Array.from(idx, (r) => y[r]) : Int32Array.from(idx, (r) => y[r]);
    return shape ? { x: px, y: py, shape: shape.slice() } : { x: px, y: py };
  };
  return { train: part(0, n - nTest), test: part(n - nTest, n) };
}
