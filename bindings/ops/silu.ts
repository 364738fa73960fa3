// SiLU (swish): x·σ(x).  dx = dy·σ(x)(1 + x(1 − σ(x))), from the input x.

import { Tensor, output, assertLive } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export function silu(x: Tensor): Tensor {
  const op = 'silu';
  assertLive(x, op);
  const K = wasm(op);
  const y = output(x._shape, op);
  K.silu(x.ptr, y.ptr, x.size);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => K.siluBackward(x.ptr, dy.ptr, dx, x.size)));
  return y;
}
