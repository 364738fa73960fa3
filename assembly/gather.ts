// Indexing along one dimension: the input is viewed as [outer, r, inner] and the index picks
// k positions along r. Indices are validated by the binding (0 ≤ j < r) before any call.
// Row copies (inner contiguous floats) are memory.copy; the backward adds into dx, so repeated
// indices accumulate (as PyTorch's index_add / scatter_add).

/** out[o,j,:] = x[o, index[j], :] for j < k (index: k i32s) */
export function indexSelect(x: usize, index: usize, out: usize, outer: i32, r: i32, k: i32, inner: i32): void {
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * <usize>r * rowBytes, oo = out + <usize>o * <usize>k * rowBytes;
    for (let j = 0; j < k; j++) {
      memory.copy(oo + <usize>j * rowBytes, xo + <usize>load<i32>(index + (<usize>j << 2)) * rowBytes, rowBytes);
    }
  }
}

/** dx[o, index[j], :] += dy[o,j,:] (dx must hold its starting value, zeros for a fresh gradient) */
export function indexAdd(dy: usize, index: usize, dx: usize, outer: i32, r: i32, k: i32, inner: i32): void {
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = dx + <usize>o * <usize>r * rowBytes, go = dy + <usize>o * <usize>k * rowBytes;
    for (let j = 0; j < k; j++) {
      const d = xo + <usize>load<i32>(index + (<usize>j << 2)) * rowBytes, g = go + <usize>j * rowBytes;
      let i = 0;
      if (ASC_FEATURE_SIMD) {
        for (; i + 4 <= inner; i += 4) {
          const o4 = <usize>i << 2;
          v128.store(d + o4, f32x4.add(v128.load(d + o4), v128.load(g + o4)));
        }
      }
      for (; i < inner; i++) store<f32>(d + (<usize>i << 2), load<f32>(d + (<usize>i << 2)) + load<f32>(g + (<usize>i << 2)));
    }
  }
}

/** out[o,j,i] = x[o, index[o,j,i], i] (PyTorch's gather; index: [outer, k, inner] i32s) */
export function gather(x: usize, index: usize, out: usize, outer: i32, r: i32, k: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const at = (<usize>o * <usize>k + <usize>j) * <usize>inner;
      for (let i = 0; i < inner; i++) {
        const src = (<usize>o * <usize>r + <usize>load<i32>(index + (at + <usize>i << 2))) * <usize>inner + <usize>i;
        store<f32>(out + (at + <usize>i << 2), load<f32>(x + (src << 2)));
      }
    }
  }
}

/** dx[o, index[o,j,i], i] += dy[o,j,i] (PyTorch's scatter_add, gather's backward) */
export function scatterAdd(dy: usize, index: usize, dx: usize, outer: i32, r: i32, k: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const at = (<usize>o * <usize>k + <usize>j) * <usize>inner;
      for (let i = 0; i < inner; i++) {
        const dst = dx + ((<usize>o * <usize>r + <usize>load<i32>(index + (at + <usize>i << 2))) * <usize>inner + <usize>i << 2);
        store<f32>(dst, load<f32>(dst) + load<f32>(dy + (at + <usize>i << 2)));
      }
    }
  }
}
