// Binary cross-entropy on logits (PyTorch's BCEWithLogitsLoss, reduction 'mean'), stable:
// mean of max(x, 0) − x·t + log(1 + e^−|x|). dx = g/n·(σ(x) − t), dt = g/n·(−x).

import { Tensor, output, assertLive, shapeError, sameShape } from '../tensor.js';
import { needsGrad, record, setGrad, scalarOf } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';

export function bceWithLogits(logits: Tensor, targets: Tensor): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  assertLive(logits, op); assertLive(targets, op);
  if (!sameShape(logits._shape, targets._shape)) throw shapeError(op, 'logits and targets must have the same shape', logits._shape, targets._shape);
  const K = wasm(op);
  const n = logits.size;
  const out = output([], op);
  heapF32()[out.ptr >>> 2] = K.bceWithLogits(logits.ptr, targets.ptr, n);
  if (needsGrad(logits, targets)) {
    record(out, op, [logits, targets], (g) => {
      const s = scalarOf(g) / n;
      setGrad(logits, (dx) => K.bceWithLogitsBackward(logits.ptr, targets.ptr, dx, n, s));
      setGrad(targets, (dt) => K.scale(logits.ptr, -s, dt, n));
    });
  }
  return out;
}
