export { Module, parameter } from './module.js';
export { Dense, Maxout, ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Flatten, Sequential } from './layers.js';
export type { DenseOptions } from './layers.js';
export type { Init, InitName } from './init.js';
