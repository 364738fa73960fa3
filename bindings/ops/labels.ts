// Class labels for the classification losses: checked in JS (integers in [0, classes), one
// per row) and copied into an int32 buffer in linear memory.

import { Tensor, empty, shapeError, describe } from '../tensor.js';
import { heapI32 } from '../runtime.js';

export type Labels = Int32Array | number[];

/** Throws the Error naming `op` and the shapes when `labels` do not fit scores [rows, classes]. */
export function checkLabels(labels: unknown, scores: Tensor, op: string): asserts labels is Labels {
  const [rows, classes] = scores._shape;
  const isArray = Array.isArray(labels);
  if (!(labels instanceof Int32Array) && !isArray) {
    const got = describe(labels);
    throw shapeError(op, `labels must be an Int32Array (or number[] of integers), got ${got}${ArrayBuffer.isView(labels) ? ' (convert it with Int32Array.from(...))' : ''}`, scores._shape);
  }
  const l = labels as ArrayLike<number>;
  if (l.length !== rows) throw shapeError(op, `needs one label per row (${rows}), got ${l.length}`, scores._shape, [l.length]);
  for (let i = 0; i < rows; i++) {
    const v = l[i];
    if (!(v >= 0 && v < classes) || (isArray && !Number.isInteger(v))) {
      throw shapeError(op, `label ${v} at row ${i} is outside [0, ${classes})`, scores._shape, [rows]);
    }
  }
}

/** An unscoped int32 buffer holding the labels (the caller owns it). */
export function labelBuffer(labels: Labels, op: string): Tensor {
  const buf = empty([labels.length], op, false);
  heapI32().set(labels, buf.ptr >>> 2);
  return buf;
}
