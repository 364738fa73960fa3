// Multiclass SVM (hinge) loss of the course notes: the mean over rows of
// Σ_{j≠y} max(0, s_j − s_y + margin). Its subgradient comes from the kernel, scaled by g/rows.

import { Tensor, output, empty, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, setGrad, scalarOf } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';
import { checkLabels, labelBuffer, type Labels } from './labels.js';

export function svm(scores: Tensor, labels: Labels, margin = 1): Tensor {
  const op = 'svm';
  assertLive(scores, op);
  if (scores.rank !== 2) throw shapeError(op, 'scores must be [rows, classes]', scores._shape);
  if (!Number.isFinite(margin)) throw shapeError(op, `margin must be finite, got ${margin}`, scores._shape);
  checkLabels(labels, scores, op);
  const [rows, classes] = scores._shape;
  const K = wasm(op);
  const out = output([], op);
  let lab: Tensor;
  try {
    lab = labelBuffer(labels, op);
  } catch (err) {
    out.dispose();
    throw err;
  }
  heapF32()[out.ptr >>> 2] = K.svm(scores.ptr, lab.ptr, rows, classes, margin);
  if (needsGrad(scores)) {
    record(out, op, [scores], (g) => {
      const s = scalarOf(g) / rows;
      setGrad(scores, (dx) => K.svmBackward(scores.ptr, lab.ptr, dx, rows, classes, margin, s));
    }, [lab]);
  } else {
    lab.dispose();
  }
  return out;
}
