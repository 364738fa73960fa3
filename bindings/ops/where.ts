// where(cond, a, b): a where cond ≠ 0, else b, all three broadcast (torch.where with a float
// mask). Operands not already of the output's shape are expanded first (strided copies), then
// one select kernel runs. da = dy where cond, db = dy elsewhere, each summed back to its shape.

import { Tensor, output, empty, assertLive, describe } from '../tensor.js';
import { needsGrad, record, addScaled } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';
import { broadcastShape, rawBinary, rawSumTo, COPY } from './dims.js';

function asTensor(op: string, v: unknown, temps: Tensor[]): Tensor {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) throw new Error(`${op}: a number operand must not be NaN`);
    const t = empty([], op, false);
    heapF32()[t.ptr >>> 2] = v;
    temps.push(t);
    return t;
  }
  if (!(v instanceof Tensor)) throw new Error(`${op}: expected a Tensor or a number, got ${describe(v)}`);
  assertLive(v, op);
  return v;
}

export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const op = 'where';
  if (!(cond instanceof Tensor)) throw new Error(`${op}: cond must be a Tensor (nonzero = true), got ${describe(cond)}`);
  assertLive(cond, op);
  const temps: Tensor[] = [];
  try {
    const A = asTensor(op, a, temps), B = asTensor(op, b, temps);
    const shape = broadcastShape(op, cond._shape, A._shape, B._shape);
    const n = shape.reduce((p, d) => p * d, 1);
    const full = (t: Tensor): Tensor => {
      if (t.size === n && t.rank === shape.length) return t;
      const e = rawBinary(op, COPY, t, t, shape);
      temps.push(e);
      return e;
    };
    const C = full(cond), AE = full(A), BE = full(B);
    const y = output(shape, op);
    const K = wasm(op);
    K.select(C.ptr, AE.ptr, BE.ptr, y.ptr, n);
    if (!needsGrad(A, B)) return y;
    // backward keeps its own copy of the expanded mask (the caller may dispose cond)
    let mask: Tensor;
    if (C === cond) mask = rawBinary(op, COPY, cond, cond, shape);
    else { mask = C; temps.splice(temps.indexOf(C), 1); }
    record(y, op, [A, B], (dy) => {
      const zeros = empty(shape, op, false);
      try {
        K.fill(zeros.ptr, 0, n);
        for (const [t, first] of [[A, true], [B, false]] as const) {
          if (!t.requiresGrad) continue;
          const g = empty(shape, op, false);
          try {
            K.select(mask.ptr, first ? dy.ptr : zeros.ptr, first ? zeros.ptr : dy.ptr, g.ptr, n);
            const s = rawSumTo(op, g, t._shape);
            try { addScaled(t, s ?? g); } finally { s?.dispose(); }
          } finally {
            g.dispose();
          }
        }
      } finally {
        zeros.dispose();
      }
    }, [mask]);
    return y;
  } finally {
    for (const t of temps) t.dispose();
  }
}
