// Weight initialisation. He (Kaiming) suits ReLU-family layers; Xavier (Glorot) suits tanh and
// sigmoid. All draw from the seeded generator, so seed(n) makes them repeatable.

import { normal, uniform } from '../random.js';

export type InitName = 'he' | 'heUniform' | 'xavier' | 'xavierUniform' | 'zeros';
/**
 * A named scheme, or a function returning one sample given the layer's fan-in and fan-out and
 * the seeded standard-normal generator (e.g. the notes' `(i, o, randn) => 0.01 * randn()`).
 */
export type Init = InitName | ((fanIn: number, fanOut: number, randn: () => number) => number);

export function initValues(init: Init, size: number, fanIn: number, fanOut: number, op: string): Float32Array {
  const out = new Float32Array(size);
  if (typeof init === 'function') {
    for (let i = 0; i < size; i++) out[i] = init(fanIn, fanOut, normal);
    return out;
  }
  switch (init) {
    case 'he': {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < size; i++) out[i] = std * normal();
      return out;
    }
    case 'heUniform': {
      const bound = Math.sqrt(6 / fanIn);
      for (let i = 0; i < size; i++) out[i] = (2 * uniform() - 1) * bound;
      return out;
    }
    case 'xavier': {
      const std = Math.sqrt(2 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) out[i] = std * normal();
      return out;
    }
    case 'xavierUniform': {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) out[i] = (2 * uniform() - 1) * bound;
      return out;
    }
    case 'zeros':
      return out;
    default:
      throw new Error(`${op}: unknown init '${String(init)}' (use 'he', 'heUniform', 'xavier', 'xavierUniform', 'zeros' or a function)`);
  }
}
