// GEMM GFLOP/s per shape (the three training shapes of a 784-256 Dense layer at batch 64 and two
// square sizes), and the Dense forward pass x·Wᵀ + b → ReLU, on every column.
import { rate, randomData, rawCore, time } from './lib.mjs';
import { gemmJs, denseJs } from './reference.mjs';
import { measureCase } from './harness.mjs';

// [label, m, n, k, transA, transB]: forward x·W, weight gradient xᵀ·dy, input gradient dy·Wᵀ
export const shapes = [
  ['64x784 · 784x256 (A·B)', 64, 256, 784, false, false],
  ['784x64ᵀ · 64x256 (Aᵀ·B)', 784, 256, 64, true, false],
  ['64x256 · 784x256ᵀ (A·Bᵀ)', 64, 784, 256, false, true],
  ['256x256x256', 256, 256, 256, false, false],
  ['512x512x512', 512, 512, 512, false, false],
];

export async function run({ variants }) {
  const rows = [];
  for (const [label, m, n, k, tA, tB] of shapes) {
    const a = randomData(m * k, 1), b = randomData(k * n, 2);
    const ref = gemmJs(a, b, new Float64Array(m * n), m, n, k, tA, tB);
    const row = { group: 'gemm', case: label, unit: 'GFLOP/s', higherIsBetter: true, tags: { gemm: true, transposed: tA || tB } };
    await measureCase(row, 'gemm', { m, n, k, tA, tB, a, b }, {
      variants, expected: { c: [ref, 1e-4] }, toUnit: (t) => rate(t, 2 * m * n * k, 1e6),
    });
    // the kernel alone (C stays in linear memory): the compute core's own GFLOP/s, which the
    // absolute target refers to; the columns above include copying C out, as every peer does
    row.kernelOnly = {};
    for (const v of variants) {
      const c = await rawCore(v), e = c.exports;
      const pa = c.put(a), pb = c.put(b), pc = c.put(new Float32Array(m * n));
      row.kernelOnly[`simdnet-${v}`] = rate(time(() => e.gemm(pa, pb, pc, m, n, k, tA, tB, 0, 0)), 2 * m * n * k, 1e6);
      e.free(pa); e.free(pb); e.free(pc);
    }
    rows.push(row);
  }
  const [rowsN, inF, outF] = [64, 784, 256];
  const x = randomData(rowsN * inF, 3), w = randomData(outF * inF, 4).map((v) => v * 0.05), bias = randomData(outF, 5);
  const ref = denseJs(x, w, bias, new Float64Array(rowsN * outF), rowsN, inF, outF, true);
  const row = { group: 'gemm', case: 'Dense 64×784 → 256, bias + ReLU (forward)', unit: 'GFLOP/s', higherIsBetter: true, tags: { dense: true } };
  await measureCase(row, 'dense', { rows: rowsN, inF, outF, x, w, b: bias }, {
    variants, expected: { y: [ref, 1e-4] }, toUnit: (t) => rate(t, 2 * rowsN * inF * outF, 1e6),
  });
  rows.push(row);
  return rows;
}
