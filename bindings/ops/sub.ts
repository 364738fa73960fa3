// a − b: same shapes, a row vector b[cols] subtracted from every row of a[rows, cols], or a number,
// each with its own kernel; any other shapes that broadcast (v − M included) go through binary.ts.

import { Tensor, output, empty, assertLive, shapeError, sameShape } from '../tensor.js';
import { needsGrad, record, setGrad, addScaled } from '../autograd.js';
import { wasm } from '../runtime.js';
import { add, isRowBroadcast } from './add.js';
import { binaryOp } from './binary.js';
import { SUB } from './dims.js';

export function sub(a: Tensor, b: Tensor | number): Tensor {
  const op = 'sub';
  assertLive(a, op);
  if (typeof b === 'number') {
    if (!Number.isFinite(b)) throw shapeError(op, `the scalar must be finite, got ${b}`, a._shape);
    return add(a, -b);
  }
  assertLive(b, op);
  const K = wasm(op);
  if (sameShape(a._shape, b._shape)) {
    const y = output(a._shape, op);
    K.sub(a.ptr, b.ptr, y.ptr, a.size);
    if (needsGrad(a, b)) record(y, op, [a, b], (dy) => { addScaled(a, dy); addScaled(b, dy, -1); });
    return y;
  }
  if (!isRowBroadcast(a, b)) return binaryOp(op, SUB, a, b);
  const [rows, cols] = a._shape;
  const y = output(a._shape, op);
  const negB = empty(b._shape, op, false);
  K.scale(b.ptr, -1, negB.ptr, cols);
  K.addRowVector(a.ptr, negB.ptr, y.ptr, rows, cols);
  negB.dispose();
  if (needsGrad(a, b)) {
    record(y, op, [a, b], (dy) => {
      addScaled(a, dy);
      setGrad(b, (db) => { K.sumRows(dy.ptr, db, rows, cols, 0); K.scale(db, -1, db, cols); });
    });
  }
  return y;
}
