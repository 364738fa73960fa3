/** float64 reference: C = op(A)·op(B) (+ C0) (+ bias), all row-major. */
export function gemmRef(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number,
                        transA: boolean, transB: boolean, c0?: ArrayLike<number>, bias?: ArrayLike<number>): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = c0 ? c0[i * n + j] : 0;
      if (bias) s += bias[j];
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  }
  return c;
}
