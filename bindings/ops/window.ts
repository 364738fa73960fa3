// Geometry shared by conv2d and the pooling ops: options given as a number or [h, w], and
// PyTorch's output size per axis (floor mode):
//   out = floor((in + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1
// Rows (and columns) of the input that the last window does not reach are dropped, as in PyTorch:
// a 3×3 kernel at stride 2 over 6 rows gives 2 output rows and never reads row 5. Nothing here
// allocates; every check throws before an op touches memory.

import { Tensor, shapeError, type Shape } from '../tensor.js';
import { options as checkOptions } from '../options.js';

/** A size per spatial axis: one number for both, or [height, width]. */
export type Size2 = number | readonly [number, number];

/**
 * `v` as [h, w] of integers ≥ `min`; otherwise an Error `<op>: <name> must be ...` (with the
 * shapes, when an op has them, so the message says what the option was applied to).
 */
export function pair(op: string, name: string, v: unknown, min: number, ...shapes: Shape[]): [number, number] {
  const ok = (d: unknown): d is number => typeof d === 'number' && Number.isInteger(d) && d >= min && d <= 0x3fffffff;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
  const got = Array.isArray(v) ? `[${v.map(String).join(', ')}]` : typeof v === 'number' ? String(v) : typeof v;
  throw shapeError(op, `${name} must be ${what} or an [h, w] pair of them, got ${got}`, ...shapes);
}

/** PyTorch's output size along one axis (may be < 1 when the window does not fit). */
export function outSize(size: number, kernel: number, stride: number, padding: number, dilation = 1): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Throws unless `x` is 4-D (NCHW). */
export function checkNCHW(op: string, x: Tensor, ...shapes: Shape[]): void {
  if (x.rank !== 4) {
    throw shapeError(op, `input must be 4-D [batch, channels, height, width] (NCHW), got ${x.rank}-D`, ...(shapes.length ? shapes : [x._shape]));
  }
}

/**
 * The output height and width of a window (kernel, stride, padding, dilation) sliding over an
 * h×w input; throws when the kernel is larger than the padded input or the output would be empty.
 */
export function windowOutput(op: string, h: number, w: number, k: readonly number[], s: readonly number[],
                             p: readonly number[], d: readonly number[], ...shapes: Shape[]): [number, number] {
  const hp = h + 2 * p[0], wp = w + 2 * p[1];
  if (k[0] > hp || k[1] > wp) {
    throw shapeError(op, `kernel ${k[0]}×${k[1]} is larger than the padded input ${hp}×${wp} (input ${h}×${w}, padding ${p[0]},${p[1]})`, ...shapes);
  }
  const oh = outSize(h, k[0], s[0], p[0], d[0]), ow = outSize(w, k[1], s[1], p[1], d[1]);
  if (oh < 1 || ow < 1) {
    const eh = d[0] * (k[0] - 1) + 1, ew = d[1] * (k[1] - 1) + 1;
    throw shapeError(op, `output size would be ${oh}×${ow} (< 1): kernel ${k[0]}×${k[1]} with dilation ${d[0]},${d[1]} spans ${eh}×${ew}, more than the padded input ${hp}×${wp}`, ...shapes);
  }
  return [oh, ow];
}

/** The options of a pooling op, checked: kernel ≥ 1, stride ≥ 1, 0 ≤ padding ≤ kernel/2 (PyTorch's rule). */
export function poolParams(op: string, kernelSize: unknown, stride: unknown, padding: unknown, ...shapes: Shape[]):
    { k: [number, number]; s: [number, number]; p: [number, number] } {
  const k = pair(op, 'kernelSize', kernelSize, 1, ...shapes);
  const s = stride === undefined || stride === null ? k : pair(op, 'stride', stride, 1, ...shapes);
  const p = pair(op, 'padding', padding, 0, ...shapes);
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) {
    throw shapeError(op, `padding ${p[0]},${p[1]} must be at most half the kernel ${k[0]}×${k[1]} (as PyTorch)`, ...shapes);
  }
  return { k, s, p };
}

/** The options of a pooling op (nn.MaxPool2d, nn.AvgPool2d and the ops behind them). */
export interface Pool2dOptions {
  /** Window size. */
  kernelSize: Size2;
  /** Step between windows (default: kernelSize). */
  stride?: Size2;
  /** Implicit padding on each side, at most half the window (default 0). */
  padding?: Size2;
}

/** The input [n, c, h, w] of a pooling op with its checked options and output size [oh, ow]. */
export interface PoolGeometry {
  n: number; c: number; h: number; w: number;
  k: [number, number]; s: [number, number]; p: [number, number];
  oh: number; ow: number;
}

/** Checks a pooling op's input and options (throws before anything is allocated). */
export function poolGeometry(op: string, x: Tensor, options: Pool2dOptions): PoolGeometry {
  checkNCHW(op, x);
  const { kernelSize, stride, padding = 0 } = checkOptions<Pool2dOptions>(op, options, ['kernelSize', 'stride', 'padding'],
    { required: ['kernelSize'], example: '{ kernelSize: 2, stride, padding }' });
  const { k, s, p } = poolParams(op, kernelSize, stride, padding, x._shape);
  const [n, c, h, w] = x._shape;
  const [oh, ow] = windowOutput(op, h, w, k, s, p, [1, 1], x._shape);
  return { n, c, h, w, k, s, p, oh, ow };
}
