export { Module, parameter } from './module';
export { Dense, Maxout, ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Flatten, Sequential } from './layers';
export type { DenseOptions } from './layers';
export type { Init, InitName } from './init';
