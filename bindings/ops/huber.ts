// Huber loss (PyTorch's HuberLoss, reduction 'mean'): with d = a − b, ½d² where |d| ≤ delta and
// delta·(|d| − ½delta) beyond. da = g/n·clamp(d, −delta, delta) = −db.

import { Tensor, output, assertLive, shapeError, sameShape } from '../tensor.js';
import { needsGrad, record, setGrad, scalarOf } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';

export function huber(a: Tensor, b: Tensor, delta = 1): Tensor {
  const op = 'huber';
  assertLive(a, op); assertLive(b, op);
  if (!sameShape(a._shape, b._shape)) throw shapeError(op, 'prediction and target must have the same shape', a._shape, b._shape);
  if (!(typeof delta === 'number' && delta > 0 && Number.isFinite(delta))) throw shapeError(op, `delta must be a positive number, got ${String(delta)}`, a._shape);
  const K = wasm(op);
  const n = a.size;
  const out = output([], op);
  heapF32()[out.ptr >>> 2] = K.huber(a.ptr, b.ptr, n, delta);
  if (needsGrad(a, b)) {
    record(out, op, [a, b], (g) => {
      const s = scalarOf(g) / n;
      setGrad(a, (da) => K.huberBackward(a.ptr, b.ptr, da, n, delta, s));
      setGrad(b, (db) => K.huberBackward(b.ptr, a.ptr, db, n, delta, s));
    });
  }
  return out;
}
