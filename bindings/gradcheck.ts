// Numerical gradient checking, as the course notes describe it: compare the analytic gradient
// (backward()) with centred differences (f(x+h) − f(x−h)) / 2h, by the relative error
// |a − n| / max(|a|, |n|).
//
// The tensors are float32, so the differences are taken in float64 from the float32 function
// values, with the step actually stored ((x+h) − (x−h) after rounding to float32), and a step
// larger than the double-precision textbook's 1e-5: h = 1e-2 keeps the rounding error of a
// float32 loss (~1e-7 relative) well under the tolerance. Keep inputs further than h from
// kinks (ReLU at 0, hinge margins). A function with a non-scalar output is checked through
// Σ r·f(x) for fixed pseudo-random weights r, which exercises every output.

import { Tensor, tensor, tidy, assertLive, shapeError, describe } from './tensor.js';
import { noGrad } from './autograd.js';
import { heapF32 } from './runtime.js';
import { options as checkOptions } from './options.js';

export interface GradcheckOptions {
  /** Step of the centred difference (default 1e-2). */
  eps?: number;
  /** Absolute tolerance (default 1e-3). */
  atol?: number;
  /** Relative tolerance (default 1e-2): an element passes when |a − n| ≤ atol + rtol·max(|a|, |n|). */
  rtol?: number;
  /** Throw an Error describing the worst element instead of returning ok: false. */
  throwOnFailure?: boolean;
}

export interface GradcheckResult {
  ok: boolean;
  /** Largest |a − n| / max(|a|, |n|) over elements whose gradient exceeds atol. */
  maxRelError: number;
  /** Largest |a − n|. */
  maxAbsError: number;
  /** Elements compared, and how many failed. */
  checked: number;
  failures: number;
  /** The element with the largest error relative to its tolerance. */
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
}

/** Fixed weights in ±[0.5, 1.5] that project a non-scalar output onto a scalar. */
function projection(n: number): Float64Array {
  const r = new Float64Array(n);
  let s = 0x2545f491;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    r[i] = (i % 2 ? -1 : 1) * (0.5 + u);
  }
  return r;
}

function checkOutput(y: unknown): Tensor {
  if (!(y instanceof Tensor)) throw new Error(`gradcheck: fn must return a Tensor, got ${describe(y)}`);
  assertLive(y, 'gradcheck');
  return y;
}

/**
 * Checks the gradients of `fn(...inputs)` with respect to every input against centred
 * differences. The inputs' values, requiresGrad flags and .grad are restored afterwards.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const { eps = 1e-2, atol = 1e-3, rtol = 1e-2, throwOnFailure = false } =
    checkOptions<GradcheckOptions>('gradcheck', options, ['eps', 'atol', 'rtol', 'throwOnFailure']);
  if (typeof fn !== 'function') throw new Error('gradcheck: fn must be a function of the input tensors');
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error('gradcheck: inputs must be a non-empty array of tensors');
  for (const t of inputs) {
    assertLive(t, 'gradcheck');
    if (!t.isLeaf) throw shapeError('gradcheck', 'inputs must be leaf tensors (data or parameters)', t._shape);
  }
  if (!(eps > 0) || !(atol >= 0) || !(rtol >= 0)) throw new Error(`gradcheck: eps must be > 0 and atol, rtol ≥ 0 (got ${eps}, ${atol}, ${rtol})`);

  // Analytic: one backward() with the projection as the output gradient.
  const saved = inputs.map((t) => ({ requiresGrad: t.requiresGrad, grad: t.grad }));
  let r: Float64Array = new Float64Array(0);
  let analytic: Float32Array[];
  try {
    for (const t of inputs) { t.grad = null; t.requiresGrad = true; }
    analytic = tidy(() => {
      const y = checkOutput(fn(...inputs));
      r = y.size === 1 ? Float64Array.of(1) : projection(y.size);
      if (y.requiresGrad) {
        y.backward(y.size === 1 ? undefined : tensor(Float32Array.from(r), y.shape));
      }
      return inputs.map((t) => (t.grad ? t.grad.data() : new Float32Array(t.size)));
    });
  } finally {
    inputs.forEach((t, i) => {
      if (t.grad && t.grad !== saved[i].grad) t.grad.dispose();
      t.grad = saved[i].grad;
      t.requiresGrad = saved[i].requiresGrad;
    });
  }

  // Numeric: centred differences of Σ r·f in float64.
  const value = (): number => noGrad(() => tidy(() => {
    const y = checkOutput(fn(...inputs)).data();
    let s = 0;
    for (let i = 0; i < y.length; i++) s += r[i] * y[i];
    return s;
  }));

  let maxRel = 0, maxAbs = 0, worstScore = -1, failures = 0, checked = 0;
  let worst: GradcheckResult['worst'] = null;
  inputs.forEach((t, input) => {
    const p = t.ptr >>> 2;
    for (let j = 0; j < t.size; j++) {
      const orig = heapF32()[p + j];
      const hi = Math.fround(orig + eps), lo = Math.fround(orig - eps);
      heapF32()[p + j] = hi;
      let fp: number, fm: number;
      try {
        fp = value();
        heapF32()[p + j] = lo;
        fm = value();
      } finally {
        heapF32()[p + j] = orig;
      }
      const numeric = (fp - fm) / (hi - lo);
      const a = analytic[input][j];
      const diff = Math.abs(a - numeric), scale = Math.max(Math.abs(a), Math.abs(numeric));
      const tol = atol + rtol * scale;
      const score = Number.isNaN(diff) ? Infinity : diff / tol;
      checked++;
      if (!(diff <= tol)) failures++;
      maxAbs = Math.max(maxAbs, Number.isNaN(diff) ? Infinity : diff);
      if (scale > atol) maxRel = Math.max(maxRel, Number.isNaN(diff) ? Infinity : diff / scale);
      if (score > worstScore) { worstScore = score; worst = { input, index: j, analytic: a, numeric }; }
    }
  });
  const result: GradcheckResult = { ok: failures === 0, maxRelError: maxRel, maxAbsError: maxAbs, checked, failures, worst };
  if (!result.ok && throwOnFailure) {
    const w = result.worst!;
    throw new Error(`gradcheck: ${failures} of ${checked} gradient elements differ from centred differences; worst: input ${w.input} element ${w.index}, analytic ${w.analytic}, numeric ${w.numeric} (max relative error ${maxRel.toExponential(2)}, eps ${eps}, atol ${atol}, rtol ${rtol})`);
  }
  return result;
}
