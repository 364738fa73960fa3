// Global average pooling, NCHW → [N, C] (PyTorch's AdaptiveAvgPool2d(1)): one mean per plane.
// Forward sums each plane with elementwise.ts's blocked f64-carried reduction; backward spreads
// dy / plane over the plane.

import { reduce, SUM } from './elementwise';

/** y[r] = mean of the `plane` floats of row r of x (rows = N·C). */
export function globalAvgPool2dForward(x: usize, y: usize, rows: i32, plane: i32): void {
  if (plane <= 0) return;
  const inv = 1 / <f64>plane;
  for (let r = 0; r < rows; r++) {
    store<f32>(y + (<usize>r << 2), <f32>(reduce(x + (<usize>r * plane << 2), 0, plane, SUM) * inv));
  }
}

/** dx[r, i] = dy[r] / plane for every i < plane (overwrites dx). */
export function globalAvgPool2dBackward(dy: usize, dx: usize, rows: i32, plane: i32): void {
  const inv: f32 = <f32>(1 / <f64>plane);
  for (let r = 0; r < rows; r++) {
    const g: f32 = load<f32>(dy + (<usize>r << 2)) * inv;
    const d = dx + (<usize>r * plane << 2);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vg = f32x4.splat(g);
      for (; i + 4 <= plane; i += 4) v128.store(d + (<usize>i << 2), vg);
    }
    for (; i < plane; i++) store<f32>(d + (<usize>i << 2), g);
  }
}
