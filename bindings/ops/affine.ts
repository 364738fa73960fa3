// y = x ⊙ scale + shift with constant (non-trainable) scale and shift that broadcast over x in one
// of three layouts, each run by the SIMD scale/add kernels over contiguous blocks:
//   'scalar'   one value for every element;
//   'channel'  one value per index of axis 1 (an NCHW [1, C, 1, 1] normalisation, or [1, F] on
//              [N, F]), applied to each [H·W] plane;
//   'sample'   one value per element of a sample (x's shape without the batch axis), the same
//              for every row of the batch.
// This is what the ONNX importer needs for Add/Sub/Mul/Div with a constant. dx = dy ⊙ scale.

import { Tensor, output, empty, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';

export type AffineLayout = 'scalar' | 'channel' | 'sample';

/** How many values `layout` needs for input shape `shape`. */
export function affineSize(layout: AffineLayout, shape: readonly number[]): number {
  if (layout === 'scalar') return 1;
  if (layout === 'channel') return shape[1];
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

export function constAffine(x: Tensor, layout: AffineLayout, scale: Float32Array, shift: Float32Array): Tensor {
  const op = 'constAffine';
  assertLive(x, op);
  if (layout !== 'scalar' && x.rank < 2) throw shapeError(op, `a ${layout} constant needs an input with a batch axis`, x._shape);
  const size = affineSize(layout, x._shape);
  if (scale.length !== size || shift.length !== size) throw shapeError(op, `a ${layout} constant of ${scale.length} values does not fit the input (needs ${size})`, x._shape);
  const K = wasm(op);
  const y = output(x._shape, op);
  // Blocks: `count` runs of `len` elements, run i using constant index `idx(i)`.
  const len = layout === 'scalar' ? x.size : layout === 'channel' ? x._shape.slice(2).reduce((a, b) => a * b, 1) : 1;
  const apply = (src: number, dst: number, withShift: boolean): void => {
    if (layout === 'sample') {
      // Per-sample constants: whole rows through the vector kernels, against a buffer of scale/shift.
      const c = empty([size], op, false), s = empty([size], op, false);
      try {
        heapF32().set(scale, c.ptr >>> 2);
        heapF32().set(shift, s.ptr >>> 2);
        for (let r = 0; r < x.size / size; r++) {
          K.mul(src + 4 * r * size, c.ptr, dst + 4 * r * size, size);
          if (withShift) K.add(dst + 4 * r * size, s.ptr, dst + 4 * r * size, size);
        }
      } finally {
        c.dispose(); s.dispose();
      }
      return;
    }
    const runs = x.size / len;
    for (let i = 0; i < runs; i++) {
      const k = layout === 'scalar' ? 0 : i % size;
      const at = 4 * i * len;
      K.scale(src + at, scale[k], dst + at, len);
      if (withShift && shift[k] !== 0) K.addScalar(dst + at, shift[k], dst + at, len);
    }
  };
  apply(x.ptr, y.ptr, true);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => apply(dy.ptr, dx, false)));
  return y;
}
