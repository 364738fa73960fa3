// Inference-only fusion (issue 11): a Dense or Conv2d and the activation after it in one kernel,
// the activation applied to each output tile as the GEMM stores it (assembly/gemm.ts gemmPacked).
// No tape, no intermediate tensor, and bit for bit the unfused path on every build: the tile goes
// through the same lane functions as the activation kernels, after the same sums.

import { Tensor } from '../tensor.js';
import { wasm } from '../runtime.js';

/** An activation the kernels can fuse: code (assembly/elementwise.ts ACT_*) and its parameter. */
export interface FusedActivation {
  code: number;
  /** Leaky ReLU's slope or ELU's α; 0 otherwise. */
  alpha: number;
}

/** The codes of assembly/elementwise.ts (ACT_RELU …). */
export const ACT = { relu: 3, leakyRelu: 4, elu: 5, sigmoid: 6, tanh: 7 } as const;

/** y = act(y) in place, for a tensor no tape holds (the fused paths' fallback where no fused kernel runs). */
export function activateInPlace(y: Tensor, act: FusedActivation): void {
  wasm('activation').activateRows(y.ptr, 0, 1, y.size, act.code, act.alpha);
}
