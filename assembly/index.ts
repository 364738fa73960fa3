// The exports of the compute core, nothing else. Every export takes pointers into linear
// memory, sizes and scalars; no managed objects cross the boundary.
//
// Kernels that the threads builds split across threads come in three exports with one argument
// list: `foo(args)` runs all of it on this thread; `fooPart(args, part, parts)` runs part `part`
// of `parts` (bit-identical results for any `parts`); `fooWorkspace(args)` is the scratch in
// bytes that one part takes from workspace(), which the calling thread allocates for each
// worker before dispatch (workers never allocate).
export { alloc, free } from './memory';
export { workspace, workspaceBytes, assignWorkspace } from './workspace';
export { gemm, gemmPart, gemmWorkspace, gemmAct, gemmActPart, gemmActWorkspace, gemmParts } from './gemm';
export {
  add, sub, mul, scale, addScalar, axpy, signAxpy, fill, exp,
  relu, reluBackward, leakyRelu, leakyReluBackward, elu, eluBackward,
  sigmoid, sigmoidBackward, tanh, tanhBackward, maxout, maxoutBackward, argmaxRows,
  addRowVector, sumRows, sumCols, sum, sumSquares, sumAbs, countNonFinite, activateRows,
} from './elementwise';
export {
  softmax, softmaxCrossEntropy, softmaxCrossEntropyBackward, svm, svmBackward, mse, mseBackward,
  softmaxCrossEntropySmoothed, softmaxCrossEntropySmoothedBackward, bceWithLogits, bceWithLogitsBackward,
  huber, huberBackward,
} from './loss';
export {
  conv2dForward, conv2dForwardPart, conv2dForwardWorkspace, conv2dForwardAct, conv2dForwardActPart, conv2dForwardActWorkspace,
  conv2dForwardPrepared, conv2dForwardPreparedPart, conv2dForwardPreparedWorkspace,
  conv2dForwardActPool, conv2dForwardActPoolPart, conv2dForwardActPoolWorkspace, conv2dPoolFuses,
  conv2dBackwardInput, conv2dBackwardInputPart, conv2dBackwardInputWorkspace,
  conv2dBackwardInputPrepared, conv2dBackwardInputPreparedPart, conv2dBackwardInputPreparedWorkspace,
  conv2dBackwardInputPreparedBytes, conv2dBackwardInputPrepare,
  conv2dBackwardWeight, conv2dBackwardWeightPart, conv2dBackwardWeightWorkspace,
  conv2dBackwardWeightPartials, conv2dBackwardWeightUnits, conv2dBackwardWeightSum,
} from './conv';
export { winogradWeightsBytes, winogradRefresh } from './winograd';
export { maxPool2dForward, maxPool2dBackward, avgPool2dForward, avgPool2dBackward, avgPool2dBackwardWorkspace } from './pool';
export { dropoutForward, dropoutBackward } from './dropout';
export { sgdStep, adamStep, rmspropStep, adagradStep, adadeltaStep } from './optim';
export {
  depthwiseConv2dForward, depthwiseConv2dForwardPart, depthwiseWorkspace as depthwiseConv2dForwardWorkspace,
  depthwiseConv2dBackwardInput, depthwiseConv2dBackwardInputPart, depthwiseWorkspace as depthwiseConv2dBackwardInputWorkspace,
  depthwiseConv2dBackwardWeight, depthwiseConv2dBackwardWeightPart, depthwiseWorkspace as depthwiseConv2dBackwardWeightWorkspace,
} from './depthwise';
export { globalAvgPool2dForward, globalAvgPool2dBackward } from './globalpool';
export {
  reduceSum, reduceMax, reduceMin, reduceArg, reduceLogsumexp, reduceVar,
  expandBackward, logsumexpBackward, varBackward, scatterBackward,
} from './reduce';
export { broadcastBinary, transpose } from './broadcast';
export {
  log, sqrtForward, rsqrt, absForward, neg, square, reciprocal, powScalar, clamp, div, select,
  logBackward, sqrtBackward, rsqrtBackward, absBackward, powScalarBackward, clampBackward,
} from './unary';
export { indexSelect, indexAdd, gather, scatterAdd } from './gather';
export { batchNormForward, batchNormBackward, layerNormForward, layerNormBackward } from './norm';
export {
  gelu, geluBackward, geluTanh, geluTanhBackward, silu, siluBackward, hardtanh, hardtanhBackward,
  logSoftmax, logSoftmaxBackward,
} from './activations';
