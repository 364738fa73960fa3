// 2-D convolution (PyTorch's Conv2d, a cross-correlation), NCHW:
//   y[n, o, i, j] = b[o] + Σ_{c, u, v} w[o, c, u, v] · xpad[n, c, i·sh + u·dh, j·sw + v·dw]
// with x [batch, in, H, W], w [out, in, kh, kw], b [out] and y [batch, out, outH, outW],
// outH = floor((H + 2·ph − dh·(kh − 1) − 1) / sh) + 1 (likewise outW; rows that do not fit are dropped).
// Vector-Jacobian products: dx = the transposed convolution of dy with w (conv2dBackwardInput),
// dw = Σ_n dy ⋆ x (conv2dBackwardWeight), db[o] = Σ_{n, i, j} dy[n, o, i, j].

import { Tensor, output, empty, assertLive, shapeError } from '../tensor.js';
import { needsGrad, record, addGrad, setGrad } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';
import { pair, checkNCHW, windowOutput, type Size2 } from './window.js';

export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Size2;
  /** Zeros added on each side (default 0). */
  padding?: Size2;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
}

/**
 * conv2d(x [batch, in, H, W], w [out, in, kh, kw], b [out] or null, { stride, padding, dilation })
 * → [batch, out, outH, outW]. Each option is a number or [h, w]. The output size floors:
 * input rows and columns the last window does not reach are dropped, as in PyTorch.
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  assertLive(x, op); assertLive(w, op);
  if (b !== null && b !== undefined) assertLive(b, op);
  else b = null;
  const shapes = b ? [x._shape, w._shape, b._shape] : [x._shape, w._shape];
  checkNCHW(op, x, ...shapes);
  if (w.rank !== 4) throw shapeError(op, 'weight must be 4-D [out, in, kh, kw]', ...shapes);
  const { stride = 1, padding = 0, dilation = 1 } = options ?? {};
  const s = pair(op, 'stride', stride, 1, ...shapes);
  const p = pair(op, 'padding', padding, 0, ...shapes);
  const d = pair(op, 'dilation', dilation, 1, ...shapes);
  const [n, cIn, h, wIn] = x._shape, [cOut, wIn_, kh, kw] = w._shape;
  if (wIn_ !== cIn) throw shapeError(op, `input has ${cIn} channels but the weight expects ${wIn_}`, ...shapes);
  if (b && (b.rank !== 1 || b._shape[0] !== cOut)) throw shapeError(op, `bias must be [${cOut}]`, ...shapes);
  const [oh, ow] = windowOutput(op, h, wIn, [kh, kw], s, p, d, ...shapes);

  const y = output([n, cOut, oh, ow], op);
  const K = wasm(op);
  // The geometry every kernel takes after its pointers.
  const geo = [n, cIn, h, wIn, cOut, kh, kw, s[0], s[1], p[0], p[1], d[0], d[1]] as const;
  K.conv2dForward(x.ptr, w.ptr, b ? b.ptr : 0, y.ptr, ...geo);
  const bias = b;
  if (needsGrad(x, w) || (bias !== null && needsGrad(bias))) {
    record(y, op, bias ? [x, w, bias] : [x, w], (dy) => {
      setGrad(x, (dx) => K.conv2dBackwardInput(dy.ptr, w.ptr, dx, ...geo));
      weightGrads(x, w, bias, dy, geo);
    });
  }
  return y;
}

type Geometry = readonly [number, number, number, number, number, number, number, number, number, number, number, number, number];

/**
 * dw and db into w's and b's gradients, each only when it requires grad. One kernel call gives
 * both, with one accumulate flag; when one gradient already holds a value (a branch) and the
 * other does not, the bias goes through a zeroed scratch buffer.
 */
function weightGrads(x: Tensor, w: Tensor, b: Tensor | null, dy: Tensor, geo: Geometry): void {
  const K = wasm('backward');
  const cOut = geo[4];
  const bNeeds = b !== null && b.requiresGrad;
  if (w.requiresGrad) {
    addGrad(w, (dw, accW) => {
      if (!bNeeds) return K.conv2dBackwardWeight(x.ptr, dy.ptr, dw, 0, ...geo, accW);
      addGrad(b!, (db, accB) => {
        if (accB === accW) return K.conv2dBackwardWeight(x.ptr, dy.ptr, dw, db, ...geo, accW);
        const tmp = empty([cOut], 'backward', false);
        try {
          K.fill(tmp.ptr, 0, cOut);
          K.conv2dBackwardWeight(x.ptr, dy.ptr, dw, tmp.ptr, ...geo, accW);
          if (accB) K.axpy(tmp.ptr, db, 1, cOut);
          else heapF32().copyWithin(db >>> 2, tmp.ptr >>> 2, (tmp.ptr >>> 2) + cOut);
        } finally {
          tmp.dispose();
        }
      });
    });
  } else if (bNeeds) {
    // Frozen weights, trained bias: db[o] = Σ_n Σ_P dy[n, o, P] without computing dw.
    const n = geo[0], plane = dy.size / (n * cOut);
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
