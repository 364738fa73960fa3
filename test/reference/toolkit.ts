// float64 references for assembly/reduce.ts, broadcast.ts, unary.ts and gather.ts. Inputs are
// the f32 values the kernels saw; every result is computed in double precision.

/** Reduces x viewed as [outer, r, inner] with f over each column of r values → [outer, inner]. */
export function reduceRef(x: ArrayLike<number>, outer: number, r: number, inner: number, f: (v: number[]) => number): Float64Array {
  const y = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const v: number[] = [];
    for (let j = 0; j < r; j++) v.push(x[(o * r + j) * inner + i]);
    y[o * inner + i] = f(v);
  }
  return y;
}

export const sumOf = (v: number[]) => v.reduce((a, b) => a + b, 0);
export const meanOf = (v: number[]) => sumOf(v) / v.length;
export const maxOf = (v: number[]) => (v.some(Number.isNaN) ? NaN : Math.max(...v));
export const minOf = (v: number[]) => (v.some(Number.isNaN) ? NaN : Math.min(...v));
export function argOf(v: number[], isMin: boolean): number {
  const nan = v.findIndex(Number.isNaN);
  if (nan >= 0) return nan;
  let at = 0;
  for (let j = 1; j < v.length; j++) if (isMin ? v[j] < v[at] : v[j] > v[at]) at = j;
  return at;
}
export function logsumexpOf(v: number[]): number {
  const m = Math.max(...v);
  if (!Number.isFinite(m)) return m;
  return m + Math.log(sumOf(v.map((x) => Math.exp(x - m))));
}
export function varOf(v: number[], correction: number): number {
  const m = meanOf(v);
  return sumOf(v.map((x) => (x - m) ** 2)) / (v.length - correction);
}

/** dx[o,j,i] = f(g[o,i], x[o,j,i], j, o, i). */
export function expandRef(outer: number, r: number, inner: number, f: (o: number, j: number, i: number) => number): Float64Array {
  const dx = new Float64Array(outer * r * inner);
  for (let o = 0; o < outer; o++) for (let j = 0; j < r; j++) for (let i = 0; i < inner; i++) dx[(o * r + j) * inner + i] = f(o, j, i);
  return dx;
}

/** out = f(a, b) over `shape` with per-dimension element strides for a and b (0 = broadcast). */
export function stridedRef(shape: number[], a: ArrayLike<number>, sa: number[], b: ArrayLike<number>, sb: number[], f: (a: number, b: number) => number): Float64Array {
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float64Array(n);
  const idx = shape.map(() => 0);
  for (let k = 0; k < n; k++) {
    let pa = 0, pb = 0;
    for (let d = 0; d < shape.length; d++) { pa += idx[d] * sa[d]; pb += idx[d] * sb[d]; }
    out[k] = f(a[pa], b[pb]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** a^b with PyTorch's rules for negative bases and zero exponents. */
export function powRef(a: number, b: number): number {
  if (b === 0) return 1;
  if (a < 0 && !Number.isInteger(b)) return NaN;
  return Math.pow(a, b);
}
