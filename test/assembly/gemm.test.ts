import { describe, it } from 'vitest';
import { loadCore, variants, rng, randomArray, expectClose } from '../helpers/wasm';
import { gemmRef } from '../reference/gemm';

// Sizes cross every tail: the micro-tile (up to 6×8), the A block (MR·16 rows), the depth block (256).
const small = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 21, 27];
const shapes: Array<[number, number, number]> = [];
for (const m of small) for (const n of [1, 3, 8, 9, 17, 27]) shapes.push([m, n, [1, 5, 17][(m + n) % 3]]);
shapes.push([97, 33, 300], [64, 10, 257], [100, 26, 513], [7, 1030, 5], [129, 65, 31]);

describe.each(variants)('gemm (%s build)', (variant) => {
  const core = loadCore(variant);
  const { gemm } = core.exports;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'} over tail sizes, with accumulate and bias`, () => {
        const random = rng(7);
        for (const [m, n, k] of shapes) {
          const a = randomArray(m * k, random), b = randomArray(k * n, random);
          const c0 = randomArray(m * n, random), bias = randomArray(n, random);
          const pa = core.put(a), pb = core.put(b), pc = core.put(c0), pbias = core.put(bias);
          const tol = 1e-5 * Math.sqrt(k);
          const label = `${variant} ${m}x${n}x${k} tA=${transA} tB=${transB}`;
          gemm(pa, pb, pc, m, n, k, transA, transB, 0, 0);
          expectClose(core.get(pc, m * n), gemmRef(a, b, m, n, k, transA, transB), tol, tol, label);
          const pc2 = core.put(c0);
          gemm(pa, pb, pc2, m, n, k, transA, transB, 1, pbias);
          expectClose(core.get(pc2, m * n), gemmRef(a, b, m, n, k, transA, transB, c0, bias), tol, tol, `${label} accumulate+bias`);
          for (const p of [pa, pb, pc, pc2, pbias]) core.exports.free(p);
        }
      });
    }
  }
  it('k = 0 gives zeros, or the bias', () => {
    const pc = core.put([5, 5, 5, 5]), pbias = core.put([1, 2]);
    gemm(0, 0, pc, 2, 2, 0, 0, 0, 0, 0);
    expectClose(core.get(pc, 4), [0, 0, 0, 0], 0, 0, 'k=0');
    gemm(0, 0, pc, 2, 2, 0, 0, 0, 0, pbias);
    expectClose(core.get(pc, 4), [1, 2, 1, 2], 0, 0, 'k=0 bias');
  });
});
