// Weight penalties over a list of parameters (the notes' regularisation R(W)).
// l2 = λ Σ w²  (dw = 2λg · w);  l1 = λ Σ |w|  (dw = λg · sign(w)).

import { Tensor, output, assertLive } from '../tensor.js';
import { anyNeedsGrad, record, addGrad, scalarOf } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';

function checkParams(params: readonly Tensor[], lambda: number, op: string): void {
  if (!Array.isArray(params)) throw new Error(`${op}: expected an array of tensors (model.parameters())`);
  for (const p of params) assertLive(p, op);
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) throw new Error(`${op}: lambda must be a finite number ≥ 0, got ${lambda}`);
}

export function l2(params: readonly Tensor[], lambda: number): Tensor {
  const op = 'l2';
  checkParams(params, lambda, op);
  const K = wasm(op);
  let total = 0;
  for (const p of params) total += K.sumSquares(p.ptr, p.size);
  const out = output([], op);
  heapF32()[out.ptr >>> 2] = lambda * total;
  if (anyNeedsGrad(params)) {
    record(out, op, params.slice(), (g) => {
      const alpha = 2 * lambda * scalarOf(g);
      for (const p of params) addGrad(p, (dp, acc) => (acc ? K.axpy(p.ptr, dp, alpha, p.size) : K.scale(p.ptr, alpha, dp, p.size)));
    });
  }
  return out;
}

export function l1(params: readonly Tensor[], lambda: number): Tensor {
  const op = 'l1';
  checkParams(params, lambda, op);
  const K = wasm(op);
  let total = 0;
  for (const p of params) total += K.sumAbs(p.ptr, p.size);
  const out = output([], op);
  heapF32()[out.ptr >>> 2] = lambda * total;
  if (anyNeedsGrad(params)) {
    record(out, op, params.slice(), (g) => {
      const alpha = lambda * scalarOf(g);
      for (const p of params) {
        addGrad(p, (dp, acc) => {
          if (!acc) K.fill(dp, 0, p.size);
          K.signAxpy(p.ptr, dp, alpha, p.size);
        });
      }
    });
  }
  return out;
}
