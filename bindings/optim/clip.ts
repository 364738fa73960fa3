// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_, L2): the norm of all the
// gradients together, total = √(Σ_p ‖g_p‖²); when it exceeds maxNorm every gradient is scaled
// by maxNorm / (total + 1e-6), in place. Returns total (before clipping).

import { Tensor, assertLive } from '../tensor.js';
import { wasm } from '../runtime.js';
import { checkNumber } from './optimizer.js';

/** Scales the parameters' gradients in place so their joint L2 norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  const op = 'clipGradNorm';
  if (!Array.isArray(params)) throw new Error(`${op}: expected an array of parameters (model.parameters()), got ${typeof params}`);
  checkNumber(op, 'maxNorm', maxNorm);
  params.forEach((p) => assertLive(p, op));
  const grads = [...new Set(params)].map((p) => p.grad).filter((g): g is Tensor => g !== null && !g.isDisposed);
  if (grads.length === 0) return 0;
  const K = wasm(op);
  let squares = 0;
  for (const g of grads) squares += K.sumSquares(g.ptr, g.size); // f64-carried per tensor
  const total = Math.sqrt(squares);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (const g of grads) K.scale(g.ptr, coef, g.ptr, g.size);
  return total;
}
