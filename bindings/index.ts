// simdnet: neural networks on WebAssembly SIMD kernels, with one API in Node, browsers,
// workers, Deno, Bun and Cloudflare workerd.
//
//   import { init, seed, tensor, nn, loss, optim, fit } from 'simdnet';
//   await init();

export { init, runtimeInfo, supportedVariants } from './runtime.js';
export type { InitOptions, RuntimeInfo, Variant } from './runtime.js';
export { seed, getRngState, setRngState } from './random.js';
export type { RngState } from './random.js';
export { Tensor, tensor, zeros, ones, full, randn, rand, arange, linspace, tidy, memory, reset, setLeakWarning } from './tensor.js';
export type { TensorData, MemoryInfo, Shape } from './tensor.js';
export { noGrad, isGradEnabled, backward } from './autograd.js';
export type { BackwardOptions } from './autograd.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './gradcheck.js';
export { fit, evaluate, predict } from './train.js';
export type { Dataset, FitOptions, History, EpochLogs, BatchLogs, LossFn, LossSpec, EvaluateOptions, EvaluateResult, EvaluateMetric } from './train.js';
export * as data from './data/index.js';
export * as callbacks from './callbacks.js';
export * as metrics from './metrics.js';
export * as ops from './ops/index.js';
export * as nn from './nn/index.js';
export { paramCount } from './nn/summary.js';
export * as loss from './loss.js';
export * as optim from './optim/index.js';
export { clipGradNorm } from './optim/clip.js';
export {
  save, load, loadModel, readSafetensors, writeSafetensors, checkpoint, restore,
  saveFile, loadFile, loadModelFile, writeFileAtomic, toOnnx, fromOnnx,
} from './io/index.js';
export type { SaveOptions, LoadOptions, SafetensorsTensor, CheckpointOptions, RestoreOptions, Restored, OnnxOptions, FromOnnxOptions } from './io/index.js';
