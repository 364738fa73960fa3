// 2-D average pooling (PyTorch's AvgPool2d, floor mode, count_include_pad = true), NCHW:
// y[n, c, i, j] = (Σ of x over the window) / (kh·kw), padded cells counting as zeros in the sum
// and in the divisor. dx = each dy / (kh·kw) spread over its window's input cells.

import { Tensor, output, assertLive } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';
import { poolGeometry, type Pool2dOptions } from './window.js';

/**
 * avgPool2d(x [batch, C, H, W], { kernelSize, stride = kernelSize, padding = 0 }) → [batch, C, outH, outW]
 * with outH = floor((H + 2·padding − kernel) / stride) + 1: rows the last window does not reach are dropped.
 */
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const op = 'avgPool2d';
  assertLive(x, op);
  const { n, c, h, w, k, s, p, oh, ow } = poolGeometry(op, x, options);
  const y = output([n, c, oh, ow], op);
  const K = wasm(op);
  const geo = [n, c, h, w, k[0], k[1], s[0], s[1], p[0], p[1]] as const;
  K.avgPool2dForward(x.ptr, y.ptr, ...geo);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => K.avgPool2dBackward(dy.ptr, dx, ...geo)));
  return y;
}
