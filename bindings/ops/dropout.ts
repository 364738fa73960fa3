// Inverted dropout: in training, y = x · mask with mask[i] = 0 (probability p) or 1/(1 − p), so
// E[y] = x and evaluation needs no rescaling; in evaluation (training: false) y is x itself.
// The mask comes from the kernel's counter-based hash of (seed, i): a fresh seed per call is
// drawn from the seeded generator (see seed()), so runs repeat; pass `seed` to fix the mask.
// dx = dy · mask (the mask is saved for backward).

import { Tensor, output, empty, assertLive, shapeError, type Shape } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';
import { uniform } from '../random.js';
import { options } from '../options.js';

export interface DropoutOptions {
  /** Drop (true, the default) or pass x through unchanged (false: evaluation). */
  training?: boolean;
  /** A fixed mask seed (an integer); by default a fresh one from the seeded generator per call. */
  seed?: number;
}

/** Checks a drop probability: a number in [0, 1). */
export function checkDropP(op: string, p: unknown, ...shapes: Shape[]): number {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw shapeError(op, `p must be a probability in [0, 1), got ${typeof p === 'number' ? p : typeof p}`, ...shapes);
  }
  return p;
}

export function dropout(x: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  const op = 'dropout';
  const { training = true, seed } = options<DropoutOptions>(op, opts, ['training', 'seed']);
  assertLive(x, op);
  checkDropP(op, p, x._shape);
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) {
    throw shapeError(op, `seed must be an integer, got ${String(seed)}`, x._shape);
  }
  if (!training || p === 0) return x;
  const y = output(x._shape, op);
  let mask: Tensor;
  try {
    mask = empty(x._shape, op, false);
  } catch (err) {
    y.dispose();
    throw err;
  }
  const maskSeed = seed !== undefined ? seed >>> 0 : Math.floor(uniform() * 4294967296) >>> 0;
  const K = wasm(op);
  K.dropoutForward(x.ptr, y.ptr, mask.ptr, x.size, p, maskSeed);
  if (needsGrad(x)) {
    record(y, op, [x], (dy) => setGrad(x, (dx) => K.dropoutBackward(dy.ptr, mask.ptr, dx, x.size)), [mask]);
  } else {
    mask.dispose();
  }
  return y;
}
