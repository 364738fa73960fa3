// Row-wise softmax (stable: the kernel subtracts each row's max). For training use
// loss.softmaxCrossEntropy on the logits, which fuses the two; this one is for inference, but it
// is differentiable too: dx = y ⊙ dy − y ⊙ rowsum(y ⊙ dy).

import { Tensor, output, empty, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export function softmax(x: Tensor): Tensor {
  const op = 'softmax';
  assertLive(x, op);
  if (x.rank !== 2 && x.rank !== 1) throw shapeError(op, 'input must be [rows, classes] or [classes]', x._shape);
  const rows = x.rank === 2 ? x._shape[0] : 1, cols = x._shape[x.rank - 1], n = x.size;
  const K = wasm(op);
  const y = output(x._shape, op);
  K.softmax(x.ptr, y.ptr, rows, cols);
  if (needsGrad(x)) {
    record(y, op, [x], (dy) => setGrad(x, (dx) => {
      const s = empty([rows], op, false), ones = empty([cols], op, false), u = empty([rows, cols], op, false);
      try {
        K.mul(y.ptr, dy.ptr, dx, n);                        // t = y ⊙ dy
        K.sumCols(dx, s.ptr, rows, cols);                   // s[r] = Σ_c t[r,c]
        K.fill(ones.ptr, 1, cols);
        K.gemm(s.ptr, ones.ptr, u.ptr, rows, cols, 1, 0, 0, 0, 0); // u[r,c] = s[r]
        K.mul(y.ptr, u.ptr, u.ptr, n);                      // u = y ⊙ s
        K.sub(dx, u.ptr, dx, n);                            // dx = t − u
      } finally {
        s.dispose(); ones.dispose(); u.dispose();
      }
    }));
  }
  return y;
}
