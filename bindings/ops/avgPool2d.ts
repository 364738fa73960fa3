// 2-D average pooling (PyTorch's AvgPool2d), NCHW: y[n, c, i, j] = (Σ of x over the window) /
// divisor, padded cells adding 0. With countIncludePad (the default) the divisor is the window
// clipped to the padded input (kh·kw, except where a ceil-mode window passes the padded edge);
// without it, the number of the window's cells inside the input. dx = each dy / divisor spread over
// its window's input cells.

import { Tensor, output, assertLive } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';
import { poolGeometry, type AvgPool2dOptions } from './window.js';

export type { AvgPool2dOptions };

/**
 * avgPool2d(x [batch, C, H, W], { kernelSize, stride = kernelSize, padding = 0, ceilMode = false,
 * countIncludePad = true }) → [batch, C, outH, outW] with outH = floor((H + 2·padding − kernel) / stride) + 1
 * (rows the last window does not reach are dropped), or the ceiling in ceilMode (PyTorch's rule).
 * Unknown option keys are an Error.
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const op = 'avgPool2d';
  assertLive(x, op);
  const { n, c, h, w, k, s, p, oh, ow, countIncludePad } = poolGeometry(op, 'avg', x, options);
  const y = output([n, c, oh, ow], op);
  const K = wasm(op);
  const geo = [n, c, h, w, k[0], k[1], s[0], s[1], p[0], p[1], oh, ow, countIncludePad ? 1 : 0] as const;
  K.avgPool2dForward(x.ptr, y.ptr, ...geo);
  if (needsGrad(x)) {
    record(y, op, [x], (dy) => setGrad(x, (dx) => K.avgPool2dBackward(dy.ptr, dx, ...geo)));
  }
  return y;
}
