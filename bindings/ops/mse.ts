// Mean squared error over all elements (PyTorch's MSELoss, reduction 'mean').
// da = g/n · 2(a − b), db = g/n · 2(b − a).

import { Tensor, output, assertLive, shapeError, sameShape } from '../tensor.js';
import { needsGrad, record, setGrad, scalarOf } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';

export function mse(a: Tensor, b: Tensor): Tensor {
  const op = 'mse';
  assertLive(a, op); assertLive(b, op);
  if (!sameShape(a._shape, b._shape)) throw shapeError(op, 'prediction and target must have the same shape', a._shape, b._shape);
  const K = wasm(op);
  const n = a.size;
  const out = output([], op);
  heapF32()[out.ptr >>> 2] = K.mse(a.ptr, b.ptr, n);
  if (needsGrad(a, b)) {
    record(out, op, [a, b], (g) => {
      const s = scalarOf(g) / n;
      setGrad(a, (da) => K.mseBackward(a.ptr, b.ptr, da, n, s));
      setGrad(b, (db) => K.mseBackward(b.ptr, a.ptr, db, n, s));
    });
  }
  return out;
}
