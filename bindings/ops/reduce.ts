// Reductions along dimensions, PyTorch's names and semantics: sum, mean, max, min, argmax,
// argmin, logsumexp, var, std over `dim` (a number, a list, negative counts from the end;
// omitted = every dimension), `keepdim` keeping the reduced dimensions as size 1.
//
// Each runs one kernel of assembly/reduce.ts on x viewed as [outer, r, inner]; reduced
// dimensions that are not one contiguous run are first permuted to the end (a copy). The
// backward of each sits beside its forward:
//   sum        dx = g broadcast              mean  dx = g / r broadcast
//   max/min    dx = g at the index the forward picked (the first extreme), 0 elsewhere
//   logsumexp  dx = g · e^(x − y)            var   dx = g · 2(x − mean) / (r − correction)
// argmax/argmin return indices as float32 values (exact below 2^24) and have no gradient.

import { Tensor, output, empty, assertLive, shapeError, describe } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';
import { normDims, normDim, reduceLayout, permuteInto, inversePerm, type Layout } from './dims.js';
import { options } from '../options.js';
import { sqrt } from './unary.js';
import { maximum, minimum } from './binary.js';

/** keepdim as a boolean, or { keepdim } (and { correction } for var/std). */
export type ReduceOptions = boolean | { keepdim?: boolean };
export type VarOptions = boolean | { keepdim?: boolean; correction?: number };

function parse(op: string, opts: unknown, shape: readonly number[], withCorrection = false): { keepdim: boolean; correction: number } {
  if (opts === undefined || opts === null) return { keepdim: false, correction: 1 };
  if (typeof opts === 'boolean') return { keepdim: opts, correction: 1 };
  if (typeof opts !== 'object') throw shapeError(op, `the third argument must be keepdim (a boolean) or an options object, got ${describe(opts)}`, shape);
  const o = opts as { keepdim?: unknown; correction?: unknown };
  options(op, o, withCorrection ? ['keepdim', 'correction'] : ['keepdim']);
  if (o.keepdim !== undefined && typeof o.keepdim !== 'boolean') throw shapeError(op, `keepdim must be a boolean, got ${describe(o.keepdim)}`, shape);
  const correction = o.correction ?? 1;
  if (typeof correction !== 'number' || !Number.isInteger(correction) || correction < 0) {
    throw shapeError(op, `correction must be a non-negative integer, got ${String(o.correction)}`, shape);
  }
  return { keepdim: o.keepdim === true, correction };
}

function outShape(shape: readonly number[], dims: readonly number[], keepdim: boolean, kept: number[]): number[] {
  return keepdim ? shape.map((d, i) => (dims.includes(i) ? 1 : d)) : kept;
}

/** Writes dx for x through the layout: straight into dst, or via the permuted buffer. */
function writeBack(op: string, x: Tensor, L: Layout, kernel: (dst: number) => void): void {
  if (!L.perm) {
    setGrad(x, kernel);
    return;
  }
  const tmp = empty(L.src._shape, op, false);
  try {
    kernel(tmp.ptr);
    setGrad(x, (dst) => permuteInto(op, tmp, inversePerm(L.perm!), dst));
  } finally {
    tmp.dispose();
  }
}

type Kind = 'sum' | 'mean' | 'logsumexp';

/** The checks every reduction starts with, and how it will run. */
function prepare(op: string, x: Tensor, dim: unknown, options: unknown, withCorrection = false) {
  assertLive(x, op);
  const { keepdim, correction } = parse(op, options, x._shape, withCorrection);
  const dims = normDims(op, dim, x._shape);
  const L = reduceLayout(op, x, dims);
  return { L, correction, shape: outShape(x._shape, dims, keepdim, L.kept), K: wasm(op) };
}

function additive(kind: Kind, x: Tensor, dim: unknown, options: unknown): Tensor {
  const op = kind;
  const { L, shape, K } = prepare(op, x, dim, options);
  const { src, outer, r, inner } = L;
  let y: Tensor;
  try {
    y = output(shape, op);
    if (kind === 'logsumexp') {
      const scratch = inner > 1 ? empty([inner], op, false) : null;
      try { K.reduceLogsumexp(src.ptr, y.ptr, scratch ? scratch.ptr : 0, outer, r, inner); } finally { scratch?.dispose(); }
    } else {
      K.reduceSum(src.ptr, y.ptr, outer, r, inner, kind === 'mean' ? 1 / r : 1);
    }
  } catch (err) {
    L.temp?.dispose();
    throw err;
  }
  // Only logsumexp's backward reads x again (sum and mean broadcast g).
  if (!needsGrad(x) || kind !== 'logsumexp') L.temp?.dispose();
  if (!needsGrad(x)) return y;
  const out = y;
  record(y, op, [x], (g) => writeBack(op, x, L, (dst) => {
    if (kind === 'logsumexp') K.logsumexpBackward(g.ptr, src.ptr, out.ptr, dst, outer, r, inner);
    else K.expandBackward(g.ptr, dst, outer, r, inner, kind === 'mean' ? 1 / r : 1);
  }), kind === 'logsumexp' && L.temp ? [L.temp] : null);
  return y;
}

/** Σ over `dim` (every dimension when omitted). */
export function sum(x: Tensor, dim?: number | number[] | null, options?: ReduceOptions): Tensor {
  return additive('sum', x, dim, options);
}

/** Mean over `dim` (every dimension when omitted). */
export function mean(x: Tensor, dim?: number | number[] | null, options?: ReduceOptions): Tensor {
  return additive('mean', x, dim, options);
}

/** log Σ e^x over `dim`, computed stably (every dimension when omitted). */
export function logsumexp(x: Tensor, dim?: number | number[] | null, options?: ReduceOptions): Tensor {
  return additive('logsumexp', x, dim, options);
}

function extreme(op: 'max' | 'min', x: Tensor, dim: unknown, options: unknown): Tensor {
  const { L, shape, K } = prepare(op, x, dim, options);
  const { src, outer, r, inner } = L;
  const grad = needsGrad(x);
  let y: Tensor, indices: Tensor | null = null;
  try {
    y = output(shape, op);
    if (!grad) {
      if (op === 'max') K.reduceMax(src.ptr, y.ptr, outer, r, inner);
      else K.reduceMin(src.ptr, y.ptr, outer, r, inner);
    } else {
      indices = empty([outer * inner], op, false);
      K.reduceArg(src.ptr, y.ptr, indices.ptr, outer, r, inner, op === 'min' ? 1 : 0);
    }
  } catch (err) {
    L.temp?.dispose();
    indices?.dispose();
    throw err;
  }
  L.temp?.dispose(); // max/min's backward needs only the indices
  if (!grad) return y;
  const idx = indices!;
  const LL: Layout = { ...L, temp: null };
  record(y, op, [x], (g) => writeBack(op, x, LL, (dst) => K.scatterBackward(g.ptr, idx.ptr, dst, outer, r, inner)), [idx]);
  return y;
}

/**
 * The largest element over `dim` (every dimension when omitted); NaN propagates. Returns the
 * values only (PyTorch's amax; the indices come from argmax). With a Tensor second argument it
 * is the elementwise maximum, as torch.max(a, b).
 */
export function max(x: Tensor, dim?: number | number[] | Tensor | null, options?: ReduceOptions): Tensor {
  if (dim instanceof Tensor) return maximum(x, dim);
  return extreme('max', x, dim, options);
}

/** The smallest element over `dim` (see max). */
export function min(x: Tensor, dim?: number | number[] | Tensor | null, options?: ReduceOptions): Tensor {
  if (dim instanceof Tensor) return minimum(x, dim);
  return extreme('min', x, dim, options);
}

function arg(op: 'argmax' | 'argmin', x: Tensor, dim: unknown, options: unknown): Tensor {
  assertLive(x, op);
  const { keepdim } = parse(op, options, x._shape);
  let dims: number[];
  if (dim === undefined || dim === null) {
    dims = x._shape.map((_, i) => i); // the index into the flattened tensor, as PyTorch
  } else {
    if (Array.isArray(dim)) throw shapeError(op, 'dim must be one dimension (a number), not a list', x._shape);
    dims = x.rank === 0 ? [] : [normDim(op, dim, x.rank, x._shape)];
  }
  const L = reduceLayout(op, x, dims);
  const shape = dim === undefined || dim === null ? (keepdim ? x._shape.map(() => 1) : []) : outShape(x._shape, dims, keepdim, L.kept);
  const values = empty([L.outer * L.inner], op, false);
  try {
    const y = output(shape, op);
    wasm(op).reduceArg(L.src.ptr, values.ptr, y.ptr, L.outer, L.r, L.inner, op === 'argmin' ? 1 : 0);
    return y;
  } finally {
    values.dispose();
    L.temp?.dispose();
  }
}

/** Index of the largest element over `dim` (of the flattened tensor when omitted); first on ties, first NaN wins. */
export function argmax(x: Tensor, dim?: number | null, options?: ReduceOptions): Tensor {
  return arg('argmax', x, dim, options);
}

/** Index of the smallest element over `dim` (see argmax). */
export function argmin(x: Tensor, dim?: number | null, options?: ReduceOptions): Tensor {
  return arg('argmin', x, dim, options);
}

/** Variance over `dim` with Bessel's correction (`correction` = 1 by default, as PyTorch). */
export function variance(x: Tensor, dim?: number | number[] | null, options?: VarOptions): Tensor {
  const op = 'var';
  const { L, shape, K, correction } = prepare(op, x, dim, options, true);
  const { src, outer, r, inner } = L;
  let y: Tensor, meanBuf: Tensor | null = null;
  try {
    y = output(shape, op);
    meanBuf = empty([outer * inner], op, false);
    K.reduceVar(src.ptr, meanBuf.ptr, y.ptr, outer, r, inner, 1 / (r - correction));
  } catch (err) {
    L.temp?.dispose();
    meanBuf?.dispose();
    throw err;
  }
  if (!needsGrad(x)) {
    L.temp?.dispose();
    meanBuf.dispose();
    return y;
  }
  const m = meanBuf;
  record(y, op, [x], (g) => writeBack(op, x, L, (dst) => K.varBackward(g.ptr, src.ptr, m.ptr, dst, outer, r, inner, 2 / (r - correction))),
    L.temp ? [L.temp, m] : [m]);
  return y;
}

/** Standard deviation over `dim`: √var (same options). */
export function std(x: Tensor, dim?: number | number[] | null, options?: VarOptions): Tensor {
  return sqrt(variance(x, dim, options));
}
