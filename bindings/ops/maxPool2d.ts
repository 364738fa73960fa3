// 2-D max pooling (PyTorch's MaxPool2d), NCHW: y[n, c, i, j] = the largest x in the window of rows
// i·sh − ph + a·dh (a < kh) and columns j·sw − pw + b·dw (b < kw). Padded cells never win; ties
// go to the first cell in row-major scan order. When a gradient is needed the forward saves the
// winner's index (argmax, int32, within its H×W plane) and dx = dy routed to those cells, summed
// where windows overlap and share a winner; under noGrad the kernel skips the argmax.

import { Tensor, output, empty, assertLive } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';
import { poolGeometry, type MaxPool2dOptions } from './window.js';

export type { MaxPool2dOptions };

/**
 * maxPool2d(x [batch, C, H, W], { kernelSize, stride = kernelSize, padding = 0, dilation = 1,
 * ceilMode = false }) → [batch, C, outH, outW] with outH = floor((H + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1
 * (rows the last window does not reach are dropped), or the ceiling in ceilMode (PyTorch's rule).
 * Unknown option keys are an Error.
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  const op = 'maxPool2d';
  assertLive(x, op);
  const { n, c, h, w, k, s, p, d, oh, ow } = poolGeometry(op, 'max', x, options);
  const K = wasm(op);
  const { y, argmax } = pooledOutput([n, c, oh, ow], op, needsGrad(x), (yp, winners) =>
    K.maxPool2dForward(x.ptr, yp, winners, n, c, h, w, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], oh, ow));
  if (argmax) {
    const a = argmax;
    record(y, op, [x], (dy) => setGrad(x, (dx) => K.maxPool2dBackward(dy.ptr, a.ptr, dx, n, c, h, w, oh, ow)), [a]);
  }
  return y;
}

/**
 * A max pool's output tensor and, with `winners` (a gradient to record), its int32 argmax of the
 * same shape, unscoped (the recorded backward keeps it), both written by `kernel` (given their
 * pointers; the argmax's is 0 without winners). If an allocation or the kernel throws (a worker's
 * fault), neither tensor is left behind: `tidy` would collect the output, but nothing would free
 * the argmax until it was garbage-collected. (Also conv2d's one-kernel conv + activation + pool,
 * ops/conv2d.ts.)
 */
export function pooledOutput(shape: number[], op: string, winners: boolean,
                             kernel: (y: number, argmax: number) => void): { y: Tensor; argmax: Tensor | null } {
  const y = output(shape, op);
  let argmax: Tensor | null = null;
  try {
    if (winners) argmax = empty(shape, op, false);
    kernel(y.ptr, argmax ? argmax.ptr : 0);
    return { y, argmax };
  } catch (err) {
    argmax?.dispose();
    y.dispose();
    throw err;
  }
}
