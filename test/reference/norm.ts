// float64 references for assembly/norm.ts (BatchNorm over [n, c, hw], LayerNorm over rows of d)
// and assembly/activations.ts (GELU, SiLU, Hardtanh, log-softmax), straight from the definitions.

export interface BatchNormRef { y: Float64Array; mean: Float64Array; varBiased: Float64Array; runMean: Float64Array; runVar: Float64Array }

export function batchNormForward(x: ArrayLike<number>, gamma: ArrayLike<number> | null, beta: ArrayLike<number> | null,
                                 runMean: ArrayLike<number>, runVar: ArrayLike<number>, n: number, c: number, hw: number,
                                 eps: number, momentum: number, training: boolean): BatchNormRef {
  const m = n * hw;
  const mean = new Float64Array(c), varB = new Float64Array(c);
  const rm = Float64Array.from(runMean), rv = Float64Array.from(runVar);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let r = 0; r < n; r++) for (let i = 0; i < hw; i++) s += x[(r * c + ch) * hw + i];
    const mu = s / m;
    let q = 0;
    for (let r = 0; r < n; r++) for (let i = 0; i < hw; i++) q += (x[(r * c + ch) * hw + i] - mu) ** 2;
    mean[ch] = mu; varB[ch] = q / m;
    if (training) {
      rm[ch] = (1 - momentum) * rm[ch] + momentum * mu;
      rv[ch] = (1 - momentum) * rv[ch] + momentum * (q / (m - 1));
    }
  }
  const y = new Float64Array(n * c * hw);
  for (let r = 0; r < n; r++) for (let ch = 0; ch < c; ch++) {
    const mu = training ? mean[ch] : runMean[ch], v = training ? varB[ch] : runVar[ch];
    const is = 1 / Math.sqrt(v + eps), g = gamma ? gamma[ch] : 1, b = beta ? beta[ch] : 0;
    for (let i = 0; i < hw; i++) { const k = (r * c + ch) * hw + i; y[k] = (x[k] - mu) * is * g + b; }
  }
  return { y, mean, varBiased: varB, runMean: rm, runVar: rv };
}

/** dx, dgamma, dbeta of Σ dy·y, for the train-mode (batch statistics) or eval-mode forward. */
export function batchNormBackward(x: ArrayLike<number>, dy: ArrayLike<number>, gamma: ArrayLike<number> | null,
                                  mean: ArrayLike<number>, variance: ArrayLike<number>, n: number, c: number, hw: number,
                                  eps: number, training: boolean): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const m = n * hw;
  const dx = new Float64Array(n * c * hw), dgamma = new Float64Array(c), dbeta = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const is = 1 / Math.sqrt(variance[ch] + eps), g = gamma ? gamma[ch] : 1;
    let sdy = 0, sdyh = 0;
    for (let r = 0; r < n; r++) for (let i = 0; i < hw; i++) {
      const k = (r * c + ch) * hw + i;
      sdy += dy[k]; sdyh += dy[k] * (x[k] - mean[ch]) * is;
    }
    dgamma[ch] = sdyh; dbeta[ch] = sdy;
    for (let r = 0; r < n; r++) for (let i = 0; i < hw; i++) {
      const k = (r * c + ch) * hw + i;
      const h = (x[k] - mean[ch]) * is;
      dx[k] = training ? g * is * (dy[k] - sdy / m - h * sdyh / m) : g * is * dy[k];
    }
  }
  return { dx, dgamma, dbeta };
}

export function layerNormForward(x: ArrayLike<number>, gamma: ArrayLike<number> | null, beta: ArrayLike<number> | null,
                                 rows: number, d: number, eps: number): { y: Float64Array; mean: Float64Array; invstd: Float64Array } {
  const y = new Float64Array(rows * d), mean = new Float64Array(rows), invstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[r * d + i];
    const mu = s / d;
    let q = 0;
    for (let i = 0; i < d; i++) q += (x[r * d + i] - mu) ** 2;
    const is = 1 / Math.sqrt(q / d + eps);
    mean[r] = mu; invstd[r] = is;
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mu) * is * (gamma ? gamma[i] : 1) + (beta ? beta[i] : 0);
  }
  return { y, mean, invstd };
}

export function layerNormBackward(x: ArrayLike<number>, dy: ArrayLike<number>, gamma: ArrayLike<number> | null,
                                  rows: number, d: number, eps: number): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const { mean, invstd } = layerNormForward(x, null, null, rows, d, eps);
  const dx = new Float64Array(rows * d), dgamma = new Float64Array(d), dbeta = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    let s1 = 0, s2 = 0;
    for (let i = 0; i < d; i++) {
      const h = (x[r * d + i] - mean[r]) * invstd[r], g = dy[r * d + i] * (gamma ? gamma[i] : 1);
      dgamma[i] += dy[r * d + i] * h; dbeta[i] += dy[r * d + i];
      s1 += g; s2 += g * h;
    }
    for (let i = 0; i < d; i++) {
      const h = (x[r * d + i] - mean[r]) * invstd[r], g = dy[r * d + i] * (gamma ? gamma[i] : 1);
      dx[r * d + i] = invstd[r] * (g - s1 / d - h * s2 / d);
    }
  }
  return { dx, dgamma, dbeta };
}

/** erf in float64: its Maclaurin series for |x| < 3, the continued fraction of erfc beyond (≤ 1e-15). */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a, sum = a;
    for (let n = 1; n < 80; n++) {
      term *= -a * a / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * sum * 2 / Math.sqrt(Math.PI);
  }
  // erfc(a) = e^(−a²)/√π · 1/(a + 1/2 /(a + 1/(a + 3/2 /(a + 2/(a + …)))))
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + (k / 2) / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** Φ(x), the standard normal CDF, without cancellation in the left tail. */
export function normalCdf(x: number): number {
  if (x >= -3 * Math.SQRT2) return 0.5 * (1 + erf(x / Math.SQRT2));
  const a = -x / Math.SQRT2;
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + (k / 2) / f;
  return 0.5 * Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const K0 = Math.sqrt(2 / Math.PI), K1 = 0.044715;

export const act = {
  gelu: (v: number) => v * normalCdf(v),
  geluGrad: (v: number) => normalCdf(v) + v * Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI),
  geluTanh: (v: number) => 0.5 * v * (1 + Math.tanh(K0 * (v + K1 * v ** 3))),
  geluTanhGrad: (v: number) => {
    const th = Math.tanh(K0 * (v + K1 * v ** 3));
    return 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * K0 * (1 + 3 * K1 * v * v);
  },
  silu: (v: number) => v * sigmoid(v),
  siluGrad: (v: number) => sigmoid(v) * (1 + v * (1 - sigmoid(v))),
};

export function logSoftmax(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity, s = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[r * cols + c]);
    for (let c = 0; c < cols; c++) s += Math.exp(x[r * cols + c] - m);
    for (let c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] - m - Math.log(s);
  }
  return y;
}
