// x for x > 0, alpha·(eˣ − 1) otherwise.  dx = dy · (x > 0 ? 1 : alpha·eˣ).

import { Tensor, output, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export function elu(x: Tensor, alpha = 1): Tensor {
  const op = 'elu';
  assertLive(x, op);
  if (!Number.isFinite(alpha)) throw shapeError(op, `alpha must be finite, got ${alpha}`, x._shape);
  const K = wasm(op);
  const y = output(x._shape, op);
  K.elu(x.ptr, y.ptr, x.size, alpha);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => K.eluBackward(x.ptr, dy.ptr, dx, x.size, alpha)));
  return y;
}
