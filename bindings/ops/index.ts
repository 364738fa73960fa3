// Every op, and the Tensor methods that delegate to them (x.matmul(w), x.add(b), x.relu(), ...).

import { Tensor } from '../tensor.js';
import type { ReduceOptions, VarOptions } from './reduce.js';
import type { SliceRange } from './slice.js';
import type { Index } from './gather.js';
import { matmul, linear, type MatmulOptions } from './matmul.js';
import { add } from './add.js';
import { sub } from './sub.js';
import { mul } from './mul.js';
import { scale } from './scale.js';
import { relu } from './relu.js';
import { leakyRelu } from './leakyRelu.js';
import { elu } from './elu.js';
import { sigmoid } from './sigmoid.js';
import { tanh } from './tanh.js';
import { maxout } from './maxout.js';
import { softmax } from './softmax.js';
import { reshape } from './reshape.js';
import { softmaxCrossEntropy } from './softmaxCrossEntropy.js';
import { svm } from './svm.js';
import { mse } from './mse.js';
import { l1, l2 } from './penalty.js';
import { conv2d } from './conv2d.js';
import { maxPool2d } from './maxPool2d.js';
import { avgPool2d } from './avgPool2d.js';
import { globalAvgPool2d } from './globalAvgPool2d.js';
import { dropout } from './dropout.js';
import { sum, mean, max, min, argmax, argmin, logsumexp, variance, std } from './reduce.js';
import { exp, log, sqrt, rsqrt, abs, neg, pow, clamp } from './unary.js';
import { div, maximum, minimum } from './binary.js';
import { where } from './where.js';
import { view, flatten, squeeze, unsqueeze, permute, transpose } from './shape.js';
import { slice, narrow, split, concat, stack } from './slice.js';
import { gather, indexSelect, oneHot } from './gather.js';
import { zeros, ones, full, rand, randn, arange, linspace } from '../tensor.js';
import { batchNorm } from './batchNorm.js';
import { layerNorm } from './layerNorm.js';
import { gelu } from './gelu.js';
import { silu } from './silu.js';
import { hardtanh, relu6 } from './hardtanh.js';
import { logSoftmax } from './logSoftmax.js';
import { bceWithLogits } from './bceWithLogits.js';
import { huber } from './huber.js';

export {
  matmul, linear, add, sub, mul, scale, sum, mean, relu, leakyRelu, elu, sigmoid, tanh, maxout,
  softmax, reshape, softmaxCrossEntropy, svm, mse, l1, l2, conv2d, maxPool2d, avgPool2d, dropout,
  globalAvgPool2d,
  max, min, argmax, argmin, logsumexp, variance as var, std,
  exp, log, sqrt, rsqrt, abs, neg, pow, clamp, div, maximum, minimum, where,
  view, flatten, squeeze, unsqueeze, permute, transpose, slice, narrow, split, concat, concat as cat, stack,
  gather, indexSelect, oneHot, zeros, ones, full, rand, randn, arange, linspace,
  batchNorm, layerNorm, gelu, silu, hardtanh, relu6, logSoftmax, bceWithLogits, huber,
};
export type { MatmulOptions } from './matmul.js';
export type { ReduceOptions, VarOptions } from './reduce.js';
export type { SliceRange } from './slice.js';
export type { Index } from './gather.js';
export type { BatchNormOptions } from './batchNorm.js';
export type { GeluApproximate } from './gelu.js';
export type { Labels } from './labels.js';
export type { Conv2dOptions } from './conv2d.js';
export type { Pool2dOptions, MaxPool2dOptions, AvgPool2dOptions } from './window.js';
export type { DropoutOptions } from './dropout.js';
export type { Size2 } from './window.js';

declare module '../tensor.js' {
  interface Tensor {
    /** this·b, or with { transposeA, transposeB } op(this)·op(b) (ops.matmul). */
    matmul(b: Tensor, options?: MatmulOptions): Tensor;
    add(b: Tensor | number): Tensor;
    sub(b: Tensor | number): Tensor;
    mul(b: Tensor | number): Tensor;
    scale(s: number): Tensor;
    sum(dim?: number | number[] | null, options?: ReduceOptions): Tensor;
    mean(dim?: number | number[] | null, options?: ReduceOptions): Tensor;
    max(dim?: number | number[] | Tensor | null, options?: ReduceOptions): Tensor;
    min(dim?: number | number[] | Tensor | null, options?: ReduceOptions): Tensor;
    argmax(dim?: number | null, options?: ReduceOptions): Tensor;
    argmin(dim?: number | null, options?: ReduceOptions): Tensor;
    logsumexp(dim?: number | number[] | null, options?: ReduceOptions): Tensor;
    var(dim?: number | number[] | null, options?: VarOptions): Tensor;
    std(dim?: number | number[] | null, options?: VarOptions): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    neg(): Tensor;
    pow(p: Tensor | number): Tensor;
    div(b: Tensor | number): Tensor;
    clamp(min?: number | Tensor | null, max?: number | Tensor | null): Tensor;
    maximum(b: Tensor | number): Tensor;
    minimum(b: Tensor | number): Tensor;
    /** this where cond ≠ 0, else other (torch's x.where(cond, other)). */
    where(cond: Tensor, other: Tensor | number): Tensor;
    view(shape: number[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(dim?: number | number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    permute(dims: number[]): Tensor;
    transpose(dim0?: number, dim1?: number): Tensor;
    slice(ranges: SliceRange[]): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    split(sizeOrSections: number | number[], dim?: number): Tensor[];
    gather(dim: number, index: Index): Tensor;
    indexSelect(dim: number, index: Index): Tensor;
    relu(): Tensor;
    leakyRelu(slope?: number): Tensor;
    elu(alpha?: number): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    maxout(k: number): Tensor;
    softmax(): Tensor;
    logSoftmax(): Tensor;
    gelu(approximate?: 'none' | 'tanh'): Tensor;
    silu(): Tensor;
    relu6(): Tensor;
    hardtanh(min?: number, max?: number): Tensor;
    reshape(shape: number[]): Tensor;
  }
}

const methods: Partial<Tensor> = {
  matmul(this: Tensor, b: Tensor, o?: MatmulOptions) { return matmul(this, b, o); },
  add(this: Tensor, b: Tensor | number) { return add(this, b); },
  sub(this: Tensor, b: Tensor | number) { return sub(this, b); },
  mul(this: Tensor, b: Tensor | number) { return mul(this, b); },
  scale(this: Tensor, s: number) { return scale(this, s); },
  sum(this: Tensor, dim?: number | number[] | null, o?: ReduceOptions) { return sum(this, dim, o); },
  mean(this: Tensor, dim?: number | number[] | null, o?: ReduceOptions) { return mean(this, dim, o); },
  max(this: Tensor, dim?: number | number[] | Tensor | null, o?: ReduceOptions) { return max(this, dim, o); },
  min(this: Tensor, dim?: number | number[] | Tensor | null, o?: ReduceOptions) { return min(this, dim, o); },
  argmax(this: Tensor, dim?: number | null, o?: ReduceOptions) { return argmax(this, dim, o); },
  argmin(this: Tensor, dim?: number | null, o?: ReduceOptions) { return argmin(this, dim, o); },
  logsumexp(this: Tensor, dim?: number | number[] | null, o?: ReduceOptions) { return logsumexp(this, dim, o); },
  var(this: Tensor, dim?: number | number[] | null, o?: VarOptions) { return variance(this, dim, o); },
  std(this: Tensor, dim?: number | number[] | null, o?: VarOptions) { return std(this, dim, o); },
  exp(this: Tensor) { return exp(this); },
  log(this: Tensor) { return log(this); },
  sqrt(this: Tensor) { return sqrt(this); },
  rsqrt(this: Tensor) { return rsqrt(this); },
  abs(this: Tensor) { return abs(this); },
  neg(this: Tensor) { return neg(this); },
  pow(this: Tensor, p: Tensor | number) { return pow(this, p); },
  div(this: Tensor, b: Tensor | number) { return div(this, b); },
  clamp(this: Tensor, lo?: number | Tensor | null, hi?: number | Tensor | null) { return clamp(this, lo, hi); },
  maximum(this: Tensor, b: Tensor | number) { return maximum(this, b); },
  minimum(this: Tensor, b: Tensor | number) { return minimum(this, b); },
  where(this: Tensor, cond: Tensor, other: Tensor | number) { return where(cond, this, other); },
  view(this: Tensor, shape: number[]) { return view(this, shape); },
  flatten(this: Tensor, startDim?: number, endDim?: number) { return flatten(this, startDim, endDim); },
  squeeze(this: Tensor, dim?: number | number[]) { return squeeze(this, dim); },
  unsqueeze(this: Tensor, dim: number) { return unsqueeze(this, dim); },
  permute(this: Tensor, dims: number[]) { return permute(this, dims); },
  transpose(this: Tensor, ...dims: number[]) { return (transpose as (x: Tensor, ...d: number[]) => Tensor)(this, ...dims); },
  slice(this: Tensor, ranges: SliceRange[]) { return slice(this, ranges); },
  narrow(this: Tensor, dim: number, start: number, length: number) { return narrow(this, dim, start, length); },
  split(this: Tensor, s: number | number[], dim?: number) { return split(this, s, dim); },
  gather(this: Tensor, dim: number, index: Index) { return gather(this, dim, index); },
  indexSelect(this: Tensor, dim: number, index: Index) { return indexSelect(this, dim, index); },
  relu(this: Tensor) { return relu(this); },
  leakyRelu(this: Tensor, slope?: number) { return leakyRelu(this, slope); },
  elu(this: Tensor, alpha?: number) { return elu(this, alpha); },
  sigmoid(this: Tensor) { return sigmoid(this); },
  tanh(this: Tensor) { return tanh(this); },
  maxout(this: Tensor, k: number) { return maxout(this, k); },
  softmax(this: Tensor) { return softmax(this); },
  logSoftmax(this: Tensor) { return logSoftmax(this); },
  gelu(this: Tensor, approximate?: 'none' | 'tanh') { return gelu(this, approximate); },
  silu(this: Tensor) { return silu(this); },
  relu6(this: Tensor) { return relu6(this); },
  hardtanh(this: Tensor, min?: number, max?: number) { return hardtanh(this, min, max); },
  reshape(this: Tensor, shape: number[]) { return reshape(this, shape); },
};
Object.assign(Tensor.prototype, methods);
