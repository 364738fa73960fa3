// Weight initialisation. He (Kaiming) suits ReLU-family layers; Xavier (Glorot) suits tanh and
// sigmoid. All draw from the seeded generator, so seed(n) makes them repeatable.

import { normal, uniform } from '../random.js';
import { Tensor, empty, assertFinite } from '../tensor.js';
import { heapF32 } from '../runtime.js';
import { parameter } from './module.js';

export type InitName = 'he' | 'heUniform' | 'xavier' | 'xavierUniform' | 'zeros';
/**
 * A named scheme, or a function returning one sample given the layer's fan-in and fan-out and
 * the seeded standard-normal generator (e.g. the notes' `(i, o, randn) => 0.01 * randn()`).
 */
export type Init = InitName | ((fanIn: number, fanOut: number, randn: () => number) => number);

/** One sample of `init` per call, in the generator's order; throws for an unknown name before anything is drawn. */
function sampler(init: Init, fanIn: number, fanOut: number, op: string): () => number {
  if (typeof init === 'function') return () => init(fanIn, fanOut, normal);
  switch (init) {
    case 'he': { const std = Math.sqrt(2 / fanIn); return () => std * normal(); }
    case 'heUniform': { const bound = Math.sqrt(6 / fanIn); return () => (2 * uniform() - 1) * bound; }
    case 'xavier': { const std = Math.sqrt(2 / (fanIn + fanOut)); return () => std * normal(); }
    case 'xavierUniform': { const bound = Math.sqrt(6 / (fanIn + fanOut)); return () => (2 * uniform() - 1) * bound; }
    case 'zeros': return () => 0;
    default:
      throw new Error(`${op}: unknown init '${String(init)}' (use 'he', 'heUniform', 'xavier', 'xavierUniform', 'zeros' or a function)`);
  }
}

/** `size` samples of `init` as a Float32Array (for sizes known to be small). */
export function initValues(init: Init, size: number, fanIn: number, fanOut: number, op: string): Float32Array {
  const next = sampler(init, fanIn, fanOut, op);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = next();
  return out;
}

/** Values drawn per chunk: a user's init function may allocate (and grow memory) between chunks' copies. */
const CHUNK = 1 << 16;

/**
 * A parameter of `shape` filled by `init`. Linear memory is allocated first, so a layer too large
 * for it gets the named out-of-memory Error (not a RangeError from a JS array of the same size),
 * then filled a chunk at a time; a non-finite value from a custom init is refused.
 */
export function initParameter(op: string, shape: number[], init: Init, fanIn: number, fanOut: number): Tensor {
  const next = sampler(init, fanIn, fanOut, op);
  const t = empty(shape, op, false);
  try {
    const chunk = new Float32Array(Math.min(CHUNK, t.size));
    for (let start = 0; start < t.size; start += CHUNK) {
      const n = Math.min(CHUNK, t.size - start);
      for (let i = 0; i < n; i++) chunk[i] = next();
      heapF32().set(n === chunk.length ? chunk : chunk.subarray(0, n), (t.ptr >>> 2) + start);
    }
    assertFinite(t, op, undefined, `init (${typeof init === 'function' ? 'the init function' : init})`);
  } catch (err) {
    t.dispose();
    throw err;
  }
  return parameter(t);
}

/** A zero parameter of `shape` (a bias); on out-of-memory it also frees `made` (the layer's weight) so a failed constructor leaves nothing behind. */
export function zeroParameter(op: string, shape: number[], made: Tensor): Tensor {
  try {
    const t = empty(shape, op, false);
    heapF32().fill(0, t.ptr >>> 2, (t.ptr >>> 2) + t.size);
    return parameter(t);
  } catch (err) {
    made.dispose();
    throw err;
  }
}
