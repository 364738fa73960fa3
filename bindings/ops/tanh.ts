// tanh(x).  dx = dy · (1 − y²), from the output y.

import { Tensor, output, assertLive } from '../tensor';
import { needsGrad, record, setGrad } from '../autograd';
import { wasm } from '../runtime';

export function tanh(x: Tensor): Tensor {
  const op = 'tanh';
  assertLive(x, op);
  const K = wasm(op);
  const y = output(x._shape, op);
  K.tanh(x.ptr, y.ptr, x.size);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => K.tanhBackward(y.ptr, dy.ptr, dx, x.size)));
  return y;
}
