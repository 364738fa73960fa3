// Binary ops under NumPy broadcasting (div, maximum, minimum, pow, and add/sub/mul when the
// shapes differ): one strided kernel (assembly/broadcast.ts) over the broadcast shape. A
// number operand is a one-element tensor. The gradient of a broadcast input is the product
// below, summed over the dimensions it was broadcast along:
//   add  da = dy, db = dy          sub  da = dy, db = −dy        mul  da = dy·b, db = dy·a
//   div  da = dy/b, db = −dy·y/b   pow  da = dy·b·a^(b−1), db = dy·y·log a (0 where y = 0)
//   maximum/minimum: dy to the larger/smaller, split in half on ties (as PyTorch)

import { Tensor, output, empty, assertLive, describe } from '../tensor.js';
import { needsGrad, record, addScaled } from '../autograd.js';
import { heapF32 } from '../runtime.js';
import {
  broadcastShape, broadcastStrides, contiguousStrides, strided, rawBinary, rawSumTo,
  ADD, SUB, MUL, DIV, MAX, MIN, POW, MAX_WEIGHT, MIN_WEIGHT, POW_LOG,
} from './dims.js';

/** A one-element unscoped tensor (the binding frees it with the graph or after the call). */
function scalarTensor(op: string, v: number): Tensor {
  if (!Number.isFinite(v)) throw new Error(`${op}: a number operand must be finite, got ${v}`);
  const t = empty([], op, false);
  heapF32()[t.ptr >>> 2] = v;
  return t;
}

function operand(op: string, v: unknown, temps: Tensor[]): Tensor {
  if (typeof v === 'number') {
    const t = scalarTensor(op, v);
    temps.push(t);
    return t;
  }
  if (!(v instanceof Tensor)) throw new Error(`${op}: expected a Tensor or a number, got ${describe(v)}`);
  assertLive(v, op);
  return v;
}

/** Adds Σ-to-shape(G) · alpha into t's gradient and frees G. */
function give(op: string, t: Tensor, G: Tensor, alpha = 1): void {
  try {
    if (!t.requiresGrad) return;
    const S = rawSumTo(op, G, t._shape);
    try { addScaled(t, S ?? G, alpha); } finally { S?.dispose(); }
  } finally {
    G.dispose();
  }
}

/** op(a, b) broadcast, with its gradient. `code` is one of dims.ts's operation codes. */
export function binaryOp(op: string, code: number, a: Tensor | number, b: Tensor | number): Tensor {
  const temps: Tensor[] = [];
  let A: Tensor, B: Tensor, y: Tensor;
  try {
    A = operand(op, a, temps);
    B = operand(op, b, temps);
    if (temps.length === 2) throw new Error(`${op}: needs at least one Tensor, got two numbers`);
    const shape = broadcastShape(op, A._shape, B._shape);
    y = output(shape, op);
    strided(op, code, A.ptr, B.ptr, y.ptr, shape, broadcastStrides(A._shape, shape), broadcastStrides(B._shape, shape), contiguousStrides(shape));
  } catch (err) {
    for (const t of temps) t.dispose();
    throw err;
  }
  if (!needsGrad(A, B)) {
    for (const t of temps) t.dispose();
    return y;
  }
  const out = y;
  record(y, op, [A, B], (dy) => {
    const full = (c: number, u: Tensor, v: Tensor) => rawBinary(op, c, u, v, dy._shape);
    switch (code) {
      case ADD: addTo(op, A, dy, 1); addTo(op, B, dy, 1); break;
      case SUB: addTo(op, A, dy, 1); addTo(op, B, dy, -1); break;
      case MUL:
        if (A.requiresGrad) give(op, A, full(MUL, dy, B));
        if (B.requiresGrad) give(op, B, full(MUL, dy, A));
        break;
      case DIV:
        if (A.requiresGrad) give(op, A, full(DIV, dy, B));
        if (B.requiresGrad) {
          const t = full(MUL, dy, out);
          try { give(op, B, full(DIV, t, B), -1); } finally { t.dispose(); }
        }
        break;
      case MAX: case MIN: {
        const w = code === MAX ? MAX_WEIGHT : MIN_WEIGHT;
        if (A.requiresGrad) { const m = full(w, A, B); try { give(op, A, full(MUL, dy, m)); } finally { m.dispose(); } }
        if (B.requiresGrad) { const m = full(w, B, A); try { give(op, B, full(MUL, dy, m)); } finally { m.dispose(); } }
        break;
      }
      case POW: {
        if (A.requiresGrad) {
          const one = scalarTensor(op, 1);
          const bm1 = rawBinary(op, SUB, B, one, B._shape);
          one.dispose();
          const p = full(POW, A, bm1);
          bm1.dispose();
          const q = full(MUL, p, B);
          p.dispose();
          try { give(op, A, full(MUL, dy, q)); } finally { q.dispose(); }
        }
        if (B.requiresGrad) { const l = full(POW_LOG, A, out); try { give(op, B, full(MUL, dy, l)); } finally { l.dispose(); } }
        break;
      }
    }
  }, temps.length ? temps : null);
  return y;
}

/** alpha · Σ-to-shape(dy) into t's gradient (dy is not freed). */
function addTo(op: string, t: Tensor, dy: Tensor, alpha: number): void {
  if (!t.requiresGrad) return;
  const S = rawSumTo(op, dy, t._shape);
  try { addScaled(t, S ?? dy, alpha); } finally { S?.dispose(); }
}

/** a / b, broadcast (either may be a number). */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp('div', DIV, a, b);
}

/** The elementwise larger of a and b, broadcast; NaN propagates. */
export function maximum(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp('maximum', MAX, a, b);
}

/** The elementwise smaller of a and b, broadcast; NaN propagates. */
export function minimum(a: Tensor | number, b: Tensor | number): Tensor {
  return binaryOp('minimum', MIN, a, b);
}
