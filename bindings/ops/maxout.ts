// Maxout: y[r,u] = max over the k pieces x[r, u·k .. u·k+k−1].  dx = dy routed to the argmax piece.

import { Tensor, output, empty, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export function maxout(x: Tensor, k: number): Tensor {
  const op = 'maxout';
  assertLive(x, op);
  if (!Number.isInteger(k) || k < 1) throw shapeError(op, `k must be a positive integer, got ${k}`, x._shape);
  if (x.rank !== 2 || x._shape[1] % k !== 0) throw shapeError(op, `input must be [rows, units·k] with k = ${k}`, x._shape);
  const rows = x._shape[0], units = x._shape[1] / k;
  const K = wasm(op);
  const y = output([rows, units], op);
  let argmax: Tensor;
  try {
    argmax = empty([rows, units], op, false); // int32 indices
  } catch (err) {
    y.dispose();
    throw err;
  }
  K.maxout(x.ptr, y.ptr, argmax.ptr, rows, units, k);
  if (needsGrad(x)) {
    record(y, op, [x], (dy) => setGrad(x, (dx) => K.maxoutBackward(dy.ptr, argmax.ptr, dx, rows, units, k)), [argmax]);
  } else {
    argmax.dispose();
  }
  return y;
}
