// The layer protocol (ConvNetJS's shape, PyTorch's names): a Module has forward(x), its
// parameters (leaf tensors that require grad, with their .grad after backward()), child
// modules, and a training flag. Parameters and children are found from the instance's own
// properties in the order they were assigned, so a user-defined module is just
//   class Net extends nn.Module { fc1 = new nn.Dense(784, 256); fc2 = new nn.Dense(256, 10);
//     forward(x) { return this.fc2.forward(this.fc1.forward(x).relu()); } }
// and namedParameters() gives PyTorch state_dict names ('fc1.weight', '0.bias', ...).
//
// Buffers (BatchNorm's running statistics) are state that is not trained: marked with buffer(),
// they are in stateDict(), save/load and checkpoints (namedTensors()), but not in parameters().

import type { FusedActivation } from '../ops/fused.js';
import { Tensor, assertLive, shapeError, sameShape, shapeStr, describe } from '../tensor.js';
import { heapF32 } from '../runtime.js';

/** Marks `t` as a parameter: requires grad, survives every tidy(), found by Module.parameters(). */
export function parameter(t: Tensor): Tensor {
  assertLive(t, 'parameter');
  t.requiresGrad = true;
  t._param = true;
  t._kept = true;
  return t;
}

const buffers = new WeakSet<Tensor>();

/** Marks `t` as a buffer: saved and loaded with the module, survives every tidy(), never trained. */
export function buffer(t: Tensor): Tensor {
  assertLive(t, 'buffer');
  t._kept = true;
  buffers.add(t);
  return t;
}

/** A module's description: what toJSON() returns and nn.fromJSON() builds from. */
export interface ModuleJSON {
  type: string;
  [option: string]: unknown;
}

export abstract class Module {
  /** True in training mode (the default); eval() clears it. */
  training = true;

  abstract forward(x: Tensor): Tensor;

  /**
   * forward followed by `act`, fused into one kernel when this layer can (Dense, Conv2d): always
   * when no gradient is needed, and under a tape for ReLU, Sigmoid and Tanh (ops/fused.ts
   * fusesUnderTape); null otherwise (the caller then runs the two layers). Used by Sequential.
   */
  forwardFused(_x: Tensor, _act: FusedActivation): Tensor | null {
    return null;
  }

  /**
   * forward, then `act`, then the layer `pool` (a MaxPool2d), as one op when this layer can
   * (Conv2d with a 2×2 stride-2 pool; with a gradient to record, for the activations forwardFused
   * takes under a tape); null otherwise. Used by Sequential.
   */
  forwardFusedPool(_x: Tensor, _act: FusedActivation, _pool: Module): Tensor | null {
    return null;
  }

  /**
   * The architecture as plain JSON (layer types and their options, not the weights), which
   * nn.fromJSON() turns back into a model. Built-in layers describe themselves; a custom Module
   * class cannot (its forward() is code), so this throws for it.
   */
  toJSON(): ModuleJSON {
    throw new Error(`toJSON: ${this.constructor.name} is a custom nn.Module and cannot describe itself; rebuild it in code and use load(model, bytes) for its weights`);
  }

  /** Child modules with their names: Module-valued properties, and arrays of modules as name.i. */
  namedChildren(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value)) value.forEach((v, i) => { if (v instanceof Module) out.push([`${key}.${i}`, v]); });
    }
    return out;
  }

  /** This module's own parameters (not its children's). */
  namedOwnParameters(): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [key, value] of Object.entries(this)) if (value instanceof Tensor && value._param) out.push([key, value]);
    return out;
  }

  /** This module's own buffers (not its children's). */
  namedOwnBuffers(): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [key, value] of Object.entries(this)) if (value instanceof Tensor && buffers.has(value)) out.push([key, value]);
    return out;
  }

  /** Every parameter with its PyTorch-style name ('0.weight', 'fc1.bias'), each once. */
  namedParameters(): Array<[string, Tensor]> {
    return walk(this, (m) => m.namedOwnParameters());
  }

  /** Every buffer with its PyTorch-style name ('1.running_mean'), each once. */
  namedBuffers(): Array<[string, Tensor]> {
    return walk(this, (m) => m.namedOwnBuffers());
  }

  /**
   * Everything a state_dict holds — parameters and buffers — by name, in PyTorch's order (each
   * module's parameters, then its buffers, then its children).
   */
  namedTensors(): Array<[string, Tensor]> {
    return walk(this, (m) => [...m.namedOwnParameters(), ...m.namedOwnBuffers()]);
  }

  /** Every parameter, each once (what an optimiser takes). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Sets training mode here and in every child. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new Error(`train: mode must be true or false, got ${describe(mode)}`);
    this.training = mode;
    for (const [, child] of this.namedChildren()) child.train(mode);
    return this;
  }

  /** Evaluation mode (train(false)). */
  eval(): this {
    return this.train(false);
  }

  /** Disposes every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Copies of the parameters and buffers by name. */
  stateDict(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const [name, p] of this.namedTensors()) out[name] = p.data();
    return out;
  }

  /** Overwrites parameters and buffers from stateDict()-shaped data; checks every name and size first. */
  loadStateDict(state: Record<string, Float32Array | number[]>): void {
    if (state === null || typeof state !== 'object') throw new Error(`loadStateDict: expected an object of parameter values by name (a stateDict()), got ${describe(state)}`);
    const named = this.namedTensors();
    for (const [name, p] of named) {
      assertLive(p, 'loadStateDict');
      const v = state[name];
      if (v === undefined) throw shapeError('loadStateDict', `missing parameter '${name}'`, p._shape);
      if (v.length !== p.size) throw shapeError('loadStateDict', `'${name}' has ${v.length} values, the parameter has ${p.size}`, p._shape, [v.length]);
    }
    for (const [name, p] of named) heapF32().set(state[name], p.ptr >>> 2);
  }

  /** Frees every parameter (and gradient) and buffer. The module is unusable afterwards. */
  dispose(): void {
    for (const [, t] of this.namedTensors()) t.dispose();
  }
}

/** Tensors found by `own` in `root` and its descendants, named by their path, each once. */
function walk(root: Module, own: (m: Module) => Array<[string, Tensor]>): Array<[string, Tensor]> {
  const out: Array<[string, Tensor]> = [];
  const seen = new Set<Tensor>();
  const visit = (m: Module, prefix: string): void => {
    for (const [name, t] of own(m)) if (!seen.has(t)) { seen.add(t); out.push([prefix + name, t]); }
    for (const [name, child] of m.namedChildren()) visit(child, `${prefix}${name}.`);
  };
  visit(root, '');
  return out;
}

export { sameShape, shapeStr };
