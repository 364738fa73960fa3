// max(0, x).  dx = dy where x > 0.

import { Tensor, output, assertLive } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export function relu(x: Tensor): Tensor {
  const op = 'relu';
  assertLive(x, op);
  const K = wasm(op);
  const y = output(x._shape, op);
  K.relu(x.ptr, y.ptr, x.size);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => K.reluBackward(x.ptr, dy.ptr, dx, x.size)));
  return y;
}
