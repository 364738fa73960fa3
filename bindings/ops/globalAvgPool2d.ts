// Global average pooling (PyTorch's AdaptiveAvgPool2d(1)), NCHW → [N, C, 1, 1]:
//   y[n, c] = (1 / HW) Σ_{i, j} x[n, c, i, j];   dx[n, c, i, j] = dy[n, c] / HW

import { Tensor, output, assertLive } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';
import { checkNCHW } from './window.js';

/** globalAvgPool2d(x [batch, C, H, W]) → [batch, C, 1, 1], the mean of each plane. */
export function globalAvgPool2d(x: Tensor): Tensor {
  const op = 'globalAvgPool2d';
  assertLive(x, op);
  checkNCHW(op, x);
  const [n, c, h, w] = x._shape;
  const K = wasm(op);
  const y = output([n, c, 1, 1], op);
  K.globalAvgPool2dForward(x.ptr, y.ptr, n * c, h * w);
  if (needsGrad(x)) record(y, op, [x], (dy) => setGrad(x, (dx) => K.globalAvgPool2dBackward(dy.ptr, dx, n * c, h * w)));
  return y;
}
