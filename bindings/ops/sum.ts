// Σ a over all elements, a scalar.  da = g broadcast.

import { Tensor, output, assertLive } from '../tensor.js';
import { needsGrad, record, addGrad, scalarOf } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';

export function sum(a: Tensor): Tensor {
  const op = 'sum';
  assertLive(a, op);
  const K = wasm(op);
  const y = output([], op);
  heapF32()[y.ptr >>> 2] = K.sum(a.ptr, a.size);
  if (needsGrad(a)) {
    record(y, op, [a], (g) => {
      const v = scalarOf(g);
      addGrad(a, (da, acc) => (acc ? K.addScalar(da, v, da, a.size) : K.fill(da, v, a.size)));
    });
  }
  return y;
}
