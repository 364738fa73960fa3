// Every op, and the Tensor methods that delegate to them (x.matmul(w), x.add(b), x.relu(), ...).

import { Tensor } from '../tensor.js';
import { matmul, linear } from './matmul.js';
import { add } from './add.js';
import { sub } from './sub.js';
import { mul } from './mul.js';
import { scale } from './scale.js';
import { sum } from './sum.js';
import { mean } from './mean.js';
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

export {
  matmul, linear, add, sub, mul, scale, sum, mean, relu, leakyRelu, elu, sigmoid, tanh, maxout,
  softmax, reshape, softmaxCrossEntropy, svm, mse, l1, l2, conv2d, maxPool2d, avgPool2d, dropout,
  globalAvgPool2d,
};
export type { Labels } from './labels.js';
export type { Conv2dOptions } from './conv2d.js';
export type { Pool2dOptions } from './maxPool2d.js';
export type { DropoutOptions } from './dropout.js';
export type { Size2 } from './window.js';

declare module '../tensor.js' {
  interface Tensor {
    matmul(b: Tensor): Tensor;
    add(b: Tensor | number): Tensor;
    sub(b: Tensor | number): Tensor;
    mul(b: Tensor | number): Tensor;
    scale(s: number): Tensor;
    sum(): Tensor;
    mean(): Tensor;
    relu(): Tensor;
    leakyRelu(slope?: number): Tensor;
    elu(alpha?: number): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    maxout(k: number): Tensor;
    softmax(): Tensor;
    reshape(shape: number[]): Tensor;
  }
}

const methods: Partial<Tensor> = {
  matmul(this: Tensor, b: Tensor) { return matmul(this, b); },
  add(this: Tensor, b: Tensor | number) { return add(this, b); },
  sub(this: Tensor, b: Tensor | number) { return sub(this, b); },
  mul(this: Tensor, b: Tensor | number) { return mul(this, b); },
  scale(this: Tensor, s: number) { return scale(this, s); },
  sum(this: Tensor) { return sum(this); },
  mean(this: Tensor) { return mean(this); },
  relu(this: Tensor) { return relu(this); },
  leakyRelu(this: Tensor, slope?: number) { return leakyRelu(this, slope); },
  elu(this: Tensor, alpha?: number) { return elu(this, alpha); },
  sigmoid(this: Tensor) { return sigmoid(this); },
  tanh(this: Tensor) { return tanh(this); },
  maxout(this: Tensor, k: number) { return maxout(this, k); },
  softmax(this: Tensor) { return softmax(this); },
  reshape(this: Tensor, shape: number[]) { return reshape(this, shape); },
};
Object.assign(Tensor.prototype, methods);
