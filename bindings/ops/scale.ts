// s · a for a number s.  da = s · dy.

import { Tensor, output, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, addScaled } from '../autograd.js';
import { wasm } from '../runtime.js';

export function scale(a: Tensor, s: number): Tensor {
  const op = 'scale';
  assertLive(a, op);
  if (typeof s !== 'number' || !Number.isFinite(s)) throw shapeError(op, `the factor must be a finite number, got ${s}`, a._shape);
  const y = output(a._shape, op);
  wasm(op).scale(a.ptr, s, y.ptr, a.size);
  if (needsGrad(a)) record(y, op, [a], (dy) => addScaled(a, dy, s));
  return y;
}
