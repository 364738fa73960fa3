// Constant padding of an NCHW tensor's last two axes, unequal sides allowed (PyTorch's
// F.pad(x, [left, right, top, bottom], value=v), ONNX Pad in constant mode). The interior is copied
// row by row (TypedArray.copyWithin: a memmove), the border filled by the fill kernel.
// dx = the interior of dy.

import { Tensor, output, assertLive, shapeError, type Shape } from '../tensor.js';
import { needsGrad, record, addGrad } from '../autograd.js';
import { wasm, heapF32 } from '../runtime.js';
import { checkNCHW } from './window.js';

/** [left, right, top, bottom], as PyTorch's nn.ConstantPad2d. */
export type Pads4 = readonly [number, number, number, number];

export function checkPads(op: string, pads: unknown, ...shapes: Shape[]): Pads4 {
  if (!Array.isArray(pads) || pads.length !== 4 || pads.some((p) => typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 0x3fffffff)) {
    throw shapeError(op, `padding must be [left, right, top, bottom] of non-negative integers, got ${Array.isArray(pads) ? `[${pads.map(String).join(', ')}]` : String(pads)}`, ...shapes);
  }
  return pads as unknown as Pads4;
}

export function pad2d(x: Tensor, pads: Pads4, value = 0): Tensor {
  const op = 'pad2d';
  assertLive(x, op);
  checkNCHW(op, x);
  const [l, r, t, b] = checkPads(op, pads, x._shape);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw shapeError(op, `value must be a finite number, got ${String(value)}`, x._shape);
  const [n, c, h, w] = x._shape;
  const oh = h + t + b, ow = w + l + r;
  const y = output([n, c, oh, ow], op);
  const K = wasm(op);
  const planes = n * c;
  if (l + r + t + b > 0) K.fill(y.ptr, value, y.size);
  const heap = heapF32();
  const xs = x.ptr >>> 2, ys = y.ptr >>> 2;
  for (let p = 0; p < planes; p++) {
    const xi = xs + p * h * w, yi = ys + p * oh * ow + t * ow + l;
    for (let i = 0; i < h; i++) heap.copyWithin(yi + i * ow, xi + i * w, xi + i * w + w);
  }
  if (needsGrad(x)) {
    record(y, op, [x], (dy) => addGrad(x, (dst, acc) => {
      const hp = heapF32(), d = dst >>> 2, g = dy.ptr >>> 2;
      for (let p = 0; p < planes; p++) {
        const di = d + p * h * w, gi = g + p * oh * ow + t * ow + l;
        for (let i = 0; i < h; i++) {
          if (acc) K.axpy((gi + i * ow) << 2, (di + i * w) << 2, 1, w);
          else hp.copyWithin(di + i * w, gi + i * ow, gi + i * ow + w);
        }
      }
    }));
  }
  return y;
}
