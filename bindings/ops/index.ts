// Every op, and the Tensor methods that delegate to them (x.matmul(w), x.add(b), x.relu(), ...).

import { Tensor } from '../tensor';
import { matmul, linear } from './matmul';
import { add } from './add';
import { sub } from './sub';
import { mul } from './mul';
import { scale } from './scale';
import { sum } from './sum';
import { mean } from './mean';
import { relu } from './relu';
import { leakyRelu } from './leakyRelu';
import { elu } from './elu';
import { sigmoid } from './sigmoid';
import { tanh } from './tanh';
import { maxout } from './maxout';
import { softmax } from './softmax';
import { reshape } from './reshape';
import { softmaxCrossEntropy } from './softmaxCrossEntropy';
import { svm } from './svm';
import { mse } from './mse';
import { l1, l2 } from './penalty';

export {
  matmul, linear, add, sub, mul, scale, sum, mean, relu, leakyRelu, elu, sigmoid, tanh, maxout,
  softmax, reshape, softmaxCrossEntropy, svm, mse, l1, l2,
};
export type { Labels } from './labels';

declare module '../tensor' {
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
