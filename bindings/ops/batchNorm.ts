// Batch normalisation over the channels of x [N, C] or [N, C, ...] (PyTorch's F.batch_norm):
//   y = (x − mean)/√(var + eps)·weight + bias, per channel over N and the trailing dims.
// training: the batch's mean and biased variance; running statistics (when given) move towards
// them with `momentum`, the variance unbiased (as PyTorch). Otherwise the running statistics.
// One fused kernel each way (assembly/norm.ts); the forward keeps mean and 1/√(var + eps) for
// the backward:
//   dbeta = Σ dy, dgamma = Σ dy·x̂, dx = weight/√(var + eps)·(dy − dbeta/m − x̂·dgamma/m)
// (in eval mode the statistics are constants: dx = weight/√(var + eps)·dy).

import { Tensor, output, empty, assertLive, shapeError, shapeStr } from '../tensor.js';
import { needsGrad, record, setGrad, addGrad } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';
import { options } from '../options.js';

export interface BatchNormOptions {
  /** Normalise with the batch's statistics (and update the running ones) instead of the running ones. */
  training: boolean;
  /** Weight of the new batch in the running statistics; null: cumulative average (as PyTorch). */
  momentum?: number | null;
  eps?: number;
  /** The running statistics' batch count, incremented in training (PyTorch's num_batches_tracked). */
  numBatchesTracked?: Tensor | null;
}

export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null,
                          opts: BatchNormOptions): Tensor {
  const op = 'batchNorm';
  const { training, momentum = 0.1, eps = 1e-5, numBatchesTracked = null } = options<BatchNormOptions>(op, opts,
    ['training', 'momentum', 'eps', 'numBatchesTracked'], { required: ['training'], example: '{ training: true }' });
  if (typeof training !== 'boolean') throw new Error(`${op}: training must be true or false, got ${String(training)}`);
  assertLive(x, op);
  if (x.rank < 2) throw shapeError(op, 'input must be [batch, channels] or [batch, channels, ...]', x._shape);
  const [n, c] = x._shape;
  const hw = x.size / (n * c);
  for (const [name, t] of [['weight', weight], ['bias', bias], ['runningMean', runningMean], ['runningVar', runningVar]] as const) {
    if (t === null) continue;
    assertLive(t, op);
    if (t.size !== c || t.rank !== 1) throw shapeError(op, `${name} must be [${c}] (one per channel of the input), got ${shapeStr(t._shape)}`, x._shape, t._shape);
  }
  if ((runningMean === null) !== (runningVar === null)) throw new Error(`${op}: runningMean and runningVar go together (both or neither)`);
  if (numBatchesTracked !== null) assertLive(numBatchesTracked, op);
  if (!(typeof eps === 'number' && eps > 0 && Number.isFinite(eps))) throw shapeError(op, `eps must be a positive number, got ${String(eps)}`, x._shape);
  if (momentum !== null && !(typeof momentum === 'number' && momentum >= 0 && momentum <= 1)) {
    throw shapeError(op, `momentum must be a number in [0, 1] or null, got ${String(momentum)}`, x._shape);
  }
  if (training && n * hw < 2) {
    throw shapeError(op, `expected more than 1 value per channel in training mode, got ${n * hw} (input ${shapeStr(x._shape)})`, x._shape);
  }
  if (!training && runningMean === null) throw shapeError(op, 'eval mode needs the running statistics (runningMean, runningVar)', x._shape);
  const K = wasm(op);
  const y = output(x._shape, op);
  let stats: Tensor;
  try {
    stats = empty([2, c], op, false); // mean, then 1/√(var + eps)
  } catch (err) {
    y.dispose();
    throw err;
  }
  const mean = stats.ptr, invstd = stats.ptr + c * 4;
  const update = training && runningMean !== null;
  let factor = momentum ?? 0;
  if (update && numBatchesTracked !== null) {
    const at = numBatchesTracked.ptr >>> 2;
    heapF32()[at] += 1;
    if (momentum === null) factor = 1 / heapF32()[at];
  }
  K.batchNormForward(x.ptr, y.ptr, weight?.ptr ?? 0, bias?.ptr ?? 0, mean, invstd,
    update || !training ? runningMean!.ptr : 0, update || !training ? runningVar!.ptr : 0, n, c, hw, eps, factor, training ? 1 : 0);
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  if (!inputs.some((t) => needsGrad(t))) {
    stats.dispose();
    return y;
  }
  record(y, op, inputs, (dy) => {
    const sums = empty([2, c], op, false); // dgamma, dbeta
    try {
      const dg = sums.ptr, db = sums.ptr + c * 4;
      const run = (dx: number): void => K.batchNormBackward(x.ptr, dy.ptr, dx, weight?.ptr ?? 0, mean, invstd, dg, db, n, c, hw, training ? 1 : 0);
      if (x.requiresGrad) setGrad(x, run);
      else run(0);
      const into = (t: Tensor | null, src: number): void => {
        if (t) addGrad(t, (dst, acc) => { if (acc) K.axpy(src, dst, 1, c); else heapF32().copyWithin(dst >>> 2, src >>> 2, (src >>> 2) + c); });
      };
      into(weight, dg);
      into(bias, db);
    } finally {
      sums.dispose();
    }
  }, [stats]);
  return y;
}
