// Mean of all elements, a scalar.  da = g / n broadcast.

import { Tensor, output, assertLive } from '../tensor.js';
import { needsGrad, record, addGrad, scalarOf } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';

export function mean(a: Tensor): Tensor {
  const op = 'mean';
  assertLive(a, op);
  const K = wasm(op);
  const n = a.size;
  const y = output([], op);
  heapF32()[y.ptr >>> 2] = K.sum(a.ptr, n) / n;
  if (needsGrad(a)) {
    record(y, op, [a], (g) => {
      const v = scalarOf(g) / n;
      addGrad(a, (da, acc) => (acc ? K.addScalar(da, v, da, n) : K.fill(da, v, n)));
    });
  }
  return y;
}
