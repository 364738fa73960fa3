// x for x > 0, slope·x otherwise.  dx = dy · (x > 0 ? 1 : slope).

import { Tensor, output, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  const op = 'leakyRelu';
  assertLive(x, op);
  if (!Number.isFinite(slope)) throw shapeError(op, `slope must be finite, got ${slope}`, x._shape);
  const K = wasm(op);
  const y = output(x._shape, op);
  K.leakyRelu(x.ptr, y.ptr, x.size, slope);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => K.leakyReluBackward(x.ptr, dy.ptr, dx, x.size, slope)));
  return y;
}
