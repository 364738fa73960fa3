// Elementwise a ⊙ b (same shapes), or a times a number.  da = dy ⊙ b, db = dy ⊙ a.
// Other shapes that broadcast go through binary.ts.

import { Tensor, output, assertLive, sameShape } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';
import { scale } from './scale.js';
import { binaryOp } from './binary.js';
import { MUL } from './dims.js';

export function mul(a: Tensor, b: Tensor | number): Tensor {
  const op = 'mul';
  assertLive(a, op);
  if (typeof b === 'number') return scale(a, b);
  assertLive(b, op);
  if (!sameShape(a._shape, b._shape)) return binaryOp(op, MUL, a, b);
  const K = wasm(op);
  const y = output(a._shape, op);
  K.mul(a.ptr, b.ptr, y.ptr, a.size);
  if (needsGrad(a, b)) {
    record(y, op, [a, b], (dy) => {
      setGrad(a, (da) => K.mul(dy.ptr, b.ptr, da, a.size));
      setGrad(b, (db) => K.mul(dy.ptr, a.ptr, db, a.size));
    });
  }
  return y;
}
