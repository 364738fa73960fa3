// assembly/norm.ts (BatchNorm, LayerNorm) against the float64 references in test/reference/norm.ts,
// in every build, across SIMD tail sizes, misaligned, with guard cells around every output.
import { describe, it, expect } from 'vitest';
import { loadCore, variants, rng, randomArray, expectClose } from '../helpers/wasm';
import { Buffers } from '../helpers/buffers';
import * as ref from '../reference/norm';

// [n, c, hw]: hw = 1 is BatchNorm1d (lanes across channels: every channel tail), hw > 1 every
// plane tail of the 8- and 4-wide loops.
const shapes: Array<[number, number, number]> = [
  [2, 1, 1], [3, 3, 1], [5, 4, 1], [4, 5, 1], [7, 9, 1], [2, 17, 1],
  [2, 1, 2], [2, 3, 3], [3, 2, 4], [2, 2, 5], [2, 3, 7], [1, 2, 8], [2, 2, 9], [3, 2, 12], [2, 3, 13], [2, 2, 49],
];

describe.each(variants)('batchNorm (%s build)', (variant) => {
  const core = loadCore(variant);
  const e = core.exports;

  it('train mode: output, batch statistics and running statistics against float64, with and without affine', () => {
    const random = rng(5);
    for (const [n, c, hw] of shapes) for (const affine of [true, false]) {
      const bufs = new Buffers(core, (n + c + hw) % 4);
      const size = n * c * hw;
      // a large common offset: the one-pass variance must not cancel
      const x = randomArray(size, random, 2).map((v) => v + 50);
      const gamma = randomArray(c, random), beta = randomArray(c, random);
      const rm = randomArray(c, random), rv = randomArray(c, random).map((v) => 1 + Math.abs(v));
      const px = bufs.put(x), py = bufs.put(size), pm = bufs.put(c), pi = bufs.put(c);
      const prm = bufs.put(rm), prv = bufs.put(rv);
      const pg = affine ? bufs.put(gamma) : 0, pb = affine ? bufs.put(beta) : 0;
      const label = `${variant} [${n},${c},${hw}] affine ${affine}`;
      e.batchNormForward(px, py, pg, pb, pm, pi, prm, prv, n, c, hw, 1e-5, 0.1, 1);
      const want = ref.batchNormForward(x, affine ? gamma : null, affine ? beta : null, rm, rv, n, c, hw, 1e-5, 0.1, true);
      // the f32 mean itself is off by up to ½ ulp of 50 (1.9e-6): y inherits that times invstd
      const worstInvstd = Math.max(...want.varBiased.map((v) => 1 / Math.sqrt(v + 1e-5)));
      expectClose(core.get(py, size), want.y, 2e-5 + 4e-6 * worstInvstd, 2e-5, `${label} y`);
      expectClose(core.get(pm, c), want.mean, 1e-6, 1e-6, `${label} mean`);
      expectClose(core.get(pi, c), want.varBiased.map((v) => 1 / Math.sqrt(v + 1e-5)), 1e-5, 2e-5, `${label} invstd`);
      expectClose(core.get(prm, c), want.runMean, 1e-6, 1e-6, `${label} running mean`);
      expectClose(core.get(prv, c), want.runVar, 1e-5, 2e-5, `${label} running var`);
      for (const [p, len] of [[py, size], [pm, c], [pi, c], [prm, c], [prv, c]]) bufs.checkGuards(p, len, label);
      bufs.free();
    }
  });

  it('eval mode uses the running statistics and leaves them alone; y may alias x', () => {
    const random = rng(6);
    for (const [n, c, hw] of shapes) {
      const bufs = new Buffers(core, 1);
      const size = n * c * hw;
      const x = randomArray(size, random, 3);
      const gamma = randomArray(c, random), beta = randomArray(c, random);
      const rm = randomArray(c, random), rv = randomArray(c, random).map((v) => 0.5 + Math.abs(v));
      const px = bufs.put(x), pm = bufs.put(c), pi = bufs.put(c), prm = bufs.put(rm), prv = bufs.put(rv);
      e.batchNormForward(px, px, bufs.put(gamma), bufs.put(beta), pm, pi, prm, prv, n, c, hw, 1e-3, 0.1, 0);
      const want = ref.batchNormForward(x, gamma, beta, rm, rv, n, c, hw, 1e-3, 0.1, false);
      const label = `${variant} eval [${n},${c},${hw}]`;
      expectClose(core.get(px, size), want.y, 1e-5, 1e-5, label);
      expect(Array.from(core.get(prm, c))).toEqual(Array.from(rm));
      expect(Array.from(core.get(prv, c))).toEqual(Array.from(rv));
      bufs.free();
    }
  });

  it('backward (train and eval statistics): dx, dgamma, dbeta against float64; dx may alias dy; dx = 0 skips it', () => {
    const random = rng(7);
    for (const [n, c, hw] of shapes) for (const training of [true, false]) for (const affine of [true, false]) {
      const bufs = new Buffers(core, (n * c + hw) % 4);
      const size = n * c * hw;
      const x = randomArray(size, random, 2).map((v) => v - 3);
      const dy = randomArray(size, random);
      const gamma = randomArray(c, random);
      const rm = randomArray(c, random), rv = randomArray(c, random).map((v) => 0.5 + Math.abs(v));
      const px = bufs.put(x), py = bufs.put(size), pm = bufs.put(c), pi = bufs.put(c);
      const pg = affine ? bufs.put(gamma) : 0;
      e.batchNormForward(px, py, pg, 0, pm, pi, bufs.put(rm), bufs.put(rv), n, c, hw, 1e-5, 0.1, training ? 1 : 0);
      const fw = ref.batchNormForward(x, null, null, rm, rv, n, c, hw, 1e-5, 0.1, training);
      const want = ref.batchNormBackward(x, dy, affine ? gamma : null, training ? fw.mean : rm, training ? fw.varBiased : rv, n, c, hw, 1e-5, training);
      const pdy = bufs.put(dy), pdx = bufs.put(size), pdg = bufs.put(c), pdb = bufs.put(c);
      e.batchNormBackward(px, pdy, pdx, pg, pm, pi, pdg, pdb, n, c, hw, training ? 1 : 0);
      const label = `${variant} backward [${n},${c},${hw}] train ${training} affine ${affine}`;
      expectClose(core.get(pdx, size), want.dx, 5e-5, 5e-5, `${label} dx`);
      expectClose(core.get(pdg, c), want.dgamma, 2e-5, 2e-5, `${label} dgamma`);
      expectClose(core.get(pdb, c), want.dbeta, 1e-5, 1e-5, `${label} dbeta`);
      for (const [p, len] of [[pdx, size], [pdg, c], [pdb, c]]) bufs.checkGuards(p, len, label);
      e.batchNormBackward(px, pdy, pdy, pg, pm, pi, pdg, pdb, n, c, hw, training ? 1 : 0);
      expectClose(core.get(pdy, size), want.dx, 5e-5, 5e-5, `${label} dx aliasing dy`);
      const pdx2 = bufs.put(size);
      e.batchNormBackward(px, bufs.put(dy), 0, pg, pm, pi, pdg, pdb, n, c, hw, training ? 1 : 0);
      expectClose(core.get(pdg, c), want.dgamma, 2e-5, 2e-5, `${label} dgamma without dx`);
      bufs.checkGuards(pdx2 - 0, 0, label);
      bufs.free();
    }
  });
});

describe.each(variants)('layerNorm (%s build)', (variant) => {
  const core = loadCore(variant);
  const e = core.exports;
  const widths = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 64, 100];

  it('forward and backward against float64 across row widths, with and without affine; in place', () => {
    const random = rng(9);
    for (const rows of [1, 3]) for (const d of widths) for (const affine of [true, false]) {
      const bufs = new Buffers(core, (rows + d) % 4);
      const size = rows * d;
      const x = randomArray(size, random, 3).map((v) => v + 20), dy = randomArray(size, random);
      const gamma = randomArray(d, random), beta = randomArray(d, random);
      const px = bufs.put(x), py = bufs.put(size), pm = bufs.put(rows), pi = bufs.put(rows);
      const pg = affine ? bufs.put(gamma) : 0, pb = affine ? bufs.put(beta) : 0;
      const label = `${variant} ${rows}x${d} affine ${affine}`;
      e.layerNormForward(px, py, pg, pb, pm, pi, rows, d, 1e-5);
      const fw = ref.layerNormForward(x, affine ? gamma : null, affine ? beta : null, rows, d, 1e-5);
      expectClose(core.get(py, size), fw.y, 3e-5, 3e-5, `${label} y`);
      expectClose(core.get(pm, rows), fw.mean, 1e-6, 1e-6, `${label} mean`);
      bufs.checkGuards(py, size, label);
      const want = ref.layerNormBackward(x, dy, affine ? gamma : null, rows, d, 1e-5);
      const pdy = bufs.put(dy), pdx = bufs.put(size), pdg = bufs.put(new Float32Array(d)), pdb = bufs.put(new Float32Array(d));
      e.layerNormBackward(px, pdy, pdx, pg, pm, pi, affine ? pdg : 0, affine ? pdb : 0, rows, d);
      expectClose(core.get(pdx, size), want.dx, 1e-4, 1e-4, `${label} dx`);
      bufs.checkGuards(pdx, size, label);
      if (affine) {
        expectClose(core.get(pdg, d), want.dgamma, 2e-5, 2e-5, `${label} dgamma`);
        expectClose(core.get(pdb, d), want.dbeta, 1e-6, 1e-6, `${label} dbeta`);
        bufs.checkGuards(pdg, d, label);
        // accumulates into what is there
        e.layerNormBackward(px, pdy, 0, pg, pm, pi, pdg, pdb, rows, d);
        expectClose(core.get(pdb, d), want.dbeta.map((v) => 2 * v), 1e-6, 1e-6, `${label} dbeta accumulated`);
      } else {
        expect(Array.from(core.get(pdg, d))).toEqual(new Array(d).fill(0));
      }
      e.layerNormForward(px, px, pg, pb, pm, pi, rows, d, 1e-5);
      expectClose(core.get(px, size), fw.y, 3e-5, 3e-5, `${label} in place`);
      bufs.free();
    }
  });
});
