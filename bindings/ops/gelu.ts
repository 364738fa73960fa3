// GELU: x·Φ(x) (approximate 'none', through erfc; error bound in assembly/activations.ts) or
// ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (approximate 'tanh'), as PyTorch's F.gelu.
// dx = dy·(Φ(x) + x·φ(x)), or the tanh form's derivative, from the input x.

import { Tensor, output, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export type GeluApproximate = 'none' | 'tanh';

export function gelu(x: Tensor, approximate: GeluApproximate = 'none'): Tensor {
  const op = 'gelu';
  assertLive(x, op);
  if (approximate !== 'none' && approximate !== 'tanh') throw shapeError(op, `approximate must be 'none' or 'tanh', got ${String(approximate)}`, x._shape);
  const K = wasm(op);
  const [fw, bw] = approximate === 'none' ? [K.gelu, K.geluBackward] : [K.geluTanh, K.geluTanhBackward];
  const y = output(x._shape, op);
  fw(x.ptr, y.ptr, x.size);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => bw(x.ptr, dy.ptr, dx, x.size)));
  return y;
}
