// GEMM GFLOP/s per shape: simdnet's relaxed-SIMD, plain-SIMD and scalar builds, and a plain-JS loop.
import { time, rawCore, randomData, maxError } from './lib.mjs';

// [label, m, n, k, transA, transB]: the training shapes of a 784-256 dense layer at batch 64
// (forward x·W, weight gradient xᵀ·dy, input gradient dy·Wᵀ) and two square sizes.
export const shapes = [
  ['64x784 · 784x256 (A·B)', 64, 256, 784, false, false],
  ['784x64ᵀ · 64x256 (Aᵀ·B)', 784, 256, 64, true, false],
  ['64x256 · 784x256ᵀ (A·Bᵀ)', 64, 784, 256, false, true],
  ['256x256x256', 256, 256, 256, false, false],
  ['512x512x512', 512, 512, 512, false, false],
];

/** float64 reference, the oracle every library's output is checked against. */
function gemmRef(a, b, m, n, k, tA, tB) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
    const av = tA ? a[p * m + i] : a[i * k + p];
    for (let j = 0; j < n; j++) c[i * n + j] += av * (tB ? b[j * k + p] : b[p * n + j]);
  }
  return c;
}

/** The plain-JS baseline: the i-p-j loop order, the fastest simple ordering for row-major data. */
function gemmJs(a, b, c, m, n, k, tA, tB) {
  c.fill(0);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
    const av = tA ? a[p * m + i] : a[i * k + p];
    const row = i * n;
    if (tB) for (let j = 0; j < n; j++) c[row + j] += av * b[j * k + p];
    else { const bo = p * n; for (let j = 0; j < n; j++) c[row + j] += av * b[bo + j]; }
  }
}

export async function run({ variants }) {
  const cores = Object.fromEntries(variants.map((v) => [v, rawCore(v)]));
  const rows = [];
  for (const [label, m, n, k, tA, tB] of shapes) {
    const a = randomData(m * k, 1), b = randomData(k * n, 2);
    const ref = gemmRef(a, b, m, n, k, tA, tB);
    const flops = 2 * m * n * k;
    const row = { group: 'gemm', case: label, unit: 'GFLOP/s', results: {} };
    for (const v of variants) {
      const core = cores[v], { gemm, free } = core.exports;
      const pa = core.put(a), pb = core.put(b), pc = core.put(new Float32Array(m * n));
      gemm(pa, pb, pc, m, n, k, tA, tB, 0, 0);
      const err = maxError(core.get(pc, m * n), ref);
      if (err > 1e-4) throw new Error(`gemm ${label}: simdnet-${v} disagrees with the float64 reference (${err})`);
      const t = time(() => gemm(pa, pb, pc, m, n, k, tA, tB, 0, 0));
      row.results[`simdnet-${v}`] = { median: flops / t.median / 1e6, min: flops / t.max / 1e6, max: flops / t.min / 1e6 };
      free(pa); free(pb); free(pc);
    }
    const c = new Float32Array(m * n);
    gemmJs(a, b, c, m, n, k, tA, tB);
    const err = maxError(c, ref);
    if (err > 1e-4) throw new Error(`gemm ${label}: plain JS disagrees with the float64 reference (${err})`);
    const t = time(() => gemmJs(a, b, c, m, n, k, tA, tB), { warmup: 1, samples: 5, minMs: 1 });
    row.results['plain-js'] = { median: flops / t.median / 1e6, min: flops / t.max / 1e6, max: flops / t.min / 1e6 };
    const r = row.results, ratio = (x, y) => (r[x] && r[y] ? r[x].median / r[y].median : null);
    row.ratios = { 'simd÷scalar': ratio('simdnet-simd', 'simdnet-scalar'), 'simd÷js': ratio('simdnet-simd', 'plain-js') };
    rows.push(row);
  }
  return rows;
}
