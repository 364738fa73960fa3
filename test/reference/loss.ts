// float64 references for assembly/loss.ts. Row-major [rows, classes]; labels index columns.

export function softmax(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity, s = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[r * cols + c]);
    for (let c = 0; c < cols; c++) s += Math.exp(x[r * cols + c] - m);
    for (let c = 0; c < cols; c++) y[r * cols + c] = Math.exp(x[r * cols + c] - m) / s;
  }
  return y;
}

/** Per-row cross-entropy −log softmax(x)_y, computed as log Σ e^(x − max) − (x_y − max). */
export function crossEntropyRows(x: ArrayLike<number>, labels: ArrayLike<number>, rows: number, classes: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity, s = 0;
    for (let c = 0; c < classes; c++) m = Math.max(m, x[r * classes + c]);
    for (let c = 0; c < classes; c++) s += Math.exp(x[r * classes + c] - m);
    out[r] = Math.log(s) - (x[r * classes + labels[r]] - m);
  }
  return out;
}

export function softmaxCrossEntropyBackward(probs: ArrayLike<number>, labels: ArrayLike<number>, rows: number, classes: number, scale: number): Float64Array {
  const d = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < classes; c++) d[r * classes + c] = scale * (probs[r * classes + c] - (c === labels[r] ? 1 : 0));
  }
  return d;
}

/** Per-row multiclass hinge loss Σ_{j≠y} max(0, s_j − s_y + margin). */
export function svmRows(s: ArrayLike<number>, labels: ArrayLike<number>, rows: number, classes: number, margin: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const sy = s[r * classes + labels[r]];
    for (let j = 0; j < classes; j++) if (j !== labels[r]) out[r] += Math.max(0, s[r * classes + j] - sy + margin);
  }
  return out;
}

export function svmBackward(s: ArrayLike<number>, labels: ArrayLike<number>, rows: number, classes: number, margin: number, scale: number): Float64Array {
  const d = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const y = labels[r], sy = s[r * classes + y];
    for (let j = 0; j < classes; j++) {
      if (j !== y && s[r * classes + j] - sy + margin > 0) {
        d[r * classes + j] += scale;
        d[r * classes + y] -= scale;
      }
    }
  }
  return d;
}

export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

export function mseBackward(a: ArrayLike<number>, b: ArrayLike<number>, scale: number): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => scale * 2 * (a[i] - b[i]));
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}
