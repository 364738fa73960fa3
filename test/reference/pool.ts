// float64 references for 2-D pooling (NCHW, PyTorch semantics), written from PyTorch's CPU kernels:
// max pooling skips padded cells, starts from (−∞, first valid cell) and takes a cell when
// `val > max || isnan(val)`, its taps `dilation` apart; average pooling divides by the window
// clipped to the padded input (count_include_pad = True) or by its cells inside the input
// (False). Output sizes follow PyTorch's pooling_output_shape, ceil_mode included. The backward
// references are the adjoints of the forwards.

export interface PoolDims {
  n: number; c: number; h: number; w: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number;
  /** max pooling only (default 1) */
  dh?: number; dw?: number;
  /** PyTorch's ceil_mode (default false) */
  ceil?: boolean;
  /** average pooling's count_include_pad (default true) */
  includePad?: boolean;
}

/**
 * PyTorch's pooling_output_shape: floor (or ceil) of (size + 2·pad − dil·(k − 1) − 1) / stride, + 1;
 * in ceil mode the last window must start inside the input or the left padding.
 */
export function poolOutSize(size: number, k: number, stride: number, pad: number, dil = 1, ceil = false): number {
  const span = size + 2 * pad - dil * (k - 1) - 1;
  let out = Math.floor((span + (ceil ? stride - 1 : 0)) / stride) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

export function poolOut(d: PoolDims): [number, number] {
  return [poolOutSize(d.h, d.kh, d.sh, d.ph, d.dh ?? 1, d.ceil), poolOutSize(d.w, d.kw, d.sw, d.pw, d.dw ?? 1, d.ceil)];
}

function forEachWindow(d: PoolDims, f: (plane: number, o: number, y0: number, x0: number) => void): void {
  const [oh, ow] = poolOut(d);
  for (let p = 0; p < d.n * d.c; p++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) f(p, (p * oh + oy) * ow + ox, oy * d.sh - d.ph, ox * d.sw - d.pw);
}

export function maxPool2dRef(x: ArrayLike<number>, d: PoolDims): { y: Float64Array; argmax: Int32Array } {
  const [oh, ow] = poolOut(d);
  const dh = d.dh ?? 1, dw = d.dw ?? 1;
  const y = new Float64Array(d.n * d.c * oh * ow), argmax = new Int32Array(y.length);
  forEachWindow(d, (p, o, y0, x0) => {
    let best = -Infinity, at = -1;
    for (let ki = 0; ki < d.kh; ki++) {
      const iy = y0 + ki * dh;
      if (iy < 0 || iy >= d.h) continue;
      for (let kj = 0; kj < d.kw; kj++) {
        const ix = x0 + kj * dw;
        if (ix < 0 || ix >= d.w) continue;
        const v = x[p * d.h * d.w + iy * d.w + ix];
        if (at < 0) at = iy * d.w + ix;
        if (v > best || Number.isNaN(v)) { best = v; at = iy * d.w + ix; }
      }
    }
    y[o] = best;
    argmax[o] = at;
  });
  return { y, argmax };
}

export function maxPool2dBackwardRef(dy: ArrayLike<number>, argmax: ArrayLike<number>, d: PoolDims): Float64Array {
  const [oh, ow] = poolOut(d);
  const dx = new Float64Array(d.n * d.c * d.h * d.w);
  for (let o = 0; o < dy.length; o++) if (argmax[o] >= 0) dx[Math.floor(o / (oh * ow)) * d.h * d.w + argmax[o]] += dy[o];
  return dx;
}

/** Calls f(inputIndex, outputIndex, divisor) for every input cell of every window. */
function forEachAvgTerm(d: PoolDims, f: (xi: number, o: number, divisor: number) => void): void {
  forEachWindow(d, (p, o, y0, x0) => {
    const ys = Math.max(y0, 0), ye = Math.min(y0 + d.kh, d.h), xs = Math.max(x0, 0), xe = Math.min(x0 + d.kw, d.w);
    const divisor = d.includePad ?? true
      ? (Math.min(y0 + d.kh, d.h + d.ph) - y0) * (Math.min(x0 + d.kw, d.w + d.pw) - x0)
      : (ye - ys) * (xe - xs);
    for (let iy = ys; iy < ye; iy++)
      for (let ix = xs; ix < xe; ix++) f(p * d.h * d.w + iy * d.w + ix, o, divisor);
  });
}

export function avgPool2dRef(x: ArrayLike<number>, d: PoolDims): Float64Array {
  const [oh, ow] = poolOut(d);
  const y = new Float64Array(d.n * d.c * oh * ow);
  forEachAvgTerm(d, (xi, o, divisor) => { y[o] += x[xi] / divisor; });
  return y;
}

export function avgPool2dBackwardRef(dy: ArrayLike<number>, d: PoolDims): Float64Array {
  const dx = new Float64Array(d.n * d.c * d.h * d.w);
  forEachAvgTerm(d, (xi, o, divisor) => { dx[xi] += dy[o] / divisor; });
  return dx;
}
