// Shared by the toolkit ops: dimension arguments (negative counts from the end, as PyTorch),
// NumPy broadcasting of shapes, the geometry the strided kernels read (assembly/broadcast.ts),
// and raw (unrecorded) permute / broadcast / sum-to-shape used by forwards and backwards.

import { Tensor, empty, shapeError, shapeStr, describe, type Shape } from '../tensor.js';
import { wasm, allocBytes, freeBytes, heapI32, heapF32 } from '../runtime.js';

/** One dimension index in [−rank, rank) → [0, rank). */
export function normDim(op: string, dim: unknown, rank: number, shape: Shape, what = 'dim'): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim)) throw shapeError(op, `${what} must be an integer, got ${typeof dim === 'number' ? dim : describe(dim)}`, shape);
  const r = Math.max(rank, 1);
  if (dim < -r || dim >= r) throw shapeError(op, `${what} ${dim} is out of range for a tensor of rank ${rank} (expected ${-r} … ${r - 1})`, shape);
  return dim < 0 ? dim + r : dim;
}

/** A dim argument of a reduction: undefined/null = all, a number, or a list (sorted, distinct). */
export function normDims(op: string, dim: unknown, shape: Shape): number[] {
  const rank = shape.length;
  if (dim === undefined || dim === null) return shape.map((_, i) => i);
  const list = Array.isArray(dim) ? dim : [dim];
  const out = list.map((d) => normDim(op, d, rank, shape));
  const sorted = [...new Set(out)].sort((a, b) => a - b);
  if (sorted.length !== out.length) throw shapeError(op, `dim ${shapeStr(list as number[])} names a dimension twice`, shape);
  return rank === 0 ? [] : sorted;
}

/** Product of shape[from, to). */
export function prod(shape: Shape, from = 0, to = shape.length): number {
  let p = 1;
  for (let i = from; i < to; i++) p *= shape[i];
  return p;
}

/** The broadcast shape of `shapes` (NumPy rules), or a named Error. */
export function broadcastShape(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    let size = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + k] ?? 1;
      if (d === 1) continue;
      if (size !== 1 && size !== d) {
        throw shapeError(op, `shapes do not broadcast (dimension ${k - rank} is ${size} in one and ${d} in another)`, ...shapes);
      }
      size = d;
    }
    out.push(size);
  }
  return out;
}

export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/** Strides of `shape` read as `outShape` under broadcasting (0 along broadcast dimensions). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = contiguousStrides(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((_, k) => (k < lead || shape[k - lead] === 1 ? 0 : own[k - lead]));
}

/**
 * Runs broadcastBinary over `sizes` with element strides for a, b and out. Merges dimensions
 * that are contiguous in all three (and drops size-1 ones) so the innermost loop is long.
 */
export function strided(op: string, code: number, a: number, b: number, out: number,
  sizes: readonly number[], sa: readonly number[], sb: readonly number[], so: readonly number[]): void {
  const dims: Array<[number, number, number, number]> = [];
  for (let k = 0; k < sizes.length; k++) {
    if (sizes[k] === 1) continue;
    const last = dims[dims.length - 1];
    if (last && last[1] === sa[k] * sizes[k] && last[2] === sb[k] * sizes[k] && last[3] === so[k] * sizes[k]) {
      last[0] *= sizes[k]; last[1] = sa[k]; last[2] = sb[k]; last[3] = so[k];
    } else {
      dims.push([sizes[k], sa[k], sb[k], so[k]]);
    }
  }
  if (dims.length === 0) dims.push([1, 0, 0, 0]);
  const rank = dims.length;
  const geo = allocBytes(rank * 20, op);
  try {
    const h = heapI32(), g = geo >>> 2;
    for (let k = 0; k < rank; k++) for (let j = 0; j < 4; j++) h[g + 4 * k + j] = dims[k][j];
    wasm(op).broadcastBinary(a, b, out, geo, geo + rank * 16, rank, code);
  } finally {
    freeBytes(geo);
  }
}

// Operation codes of assembly/broadcast.ts.
export const ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAX = 4, MIN = 5, POW = 6, COPY = 7,
  MAX_WEIGHT = 8, MIN_WEIGHT = 9, POW_LOG = 10;

/** A new unscoped tensor holding op(a, b) broadcast to their common shape (no recording). */
export function rawBinary(op: string, code: number, a: Tensor, b: Tensor, outShape: Shape = broadcastShape(op, a._shape, b._shape)): Tensor {
  const y = empty(outShape, op, false);
  try {
    strided(op, code, a.ptr, b.ptr, y.ptr, outShape, broadcastStrides(a._shape, outShape), broadcastStrides(b._shape, outShape), contiguousStrides(outShape));
  } catch (err) {
    y.dispose();
    throw err;
  }
  return y;
}

/** A new unscoped copy of `x` with its dimensions reordered (`perm` already validated). */
export function rawPermute(op: string, x: Tensor, perm: readonly number[]): Tensor {
  const y = empty(perm.map((p) => x._shape[p]), op, false);
  permuteInto(op, x, perm, y.ptr);
  return y;
}

/** Writes `x` with its dimensions reordered by `perm` to `out` (x.size floats, no overlap). */
export function permuteInto(op: string, x: Tensor, perm: readonly number[], out: number): void {
  const shape = x._shape;
  const outShape = perm.map((p) => shape[p]);
  const y = { ptr: out };
  // Merge output dims that stay adjacent in the input; a [batch?, a, b] → [batch?, b, a] pattern
  // is a batch of matrix transposes and runs the blocked SIMD kernel.
  const groups: number[][] = [];
  for (const p of perm) {
    if (shape[p] === 1) continue;
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === p) last.push(p);
    else groups.push([p]);
  }
  const size = (g: number[]) => prod(shape, g[0], g[g.length - 1] + 1);
  const order = groups.map((g) => g[0]);
  const sortedOrder = [...order].sort((a, b) => a - b);
  const K = wasm(op);
  if (groups.length <= 1) {
    heapF32().copyWithin(y.ptr >>> 2, x.ptr >>> 2, (x.ptr >>> 2) + x.size); // the order is unchanged
  } else if (groups.length === 2 && order[0] > order[1]) {
    K.transpose(x.ptr, y.ptr, 1, size(groups[1]), size(groups[0]));
  } else if (groups.length === 3 && order[0] === sortedOrder[0] && order[1] > order[2]) {
    K.transpose(x.ptr, y.ptr, size(groups[0]), size(groups[2]), size(groups[1]));
  } else {
    const inStrides = contiguousStrides(shape);
    strided(op, COPY, x.ptr, x.ptr, y.ptr, outShape, perm.map((p) => inStrides[p]), perm.map(() => 0), contiguousStrides(outShape));
  }
}

/** The permutation that undoes `perm`. */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => { inv[p] = i; });
  return inv;
}

/**
 * A new unscoped tensor: Σ of `g` over the dimensions broadcasting added to reach `g`'s shape
 * from `shape` (the gradient of an input that was broadcast). Returns null when the shapes are
 * equal (use `g` itself).
 */
export function rawSumTo(op: string, g: Tensor, shape: Shape): Tensor | null {
  const gs = g._shape;
  if (gs.length === shape.length && gs.every((d, i) => d === shape[i])) return null;
  const lead = gs.length - shape.length;
  const dims: number[] = [];
  for (let k = 0; k < gs.length; k++) if (k < lead || (shape[k - lead] === 1 && gs[k] !== 1)) dims.push(k);
  const out = rawReduce(op, 'sum', g, dims);
  return out;
}

export type RawReduceKind = 'sum' | 'max' | 'min';

/** Raw Σ (max, min) of `x` over sorted `dims`, keepdim shape collapsed to the kept dims. */
export function rawReduce(op: string, kind: RawReduceKind, x: Tensor, dims: readonly number[]): Tensor {
  const { src, outer, r, inner, kept, temp } = reduceLayout(op, x, dims);
  try {
    const y = empty(kept.length ? kept : [], op, false);
    const K = wasm(op);
    if (kind === 'sum') K.reduceSum(src.ptr, y.ptr, outer, r, inner, 1);
    else if (kind === 'max') K.reduceMax(src.ptr, y.ptr, outer, r, inner);
    else K.reduceMin(src.ptr, y.ptr, outer, r, inner);
    return y;
  } finally {
    temp?.dispose();
  }
}

export interface Layout {
  /** The tensor the kernel reads: x itself, or (temp) x permuted so the reduced dims are contiguous. */
  src: Tensor;
  temp: Tensor | null;
  outer: number;
  r: number;
  inner: number;
  /** The shape of the kept dimensions. */
  kept: number[];
  /** The permutation that made `temp` (null when src is x). */
  perm: number[] | null;
}

/**
 * How a reduction over `dims` runs as [outer, r, inner]: directly when the reduced dims (ignoring
 * size-1 ones) are one contiguous run, else on an unscoped permuted copy with them last.
 */
export function reduceLayout(op: string, x: Tensor, dims: readonly number[]): Layout {
  const shape = x._shape;
  const set = new Set(dims);
  const kept = shape.filter((_, i) => !set.has(i));
  const real = dims.filter((d) => shape[d] !== 1);
  const r = prod(dims.map((d) => shape[d]));
  if (real.length === 0) return { src: x, temp: null, outer: x.size, r: 1, inner: 1, kept, perm: null };
  const first = real[0], last = real[real.length - 1];
  let contiguous = true;
  for (let k = first; k <= last; k++) if (!set.has(k) && shape[k] !== 1) contiguous = false;
  if (contiguous) {
    return { src: x, temp: null, outer: prod(shape, 0, first), r, inner: prod(shape, last + 1), kept, perm: null };
  }
  const perm = [...shape.keys()].filter((i) => !set.has(i)).concat(dims);
  const temp = rawPermute(op, x, perm);
  return { src: temp, temp, outer: prod(kept), r, inner: 1, kept, perm };
}
