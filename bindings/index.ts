// simdnet: neural networks on WebAssembly SIMD kernels, with one API in Node, browsers,
// workers, Deno, Bun and Cloudflare workerd.
//
//   import { init, seed, tensor, nn, loss, optim, fit } from 'simdnet';
//   await init();

export { init, runtimeInfo, supportedVariants } from './runtime';
export type { InitOptions, RuntimeInfo, Variant } from './runtime';
export { seed } from './random';
export { Tensor, tensor, zeros, ones, full, randn, rand, tidy, memory, reset } from './tensor';
export type { TensorData, MemoryInfo, Shape } from './tensor';
export { noGrad, isGradEnabled, backward } from './autograd';
export type { BackwardOptions } from './autograd';
export { gradcheck } from './gradcheck';
export type { GradcheckOptions, GradcheckResult } from './gradcheck';
export { fit, evaluate, predict } from './train';
export type { Dataset, FitOptions, History, EpochLogs, LossFn, LossSpec } from './train';
export * as ops from './ops/index';
export * as nn from './nn/index';
export * as loss from './loss';
export * as optim from './optim/index';
