// 2-D max pooling (PyTorch's MaxPool2d, floor mode), NCHW: y[n, c, i, j] = the largest x in the
// window of rows i·sh − ph … + kh − 1 and columns j·sw − pw … + kw − 1. Padded cells never win;
// ties go to the first cell in row-major scan order. The forward saves the winner's index
// (argmax, int32, within its H×W plane); dx = dy routed to those cells, summed where windows
// overlap and share a winner.

import { Tensor, output, empty, assertLive } from '../tensor.js';
import { needsGrad, record, setGrad } from '../autograd.js';
import { wasm } from '../runtime.js';
import { poolGeometry, type Pool2dOptions } from './window.js';

export type { Pool2dOptions };


/**
 * maxPool2d(x [batch, C, H, W], { kernelSize, stride = kernelSize, padding = 0 }) → [batch, C, outH, outW]
 * with outH = floor((H + 2·padding − kernel) / stride) + 1: rows the last window does not reach are dropped.
 */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const op = 'maxPool2d';
  assertLive(x, op);
  const { n, c, h, w, k, s, p, oh, ow } = poolGeometry(op, x, options);
  const y = output([n, c, oh, ow], op);
  let argmax: Tensor;
  try {
    argmax = empty([n, c, oh, ow], op, false); // int32 indices
  } catch (err) {
    y.dispose();
    throw err;
  }
  const K = wasm(op);
  K.maxPool2dForward(x.ptr, y.ptr, argmax.ptr, n, c, h, w, k[0], k[1], s[0], s[1], p[0], p[1]);
  if (needsGrad(x)) {
    record(y, op, [x], (dy) => setGrad(x, (dx) => K.maxPool2dBackward(dy.ptr, argmax.ptr, dx, n, c, h, w, oh, ow)), [argmax]);
  } else {
    argmax.dispose();
  }
  return y;
}
