// The activation layers of modern networks: GELU (exact or tanh), ReLU6, SiLU, Hardtanh and
// LogSoftmax (over the last dimension), each over its SIMD kernel (assembly/activations.ts).

import { Tensor } from '../tensor.js';
import { Module, type ModuleJSON } from './module.js';
import { gelu, type GeluApproximate } from '../ops/gelu.js';
import { silu } from '../ops/silu.js';
import { hardtanh } from '../ops/hardtanh.js';
import { logSoftmax } from '../ops/logSoftmax.js';
import { options as checkOptions } from '../options.js';

/** Checks GELU's options; fromJSON runs it too. */
export function checkGeluOptions(options: unknown): GeluApproximate {
  const { approximate = 'none' } = checkOptions<{ approximate?: GeluApproximate }>('GELU', options, ['approximate']);
  if (approximate !== 'none' && approximate !== 'tanh') throw new Error(`GELU: approximate must be 'none' or 'tanh', got ${String(approximate)}`);
  return approximate;
}

/** GELU, x·Φ(x) ('none', the default) or its tanh approximation ('tanh'), as PyTorch's nn.GELU. */
export class GELU extends Module {
  readonly approximate: GeluApproximate;
  constructor(options?: { approximate?: GeluApproximate }) {
    super();
    this.approximate = checkGeluOptions(options);
  }
  forward(x: Tensor): Tensor { return gelu(x, this.approximate); }
  override toJSON(): ModuleJSON { return { type: 'GELU', approximate: this.approximate }; }
}

/** min(max(x, 0), 6). */
export class ReLU6 extends Module {
  forward(x: Tensor): Tensor { return hardtanh(x, 0, 6); }
  override toJSON(): ModuleJSON { return { type: 'ReLU6' }; }
}

/** x·σ(x) (swish). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor { return silu(x); }
  override toJSON(): ModuleJSON { return { type: 'SiLU' }; }
}

/** Checks Hardtanh's bounds; fromJSON runs it too. */
export function checkHardtanh(min: unknown, max: unknown): void {
  if (typeof min !== 'number' || typeof max !== 'number' || !Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) {
    throw new Error(`Hardtanh: min and max must be finite numbers with min < max, got ${String(min)} and ${String(max)}`);
  }
}

/** min(max(x, min), max) (defaults −1, 1). */
export class Hardtanh extends Module {
  constructor(readonly min = -1, readonly max = 1) {
    super();
    checkHardtanh(min, max);
  }
  forward(x: Tensor): Tensor { return hardtanh(x, this.min, this.max); }
  override toJSON(): ModuleJSON { return { type: 'Hardtanh', min: this.min, max: this.max }; }
}

/** log softmax over the last dimension, fused and stable (pair it with a negative log-likelihood). */
export class LogSoftmax extends Module {
  forward(x: Tensor): Tensor { return logSoftmax(x); }
  override toJSON(): ModuleJSON { return { type: 'LogSoftmax' }; }
}
