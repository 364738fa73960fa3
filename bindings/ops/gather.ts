// Indexing with PyTorch's names: gather, indexSelect, oneHot. Indices are a Tensor holding
// integers (as argmax returns them), an Int32Array, or (nested) number arrays; every index is
// checked against its dimension before any kernel runs. Gradients add into zeros at the
// picked positions (repeated indices accumulate): gather's is scatter_add, indexSelect's
// index_add (assembly/gather.ts).

import { Tensor, output, empty, tensor, assertLive, shapeError, shapeStr, describe, type Shape } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm, heapF32, heapI32 } from '../runtime.js';
import { normDim, prod } from './dims.js';

export type Index = Tensor | Int32Array | number[] | number[][] | number[][][];

/** The index values as Int32Array with their shape, checked to be integers in [0, size). */
function indexValues(op: string, index: unknown, size: number, what: string, xShape: Shape): { values: Int32Array; shape: number[] } {
  let raw: ArrayLike<number>, shape: number[];
  if (index instanceof Tensor) {
    assertLive(index, op);
    raw = index.data();
    shape = index.shape;
  } else if (index instanceof Int32Array) {
    raw = index;
    shape = [index.length];
  } else if (Array.isArray(index)) {
    const probe = tensor(index as number[]);
    raw = probe.data();
    shape = probe.shape;
    probe.dispose();
  } else {
    throw shapeError(op, `index must be a Tensor, an Int32Array or an array of integers, got ${describe(index)}`, xShape);
  }
  const values = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (!Number.isInteger(v)) throw shapeError(op, `index ${i} is ${v}, not an integer`, xShape);
    if (v < 0 || v >= size) throw shapeError(op, `index ${v} is out of range for ${what} of size ${size}`, xShape);
    values[i] = v;
  }
  return { values, shape };
}

/** Copies an Int32Array into an unscoped buffer (freed by the caller or the graph). */
function indexBuffer(op: string, values: Int32Array): Tensor {
  const t = empty([values.length], op, false);
  heapI32().set(values, t.ptr >>> 2);
  return t;
}

/**
 * Runs an indexing kernel: x as [outer, r, inner], k picks per row, the index copied into linear
 * memory (kept for backward, which zeroes dx and adds dy back at the picked positions).
 */
function indexed(op: string, x: Tensor, d: number, values: Int32Array, outShape: number[], k: number,
  forward: 'indexSelect' | 'gather', backward: 'indexAdd' | 'scatterAdd'): Tensor {
  const r = x._shape[d], outer = prod(x._shape, 0, d), inner = prod(x._shape, d + 1);
  const idx = indexBuffer(op, values);
  let y: Tensor;
  try {
    y = output(outShape, op);
  } catch (err) {
    idx.dispose();
    throw err;
  }
  const K = wasm(op);
  K[forward](x.ptr, idx.ptr, y.ptr, outer, r, k, inner);
  if (!needsGrad(x)) {
    idx.dispose();
    return y;
  }
  record(y, op, [x], (dy) => setGrad(x, (dx) => {
    K.fill(dx, 0, x.size);
    K[backward](dy.ptr, idx.ptr, dx, outer, r, k, inner);
  }), [idx]);
  return y;
}

/** out[…, j, …] = x[…, index[j], …] along `dim`, for a 1-D index (torch.index_select). */
export function indexSelect(x: Tensor, dim: number, index: Index): Tensor {
  const op = 'indexSelect';
  assertLive(x, op);
  const d = normDim(op, dim, x.rank, x._shape);
  const { values, shape } = indexValues(op, index, x._shape[d], `dimension ${dim}`, x._shape);
  if (shape.length !== 1) throw shapeError(op, `index must be one-dimensional, got shape ${shapeStr(shape)}`, x._shape);
  const outShape = x.shape;
  outShape[d] = values.length;
  return indexed(op, x, d, values, outShape, values.length, 'indexSelect', 'indexAdd');
}

/**
 * out[i][j][k] = x[i][index[i][j][k]][k] for dim = 1 (and likewise for any dim), as
 * torch.gather. `index` has x's rank and x's sizes except along `dim` (PyTorch also allows
 * smaller sizes elsewhere; here they must match). The output has index's shape.
 */
export function gather(x: Tensor, dim: number, index: Index): Tensor {
  const op = 'gather';
  assertLive(x, op);
  const d = normDim(op, dim, x.rank, x._shape);
  const { values, shape } = indexValues(op, index, x._shape[d], `dimension ${dim}`, x._shape);
  if (shape.length !== x.rank || shape.some((s, i) => i !== d && s !== x._shape[i])) {
    throw shapeError(op, `index must have the input's rank and sizes except in dimension ${dim}`, x._shape, shape);
  }
  return indexed(op, x, d, values, shape, shape[d], 'gather', 'scatterAdd');
}

/** [..., numClasses] with a 1 at each label (torch.nn.functional.one_hot); numClasses defaults to max + 1. */
export function oneHot(labels: Index, numClasses?: number): Tensor {
  const op = 'oneHot';
  if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses <= 0)) {
    throw new Error(`${op}: numClasses must be a positive integer, got ${String(numClasses)}`);
  }
  const limit = numClasses ?? 2 ** 24;
  const { values, shape } = indexValues(op, labels, limit, numClasses === undefined ? 'a class' : `${numClasses} classes`, []);
  let c = numClasses ?? 0;
  if (numClasses === undefined) for (const v of values) c = Math.max(c, v + 1);
  const y = output([...shape, c], op);
  const h = heapF32(), p = y.ptr >>> 2;
  h.fill(0, p, p + y.size);
  for (let i = 0; i < values.length; i++) h[p + i * c + values[i]] = 1;
  return y;
}
