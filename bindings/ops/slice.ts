// Slicing and joining: slice (start/end/step per dimension, Python's rules), narrow, split,
// concat (cat), stack. All are strided copies (assembly/broadcast.ts); a slice's gradient is
// dy written back into zeros at the same strides, concat's is each input's block of dy.

import { Tensor, output, assertLive, shapeError, shapeStr, describe, type Shape } from '../tensor.js';
import { needsGrad, anyNeedsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';
import { normDim, strided, contiguousStrides, COPY } from './dims.js';
import { options } from '../options.js';

const RANGE_KEYS = ['start', 'end', 'step'];

/** One dimension of a slice: [start, end?, step?] or { start?, end?, step? }; null keeps it whole. */
export type SliceRange = null | undefined | number[] | { start?: number | null; end?: number | null; step?: number };

function resolve(op: string, spec: SliceRange, size: number, d: number, shape: Shape): [number, number, number] {
  if (spec === null || spec === undefined) return [0, size, 1];
  let start: unknown, end: unknown, step: unknown;
  if (Array.isArray(spec)) [start, end, step] = spec;
  else if (typeof spec === 'object') ({ start, end, step } = options<{ start?: number; end?: number; step?: number }>(`${op} (dimension ${d})`, spec, RANGE_KEYS));
  else throw shapeError(op, `the range for dimension ${d} must be [start, end, step], { start, end, step } or null, got ${describe(spec)}`, shape);
  const int = (v: unknown, name: string, dflt: number): number => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw shapeError(op, `${name} of dimension ${d} must be an integer, got ${String(v)}`, shape);
    return v;
  };
  const st = int(step, 'step', 1);
  if (st <= 0) throw shapeError(op, `step of dimension ${d} must be positive, got ${st}`, shape);
  // Python: negative counts from the end, then clamp into [0, size]
  const fix = (v: number) => Math.min(size, Math.max(0, v < 0 ? v + size : v));
  return [fix(int(start, 'start', 0)), fix(int(end, 'end', size)), st];
}

/** Shared by slice, narrow and split: the block at `starts` with `steps`, as a recorded op. */
function block(op: string, x: Tensor, starts: number[], sizes: number[], steps: number[]): Tensor {
  const inStrides = contiguousStrides(x._shape);
  let offset = 0;
  for (let d = 0; d < starts.length; d++) offset += starts[d] * inStrides[d];
  const sa = inStrides.map((s, d) => s * steps[d]);
  const y = output(sizes, op);
  const zero = sizes.map(() => 0);
  strided(op, COPY, x.ptr + offset * 4, 0, y.ptr, sizes, sa, zero, contiguousStrides(sizes));
  if (needsGrad(x)) {
    record(y, op, [x], (dy) => setGrad(x, (dx) => {
      wasm(op).fill(dx, 0, x.size);
      strided(op, COPY, dy.ptr, 0, dx + offset * 4, sizes, contiguousStrides(sizes), zero, sa);
    }));
  }
  return y;
}

/**
 * x[start:end:step, …] with one range per leading dimension (missing ones are whole).
 * Negative start/end count from the end and out-of-range bounds clamp, as in Python; a slice
 * that selects nothing is an Error (simdnet has no zero-size tensors).
 */
export function slice(x: Tensor, ranges: SliceRange[]): Tensor {
  const op = 'slice';
  assertLive(x, op);
  if (!Array.isArray(ranges)) throw shapeError(op, `ranges must be an array (one [start, end, step] per dimension), got ${describe(ranges)}`, x._shape);
  if (ranges.length > x.rank) throw shapeError(op, `${ranges.length} ranges for a tensor of rank ${x.rank}`, x._shape);
  const starts: number[] = [], sizes: number[] = [], steps: number[] = [];
  x._shape.forEach((size, d) => {
    const [s, e, st] = resolve(op, ranges[d], size, d, x._shape);
    const n = Math.max(0, Math.ceil((e - s) / st));
    if (n === 0) throw shapeError(op, `the range for dimension ${d} selects no elements (start ${s}, end ${e})`, x._shape);
    starts.push(s); sizes.push(n); steps.push(st);
  });
  return block(op, x, starts, sizes, steps);
}

/** `length` elements of dimension `dim` from `start` (PyTorch's narrow). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const op = 'narrow';
  assertLive(x, op);
  const d = normDim(op, dim, x.rank, x._shape);
  const size = x._shape[d];
  const s = typeof start === 'number' && start < 0 ? start + size : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length <= 0 || s + length > size) {
    throw shapeError(op, `start ${start} and length ${length} do not fit in dimension ${dim} of size ${size}`, x._shape);
  }
  const starts = x._shape.map(() => 0), sizes = x.shape, steps = x._shape.map(() => 1);
  starts[d] = s; sizes[d] = length;
  return block(op, x, starts, sizes, steps);
}

/**
 * Splits dimension `dim` into chunks of `size` (the last may be smaller), or into the listed
 * sizes (which must add up to the dimension), as torch.split.
 */
export function split(x: Tensor, sizeOrSections: number | number[], dim = 0): Tensor[] {
  const op = 'split';
  assertLive(x, op);
  const d = normDim(op, dim, x.rank, x._shape);
  const n = x._shape[d];
  let sections: number[];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections <= 0) throw shapeError(op, `the chunk size must be a positive integer, got ${sizeOrSections}`, x._shape);
    sections = [];
    for (let s = 0; s < n; s += sizeOrSections) sections.push(Math.min(sizeOrSections, n - s));
  } else if (Array.isArray(sizeOrSections)) {
    sections = sizeOrSections;
    if (sections.some((s) => !Number.isInteger(s) || s <= 0) || sections.reduce((a, b) => a + b, 0) !== n) {
      throw shapeError(op, `sections ${shapeStr(sections)} must be positive integers adding up to ${n} (dimension ${dim})`, x._shape);
    }
  } else {
    throw shapeError(op, `expected a chunk size or a list of sizes, got ${describe(sizeOrSections)}`, x._shape);
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sections) {
    out.push(narrow(x, d, at, s));
    at += s;
  }
  return out;
}

function join(op: string, tensors: Tensor[], dim: number, stack: boolean): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error(`${op}: expected a non-empty array of Tensors, got ${Array.isArray(tensors) ? 'an empty array' : describe(tensors)}`);
  tensors.forEach((t) => assertLive(t, op));
  const first = tensors[0]._shape;
  const rank = stack ? first.length + 1 : first.length;
  if (rank === 0) throw shapeError(op, 'cannot concatenate scalars (use stack)', first);
  const d = normDim(op, dim, rank, first);
  // each input as a block of the output: its shape, with the new size-1 dimension when stacking
  const shapes = tensors.map((t) => {
    const s = t.shape;
    if (stack) s.splice(d, 0, 1);
    return s;
  });
  const outShape = shapes[0].slice();
  outShape[d] = 0;
  for (const [i, s] of shapes.entries()) {
    const same = s.length === rank && s.every((v, k) => k === d || v === shapes[0][k]);
    if (!same) {
      throw shapeError(op, stack ? `every tensor must have the same shape; tensor ${i} differs` : `tensors must match except in dimension ${dim}; tensor ${i} differs`, first, tensors[i]._shape);
    }
    outShape[d] += s[d];
  }
  const y = output(outShape, op);
  const os = contiguousStrides(outShape);
  const offsets: number[] = [];
  let at = 0;
  for (const [i, t] of tensors.entries()) {
    offsets.push(at * os[d]);
    const zero = shapes[i].map(() => 0);
    strided(op, COPY, t.ptr, 0, y.ptr + offsets[i] * 4, shapes[i], contiguousStrides(shapes[i]), zero, os);
    at += shapes[i][d];
  }
  if (anyNeedsGrad(tensors)) {
    record(y, op, tensors, (dy) => {
      tensors.forEach((t, i) => setGrad(t, (dx) => {
        strided(op, COPY, dy.ptr + offsets[i] * 4, 0, dx, shapes[i], os, shapes[i].map(() => 0), contiguousStrides(shapes[i]));
      }));
    });
  }
  return y;
}

/** Joins tensors along an existing dimension (torch.cat). */
export function concat(tensors: Tensor[], dim = 0): Tensor {
  return join('concat', tensors, dim, false);
}

/** Joins same-shaped tensors along a new dimension `dim`. */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return join('stack', tensors, dim, true);
}
