// Fusion (issues 10 and 11): a Dense or Conv2d and the activation after it in one kernel, the
// activation applied to each output tile as the GEMM stores it (assembly/gemm.ts gemmPacked), bit
// for bit the unfused path on every build: the tile goes through the same lane functions as the
// activation kernels, after the same sums. Without a gradient: no tape and no intermediate tensor.
// With one, for the activations whose backward reads only the output (ReLU, Sigmoid, Tanh): the
// fused op records the activation's backward (from its own output) in front of the layer's, so
// training skips the activation's pass over memory and the pre-activation tensor, with the same bits.

import { Tensor, empty } from '../tensor.js';
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

/**
 * Whether `act` may be fused under a tape: its backward reads only the output (ReLU's y > 0 is
 * x > 0, NaN included; Sigmoid's and Tanh's backward kernels take y already), so the fused op's
 * gradients are the unfused ops' bits. Leaky ReLU (a negative slope flips the sign) and ELU (its
 * backward needs e^x) stay unfused when a gradient is needed.
 */
export function fusesUnderTape(act: FusedActivation | null | undefined): boolean {
  const code = act?.code;
  return code === ACT.relu || code === ACT.sigmoid || code === ACT.tanh;
}

/** The gradient before `act` from the one after it, dy, and the fused op's output y (fusesUnderTape): a new tensor. */
export function activationBackward(y: Tensor, dy: Tensor, act: FusedActivation): Tensor {
  const K = wasm('backward');
  const g = empty(y._shape, 'backward', false);
  if (act.code === ACT.relu) K.reluBackward(y.ptr, dy.ptr, g.ptr, y.size);
  else if (act.code === ACT.sigmoid) K.sigmoidBackward(y.ptr, dy.ptr, g.ptr, y.size);
  else if (act.code === ACT.tanh) K.tanhBackward(y.ptr, dy.ptr, g.ptr, y.size);
  else {
    g.dispose();
    throw new Error(`backward: activation ${act.code} cannot be fused under a tape`);
  }
  return g;
}
