// σ(x) = 1 / (1 + e⁻ˣ).  dx = dy · y(1 − y), from the output y.

import { Tensor, output, assertLive } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export function sigmoid(x: Tensor): Tensor {
  const op = 'sigmoid';
  assertLive(x, op);
  const K = wasm(op);
  const y = output(x._shape, op);
  K.sigmoid(x.ptr, y.ptr, x.size);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => K.sigmoidBackward(y.ptr, dy.ptr, dx, x.size)));
  return y;
}
