// float64 references for assembly/elementwise.ts. Inputs are the f32 values the kernel saw;
// every result is computed in double precision.

export const relu = (x: number) => (Number.isNaN(x) ? NaN : Math.max(x, 0));
export const reluBackward = (x: number, dy: number) => (x > 0 ? dy : 0);
export const leakyRelu = (x: number, slope: number) => (x > 0 ? x : slope * x);
export const leakyReluBackward = (x: number, dy: number, slope: number) => (x > 0 ? dy : slope * dy);
export const elu = (x: number, alpha: number) => (x > 0 ? x : alpha * Math.expm1(x));
export const eluBackward = (x: number, dy: number, alpha: number) => (x > 0 ? dy : dy * alpha * Math.exp(x));
export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
export const sigmoidBackward = (y: number, dy: number) => dy * y * (1 - y);
export const tanh = (x: number) => Math.tanh(x);
export const tanhBackward = (y: number, dy: number) => dy * (1 - y * y);
export const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0);

/** [rows, units·k] -> y [rows, units] and the first index of each maximum. */
export function maxout(x: ArrayLike<number>, rows: number, units: number, k: number): { y: Float64Array; argmax: Int32Array } {
  const y = new Float64Array(rows * units), argmax = new Int32Array(rows * units);
  for (let i = 0; i < rows * units; i++) {
    let best = -Infinity, at = -1;
    for (let j = 0; j < k; j++) if (at < 0 || x[i * k + j] > best) { best = x[i * k + j]; at = j; }
    y[i] = best; argmax[i] = at;
  }
  return { y, argmax };
}

export function maxoutBackward(dy: ArrayLike<number>, argmax: ArrayLike<number>, rows: number, units: number, k: number): Float64Array {
  const dx = new Float64Array(rows * units * k);
  for (let i = 0; i < rows * units; i++) dx[i * k + argmax[i]] = dy[i];
  return dx;
}

export function argmaxRows(x: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let at = 0;
    for (let c = 1; c < cols; c++) if (x[r * cols + c] > x[r * cols + at]) at = c;
    out[r] = at;
  }
  return out;
}

export function addRowVector(a: ArrayLike<number>, v: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = a[r * cols + c] + v[c];
  return out;
}

export function sumRows(a: ArrayLike<number>, rows: number, cols: number, init?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    let s = init ? init[c] : 0;
    for (let r = 0; r < rows; r++) s += a[r * cols + c];
    out[c] = s;
  }
  return out;
}

export function sumCols(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += a[r * cols + c];
    out[r] = s;
  }
  return out;
}

export function sum(a: ArrayLike<number>, f: (x: number) => number = (x) => x): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += f(a[i]);
  return s;
}
