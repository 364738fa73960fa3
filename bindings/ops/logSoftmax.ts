// Log-softmax over the last dimension, fused and stable: y = (x − max) − log Σ e^(x − max).
// dx = dy − e^y·Σ dy (per row), from the output y.

import { Tensor, output, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export function logSoftmax(x: Tensor): Tensor {
  const op = 'logSoftmax';
  assertLive(x, op);
  if (x.rank < 1) throw shapeError(op, 'input needs at least one dimension (the classes)', x._shape);
  const cols = x._shape[x.rank - 1], rows = x.size / cols;
  const K = wasm(op);
  const y = output(x._shape, op);
  K.logSoftmax(x.ptr, y.ptr, rows, cols);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => K.logSoftmaxBackward(y.ptr, dy.ptr, dx, rows, cols)));
  return y;
}
