// The losses of issue 12 in assembly/loss.ts (label-smoothed softmax cross-entropy, BCE with
// logits, Huber) against float64, every build, every 4-lane tail, misaligned and guarded.
import { describe, it, expect } from 'vitest';
import { loadCore, variants, rng, randomArray, expectClose } from '../helpers/wasm';
import { Buffers } from '../helpers/buffers';
import * as ref from '../reference/norm';

const lengths = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 300];

describe.each(variants)('issue-12 losses (%s build)', (variant) => {
  const core = loadCore(variant);
  const e = core.exports;

  it('softmax cross-entropy with label smoothing: loss and gradient against float64 (stable at ±1000)', () => {
    const random = rng(31);
    for (const rows of [1, 3]) for (const classes of [1, 2, 3, 4, 5, 9, 10, 17]) for (const shift of [0, 1000]) for (const eps of [0, 0.1, 1]) {
      const bufs = new Buffers(core, (rows + classes) % 4);
      const x = randomArray(rows * classes, random, 5).map((v) => v + shift);
      const labels = Int32Array.from({ length: rows }, (_, r) => (r * 7) % classes);
      const px = bufs.put(x), pl = bufs.put(labels, 'i32'), pp = bufs.put(rows * classes), pd = bufs.put(rows * classes);
      const lp = ref.logSoftmax(x, rows, classes);
      let want = 0;
      const grad = new Float64Array(rows * classes);
      for (let r = 0; r < rows; r++) for (let c = 0; c < classes; c++) {
        const target = (1 - eps) * (c === labels[r] ? 1 : 0) + eps / classes;
        want -= target * lp[r * classes + c] / rows;
        grad[r * classes + c] = 0.5 * (Math.exp(lp[r * classes + c]) - target);
      }
      const label = `${variant} ${rows}x${classes} shift ${shift} eps ${eps}`;
      expect(Math.abs(e.softmaxCrossEntropySmoothed(px, pl, pp, rows, classes, eps) - want), label).toBeLessThanOrEqual(2e-6 * (1 + Math.abs(want)));
      e.softmaxCrossEntropySmoothedBackward(pp, pl, pd, rows, classes, 0.5, eps);
      expectClose(core.get(pd, rows * classes), grad, 1e-7, 1e-6, label);
      bufs.checkGuards(pp, rows * classes, label);
      bufs.checkGuards(pd, rows * classes, label);
      bufs.free();
    }
  });

  it('BCE with logits (stable for |x| up to 1e4) and Huber: loss and gradient against float64', () => {
    const random = rng(32);
    for (const n of lengths) {
      const bufs = new Buffers(core, n % 4);
      const x = randomArray(n, random, 30).map((v, i) => (i % 5 === 0 ? v * 300 : v));
      const t = randomArray(n, random).map((v) => (v + 1) / 2);
      const px = bufs.put(x), pt = bufs.put(t), pd = bufs.put(n);
      let want = 0;
      for (let i = 0; i < n; i++) want += (Math.max(x[i], 0) - x[i] * t[i] + Math.log1p(Math.exp(-Math.abs(x[i])))) / n;
      expect(Math.abs(e.bceWithLogits(px, pt, n) - want)).toBeLessThanOrEqual(1e-6 * (1 + want));
      e.bceWithLogitsBackward(px, pt, pd, n, 0.25);
      expectClose(core.get(pd, n), Array.from(x, (v, i) => 0.25 * (1 / (1 + Math.exp(-v)) - t[i])), 1e-8, 1e-6, `${variant} bce ${n}`);
      bufs.checkGuards(pd, n, `bce ${n}`);
      for (const delta of [0.5, 1, 40]) {
        let h = 0;
        for (let i = 0; i < n; i++) { const d = Math.abs(x[i] - t[i]); h += (d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta)) / n; }
        expect(Math.abs(e.huber(px, pt, n, delta) - h), `huber ${n} ${delta}`).toBeLessThanOrEqual(1e-6 * (1 + h));
        e.huberBackward(px, pt, pd, n, delta, 0.5);
        expectClose(core.get(pd, n), Array.from(x, (v, i) => 0.5 * Math.min(Math.max(v - t[i], -delta), delta)), 1e-7, 1e-6, `${variant} huber ${n}`);
        bufs.checkGuards(pd, n, `huber ${n}`);
      }
      bufs.free();
    }
  });
});
