export { Module, parameter } from './module.js';
export type { ModuleJSON } from './module.js';
export { fromJSON } from './config.js';
export { Dense, Maxout, ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Flatten, Sequential } from './layers.js';
export type { DenseOptions } from './layers.js';
export { Conv2d, MaxPool2d, AvgPool2d, GlobalAvgPool2d, Dropout } from './conv.js';
export type { Conv2dLayerOptions, Pool2dLayerOptions } from './conv.js';
export type { Init, InitName } from './init.js';
