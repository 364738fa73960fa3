// Matrix products on GEMM. matmul is op(A)·op(B), op = transpose where { transposeA, transposeB }
// say, read in place; linear is the Dense layer's x·Wᵀ + b with the PyTorch weight layout
// W [out, in]. Their backward passes use the other GEMM shapes (A·Bᵀ and Aᵀ·B, and Aᵀ·Bᵀ for a
// transposed matmul), so every product runs in the same kernel.

import { fusesUnderTape, activationBackward, type FusedActivation } from './fused.js';
import { Tensor, output, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, addGrad } from '../autograd.js';
import { wasm } from '../runtime.js';
import { options as checkOptions } from '../options.js';
import { flag } from './window.js';

/** matmul's options (TensorFlow.js's matMul(a, b, transposeA, transposeB) as named options). */
export interface MatmulOptions {
  /** Use Aᵀ: `a` is [k, m] (default false). The transposed operand is read in place, never copied. */
  transposeA?: boolean;
  /** Use Bᵀ: `b` is [n, k] (default false). */
  transposeB?: boolean;
}

const OPTION_KEYS = ['transposeA', 'transposeB'];

/**
 * C[m,n] = op(A)·op(B), op = transpose where the option says. One GEMM call on the operands as
 * stored (it packs A and B panels from either layout), so no transpose is copied, the threads
 * split it as any GEMM, and C is bit for bit matmul(transpose(a), b) and so on.
 * dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC; each gradient is one GEMM on the stored operands too.
 */
export function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor {
  const op = 'matmul';
  assertLive(a, op); assertLive(b, op);
  if (typeof options === 'boolean') {
    throw shapeError(op, `options must be an object { transposeA, transposeB } (TensorFlow.js's positional matMul(a, b, transposeA, transposeB) is matmul(a, b, { transposeA: ${options} }) here), got boolean`, a._shape, b._shape);
  }
  const o = checkOptions<MatmulOptions>(op, options, OPTION_KEYS);
  const tA = flag(op, 'transposeA', o.transposeA, false, a._shape, b._shape);
  const tB = flag(op, 'transposeB', o.transposeB, false, a._shape, b._shape);
  if (a.rank !== 2 || b.rank !== 2) throw shapeError(op, 'both operands must be 2-D', a._shape, b._shape);
  const [m, k] = tA ? [a._shape[1], a._shape[0]] : a._shape;
  const [kB, n] = tB ? [b._shape[1], b._shape[0]] : b._shape;
  if (kB !== k) {
    const used = !tA && !tB ? '' : ` (${[tA ? `transposeA: Aᵀ is [${m},${k}]` : '', tB ? `transposeB: Bᵀ is [${kB},${n}]` : ''].filter(Boolean).join(', ')})`;
    throw shapeError(op, `inner dimensions differ (${k} vs ${kB})${used}`, a._shape, b._shape);
  }
  const c = output([m, n], op);
  const K = wasm(op);
  const ta = tA ? 1 : 0, tb = tB ? 1 : 0;
  K.gemm(a.ptr, b.ptr, c.ptr, m, n, k, ta, tb, 0, 0);
  if (needsGrad(a, b)) {
    record(c, op, [a, b], (dc) => {
      // dA: [m,k] = dC·op(B)ᵀ, or when transposeA [k,m] = op(B)·dCᵀ.
      if (tA) addGrad(a, (da, acc) => K.gemm(b.ptr, dc.ptr, da, k, m, n, tb, 1, acc, 0));
      else addGrad(a, (da, acc) => K.gemm(dc.ptr, b.ptr, da, m, k, n, 0, 1 - tb, acc, 0));
      // dB: [k,n] = op(A)ᵀ·dC, or when transposeB [n,k] = dCᵀ·op(A).
      if (tB) addGrad(b, (db, acc) => K.gemm(dc.ptr, a.ptr, db, n, k, m, 1, ta, acc, 0));
      else addGrad(b, (db, acc) => K.gemm(a.ptr, dc.ptr, db, k, n, m, 1 - ta, 0, acc, 0));
    });
  }
  return c;
}

/**
 * y[rows,out] = x[rows,in]·W[out,in]ᵀ + b[out] (bias fused into the GEMM).
 * dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy.
 */
export function linear(x: Tensor, w: Tensor, b: Tensor | null = null): Tensor {
  return linearFused(x, w, b, null);
}

/**
 * linear with `act` fused into the GEMM's tile store: act(x·Wᵀ + b), bit for bit the two ops one
 * after the other, gradients included (with a gradient to record: ReLU, Sigmoid and Tanh only,
 * fused.ts fusesUnderTape).
 */
export function linearFused(x: Tensor, w: Tensor, b: Tensor | null, act: FusedActivation | null): Tensor {
  const op = 'linear';
  assertLive(x, op); assertLive(w, op);
  if (b !== null) assertLive(b, op);
  const shapes = b ? [x._shape, w._shape, b._shape] : [x._shape, w._shape];
  if (x.rank !== 2 || w.rank !== 2) throw shapeError(op, 'input must be [rows, in] and weight [out, in]', ...shapes);
  const [rows, inF] = x._shape, outF = w._shape[0];
  if (w._shape[1] !== inF) throw shapeError(op, `input has ${inF} features but the weight expects ${w._shape[1]}`, ...shapes);
  if (b && (b.rank !== 1 || b._shape[0] !== outF)) throw shapeError(op, `bias must be [${outF}]`, ...shapes);
  const grad = needsGrad(x, w) || (b !== null && needsGrad(b));
  if (act && grad && !fusesUnderTape(act)) throw new Error(`${op}: with a gradient to record, only ReLU, Sigmoid and Tanh fuse (their backward reads the output)`);
  const y = output([rows, outF], op);
  const K = wasm(op);
  if (act) K.gemmAct(x.ptr, w.ptr, y.ptr, rows, outF, inF, 0, 1, b ? b.ptr : 0, act.code, act.alpha);
  else K.gemm(x.ptr, w.ptr, y.ptr, rows, outF, inF, 0, 1, 0, b ? b.ptr : 0);
  if (grad) {
    record(y, op, b ? [x, w, b] : [x, w], (dy) => {
      const g = act ? activationBackward(y, dy, act) : dy;
      try {
        addGrad(x, (dx, acc) => K.gemm(g.ptr, w.ptr, dx, rows, inF, outF, 0, 0, acc, 0)); // g[rows,out]·W[out,in]
        addGrad(w, (dw, acc) => K.gemm(g.ptr, x.ptr, dw, outF, inF, rows, 1, 0, acc, 0)); // g[rows,out]ᵀ·x[rows,in]
        if (b) addGrad(b, (db, acc) => K.sumRows(g.ptr, db, rows, outF, acc));
      } finally {
        if (g !== dy) g.dispose();
      }
    });
  }
  return y;
}
