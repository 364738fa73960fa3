// Losses and weight penalties, as the course notes name them. Each returns a scalar Tensor
// that records on the tape, so `loss.softmaxCrossEntropy(logits, y).backward()` trains.

import { Tensor } from './tensor.js';
import { softmaxCrossEntropy as sce } from './ops/softmaxCrossEntropy.js';
import { svm as hinge } from './ops/svm.js';
import { mse as meanSquared } from './ops/mse.js';
import { l1 as penaltyL1, l2 as penaltyL2 } from './ops/penalty.js';
import { add } from './ops/add.js';
import { bceWithLogits } from './ops/bceWithLogits.js';
import { huber as huberLoss } from './ops/huber.js';
import type { Labels } from './ops/labels.js';
import { options } from './options.js';

export type { Labels };

/**
 * Softmax + cross-entropy of logits [rows, classes] against integer labels: the mean over rows.
 * `labelSmoothing` ε in [0, 1] mixes the one-hot target with the uniform one, as PyTorch's
 * label_smoothing: target = (1 − ε)·onehot + ε/classes.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Labels, opts?: { labelSmoothing?: number }): Tensor {
  const { labelSmoothing = 0 } = options<{ labelSmoothing?: number }>('softmaxCrossEntropy', opts, ['labelSmoothing']);
  return sce(logits, labels, labelSmoothing);
}

/**
 * Binary cross-entropy on logits against targets of the same shape (probabilities in [0, 1]),
 * stable for any logit: the mean of max(x, 0) − x·t + log(1 + e^−|x|) (PyTorch's BCEWithLogitsLoss).
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor): Tensor {
  return bceWithLogits(logits, targets);
}

/** Huber loss (PyTorch's HuberLoss): mean of ½d² for |d| ≤ delta, delta·(|d| − ½delta) beyond; d = pred − target. */
export function huber(pred: Tensor, target: Tensor, opts?: { delta?: number }): Tensor {
  const { delta = 1 } = options<{ delta?: number }>('huber', opts, ['delta']);
  return huberLoss(pred, target, delta);
}

/** Multiclass SVM (hinge) loss, mean over rows of Σ_{j≠y} max(0, s_j − s_y + margin). */
export function svm(scores: Tensor, labels: Labels, opts: { margin?: number } = {}): Tensor {
  const { margin = 1 } = options<{ margin?: number }>('svm', opts, ['margin']);
  return hinge(scores, labels, margin);
}

/** Mean squared error over all elements (PyTorch's MSELoss). */
export function mse(pred: Tensor, target: Tensor): Tensor {
  return meanSquared(pred, target);
}

/** λ Σ w² over the given parameters (the notes' L2 regularisation; its gradient is 2λw). */
export function l2(params: readonly Tensor[], lambda: number): Tensor {
  return penaltyL2(params, lambda);
}

/** λ Σ |w| over the given parameters. */
export function l1(params: readonly Tensor[], lambda: number): Tensor {
  return penaltyL1(params, lambda);
}

/** l1·Σ|w| + l2·Σw². */
export function elasticNet(params: readonly Tensor[], opts: { l1?: number; l2?: number }): Tensor {
  const { l1: a = 0, l2: b = 0 } = options<{ l1?: number; l2?: number }>('elasticNet', opts, ['l1', 'l2']);
  return add(penaltyL1(params, a), penaltyL2(params, b));
}
