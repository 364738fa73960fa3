// a + b: same shapes, a row vector b[cols] broadcast over a[rows, cols] (either order), or a number,
// each with its own kernel; any other shapes that broadcast go through binary.ts.

import { Tensor, output, assertLive, shapeError, sameShape } from '../tensor.js';
import { needsGrad, record, addGrad, addScaled } from '../autograd.js';
import { wasm } from '../runtime.js';
import { binaryOp } from './binary.js';
import { ADD } from './dims.js';

/** True when `v` is [cols] and `m` is [rows, cols]. */
export function isRowBroadcast(m: Tensor, v: Tensor): boolean {
  return m.rank === 2 && v.rank === 1 && v._shape[0] === m._shape[1];
}

export function add(a: Tensor, b: Tensor | number): Tensor {
  const op = 'add';
  assertLive(a, op);
  const K = wasm(op);
  if (typeof b === 'number') {
    if (!Number.isFinite(b)) throw shapeError(op, `the scalar must be finite, got ${b}`, a._shape);
    const y = output(a._shape, op);
    K.addScalar(a.ptr, b, y.ptr, a.size);
    if (needsGrad(a)) record(y, op, [a], (dy) => addScaled(a, dy));
    return y;
  }
  assertLive(b, op);
  if (sameShape(a._shape, b._shape)) {
    const y = output(a._shape, op);
    K.add(a.ptr, b.ptr, y.ptr, a.size);
    if (needsGrad(a, b)) record(y, op, [a, b], (dy) => { addScaled(a, dy); addScaled(b, dy); });
    return y;
  }
  if (isRowBroadcast(b, a)) return add(b, a);
  if (!isRowBroadcast(a, b)) return binaryOp(op, ADD, a, b);
  const [rows, cols] = a._shape;
  const y = output(a._shape, op);
  K.addRowVector(a.ptr, b.ptr, y.ptr, rows, cols);
  if (needsGrad(a, b)) {
    record(y, op, [a, b], (dy) => {
      addScaled(a, dy);
      addGrad(b, (db, acc) => K.sumRows(dy.ptr, db, rows, cols, acc)); // db[c] = Σ_r dy[r,c]
    });
  }
  return y;
}
