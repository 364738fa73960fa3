// The exports of the compute core, nothing else. Every export takes pointers into linear
// memory, sizes and scalars; no managed objects cross the boundary.
export { alloc, free } from './memory';
export { workspaceBytes } from './workspace';
export { gemm } from './gemm';
export {
  add, sub, mul, scale, addScalar, axpy, signAxpy, fill, exp,
  relu, reluBackward, leakyRelu, leakyReluBackward, elu, eluBackward,
  sigmoid, sigmoidBackward, tanh, tanhBackward, maxout, maxoutBackward, argmaxRows,
  addRowVector, sumRows, sumCols, sum, sumSquares, sumAbs, countNonFinite,
} from './elementwise';
export {
  softmax, softmaxCrossEntropy, softmaxCrossEntropyBackward, svm, svmBackward, mse, mseBackward,
} from './loss';
export { conv2dForward, conv2dBackwardInput, conv2dBackwardWeight } from './conv';
export { maxPool2dForward, maxPool2dBackward, avgPool2dForward, avgPool2dBackward } from './pool';
export { dropoutForward, dropoutBackward } from './dropout';
export { sgdStep, adamStep } from './optim';
export { depthwiseConv2dForward, depthwiseConv2dBackwardInput, depthwiseConv2dBackwardWeight } from './depthwise';
export { globalAvgPool2dForward, globalAvgPool2dBackward } from './globalpool';
