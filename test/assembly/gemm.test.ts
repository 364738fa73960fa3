import { describe, it, expect } from 'vitest';
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
  it('one row (m = 1, B read in place) gives the bits of the same row in a packed product, and gemmAct those of gemm + activation', () => {
    const random = rng(9);
    const act = { relu: 3, leaky: 4, elu: 5, sigmoid: 6, tanh: 7 } as const;
    const unary: Record<number, (x: number, y: number, n: number) => void> = {
      [act.relu]: core.exports.relu, [act.sigmoid]: core.exports.sigmoid, [act.tanh]: core.exports.tanh,
      [act.leaky]: (x, y, n) => core.exports.leakyRelu(x, y, n, 0.1), [act.elu]: (x, y, n) => core.exports.elu(x, y, n, 0.7),
    };
    for (const n of [1, 3, 4, 7, 8, 9, 15, 17, 33]) for (const k of [1, 5, 256, 300, 600]) for (const transA of [false, true]) for (const transB of [false, true]) {
      const m = 6, label = `${variant} n${n} k${k} tA=${transA} tB=${transB}`;
      const a = randomArray(m * k, random, 3), b = randomArray(k * n, random, 3), c0 = randomArray(m * n, random), bias = randomArray(n, random);
      const pa = core.put(a), pb = core.put(b), pbias = core.put(bias);
      // row r of op(A) alone: [1, k] (contiguous when not transposed; a [k, 1] column of a copy when it is)
      const r = 4, row = Float32Array.from({ length: k }, (_, p) => a[transA ? p * m + r : r * k + p]);
      const prow = core.put(row);
      for (const [accumulate, withBias] of [[0, 0], [1, 1], [0, 1]]) {
        const pc = core.put(c0), pc1 = core.put(c0.subarray(r * n, (r + 1) * n));
        gemm(pa, pb, pc, m, n, k, transA, transB, accumulate, withBias ? pbias : 0);
        gemm(prow, pb, pc1, 1, n, k, false, transB, accumulate, withBias ? pbias : 0);
        expect(new Uint32Array(core.get(pc1, n).buffer), `${label} acc=${accumulate} bias=${withBias}`)
          .toEqual(new Uint32Array(core.get(pc, m * n).slice(r * n, (r + 1) * n).buffer));
        core.exports.free(pc); core.exports.free(pc1);
      }
      for (const code of Object.values(act)) {
        const alpha = code === act.leaky ? 0.1 : code === act.elu ? 0.7 : 0;
        for (const rows of [1, m]) {
          const src = rows === 1 ? prow : pa, tA = rows === 1 ? false : transA;
          const pc = core.put(new Float32Array(rows * n)), pf = core.put(new Float32Array(rows * n));
          gemm(src, pb, pc, rows, n, k, tA, transB, 0, pbias);
          unary[code](pc, pc, rows * n);
          core.exports.gemmAct(src, pb, pf, rows, n, k, tA, transB, pbias, code, alpha);
          expect(new Uint32Array(core.get(pf, rows * n).buffer), `${label} act ${code} rows ${rows}`)
            .toEqual(new Uint32Array(core.get(pc, rows * n).buffer));
          core.exports.free(pc); core.exports.free(pf);
        }
      }
      for (const p of [pa, pb, pbias, prow]) core.exports.free(p);
    }
  });

  it('k = 0 gives zeros, or the bias', () => {
    const pc = core.put([5, 5, 5, 5]), pbias = core.put([1, 2]);
    gemm(0, 0, pc, 2, 2, 0, 0, 0, 0, 0);
    expectClose(core.get(pc, 4), [0, 0, 0, 0], 0, 0, 'k=0');
    gemm(0, 0, pc, 2, 2, 0, 0, 0, 0, pbias);
    expectClose(core.get(pc, 4), [1, 2, 1, 2], 0, 0, 'k=0 bias');
  });
});
