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

/** A boolean option (default `dflt`); anything else is an Error. */
export function flag(op: string, name: string, v: unknown, dflt: boolean, ...shapes: Shape[]): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw shapeError(op, `${name} must be true or false, got ${typeof v === 'number' ? String(v) : typeof v}`, ...shapes);
  return v;
}

/**
 * PyTorch's pooling_output_shape along one axis: floor (or, in ceil mode, ceil) of
 * (size + 2·padding − dilation·(kernel − 1) − 1) / stride, + 1, where in ceil mode a last window
 * that would start in the right padding is dropped (it must start inside the input or the left padding).
 */
export function poolOutSize(size: number, kernel: number, stride: number, padding: number, dilation: number, ceil: boolean): number {
  const span = size + 2 * padding - dilation * (kernel - 1) - 1;
  let out = Math.floor((span + (ceil ? stride - 1 : 0)) / stride) + 1;
  if (ceil && (out - 1) * stride >= size + padding) out--;
  return out;
}

/** The options of a pooling op, checked: kernel ≥ 1, stride ≥ 1, 0 ≤ padding ≤ kernel/2 (PyTorch's rule), dilation ≥ 1. */
export function poolParams(op: string, kernelSize: unknown, stride: unknown, padding: unknown, dilation: unknown, ...shapes: Shape[]):
    { k: [number, number]; s: [number, number]; p: [number, number]; d: [number, number] } {
  const k = pair(op, 'kernelSize', kernelSize, 1, ...shapes);
  const s = stride === undefined || stride === null ? k : pair(op, 'stride', stride, 1, ...shapes);
  const p = pair(op, 'padding', padding, 0, ...shapes);
  const d = pair(op, 'dilation', dilation, 1, ...shapes);
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) {
    throw shapeError(op, `padding ${p[0]},${p[1]} must be at most half the kernel ${k[0]}×${k[1]} (as PyTorch)`, ...shapes);
  }
  return { k, s, p, d };
}

/** The options of a pooling op (nn.MaxPool2d, nn.AvgPool2d and the ops behind them). */
export interface Pool2dOptions {
  /** Window size. */
  kernelSize: Size2;
  /** Step between windows (default: kernelSize). */
  stride?: Size2;
  /** Implicit padding on each side, at most half the window (default 0). */
  padding?: Size2;
  /**
   * PyTorch's ceil_mode (default false): the output size rounds up, so a last, partial window
   * covers the rows and columns floor mode drops, as long as it starts inside the input or the left padding.
   */
  ceilMode?: boolean;
}

/** maxPool2d's options. */
export interface MaxPool2dOptions extends Pool2dOptions {
  /** Spacing between the window's taps (default 1), as PyTorch's MaxPool2d `dilation`. */
  dilation?: Size2;
}

/** avgPool2d's options. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /** PyTorch's count_include_pad (default true): padded cells count in the divisor. */
  countIncludePad?: boolean;
}

/** The option names each pooling kind accepts (the layers take the same, minus kernelSize). */
export const poolOptionKeys = {
  max: ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode'],
  avg: ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad'],
} as const;

/** The input [n, c, h, w] of a pooling op with its checked options and output size [oh, ow]. */
export interface PoolGeometry {
  n: number; c: number; h: number; w: number;
  k: [number, number]; s: [number, number]; p: [number, number]; d: [number, number];
  ceilMode: boolean; countIncludePad: boolean;
  oh: number; ow: number;
}

/** Checks a pooling op's input and options (throws before anything is allocated). */
export function poolGeometry(op: string, kind: 'max' | 'avg', x: Tensor, options: MaxPool2dOptions & AvgPool2dOptions): PoolGeometry {
  checkNCHW(op, x);
  const o = checkOptions<MaxPool2dOptions & AvgPool2dOptions>(op, options, poolOptionKeys[kind],
    { required: ['kernelSize'], example: '{ kernelSize: 2, stride, padding }' });
  const { k, s, p, d } = poolParams(op, o.kernelSize, o.stride, o.padding ?? 0, o.dilation ?? 1, x._shape);
  const ceilMode = flag(op, 'ceilMode', o.ceilMode, false, x._shape);
  const countIncludePad = flag(op, 'countIncludePad', o.countIncludePad, true, x._shape);
  const [n, c, h, w] = x._shape;
  let oh: number, ow: number;
  if (!ceilMode) {
    [oh, ow] = windowOutput(op, h, w, k, s, p, d, x._shape);
  } else {
    // ceil mode may fit a window larger than the padded input (PyTorch: a 1×3 input, 2×2 stride 2 → 1×2)
    oh = poolOutSize(h, k[0], s[0], p[0], d[0], true);
    ow = poolOutSize(w, k[1], s[1], p[1], d[1], true);
    if (oh < 1 || ow < 1) {
      throw shapeError(op, `output size would be ${oh}×${ow} (< 1) in ceil mode: kernel ${k[0]}×${k[1]}, dilation ${d[0]},${d[1]}, padding ${p[0]},${p[1]} over input ${h}×${w}`, x._shape);
    }
  }
  return { n, c, h, w, k, s, p, d, ceilMode, countIncludePad, oh, ow };
}
