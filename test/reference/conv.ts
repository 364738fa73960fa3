// float64 references for 2-D convolution (NCHW, weight [cOut, cIn, kh, kw], PyTorch semantics).
// The backward references are the exact adjoints of the forward: the same loop over the same index
// set, with each multiply-add turned around, so they cannot drift from the forward's definition.

export interface ConvDims {
  n: number; cIn: number; h: number; w: number; cOut: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  /** Channel groups (default 1): weight [cOut, cIn/groups, kh, kw], output group g reads input group g. */
  groups?: number;
}

/** PyTorch's output size: floor((in + 2·pad − dil·(k − 1) − 1) / stride) + 1. */
export function convOutSize(size: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((size + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

export function convOut(d: ConvDims): [number, number] {
  return [convOutSize(d.h, d.kh, d.sh, d.ph, d.dh), convOutSize(d.w, d.kw, d.sw, d.pw, d.dw)];
}

/** Calls f(xIndex, wIndex, yIndex) for every multiply-add of the convolution (padded cells skipped). */
function forEachTerm(d: ConvDims, f: (xi: number, wi: number, yi: number) => void): void {
  const [oh, ow] = convOut(d);
  const groups = d.groups ?? 1, cg = d.cIn / groups, og = d.cOut / groups;
  for (let b = 0; b < d.n; b++)
    for (let co = 0; co < d.cOut; co++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const yi = ((b * d.cOut + co) * oh + oy) * ow + ox;
          const c0 = Math.floor(co / og) * cg;
          for (let ci = c0; ci < c0 + cg; ci++)
            for (let ki = 0; ki < d.kh; ki++) {
              const iy = oy * d.sh - d.ph + ki * d.dh;
              if (iy < 0 || iy >= d.h) continue;
              for (let kj = 0; kj < d.kw; kj++) {
                const ix = ox * d.sw - d.pw + kj * d.dw;
                if (ix < 0 || ix >= d.w) continue;
                f(((b * d.cIn + ci) * d.h + iy) * d.w + ix, ((co * cg + ci - c0) * d.kh + ki) * d.kw + kj, yi);
              }
            }
        }
}

export function conv2dRef(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, d: ConvDims): Float64Array {
  const [oh, ow] = convOut(d);
  const y = new Float64Array(d.n * d.cOut * oh * ow);
  if (bias) for (let i = 0; i < y.length; i++) y[i] = bias[Math.floor(i / (oh * ow)) % d.cOut];
  forEachTerm(d, (xi, wi, yi) => { y[yi] += x[xi] * w[wi]; });
  return y;
}

export function conv2dBackwardInputRef(dy: ArrayLike<number>, w: ArrayLike<number>, d: ConvDims): Float64Array {
  const dx = new Float64Array(d.n * d.cIn * d.h * d.w);
  forEachTerm(d, (xi, wi, yi) => { dx[xi] += dy[yi] * w[wi]; });
  return dx;
}

export function conv2dBackwardWeightRef(x: ArrayLike<number>, dy: ArrayLike<number>, d: ConvDims): { dw: Float64Array; dbias: Float64Array } {
  const [oh, ow] = convOut(d);
  const dw = new Float64Array(d.cOut * (d.cIn / (d.groups ?? 1)) * d.kh * d.kw), dbias = new Float64Array(d.cOut);
  forEachTerm(d, (xi, wi, yi) => { dw[wi] += x[xi] * dy[yi]; });
  for (let i = 0; i < dy.length; i++) dbias[Math.floor(i / (oh * ow)) % d.cOut] += dy[i];
  return { dw, dbias };
}
