// Matrix products on GEMM. matmul is the plain product; linear is the Dense layer's
// x·Wᵀ + b with the PyTorch weight layout W [out, in]. Their backward passes use the other two
// GEMM shapes (A·Bᵀ and Aᵀ·B), so all three training shapes run in the same kernel.

import type { FusedActivation } from './fused.js';
import { Tensor, output, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, addGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

/** C[m,n] = A[m,k]·B[k,n].  dA = dC·Bᵀ, dB = Aᵀ·dC. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const op = 'matmul';
  assertLive(a, op); assertLive(b, op);
  if (a.rank !== 2 || b.rank !== 2) throw shapeError(op, 'both operands must be 2-D', a._shape, b._shape);
  const [m, k] = a._shape, n = b._shape[1];
  if (b._shape[0] !== k) throw shapeError(op, `inner dimensions differ (${k} vs ${b._shape[0]})`, a._shape, b._shape);
  const c = output([m, n], op);
  const K = wasm(op);
  K.gemm(a.ptr, b.ptr, c.ptr, m, n, k, 0, 0, 0, 0);
  if (needsGrad(a, b)) {
    record(c, op, [a, b], (dc) => {
      addGrad(a, (da, acc) => K.gemm(dc.ptr, b.ptr, da, m, k, n, 0, 1, acc, 0)); // dC[m,n]·B[k,n]ᵀ
      addGrad(b, (db, acc) => K.gemm(a.ptr, dc.ptr, db, k, n, m, 1, 0, acc, 0)); // A[m,k]ᵀ·dC[m,n]
    });
  }
  return c;
}

/**
 * y[rows,out] = x[rows,in]·W[out,in]ᵀ + b[out] (bias fused into the GEMM).
 * dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy.
 */
export function linear(x: Tensor, w: Tensor, b: Tensor | null = null): Tensor {
  return linearFused(x, w, b, null);
}

/**
 * linear with `act` (inference only: no input may need a gradient) fused into the GEMM's tile
 * store: act(x·Wᵀ + b), bit for bit the two ops one after the other.
 */
export function linearFused(x: Tensor, w: Tensor, b: Tensor | null, act: FusedActivation | null): Tensor {
  const op = 'linear';
  assertLive(x, op); assertLive(w, op);
  if (b !== null) assertLive(b, op);
  const shapes = b ? [x._shape, w._shape, b._shape] : [x._shape, w._shape];
  if (x.rank !== 2 || w.rank !== 2) throw shapeError(op, 'input must be [rows, in] and weight [out, in]', ...shapes);
  const [rows, inF] = x._shape, outF = w._shape[0];
  if (w._shape[1] !== inF) throw shapeError(op, `input has ${inF} features but the weight expects ${w._shape[1]}`, ...shapes);
  if (b && (b.rank !== 1 || b._shape[0] !== outF)) throw shapeError(op, `bias must be [${outF}]`, ...shapes);
  const grad = needsGrad(x, w) || (b !== null && needsGrad(b));
  if (act && grad) throw new Error(`${op}: a fused activation is for inference only (no input may need a gradient)`);
  const y = output([rows, outF], op);
  const K = wasm(op);
  if (act) K.gemmAct(x.ptr, w.ptr, y.ptr, rows, outF, inF, 0, 1, b ? b.ptr : 0, act.code, act.alpha);
  else K.gemm(x.ptr, w.ptr, y.ptr, rows, outF, inF, 0, 1, 0, b ? b.ptr : 0);
  if (grad) {
    record(y, op, b ? [x, w, b] : [x, w], (dy) => {
      addGrad(x, (dx, acc) => K.gemm(dy.ptr, w.ptr, dx, rows, inF, outF, 0, 0, acc, 0)); // dy[rows,out]·W[out,in]
      addGrad(w, (dw, acc) => K.gemm(dy.ptr, x.ptr, dw, outF, inF, rows, 1, 0, acc, 0)); // dy[rows,out]ᵀ·x[rows,in]
      if (b) addGrad(b, (db, acc) => K.sumRows(dy.ptr, db, rows, outF, acc));
    });
  }
  return y;
}
