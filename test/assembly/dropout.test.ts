import { describe, it, expect } from 'vitest';
import { loadCore, variants, rng, randomArray } from '../helpers/wasm';
import { dropoutMaskRef } from '../reference/dropout';

describe.each(variants)('dropout (%s build)', (variant) => {
  const core = loadCore(variant);
  const { dropoutForward, dropoutBackward, free } = core.exports;

  function run(x: Float32Array, p: number, seed: number) {
    const px = core.put(x), py = core.zeros(x.length), pm = core.zeros(x.length);
    dropoutForward(px, py, pm, x.length, p, seed);
    const out = { y: core.get(py, x.length), mask: core.get(pm, x.length) };
    free(px); free(py); free(pm);
    return out;
  }

  it('the mask is the seeded hash of each index, y = x · mask, for every tail length', () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 13, 100, 1001]) {
      for (const [p, seed] of [[0.5, 1], [0.25, 0xdeadbeef], [0.9, 7]] as const) {
        const x = randomArray(n, rng(n));
        const { y, mask } = run(x, p, seed);
        const ref = dropoutMaskRef(n, p, seed);
        expect(Array.from(mask), `n=${n} p=${p}`).toEqual(Array.from(ref));
        expect(Array.from(y)).toEqual(Array.from(x).map((v, i) => Math.fround(v * ref[i])));
      }
    }
  });

  it('keeps a fraction 1 − p, scaled by 1 / (1 − p), with no pattern between neighbours', () => {
    const n = 100_000, p = 0.3;
    const { mask } = run(new Float32Array(n).fill(1), p, 12345);
    const scale = Math.fround(1 / 0.7);
    let kept = 0, pairs = 0;
    for (let i = 0; i < n; i++) {
      expect(mask[i] === 0 || mask[i] === scale).toBe(true);
      if (mask[i]) kept++;
      if (i && mask[i] && mask[i - 1]) pairs++;
    }
    expect(Math.abs(kept / n - 0.7)).toBeLessThan(0.01); // σ ≈ 0.0014
    expect(Math.abs(pairs / (n - 1) - 0.49)).toBeLessThan(0.01);
    // a different seed gives a different mask, agreeing only by chance (p² + (1 − p)² = 0.58)
    const other = run(new Float32Array(n).fill(1), p, 12346).mask;
    let same = 0;
    for (let i = 0; i < n; i++) if ((mask[i] === 0) === (other[i] === 0)) same++;
    expect(Math.abs(same / n - 0.58)).toBeLessThan(0.01);
  });

  it('p = 0 keeps everything unscaled; p = 1 drops everything', () => {
    const x = randomArray(37, rng(2));
    const keep = run(x, 0, 9);
    expect(Array.from(keep.mask)).toEqual(new Array(37).fill(1));
    expect(Array.from(keep.y)).toEqual(Array.from(x));
    const drop = run(x, 1, 9);
    expect(Array.from(drop.mask)).toEqual(new Array(37).fill(0));
    expect(drop.y.every((v) => v === 0)).toBe(true);
  });

  it('backward multiplies by the mask', () => {
    for (const n of [1, 6, 33]) {
      const dy = randomArray(n, rng(n + 1)), mask = dropoutMaskRef(n, 0.4, 3);
      const pdy = core.put(dy), pm = core.put(mask), pdx = core.put(new Float32Array(n).fill(NaN));
      dropoutBackward(pdy, pm, pdx, n);
      expect(Array.from(core.get(pdx, n))).toEqual(Array.from(dy).map((v, i) => Math.fround(v * mask[i])));
      free(pdy); free(pm); free(pdx);
    }
  });
});
