// Hardtanh: min(max(x, min), max); ReLU6 is hardtanh(x, 0, 6). dx = dy where min < x < max and 0
// elsewhere (PyTorch's choice at the bounds).

import { Tensor, output, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export function hardtanh(x: Tensor, min = -1, max = 1): Tensor {
  const op = 'hardtanh';
  assertLive(x, op);
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) {
    throw shapeError(op, `min and max must be finite numbers with min < max, got ${String(min)} and ${String(max)}`, x._shape);
  }
  const K = wasm(op);
  const y = output(x._shape, op);
  K.hardtanh(x.ptr, y.ptr, x.size, min, max);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => K.hardtanhBackward(x.ptr, dy.ptr, dx, x.size, min, max)));
  return y;
}

export function relu6(x: Tensor): Tensor {
  return hardtanh(x, 0, 6);
}
