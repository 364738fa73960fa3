// Shape ops with PyTorch's names: view (= reshape: tensors own their memory here, so a view is
// a copy too), flatten, squeeze, unsqueeze, permute, transpose. Gradients: the reshapes pass dy
// through (reshape.ts); permute's is dy permuted back.

import { Tensor, output, assertLive, shapeError, shapeStr, describe } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { reshape } from './reshape.js';
import { normDim, permuteInto, inversePerm } from './dims.js';

/** Same as reshape (a copy: simdnet tensors never share memory). */
export function view(x: Tensor, shape: number[]): Tensor {
  return reshape(x, shape);
}

/** Merges dimensions startDim … endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const op = 'flatten';
  assertLive(x, op);
  if (x.rank === 0) return reshape(x, [1]);
  const s = normDim(op, startDim, x.rank, x._shape, 'startDim'), e = normDim(op, endDim, x.rank, x._shape, 'endDim');
  if (s > e) throw shapeError(op, `startDim ${startDim} comes after endDim ${endDim}`, x._shape);
  const shape = x._shape;
  let merged = 1;
  for (let i = s; i <= e; i++) merged *= shape[i];
  return reshape(x, [...shape.slice(0, s), merged, ...shape.slice(e + 1)]);
}

/** Drops dimension `dim` if it has size 1 (every size-1 dimension when dim is omitted). */
export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  const op = 'squeeze';
  assertLive(x, op);
  const shape = x._shape;
  let drop: number[];
  if (dim === undefined) drop = shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  else drop = (Array.isArray(dim) ? dim : [dim]).map((d) => normDim(op, d, x.rank, shape)).filter((d) => shape[d] === 1);
  return reshape(x, shape.filter((_, i) => !drop.includes(i)));
}

/** Inserts a size-1 dimension at `dim` (in [−rank−1, rank], as PyTorch). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const op = 'unsqueeze';
  assertLive(x, op);
  if (typeof dim === 'number' && Number.isInteger(dim) && (dim < -x.rank - 1 || dim > x.rank)) {
    throw shapeError(op, `dim ${dim} is out of range (expected ${-x.rank - 1} … ${x.rank} to insert into a tensor of rank ${x.rank})`, x._shape);
  }
  const d = normDim(op, dim, x.rank + 1, x._shape);
  const shape = x.shape;
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** The dimensions reordered: output dimension i is input dimension dims[i]. */
export function permute(x: Tensor, dims: number[]): Tensor {
  const op = 'permute';
  assertLive(x, op);
  if (!Array.isArray(dims)) throw shapeError(op, `dims must be an array, got ${describe(dims)}`, x._shape);
  if (dims.length !== x.rank) throw shapeError(op, `dims ${shapeStr(dims)} must name each of the ${x.rank} dimensions once`, x._shape);
  const perm = dims.map((d) => normDim(op, d, x.rank, x._shape));
  if (new Set(perm).size !== perm.length) throw shapeError(op, `dims ${shapeStr(dims)} name a dimension twice`, x._shape);
  const y = output(perm.map((p) => x._shape[p]), op);
  permuteInto(op, x, perm, y.ptr);
  if (needsGrad(x)) {
    const inv = inversePerm(perm);
    record(y, op, [x], (dy) => setGrad(x, (dx) => permuteInto(op, dy, inv, dx)));
  }
  return y;
}

/** Swaps dimensions dim0 and dim1 (the last two by default: a matrix transpose). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const op = 'transpose';
  assertLive(x, op);
  if (x.rank < 2 && arguments.length < 2) return permute(x, x._shape.map((_, i) => i));
  const a = normDim(op, dim0, x.rank, x._shape, 'dim0'), b = normDim(op, dim1, x.rank, x._shape, 'dim1');
  const perm = x._shape.map((_, i) => i);
  perm[a] = b; perm[b] = a;
  return permute(x, perm);
}
