// The same elements under another shape (a copy; one dimension may be −1).  dx = dy.

import { Tensor, output, assertLive, shapeError, shapeStr } from '../tensor.js';
import { needsGrad, record, addScaled } from '../autograd.js';
import { heapF32 } from '../runtime.js';

export function reshape(x: Tensor, shape: number[]): Tensor {
  const op = 'reshape';
  assertLive(x, op);
  if (!Array.isArray(shape)) throw shapeError(op, 'shape must be an array', x._shape);
  const dims = shape.slice();
  let known = 1, free = -1;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (d === -1 && free < 0) free = i;
    else if (!Number.isInteger(d) || d <= 0) throw shapeError(op, `bad target shape ${shapeStr(shape)}`, x._shape);
    else known *= d;
  }
  if (free >= 0) {
    if (x.size % known !== 0) throw shapeError(op, `cannot infer the −1 in ${shapeStr(shape)} from ${x.size} elements`, x._shape);
    dims[free] = x.size / known;
    known = x.size;
  }
  if (known !== x.size) throw shapeError(op, `target shape ${shapeStr(shape)} holds ${known} elements, not ${x.size}`, x._shape, shape);
  const y = output(dims, op);
  heapF32().copyWithin(y.ptr >>> 2, x.ptr >>> 2, (x.ptr >>> 2) + x.size);
  if (needsGrad(x)) record(y, op, [x], (dy) => addScaled(x, dy));
  return y;
}
