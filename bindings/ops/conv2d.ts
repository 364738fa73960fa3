// 2-D convolution (PyTorch's Conv2d, a cross-correlation), NCHW, with channel groups:
//   y[n, o, i, j] = b[o] + Σ_{c ∈ group(o), u, v} w[o, c − c0(o), u, v] · xpad[n, c, i·sh + u·dh, j·sw + v·dw]
// with x [batch, in, H, W], w [out, in/groups, kh, kw], b [out] and y [batch, out, outH, outW];
// output channel o belongs to group g = o / (out/groups), which reads input channels
// [g·in/groups, (g + 1)·in/groups). outH = floor((H + 2·ph − dh·(kh − 1) − 1) / sh) + 1 (likewise
// outW; rows that do not fit are dropped).
// Vector-Jacobian products: dx = the transposed convolution of dy with w, dw = Σ_n dy ⋆ x,
// db[o] = Σ_{n, i, j} dy[n, o, i, j].
//
// Three paths: groups = 1 is the im2col + GEMM kernels (conv.ts); groups = in (depthwise) is the
// direct kernel of depthwise.ts (a GEMM of depth kh·kw per channel would be all packing);
// other groups run the GEMM kernels once per image and group, on pointer offsets into the planes.
// padding 'same' (stride 1) pads (dilation·(k − 1)) / 2 on the leading side and the rest on the
// trailing side, as PyTorch; for an odd total it convolves with the trailing padding on both
// sides and drops the first output row/column (cropLeading).

import { ACT, activateInPlace, fusesUnderTape, activationBackward, type FusedActivation } from './fused.js';
import { Tensor, output, empty, assertLive, shapeError, derivedMemory, type Shape } from '../tensor.js';
import { needsGrad, record, addGrad, setGrad } from '../autograd.js';
import { wasm, heapF32, type Kernels } from '../runtime.js';
import { pair, checkNCHW, windowOutput, type Size2 } from './window.js';
import { options as checkOptions } from '../options.js';
import { maxPool2d, pooledOutput } from './maxPool2d.js';

export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Size2;
  /** Zeros added on each side (default 0), or 'same' (stride 1): the output keeps the input's size, as PyTorch. */
  padding?: Size2 | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups (default 1): in and out must both be multiples; groups = in is a depthwise convolution. */
  groups?: number;
}

const OPTION_KEYS = ['stride', 'padding', 'dilation', 'groups'];

/** PyTorch's padding='same' per axis: [leading, trailing] = [⌊t/2⌋, t − ⌊t/2⌋] with t = dilation·(k − 1). */
export function samePadding(k: readonly number[], d: readonly number[]): { lead: [number, number]; trail: [number, number] } {
  const th = d[0] * (k[0] - 1), tw = d[1] * (k[1] - 1);
  return { lead: [th >> 1, tw >> 1], trail: [th - (th >> 1), tw - (tw >> 1)] };
}

/** `groups` checked against the channel counts. */
export function checkGroups(op: string, groups: unknown, cIn: number, cOut: number, ...shapes: Shape[]): number {
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1) throw shapeError(op, `groups must be a positive integer, got ${String(groups)}`, ...shapes);
  if (cIn % groups !== 0 || cOut % groups !== 0) {
    throw shapeError(op, `groups ${groups} must divide both the input channels (${cIn}) and the output channels (${cOut})`, ...shapes);
  }
  return groups;
}

type Geometry = readonly [number, number, number, number, number, number, number, number, number, number, number, number, number];

/** The three kernels of one convolution, on pointers (bias / dbias 0: none). */
interface ConvKernels {
  forward(x: number, w: number, b: number, y: number): void;
  backwardInput(dy: number, w: number, dx: number): void;
  backwardWeight(x: number, dy: number, dw: number, db: number, acc: number): void;
}

/** The kernels for geometry `geo` = [n, in, H, W, out, kh, kw, sh, sw, ph, pw, dh, dw] and `groups`. */
function convKernels(K: Kernels, geo: Geometry, groups: number, oh: number, ow: number): ConvKernels {
  const [n, cIn, h, w, cOut, kh, kw, ...rest] = geo;
  if (groups === 1) {
    return {
      forward: (x, wt, b, y) => K.conv2dForward(x, wt, b, y, ...geo),
      backwardInput: (dy, wt, dx) => K.conv2dBackwardInput(dy, wt, dx, ...geo),
      backwardWeight: (x, dy, dw, db, acc) => K.conv2dBackwardWeight(x, dy, dw, db, ...geo, acc),
    };
  }
  if (groups === cIn) {
    const dgeo = [n, cIn, h, w, cOut / cIn, kh, kw, ...rest] as const;
    return {
      forward: (x, wt, b, y) => K.depthwiseConv2dForward(x, wt, b, y, ...dgeo),
      backwardInput: (dy, wt, dx) => K.depthwiseConv2dBackwardInput(dy, wt, dx, ...dgeo),
      backwardWeight: (x, dy, dw, db, acc) => K.depthwiseConv2dBackwardWeight(x, dy, dw, db, ...dgeo, acc),
    };
  }
  // One GEMM convolution per image and group: byte offsets of group g of image i in x, w, b, y.
  const cg = cIn / groups, og = cOut / groups, plane = h * w, P = oh * ow, wGroup = og * cg * kh * kw;
  const ggeo = [1, cg, h, w, og, kh, kw, ...rest] as const;
  const each = (f: (i: number, g: number, xo: number, wo: number, bo: number, yo: number) => void): void => {
    for (let i = 0; i < n; i++) {
      for (let g = 0; g < groups; g++) f(i, g, 4 * (i * cIn + g * cg) * plane, 4 * g * wGroup, 4 * g * og, 4 * (i * cOut + g * og) * P);
    }
  };
  return {
    forward: (x, wt, b, y) => each((_i, _g, xo, wo, bo, yo) => K.conv2dForward(x + xo, wt + wo, b ? b + bo : 0, y + yo, ...ggeo)),
    backwardInput: (dy, wt, dx) => each((_i, _g, xo, wo, _bo, yo) => K.conv2dBackwardInput(dy + yo, wt + wo, dx + xo, ...ggeo)),
    backwardWeight: (x, dy, dw, db, acc) => each((i, _g, xo, wo, bo, yo) => {
      K.conv2dBackwardWeight(x + xo, dy + yo, dw + wo, db ? db + bo : 0, ...ggeo, i > 0 ? 1 : acc);
    }),
  };
}

/**
 * conv2d(x [batch, in, H, W], w [out, in/groups, kh, kw], b [out] or null, { stride, padding, dilation, groups })
 * → [batch, out, outH, outW]. stride, padding and dilation are each a number or [h, w]; padding
 * may be 'same' (stride 1). The output size floors: input rows and columns the last window does
 * not reach are dropped, as in PyTorch.
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  return conv2dFused(x, w, b, options, null);
}

/**
 * conv2d with `act`: with groups = 1 and no 'same' crop the activation is fused into the GEMM's
 * tile store (conv2dForwardAct); otherwise it runs in place on the output. Bit for bit the two ops
 * one after the other either way, gradients included: with a gradient to record only ReLU, Sigmoid
 * and Tanh fuse (fused.ts fusesUnderTape), their backward taken from the output.
 * `pool`: then a 2×2 stride-2 max pool (floor), in the same kernel where one takes the geometry
 * (conv2dForwardActPool: one input channel, 3×3 stride 1; conv2dForwardPrepared: the Winograd
 * path) and, with a gradient to record, the activation is ReLU; else as maxPool2d after it. Bit
 * for bit the three ops, gradients included.
 */
export function conv2dFused(x: Tensor, w: Tensor, b: Tensor | null, options: Conv2dOptions, act: FusedActivation | null,
                            pool = false): Tensor {
  const op = 'conv2d';
  assertLive(x, op); assertLive(w, op);
  if (b !== null && b !== undefined) assertLive(b, op);
  else b = null;
  const shapes = b ? [x._shape, w._shape, b._shape] : [x._shape, w._shape];
  checkNCHW(op, x, ...shapes);
  if (w.rank !== 4) throw shapeError(op, 'weight must be 4-D [out, in/groups, kh, kw]', ...shapes);
  const { stride = 1, padding = 0, dilation = 1, groups: groupsOpt = 1 } = checkOptions<Conv2dOptions>(op, options, OPTION_KEYS);
  const s = pair(op, 'stride', stride, 1, ...shapes);
  const d = pair(op, 'dilation', dilation, 1, ...shapes);
  const [n, cIn, h, wIn] = x._shape, [cOut, wIn_, kh, kw] = w._shape;
  const groups = checkGroups(op, groupsOpt, cIn, cOut, ...shapes);
  let p: [number, number], crop: [number, number] = [0, 0];
  if (padding === 'same') {
    if (s[0] !== 1 || s[1] !== 1) throw shapeError(op, `padding 'same' needs stride 1 (as PyTorch), got stride ${s[0]},${s[1]}`, ...shapes);
    const { lead, trail } = samePadding([kh, kw], d);
    p = trail;
    crop = [trail[0] - lead[0], trail[1] - lead[1]];
  } else {
    p = pair(op, 'padding', padding, 0, ...shapes);
  }
  if (wIn_ * groups !== cIn) {
    throw shapeError(op, groups === 1
      ? `input has ${cIn} channels but the weight expects ${wIn_}`
      : `input has ${cIn} channels but the weight expects ${wIn_} per group × ${groups} groups = ${wIn_ * groups}`, ...shapes);
  }
  if (b && (b.rank !== 1 || b._shape[0] !== cOut)) throw shapeError(op, `bias must be [${cOut}]`, ...shapes);
  const [oh, ow] = windowOutput(op, h, wIn, [kh, kw], s, p, d, ...shapes);

  const grad = needsGrad(x, w) || (b !== null && needsGrad(b));
  if (act && grad && !fusesUnderTape(act)) throw new Error(`${op}: with a gradient to record, only ReLU, Sigmoid and Tanh fuse (their backward reads the output)`);
  const K = wasm(op);
  const geo = [n, cIn, h, wIn, cOut, kh, kw, s[0], s[1], p[0], p[1], d[0], d[1]] as const;
  const cropped = crop[0] > 0 || crop[1] > 0;
  if (pool) {
    // In one kernel where one takes the geometry; with a gradient to record only after ReLU, whose
    // backward at the pool's winners reads the pooled output (y > 0 there is the same), so the
    // full-size output is not needed (conv2dActPool).
    const oneKernel = groups === 1 && !cropped && oh >= 2 && ow >= 2 && (!grad || act?.code === ACT.relu);
    const direct = oneKernel && K.conv2dPoolFuses(cIn, kh, kw, s[0], s[1], d[0], d[1]);
    const u = oneKernel && !direct ? preparedWeights(K, w, geo) : 0;
    if (direct || u !== 0) return conv2dActPool(K, x, w, b, geo, act, u, grad, oh, ow);
    const full = conv2dFused(x, w, b, options, act);
    if (grad) return maxPool2d(full, { kernelSize: 2 }); // the tape keeps `full`, as with the layers one by one
    try {
      return maxPool2d(full, { kernelSize: 2 });
    } finally {
      full.dispose();
    }
  }
  const kern = convKernels(K, geo, groups, oh, ow);
  const y = output([n, cOut, oh - crop[0], ow - crop[1]], op);
  if (!grad && groups === 1 && !cropped) {
    const u = preparedWeights(K, w, geo);
    if (u !== 0) {
      K.conv2dForwardPrepared(x.ptr, w.ptr, b ? b.ptr : 0, y.ptr, ...geo, act ? act.code : 0, act ? act.alpha : 0, u, 0, 0);
      return y;
    }
  }
  if (act && groups === 1 && !cropped) {
    K.conv2dForwardAct(x.ptr, w.ptr, b ? b.ptr : 0, y.ptr, ...geo, act.code, act.alpha);
  } else if (cropped) {
    // padding 'same' with an odd total: the full output once, then the rows and columns kept.
    const full = empty([n, cOut, oh, ow], op, false);
    try {
      kern.forward(x.ptr, w.ptr, b ? b.ptr : 0, full.ptr);
      moveCrop(full.ptr, y.ptr, n * cOut, oh, ow, crop, true);
    } finally {
      full.dispose();
    }
  } else {
    kern.forward(x.ptr, w.ptr, b ? b.ptr : 0, y.ptr);
  }
  if (act && (groups !== 1 || cropped)) activateInPlace(y, act);
  const bias = b;
  if (grad) {
    record(y, op, bias ? [x, w, bias] : [x, w], (dy) => {
      const pre = act ? activationBackward(y, dy, act) : dy; // the gradient before the fused activation
      let g = pre;
      try {
        if (cropped) {
          g = empty([n, cOut, oh, ow], 'backward', false);
          K.fill(g.ptr, 0, g.size);
          moveCrop(g.ptr, pre.ptr, n * cOut, oh, ow, crop, false);
        }
        setGrad(x, (dx) => kern.backwardInput(g.ptr, w.ptr, dx));
        weightGrads(kern, x, w, bias, g, n, cOut);
      } finally {
        if (g !== pre) g.dispose();
        if (pre !== dy) pre.dispose();
      }
    });
  }
  return y;
}

/**
 * conv2dFused's one-kernel pool: conv2dForwardActPool (direct path, u = 0) or the Winograd path's
 * conv2dForwardPrepared with its transformed weights u, pooled. With `grad` (act is ReLU) the
 * kernel also writes the pool's winners, and the recorded backward is ReLU's at the pooled size,
 * the pool's scatter to the winners, then the convolution's: the bits of the three layers' own
 * backward (ReLU's mask and gradient are the same at each winner, and 0 off them either way), with
 * the full-size output neither written nor kept (MNIST conv1 at batch 32: 2.8 MB).
 */
function conv2dActPool(K: Kernels, x: Tensor, w: Tensor, b: Tensor | null, geo: Geometry, act: FusedActivation | null,
                       u: number, grad: boolean, oh: number, ow: number): Tensor {
  const op = 'conv2d', n = geo[0], cOut = geo[4];
  const code = act ? act.code : 0, alpha = act ? act.alpha : 0;
  // the winners as maxPool2d keeps them
  const { y: pooled, argmax } = pooledOutput([n, cOut, oh >> 1, ow >> 1], op, grad, (y, winners) => {
    if (u === 0) K.conv2dForwardActPool(x.ptr, w.ptr, b ? b.ptr : 0, y, ...geo, code, alpha, winners);
    else K.conv2dForwardPrepared(x.ptr, w.ptr, b ? b.ptr : 0, y, ...geo, code, alpha, u, 1, winners);
  });
  if (argmax && act) {
    const a = argmax, relu = act, kern = convKernels(K, geo, 1, oh, ow);
    record(pooled, op, b ? [x, w, b] : [x, w], (dy) => {
      const pre = activationBackward(pooled, dy, relu);
      try {
        const full = empty([n, cOut, oh, ow], 'backward', false); // the gradient at the conv's output
        try {
          K.maxPool2dBackward(pre.ptr, a.ptr, full.ptr, n, cOut, oh, ow, oh >> 1, ow >> 1);
          setGrad(x, (dx) => kern.backwardInput(full.ptr, w.ptr, dx));
          weightGrads(kern, x, w, b, full, n, cOut);
        } finally {
          full.dispose();
        }
      } finally {
        pre.dispose();
      }
    }, [a]);
  }
  return pooled;
}

/**
 * For a convolution on the Winograd path (assembly/winograd.ts) with no gradient to record, or
 * pooled in one kernel (conv2dActPool, where training transforms them once per step): its
 * transformed weights U, kept with w (derivedMemory) beside a copy of w's values and transformed
 * again whenever w's values differ from that copy (winogradRefresh compares every bit), so no way
 * of changing the weights can leave U stale. Comparing costs a pass over w (cOut·cIn·9 floats);
 * the transform it saves is ~6 times that. 0 (transform per call instead) for other geometries
 * or when memory is short.
 */
function preparedWeights(K: Kernels, w: Tensor, geo: Geometry): number {
  const [, cIn, , , cOut, kh, kw, sh, sw, , , dh, dw] = geo;
  const uBytes = K.winogradWeightsBytes(cIn, cOut, kh, kw, sh, sw, dh, dw);
  if (uBytes === 0) return 0;
  const copyBytes = (w.size * 4 + 15) & ~15;
  const block = derivedMemory(w, copyBytes + uBytes, 'conv2d');
  if (block === null) return 0;
  K.winogradRefresh(w.ptr, cIn, cOut, block.ptr, block.ptr + copyBytes, block.fresh ? 0 : 1);
  return block.ptr + copyBytes;
}

/**
 * dw and db into w's and b's gradients, each only when it requires grad. One kernel call gives
 * both, with one accumulate flag; when one gradient already holds a value (a branch) and the
 * other does not, the bias goes through a zeroed scratch buffer.
 */
function weightGrads(kern: ConvKernels, x: Tensor, w: Tensor, b: Tensor | null, dy: Tensor, n: number, cOut: number): void {
  const K = wasm('backward');
  const bNeeds = b !== null && b.requiresGrad;
  if (w.requiresGrad) {
    addGrad(w, (dw, accW) => {
      if (!bNeeds) return kern.backwardWeight(x.ptr, dy.ptr, dw, 0, accW);
      addGrad(b!, (db, accB) => {
        if (accB === accW) return kern.backwardWeight(x.ptr, dy.ptr, dw, db, accW);
        const tmp = empty([cOut], 'backward', false);
        try {
          K.fill(tmp.ptr, 0, cOut);
          kern.backwardWeight(x.ptr, dy.ptr, dw, tmp.ptr, accW);
          if (accB) K.axpy(tmp.ptr, db, 1, cOut);
          else heapF32().copyWithin(db >>> 2, tmp.ptr >>> 2, (tmp.ptr >>> 2) + cOut);
        } finally {
          tmp.dispose();
        }
      });
    });
  } else if (bNeeds) {
    // Frozen weights, trained bias: db[o] = Σ_n Σ_P dy[n, o, P] without computing dw.
    const plane = dy.size / (n * cOut);
    addGrad(b!, (db, acc) => {
      const perImage = empty([n, cOut], 'backward', false);
      try {
        K.sumCols(dy.ptr, perImage.ptr, n * cOut, plane); // [n·out, P] → [n·out]
        K.sumRows(perImage.ptr, db, n, cOut, acc);        // [n, out] → [out]
      } finally {
        perImage.dispose();
      }
    });
  }
}

/**
 * Between a full [planes, fh, fw] output and its crop [planes, fh − top, fw − left] (rows and
 * columns from top/left on): full → crop when toCrop, else crop → the same place in full.
 */
function moveCrop(full: number, crop: number, planes: number, fh: number, fw: number, [top, left]: [number, number], toCrop: boolean): void {
  const heap = heapF32(), oh = fh - top, ow = fw - left;
  for (let q = 0; q < planes; q++) {
    for (let r = 0; r < oh; r++) {
      const f = (full >>> 2) + (q * fh + r + top) * fw + left, c = (crop >>> 2) + (q * oh + r) * ow;
      if (toCrop) heap.copyWithin(c, f, f + ow);
      else heap.copyWithin(f, c, c + ow);
    }
  }
}
