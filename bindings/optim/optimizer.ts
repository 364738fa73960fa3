// The optimiser protocol (ConvNetJS's shape): it sees only the list of parameters and their
// .grad, and updates them in place with one wasm kernel per parameter. Its state (momentum,
// Adam moments) lives in kept tensors, so no tidy() frees it.

import { Tensor, zeros, assertLive, shapeError } from '../tensor.js';

export function checkNumber(op: string, name: string, v: unknown, min = 0, max = Infinity, openMax = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (openMax ? v >= max : v > max)) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}${openMax ? ')' : ']'}`;
    throw new Error(`${op}: ${name} must be a finite number ${range}, got ${String(v)}`);
  }
  return v;
}

export abstract class Optimizer {
  readonly params: Tensor[];
  protected _lr: number;
  protected readonly name: string;

  constructor(name: string, params: readonly Tensor[], lr: number) {
    this.name = name;
    if (!Array.isArray(params) || params.length === 0) {
      throw new Error(`${name}: expected a non-empty array of parameters (model.parameters()), got ${Array.isArray(params) ? 'an empty array' : String(params)}`);
    }
    params.forEach((p, i) => {
      assertLive(p, name);
      if (!p.requiresGrad || !p.isLeaf) throw shapeError(name, `parameter ${i} is not a leaf tensor that requires grad`, p._shape);
    });
    this.params = [...new Set(params)];
    this._lr = checkNumber(name, 'lr', lr);
  }

  /** The learning rate (schedules write it). */
  get lr(): number {
    return this._lr;
  }

  set lr(v: number) {
    this._lr = checkNumber(this.name, 'lr', v);
  }

  /** Disposes every parameter's gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** Updates every parameter that has a gradient. */
  abstract step(): void;

  /** Copies of the state tensors by name (for checkpoints and tests). */
  abstract stateDict(): Record<string, Float32Array | number>;

  /** Frees the state tensors. */
  abstract dispose(): void;

  /** Checks every parameter and gradient before the first kernel runs (so a bad one changes nothing). */
  protected checkBeforeStep(): void {
    for (const p of this.params) {
      assertLive(p, `${this.name}.step`);
      if (p.grad && p.grad.isDisposed) p.grad = null;
      if (p.grad && p.grad.size !== p.size) throw shapeError(`${this.name}.step`, 'gradient and parameter shapes differ', p._shape, p.grad._shape);
    }
  }

  /** A kept zero tensor shaped like `p`. */
  protected stateLike(p: Tensor): Tensor {
    return zeros(p.shape).keep();
  }
}
