// Softmax + cross-entropy, fused and stable: the mean over rows of −log softmax(logits)[label].
// The forward keeps the probabilities; dlogits = g/rows · (probs − onehot(labels)).
// With label smoothing ε (PyTorch's label_smoothing) the target is (1 − ε)·onehot + ε/classes:
// loss = lse − (1 − ε)·x_y − ε·mean(x), dlogits = g/rows · (probs − target).

import { Tensor, output, empty, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, setGrad, scalarOf } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';
import { checkLabels, labelBuffer, type Labels } from './labels.js';

export function softmaxCrossEntropy(logits: Tensor, labels: Labels, labelSmoothing = 0): Tensor {
  const op = 'softmaxCrossEntropy';
  assertLive(logits, op);
  if (logits.rank !== 2) throw shapeError(op, 'logits must be [rows, classes]', logits._shape);
  checkLabels(labels, logits, op);
  if (!(typeof labelSmoothing === 'number' && labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw shapeError(op, `labelSmoothing must be a number in [0, 1], got ${String(labelSmoothing)}`, logits._shape);
  }
  const [rows, classes] = logits._shape;
  const K = wasm(op);
  const out = output([], op);
  let probs: Tensor | null = null, lab: Tensor | null = null;
  try {
    probs = empty(logits._shape, op, false);
    lab = labelBuffer(labels, op);
  } catch (err) {
    out.dispose(); probs?.dispose();
    throw err;
  }
  const p = probs, l = lab;
  const eps = labelSmoothing;
  heapF32()[out.ptr >>> 2] = eps === 0
    ? K.softmaxCrossEntropy(logits.ptr, l.ptr, p.ptr, rows, classes)
    : K.softmaxCrossEntropySmoothed(logits.ptr, l.ptr, p.ptr, rows, classes, eps);
  if (needsGrad(logits)) {
    record(out, op, [logits], (g) => {
      const s = scalarOf(g) / rows;
      setGrad(logits, (dx) => (eps === 0
        ? K.softmaxCrossEntropyBackward(p.ptr, l.ptr, dx, rows, classes, s)
        : K.softmaxCrossEntropySmoothedBackward(p.ptr, l.ptr, dx, rows, classes, s, eps)));
    }, [p, l]);
  } else {
    p.dispose(); l.dispose();
  }
  return out;
}
