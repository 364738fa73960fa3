// Normalisation layers with PyTorch's semantics and state_dict names: BatchNorm1d, BatchNorm2d
// (weight, bias; buffers running_mean, running_var, num_batches_tracked) and LayerNorm (weight,
// bias), over the fused kernels of ops/batchNorm and ops/layerNorm.

import { Tensor, ones, zeros, shapeError, shapeStr } from '../tensor.js';
import { Module, parameter, buffer, type ModuleJSON } from './module.js';
import { batchNorm } from '../ops/batchNorm.js';
import { layerNorm } from '../ops/layerNorm.js';
import { options as checkOptions } from '../options.js';

export interface BatchNormLayerOptions {
  /** Added to the variance before the square root (default 1e-5); must be > 0. */
  eps?: number;
  /** Weight of each new batch in the running statistics (default 0.1); null: cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale `weight` (ones) and shift `bias` (zeros) (default true). */
  affine?: boolean;
  /** Keep running statistics for eval() (default true); false normalises with the batch's own statistics in both modes. */
  trackRunningStats?: boolean;
}

const BN_KEYS = ['eps', 'momentum', 'affine', 'trackRunningStats'] as const;

/** Checks BatchNorm's arguments (allocates nothing); fromJSON runs it too. */
export function checkBatchNormArgs(op: string, numFeatures: unknown, options: unknown): Required<BatchNormLayerOptions> {
  if (typeof numFeatures !== 'number' || !Number.isInteger(numFeatures) || numFeatures < 1) {
    throw new Error(`${op}: numFeatures must be a positive integer, got ${String(numFeatures)}`);
  }
  const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = checkOptions<BatchNormLayerOptions>(op, options, BN_KEYS);
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw new Error(`${op}: eps must be a positive number, got ${String(eps)}`);
  if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) {
    throw new Error(`${op}: momentum must be a number in [0, 1] or null, got ${String(momentum)}`);
  }
  if (typeof affine !== 'boolean') throw new Error(`${op}: affine must be true or false, got ${String(affine)}`);
  if (typeof trackRunningStats !== 'boolean') throw new Error(`${op}: trackRunningStats must be true or false, got ${String(trackRunningStats)}`);
  return { eps, momentum, affine, trackRunningStats };
}

abstract class BatchNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  running_mean: Tensor | null;
  running_var: Tensor | null;
  num_batches_tracked: Tensor | null;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  protected abstract readonly kind: 'BatchNorm1d' | 'BatchNorm2d';

  constructor(op: string, numFeatures: number, options: BatchNormLayerOptions | undefined) {
    super();
    const o = checkBatchNormArgs(op, numFeatures, options);
    this.numFeatures = numFeatures;
    ({ eps: this.eps, momentum: this.momentum, affine: this.affine, trackRunningStats: this.trackRunningStats } = o);
    const made: Tensor[] = [];
    const keep = (t: Tensor): Tensor => { made.push(t); return t; };
    try {
      this.weight = o.affine ? parameter(keep(ones([numFeatures]))) : null;
      this.bias = o.affine ? parameter(keep(zeros([numFeatures]))) : null;
      this.running_mean = o.trackRunningStats ? buffer(keep(zeros([numFeatures]))) : null;
      this.running_var = o.trackRunningStats ? buffer(keep(ones([numFeatures]))) : null;
      this.num_batches_tracked = o.trackRunningStats ? buffer(keep(zeros([]))) : null;
    } catch (err) {
      for (const t of made) t.dispose();
      throw err;
    }
  }

  protected run(x: Tensor, op: string): Tensor {
    if (x._shape[1] !== this.numFeatures) {
      throw shapeError(op, `input has ${x._shape[1]} channels, the layer has ${this.numFeatures}`, x._shape);
    }
    try {
      return batchNorm(x, this.running_mean, this.running_var, this.weight, this.bias, {
        training: this.training || !this.trackRunningStats, momentum: this.momentum, eps: this.eps, numBatchesTracked: this.num_batches_tracked,
      });
    } catch (err) {
      throw new Error((err as Error).message.replace(/^batchNorm: /, `${op}: `));
    }
  }

  override toJSON(): ModuleJSON {
    return { type: this.kind, numFeatures: this.numFeatures, eps: this.eps, momentum: this.momentum, affine: this.affine, trackRunningStats: this.trackRunningStats };
  }
}

/** Batch normalisation of [batch, features] (or [batch, features, length]) over the batch (and length), as PyTorch's BatchNorm1d. */
export class BatchNorm1d extends BatchNorm {
  protected readonly kind = 'BatchNorm1d';
  constructor(numFeatures: number, options?: BatchNormLayerOptions) { super('BatchNorm1d', numFeatures, options); }
  forward(x: Tensor): Tensor {
    if (x.rank !== 2 && x.rank !== 3) throw shapeError('BatchNorm1d', `expected a 2-D [batch, features] or 3-D [batch, features, length] input, got ${x.rank}-D ${shapeStr(x._shape)}`, x._shape);
    return this.run(x, 'BatchNorm1d');
  }
}

/** Batch normalisation of NCHW over batch, height and width per channel, as PyTorch's BatchNorm2d. */
export class BatchNorm2d extends BatchNorm {
  protected readonly kind = 'BatchNorm2d';
  constructor(numFeatures: number, options?: BatchNormLayerOptions) { super('BatchNorm2d', numFeatures, options); }
  forward(x: Tensor): Tensor {
    if (x.rank !== 4) throw shapeError('BatchNorm2d', `expected a 4-D [batch, channels, height, width] input, got ${x.rank}-D ${shapeStr(x._shape)}`, x._shape);
    return this.run(x, 'BatchNorm2d');
  }
}

export interface LayerNormLayerOptions {
  /** Added to the variance before the square root (default 1e-5); must be > 0. */
  eps?: number;
  /** Learn `weight` (ones) and `bias` (zeros) of normalizedShape (default true). */
  elementwiseAffine?: boolean;
}

/** Checks LayerNorm's arguments (allocates nothing); fromJSON runs it too. */
export function checkLayerNormArgs(op: string, normalizedShape: unknown, options: unknown): { shape: number[]; eps: number; elementwiseAffine: boolean } {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)) {
    throw new Error(`${op}: normalizedShape must be a positive integer or a non-empty array of them, got ${Array.isArray(shape) ? `[${shape.join(',')}]` : String(normalizedShape)}`);
  }
  const { eps = 1e-5, elementwiseAffine = true } = checkOptions<LayerNormLayerOptions>(op, options, ['eps', 'elementwiseAffine']);
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw new Error(`${op}: eps must be a positive number, got ${String(eps)}`);
  if (typeof elementwiseAffine !== 'boolean') throw new Error(`${op}: elementwiseAffine must be true or false, got ${String(elementwiseAffine)}`);
  return { shape: shape.slice() as number[], eps, elementwiseAffine };
}

/** Layer normalisation over the trailing dimensions `normalizedShape` of each sample, as PyTorch's LayerNorm. */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  constructor(normalizedShape: number | number[], options?: LayerNormLayerOptions) {
    super();
    const o = checkLayerNormArgs('LayerNorm', normalizedShape, options);
    this.normalizedShape = o.shape;
    this.eps = o.eps;
    this.elementwiseAffine = o.elementwiseAffine;
    this.weight = o.elementwiseAffine ? parameter(ones(o.shape)) : null;
    try {
      this.bias = o.elementwiseAffine ? parameter(zeros(o.shape)) : null;
    } catch (err) {
      this.weight?.dispose();
      throw err;
    }
  }

  forward(x: Tensor): Tensor {
    try {
      return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
    } catch (err) {
      throw new Error((err as Error).message.replace(/^layerNorm: /, 'LayerNorm: '));
    }
  }

  override toJSON(): ModuleJSON {
    return { type: 'LayerNorm', normalizedShape: [...this.normalizedShape], eps: this.eps, elementwiseAffine: this.elementwiseAffine };
  }
}
