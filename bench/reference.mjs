// Plain-JS kernels: with Float64Array outputs they are the float64 oracles every library is checked
// against; with Float32Array outputs they are the plain-JS baseline column. Layouts are PyTorch's:
// row-major matrices, NCHW images, conv weights [out, in, kh, kw].

export const outSize = (size, k, s, p) => Math.floor((size + 2 * p - k) / s) + 1;

/** C[m,n] = op(A)·op(B) with op = transpose when tA/tB. The i-p-j order: the fastest simple one. */
export function gemmJs(a, b, c, m, n, k, tA, tB) {
  c.fill(0);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
    const av = tA ? a[p * m + i] : a[i * k + p];
    const row = i * n;
    if (tB) for (let j = 0; j < n; j++) c[row + j] += av * b[j * k + p];
    else { const bo = p * n; for (let j = 0; j < n; j++) c[row + j] += av * b[bo + j]; }
  }
  return c;
}

/** y[rows,out] = relu?(x[rows,in]·W[out,in]ᵀ + b): the Dense layer, dot products along rows of W. */
export function denseJs(x, w, b, y, rows, inF, outF, relu) {
  for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) {
    let s = b ? b[o] : 0;
    const xo = r * inF, wo = o * inF;
    for (let i = 0; i < inF; i++) s += x[xo + i] * w[wo + i];
    y[r * outF + o] = relu && s < 0 ? 0 : s;
  }
  return y;
}

export const activationsJs = {
  relu(x, y) { for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0; return y; },
  sigmoid(x, y) { for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i])); return y; },
  tanh(x, y) { for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]); return y; },
};

/** Row-wise softmax, stable (the row max subtracted first). */
export function softmaxJs(x, y, rows, cols) {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
    let sum = 0;
    for (let j = 0; j < cols; j++) { const e = Math.exp(x[o + j] - max); y[o + j] = e; sum += e; }
    for (let j = 0; j < cols; j++) y[o + j] /= sum;
  }
  return y;
}

/** Direct convolution (cross-correlation) with bias, NCHW. */
export function convJs(x, w, bias, out, n, cIn, h, wd, cOut, k, s, p, groups = 1) {
  const oh = outSize(h, k, s, p), ow = outSize(wd, k, s, p), cg = cIn / groups, og = cOut / groups;
  for (let b = 0; b < n; b++) for (let co = 0; co < cOut; co++) {
    const yo = (b * cOut + co) * oh * ow, c0 = Math.floor(co / og) * cg;
    out.fill(bias ? bias[co] : 0, yo, yo + oh * ow);
    for (let ci = c0; ci < c0 + cg; ci++) {
      const xo = (b * cIn + ci) * h * wd, wo = (co * cg + ci - c0) * k * k;
      for (let ki = 0; ki < k; ki++) for (let kj = 0; kj < k; kj++) {
        const wv = w[wo + ki * k + kj];
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * s - p + ki;
          if (iy < 0 || iy >= h) continue;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * s - p + kj;
            if (ix >= 0 && ix < wd) out[yo + oy * ow + ox] += wv * x[xo + iy * wd + ix];
          }
        }
      }
    }
  }
  return out;
}

/** Gradients of Σ dy·conv(x, w, b) (the adjoint of convJs) into dx, dw, db (overwritten). */
export function convBackwardJs(x, w, dy, dx, dw, db, n, cIn, h, wd, cOut, k, s, p, groups = 1) {
  const oh = outSize(h, k, s, p), ow = outSize(wd, k, s, p), cg = cIn / groups, og = cOut / groups;
  dx.fill(0); dw.fill(0); db.fill(0);
  for (let b = 0; b < n; b++) for (let co = 0; co < cOut; co++) {
    const yo = (b * cOut + co) * oh * ow, c0 = Math.floor(co / og) * cg;
    for (let i = 0; i < oh * ow; i++) db[co] += dy[yo + i];
    for (let ci = c0; ci < c0 + cg; ci++) {
      const xo = (b * cIn + ci) * h * wd, wo = (co * cg + ci - c0) * k * k;
      for (let ki = 0; ki < k; ki++) for (let kj = 0; kj < k; kj++) {
        const wv = w[wo + ki * k + kj];
        let g = 0;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * s - p + ki;
          if (iy < 0 || iy >= h) continue;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * s - p + kj;
            if (ix < 0 || ix >= wd) continue;
            const d = dy[yo + oy * ow + ox];
            dx[xo + iy * wd + ix] += wv * d;
            g += x[xo + iy * wd + ix] * d;
          }
        }
        dw[wo + ki * k + kj] += g;
      }
    }
  }
}

/** Max pooling (PyTorch semantics: padded cells never win); argmax as the offset within the plane. */
export function maxPoolJs(x, y, argmax, planes, h, w, k, s, p) {
  const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
  for (let pl = 0; pl < planes; pl++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const y0 = oy * s - p, x0 = ox * s - p;
    const ys = Math.max(y0, 0), ye = Math.min(y0 + k, h), xs = Math.max(x0, 0), xe = Math.min(x0 + k, w);
    let best = -Infinity, at = ys * w + xs;
    for (let iy = ys; iy < ye; iy++) for (let ix = xs; ix < xe; ix++) {
      const v = x[pl * h * w + iy * w + ix];
      if (v > best || v !== v) { best = v; at = iy * w + ix; }
    }
    const o = (pl * oh + oy) * ow + ox;
    y[o] = best;
    if (argmax) argmax[o] = at;
  }
  return y;
}

/** dx of max pooling from the argmax offsets. */
export function maxPoolBackwardJs(dy, argmax, dx, planes, h, w, oh, ow) {
  dx.fill(0);
  for (let o = 0; o < dy.length; o++) dx[Math.floor(o / (oh * ow)) * h * w + argmax[o]] += dy[o];
  return dx;
}

/**
 * Average pooling. includePad: padded cells count as zeros in the divisor (PyTorch's default,
 * count_include_pad, and simdnet's); false: the divisor is the number of real cells (TensorFlow's).
 */
export function avgPoolJs(x, y, planes, h, w, k, s, p, includePad = true) {
  const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
  for (let pl = 0; pl < planes; pl++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const y0 = oy * s - p, x0 = ox * s - p;
    const ys = Math.max(y0, 0), ye = Math.min(y0 + k, h), xs = Math.max(x0, 0), xe = Math.min(x0 + k, w);
    const div = includePad ? (Math.min(y0 + k, h + p) - y0) * (Math.min(x0 + k, w + p) - x0) : (ye - ys) * (xe - xs);
    let sum = 0;
    for (let iy = ys; iy < ye; iy++) for (let ix = xs; ix < xe; ix++) sum += x[pl * h * w + iy * w + ix];
    y[(pl * oh + oy) * ow + ox] = sum / div;
  }
  return y;
}

/** dx of average pooling (the adjoint of avgPoolJs with the same divisor rule). */
export function avgPoolBackwardJs(dy, dx, planes, h, w, k, s, p, includePad = true) {
  const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
  dx.fill(0);
  for (let pl = 0; pl < planes; pl++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const y0 = oy * s - p, x0 = ox * s - p;
    const ys = Math.max(y0, 0), ye = Math.min(y0 + k, h), xs = Math.max(x0, 0), xe = Math.min(x0 + k, w);
    const div = includePad ? (Math.min(y0 + k, h + p) - y0) * (Math.min(x0 + k, w + p) - x0) : (ye - ys) * (xe - xs);
    const g = dy[(pl * oh + oy) * ow + ox] / div;
    for (let iy = ys; iy < ye; iy++) for (let ix = xs; ix < xe; ix++) dx[pl * h * w + iy * w + ix] += g;
  }
  return dx;
}

/** NCHW → NHWC (and back with toNCHW): the layout TensorFlow.js and ConvNetJS use. */
export function toNHWC(x, n, c, h, w) {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
  return out;
}

export function toNCHW(x, n, c, h, w) {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[(b * c + ch) * h * w + i] = x[(b * h * w + i) * c + ch];
  return out;
}

/** Conv weights [out, in, kh, kw] → TensorFlow's HWIO [kh, kw, in, out], and back. */
export function oihwToHwio(w, o, i, kh, kw) {
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) out[((u * kw + v) * i + b) * o + a] = w[((a * i + b) * kh + u) * kw + v];
  return out;
}

export function hwioToOihw(w, o, i, kh, kw) {
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) out[((a * i + b) * kh + u) * kw + v] = w[((u * kw + v) * i + b) * o + a];
  return out;
}

/** Transpose of a row-major [rows, cols] matrix. */
export function transpose(a, rows, cols) {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/**
 * Batch normalisation in train mode over x [n, c, hw] (batch mean, biased variance), its output y
 * and the gradients of Σ dy·y: dbeta = Σ dy, dgamma = Σ dy·x̂, dx = γ/σ·(dy − dbeta/m − x̂·dgamma/m).
 */
export function batchNormJs(x, gamma, beta, dy, n, c, hw, eps, out = { y: null, dx: null, dgamma: null, dbeta: null }) {
  const m = n * hw, size = n * c * hw;
  const y = out.y ?? new Float64Array(size), dx = out.dx ?? new Float64Array(size);
  const dgamma = out.dgamma ?? new Float64Array(c), dbeta = out.dbeta ?? new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let mean = 0, sq = 0;
    for (let b = 0; b < n; b++) for (let i = (b * c + ch) * hw, e = i + hw; i < e; i++) mean += x[i];
    mean /= m;
    for (let b = 0; b < n; b++) for (let i = (b * c + ch) * hw, e = i + hw; i < e; i++) sq += (x[i] - mean) ** 2;
    const inv = 1 / Math.sqrt(sq / m + eps);
    let sdy = 0, sdyx = 0;
    for (let b = 0; b < n; b++) for (let i = (b * c + ch) * hw, e = i + hw; i < e; i++) {
      const xh = (x[i] - mean) * inv;
      y[i] = gamma[ch] * xh + beta[ch];
      sdy += dy[i];
      sdyx += dy[i] * xh;
    }
    dbeta[ch] = sdy;
    dgamma[ch] = sdyx;
    for (let b = 0; b < n; b++) for (let i = (b * c + ch) * hw, e = i + hw; i < e; i++) {
      dx[i] = gamma[ch] * inv * (dy[i] - sdy / m - (x[i] - mean) * inv * sdyx / m);
    }
  }
  return { y, dx, dgamma, dbeta };
}
