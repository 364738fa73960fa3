// tanh(x).  dx = dy · (1 − y²), from the output y.

import { Tensor, output, assertLive } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export function tanh(x: Tensor): Tensor {
  const op = 'tanh';
  assertLive(x, op);
  const K = wasm(op);
  const y = output(x._shape, op);
  K.tanh(x.ptr, y.ptr, x.size);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => K.tanhBackward(y.ptr, dy.ptr, dx, x.size)));
  return y;
}
