// Elementwise maps with PyTorch's names: exp, log, sqrt, rsqrt, abs, neg, pow (number
// exponent), clamp. Kernels in assembly/unary.ts (and exp in elementwise.ts); each backward
// beside its forward:
//   exp   dx = dy · y           log    dx = dy / x            sqrt  dx = dy / (2y)
//   rsqrt dx = −dy · y³ / 2     abs    dx = dy · sign(x)      neg   dx = −dy
//   pow   dx = dy · p · x^(p−1) clamp  dx = dy where lo ≤ x ≤ hi (bounds included), else 0

import { Tensor, output, assertLive, shapeError, describe } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm, heapF32, type Kernels } from '../runtime.js';
import { binaryOp, maximum, minimum } from './binary.js';
import { POW } from './dims.js';

function map(op: string, x: Tensor, forward: (K: Kernels, y: Tensor) => void, backward: (K: Kernels, y: Tensor, dy: Tensor, dx: number) => void): Tensor {
  assertLive(x, op);
  const K = wasm(op);
  const y = output(x._shape, op);
  forward(K, y);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => backward(K, y, dy, dx)));
  return y;
}

/** e^x */
export function exp(x: Tensor): Tensor {
  return map('exp', x, (K, y) => K.exp(x.ptr, y.ptr, x.size), (K, y, dy, dx) => K.mul(dy.ptr, y.ptr, dx, x.size));
}

/** Natural log (log 0 = −Inf, log of a negative = NaN). */
export function log(x: Tensor): Tensor {
  return map('log', x, (K, y) => K.log(x.ptr, y.ptr, x.size), (K, _y, dy, dx) => K.logBackward(x.ptr, dy.ptr, dx, x.size));
}

/** √x */
export function sqrt(x: Tensor): Tensor {
  return map('sqrt', x, (K, y) => K.sqrtForward(x.ptr, y.ptr, x.size), (K, y, dy, dx) => K.sqrtBackward(y.ptr, dy.ptr, dx, x.size));
}

/** 1/√x */
export function rsqrt(x: Tensor): Tensor {
  return map('rsqrt', x, (K, y) => K.rsqrt(x.ptr, y.ptr, x.size), (K, y, dy, dx) => K.rsqrtBackward(y.ptr, dy.ptr, dx, x.size));
}

/** |x| (gradient 0 at 0, as PyTorch) */
export function abs(x: Tensor): Tensor {
  return map('abs', x, (K, y) => K.absForward(x.ptr, y.ptr, x.size), (K, _y, dy, dx) => K.absBackward(x.ptr, dy.ptr, dx, x.size));
}

/** −x */
export function neg(x: Tensor): Tensor {
  return map('neg', x, (K, y) => K.neg(x.ptr, y.ptr, x.size), (K, _y, dy, dx) => K.scale(dy.ptr, -1, dx, x.size));
}

/**
 * x^p. A number p runs one map (x² and √x exactly, other p as e^(p·log|x|), relative error
 * ≈ (1 + |p·log x|)·1.2e-7; a negative x needs an integer p, else NaN, as PyTorch). A Tensor
 * p (or a number x) broadcasts, with the exponent's gradient y·log x as well.
 */
export function pow(x: Tensor | number, p: Tensor | number): Tensor {
  const op = 'pow';
  if (typeof x === 'number' || p instanceof Tensor) return binaryOp(op, POW, x, p);
  assertLive(x, op);
  if (typeof p !== 'number' || !Number.isFinite(p)) throw shapeError(op, `the exponent must be a finite number or a Tensor, got ${typeof p === 'number' ? p : describe(p)}`, x._shape);
  return map(op, x, (K, y) => {
    if (p === 2) K.square(x.ptr, y.ptr, x.size);
    else if (p === 0.5) K.sqrtForward(x.ptr, y.ptr, x.size);
    else if (p === 1) heapF32().copyWithin(y.ptr >>> 2, x.ptr >>> 2, (x.ptr >>> 2) + x.size);
    else if (p === -1) K.reciprocal(x.ptr, y.ptr, x.size);
    else if (p === 0) K.fill(y.ptr, 1, x.size);
    else K.powScalar(x.ptr, y.ptr, x.size, p);
  }, (K, _y, dy, dx) => {
    if (p === 0) K.fill(dx, 0, x.size);
    else if (p === 1) heapF32().copyWithin(dx >>> 2, dy.ptr >>> 2, (dy.ptr >>> 2) + x.size);
    else if (p === 2) { K.mul(dy.ptr, x.ptr, dx, x.size); K.scale(dx, 2, dx, x.size); }
    else K.powScalarBackward(x.ptr, dy.ptr, dx, x.size, p);
  });
}

function bound(op: string, v: unknown, name: string, x: Tensor): number | Tensor | null {
  if (v === undefined || v === null) return null;
  if (v instanceof Tensor) return v;
  if (typeof v !== 'number' || Number.isNaN(v)) throw shapeError(op, `${name} must be a number, a Tensor or null, got ${typeof v === 'number' ? v : describe(v)}`, x._shape);
  return v;
}

/**
 * min(max(x, lo), hi), either bound may be null (at least one given); a bound above the other
 * gives hi everywhere (as PyTorch). Tensor bounds broadcast (composed from maximum/minimum).
 */
export function clamp(x: Tensor, lo?: number | Tensor | null, hi?: number | Tensor | null): Tensor {
  const op = 'clamp';
  assertLive(x, op);
  const a = bound(op, lo, 'min', x), b = bound(op, hi, 'max', x);
  if (a === null && b === null) throw shapeError(op, 'needs min or max (or both)', x._shape);
  if (a instanceof Tensor || b instanceof Tensor) {
    const low = a === null ? x : maximum(x, a);
    return b === null ? low : minimum(low, b);
  }
  const l = a ?? -Infinity, h = b ?? Infinity;
  return map(op, x, (K, y) => K.clamp(x.ptr, y.ptr, x.size, l, h), (K, _y, dy, dx) => K.clampBackward(x.ptr, dy.ptr, dx, x.size, l, h));
}
