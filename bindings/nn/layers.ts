// Layers: compositions of ops, no kernels of their own.

import { Tensor } from '../tensor.js';
import { Module, type ModuleJSON } from './module.js';
import { initParameter, zeroParameter, type Init } from './init.js';
import { linear, linearFused } from '../ops/matmul.js';
import { ACT, fusesUnderTape, type FusedActivation } from '../ops/fused.js';
import { needsGrad } from '../autograd.js';
import { relu } from '../ops/relu.js';
import { leakyRelu } from '../ops/leakyRelu.js';
import { elu } from '../ops/elu.js';
import { sigmoid } from '../ops/sigmoid.js';
import { tanh } from '../ops/tanh.js';
import { maxout } from '../ops/maxout.js';
import { reshape } from '../ops/reshape.js';
import { options } from '../options.js';

function checkFeatures(op: string, values: Record<string, unknown>): void {
  for (const [name, v] of Object.entries(values)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${String(v)}`);
  }
}

export interface DenseOptions {
  /** Add a learned bias (default true). */
  bias?: boolean;
  /** Weight initialisation (default 'he'); the bias starts at zero. */
  init?: Init;
}

const DENSE_KEYS = ['bias', 'init'];

function weights(op: string, out: number, inF: number, init: Init, fanOut = out): Tensor {
  return initParameter(op, [out, inF], init, inF, fanOut);
}

/** A fully connected layer y = x·Wᵀ + b, with W [outFeatures, inFeatures] and b [outFeatures] (PyTorch's layout). */
export class Dense extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: DenseOptions = {}) {
    super();
    const { bias = true, init = 'he' } = options<DenseOptions>('Dense', opts, DENSE_KEYS);
    checkFeatures('Dense', { inFeatures, outFeatures });
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = weights('Dense', outFeatures, inFeatures, init);
    this.bias = bias ? zeroParameter('Dense', [outFeatures], this.weight) : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override forwardFused(x: Tensor, act: FusedActivation): Tensor | null {
    // anything but a tensor goes to forward(), which names the problem
    if (!(x instanceof Tensor)) return null;
    if (!fusesUnderTape(act) && (needsGrad(x, this.weight) || (this.bias !== null && needsGrad(this.bias)))) return null;
    return linearFused(x, this.weight, this.bias, act);
  }

  override toJSON(): ModuleJSON {
    return { type: 'Dense', inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null };
  }
}

/**
 * Maxout (Goodfellow et al.): a Dense layer to outFeatures·k values, then the max of each group
 * of k. weight is [outFeatures·k, inFeatures]; unit u's pieces are rows u·k … u·k+k−1.
 */
export class Maxout extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly k: number;

  constructor(inFeatures: number, outFeatures: number, k: number, opts: DenseOptions = {}) {
    super();
    const { bias = true, init = 'he' } = options<DenseOptions>('Maxout', opts, DENSE_KEYS);
    checkFeatures('Maxout', { inFeatures, outFeatures, k });
    this.k = k;
    this.weight = weights('Maxout', outFeatures * k, inFeatures, init, outFeatures);
    this.bias = bias ? zeroParameter('Maxout', [outFeatures * k], this.weight) : null;
  }

  forward(x: Tensor): Tensor {
    return maxout(linear(x, this.weight, this.bias), this.k);
  }

  override toJSON(): ModuleJSON {
    const [rows, inFeatures] = this.weight._shape;
    return { type: 'Maxout', inFeatures, outFeatures: rows / this.k, k: this.k, bias: this.bias !== null };
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
  override toJSON(): ModuleJSON { return { type: 'ReLU' }; }
}

export class LeakyReLU extends Module {
  constructor(readonly slope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return leakyRelu(x, this.slope); }
  override toJSON(): ModuleJSON { return { type: 'LeakyReLU', slope: this.slope }; }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return elu(x, this.alpha); }
  override toJSON(): ModuleJSON { return { type: 'ELU', alpha: this.alpha }; }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return sigmoid(x); }
  override toJSON(): ModuleJSON { return { type: 'Sigmoid' }; }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor { return tanh(x); }
  override toJSON(): ModuleJSON { return { type: 'Tanh' }; }
}

/** The fused form of an activation layer (its exact class: a subclass may override forward). */
function fusable(m: Module): FusedActivation | null {
  switch (m.constructor) {
    case ReLU: return { code: ACT.relu, alpha: 0 };
    case LeakyReLU: return { code: ACT.leakyRelu, alpha: (m as LeakyReLU).slope };
    case ELU: return { code: ACT.elu, alpha: (m as ELU).alpha };
    case Sigmoid: return { code: ACT.sigmoid, alpha: 0 };
    case Tanh: return { code: ACT.tanh, alpha: 0 };
    default: return null;
  }
}

/** [rows, ...] → [rows, features]: e.g. a conv stack's [batch, C, H, W] → [batch, C·H·W] (C-major, as PyTorch's flatten). */
export class Flatten extends Module {
  forward(x: Tensor): Tensor { return x.rank === 2 ? x : reshape(x, [x._shape[0], -1]); }
  override toJSON(): ModuleJSON { return { type: 'Flatten' }; }
}

/** Runs its layers in order; parameters are named by position ('0.weight', '2.bias'). */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    for (const [i, l] of layers.entries()) {
      if (!(l instanceof Module)) throw new Error(`Sequential: layer ${i} is not a Module (got ${l === null ? 'null' : typeof l})`);
    }
    this.layers = layers;
  }

  override namedChildren(): Array<[string, Module]> {
    return this.layers.map((l, i) => [String(i), l]);
  }

  add(layer: Module): this {
    if (!(layer instanceof Module)) throw new Error('Sequential.add: expected a Module');
    this.layers.push(layer);
    return this;
  }

  forward(x: Tensor): Tensor {
    let h = x;
    const layers = this.layers;
    for (let i = 0; i < layers.length; i++) {
      // Dense/Conv2d + activation: one fused kernel (forwardFused says when it can); Conv2d +
      // activation + MaxPool2d(2) with no gradient needed: one op (forwardFusedPool)
      const act = i + 1 < layers.length ? fusable(layers[i + 1]) : null;
      const pooled = act && i + 2 < layers.length ? layers[i].forwardFusedPool(h, act, layers[i + 2]) : null;
      if (pooled) {
        h = pooled;
        i += 2;
        continue;
      }
      const fused = act ? layers[i].forwardFused(h, act) : null;
      if (fused) {
        h = fused;
        i++;
      } else {
        h = layers[i].forward(h);
      }
    }
    return h;
  }

  override toJSON(): ModuleJSON {
    return { type: 'Sequential', layers: this.layers.map((l) => l.toJSON()) };
  }
}
