// assembly/loss.ts against the float64 references in test/reference/loss.ts, and the worked
// numbers of the course notes, in all builds.
import { describe, it, expect } from 'vitest';
import { loadCore, variants, rng, randomArray, expectClose } from '../helpers/wasm';
import { Buffers } from '../helpers/buffers';
import * as ref from '../reference/loss';

const rowCounts = [1, 2, 3, 5, 7];
// 1 … 33: every 4-lane tail, every length left over after one 16-float block (the row max and
// the exponentials go 16 at a time), and the class counts of the examples (3, 10); 64 and 1000:
// several blocks (the bench's rows)
const classCounts = [...Array.from({ length: 33 }, (_, i) => i + 1), 64, 1000];

function labelsFor(rows: number, classes: number, random: () => number): Int32Array {
  return Int32Array.from({ length: rows }, () => Math.min(classes - 1, Math.floor(((random() + 1) / 2) * classes)));
}

// The three-image example of the notes: one row per image, columns are cat, car, frog.
const notesScores = [3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1];
const notesLabels = [0, 1, 2];

describe.each(variants)('loss (%s build)', (variant) => {
  const core = loadCore(variant);
  const e = core.exports;

  it('course notes: SVM losses 2.9, 0, 12.9 and mean 5.27', () => {
    const bufs = new Buffers(core);
    const s = bufs.put(notesScores), y = bufs.put(notesLabels, 'i32');
    const perImage = [0, 1, 2].map((r) => e.svm(s + r * 12, y + r * 4, 1, 3, 1));
    expect(perImage[0]).toBeCloseTo(2.9, 5);
    expect(perImage[1]).toBe(0);
    expect(perImage[2]).toBeCloseTo(12.9, 5);
    expect(Math.abs(e.svm(s, y, 3, 3, 1) - 5.27)).toBeLessThanOrEqual(0.01);
    bufs.free();
  });

  it('course notes: softmax of [3.2, 5.1, -1.7] is [0.13, 0.87, 0.00], cross-entropy for cat 2.04', () => {
    const bufs = new Buffers(core);
    const x = bufs.put(notesScores.slice(0, 3)), p = bufs.put(3), y = bufs.put([0], 'i32');
    e.softmax(x, p, 1, 3);
    const probs = core.get(p, 3);
    expect(Array.from(probs, (v) => Math.round(v * 100) / 100)).toEqual([0.13, 0.87, 0]);
    const p2 = bufs.put(3);
    const loss = e.softmaxCrossEntropy(x, y, p2, 1, 3);
    expect(Math.abs(loss - 2.04)).toBeLessThanOrEqual(0.01);
    expect(Array.from(core.get(p2, 3))).toEqual(Array.from(probs));
    bufs.free();
  });

  it('a row spanning less than 87.34 (exponentials without the underflow mask) gives the bits of the masked path', () => {
    // Appending −∞ to a row sends it down the masked path (min − max = −∞) and adds exactly 0 to
    // Σ (in the scalar tail), so every other output must keep its bits. The rows reach the edge
    // of the unmasked range: one logit sits 87.33 below the max.
    const random = rng(87);
    for (const cols of [16, 17, 31, 32, 47, 64, 1000]) {
      const x = Array.from(randomArray(cols, random, 40));
      x[cols >> 1] = Math.max(...x) - 87.33;
      const bufs = new Buffers(core);
      const a = bufs.put(x), b = bufs.put([...x, -Infinity]), pa = bufs.put(cols), pb = bufs.put(cols + 1);
      for (const op of ['softmax', 'logSoftmax']) {
        e[op](a, pa, 1, cols);
        e[op](b, pb, 1, cols + 1);
        const got = core.get(pb, cols + 1);
        expect(Array.from(new Uint32Array(got.buffer, 0, cols)), `${variant} ${op} cols ${cols}`)
          .toEqual(Array.from(new Uint32Array(core.get(pa, cols).buffer)));
        expect(got[cols]).toBe(op === 'softmax' ? 0 : -Infinity);
      }
      const want = ref.softmax(Float32Array.from(x), 1, cols);
      e.softmax(a, pa, 1, cols);
      expectClose(core.get(pa, cols), want, 1e-9, 5e-7, `${variant} softmax cols ${cols} against float64`);
      bufs.free();
    }
  });

  it('softmax: relative error ≤ 4e-7 over a dense sweep of x − max ∈ [−87.3, 0]', () => {
    // Each row: its max, then logits spread over the whole range the exponentials see, on a grid
    // and at random; shifted by 1000 too (x − max stays exact: Sterbenz). Outputs below the
    // smallest normal float are left out (they flush to 0, as e^(x − max) below −87.34 does).
    // Row lengths: 1000 (62 blocks of 16 and a 4-wide tail) and 77 (a scalar tail as well).
    // Measured: 3.8e-7 in the SIMD builds, 2.9e-7 in the scalar one (f64 sum); the degree-6
    // exponential with one f32 accumulator per row gave 4.4e-7 / 1.6e-7 here.
    const random = rng(35);
    let worst = 0;
    for (const cols of [1000, 77]) for (const shift of [0, 1000]) {
      const rows = cols === 1000 ? 200 : 1000, x = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        x[r * cols] = shift;
        for (let c = 1; c < cols; c++) {
          const z = c % 2 ? (-87.3 * (r * cols + c)) / (rows * cols) : -87.3 * ((random() + 1) / 2);
          x[r * cols + c] = z + shift;
        }
      }
      const bufs = new Buffers(core);
      const px = bufs.put(x), py = bufs.put(rows * cols);
      e.softmax(px, py, rows, cols);
      const got = core.get(py, rows * cols), want = ref.softmax(x, rows, cols);
      for (let i = 0; i < got.length; i++) if (want[i] > 1.2e-38) worst = Math.max(worst, Math.abs(got[i] - want[i]) / want[i]);
      bufs.free();
    }
    expect(worst, variant).toBeLessThanOrEqual(4e-7);
  });

  it('softmax over odd shapes, shifted by ±1000 (stable), in place', () => {
    const random = rng(21);
    for (const rows of rowCounts) for (const cols of classCounts) for (const shift of [0, 1000, -1000]) {
      const bufs = new Buffers(core, (rows + cols) % 3);
      const x = randomArray(rows * cols, random, 8).map((v) => v + shift);
      const px = bufs.put(x), py = bufs.put(rows * cols), label = `${variant} ${rows}x${cols} shift ${shift}`;
      const expected = ref.softmax(x, rows, cols);
      e.softmax(px, py, rows, cols);
      expectClose(core.get(py, rows * cols), expected, 1e-9, 5e-7, label);
      bufs.checkGuards(py, rows * cols, label);
      e.softmax(px, px, rows, cols);
      expectClose(core.get(px, rows * cols), expected, 1e-9, 5e-7, `${label} in place`);
      bufs.free();
    }
  });

  it('softmaxCrossEntropy: probabilities and mean loss, in place, finite for extreme logits', () => {
    const random = rng(22);
    for (const rows of rowCounts) for (const classes of classCounts) {
      const bufs = new Buffers(core, rows % 2);
      const x = randomArray(rows * classes, random, 6), labels = labelsFor(rows, classes, random);
      const px = bufs.put(x), pl = bufs.put(labels, 'i32'), pp = bufs.put(rows * classes);
      const label = `${variant} ${rows}x${classes}`;
      const want = ref.mean(ref.crossEntropyRows(x, labels, rows, classes));
      const probs = ref.softmax(x, rows, classes);
      const loss = e.softmaxCrossEntropy(px, pl, pp, rows, classes);
      expect(Math.abs(loss - want), label).toBeLessThanOrEqual(1e-6 + 5e-7 * Math.abs(want));
      expectClose(core.get(pp, rows * classes), probs, 1e-9, 5e-7, label);
      bufs.checkGuards(pp, rows * classes, label);
      const inPlace = e.softmaxCrossEntropy(px, pl, px, rows, classes);
      expect(inPlace, `${label} in place`).toBe(loss);
      expectClose(core.get(px, rows * classes), probs, 1e-9, 5e-7, `${label} in place`);
      bufs.free();
    }
    // −log p_y would be −log 0 = Inf here; the log-sum-exp form gives 2000.
    const bufs = new Buffers(core);
    const loss = e.softmaxCrossEntropy(bufs.put([1000, -1000, 1000, -1000]), bufs.put([1, 0], 'i32'), bufs.put(4), 2, 2);
    expect(loss).toBeCloseTo(1000, 3);
    const nan = e.softmaxCrossEntropy(bufs.put([1, NaN, 2]), bufs.put([0], 'i32'), bufs.put(3), 1, 3);
    expect(nan).toBeNaN();
    bufs.free();
  });

  it('the row max is found at every column: a logit 300 above the rest does not overflow', () => {
    const random = rng(27);
    for (const classes of classCounts.filter((c) => c > 1)) {
      // row r has its spike in column r; every label is the column after the spike
      const rows = classes;
      const x = randomArray(rows * classes, random, 2);
      for (let r = 0; r < rows; r++) x[r * classes + r] += 300;
      const labels = Int32Array.from({ length: rows }, (_, r) => (r + 1) % classes);
      const bufs = new Buffers(core, 1);
      const loss = e.softmaxCrossEntropy(bufs.put(x), bufs.put(labels, 'i32'), bufs.put(rows * classes), rows, classes);
      const want = ref.mean(ref.crossEntropyRows(x, labels, rows, classes));
      expect(Math.abs(loss - want), `${variant} ${classes} classes`).toBeLessThanOrEqual(5e-7 * want);
      const py = bufs.put(rows * classes);
      e.softmax(bufs.put(x), py, rows, classes);
      expectClose(core.get(py, rows * classes), ref.softmax(x, rows, classes), 1e-30, 5e-7, `${variant} ${classes} classes`);
      bufs.free();
    }
  });

  it('softmaxCrossEntropyBackward = scale·(probs − onehot), in place too', () => {
    const random = rng(23);
    for (const rows of rowCounts) for (const classes of classCounts) {
      const bufs = new Buffers(core, classes % 3);
      const probs = new Float32Array(ref.softmax(randomArray(rows * classes, random, 3), rows, classes));
      const labels = labelsFor(rows, classes, random), scale = 0.7 / rows;
      const pp = bufs.put(probs), pl = bufs.put(labels, 'i32'), pd = bufs.put(rows * classes);
      const label = `${variant} ${rows}x${classes}`;
      const expected = ref.softmaxCrossEntropyBackward(probs, labels, rows, classes, Math.fround(scale));
      e.softmaxCrossEntropyBackward(pp, pl, pd, rows, classes, scale);
      expectClose(core.get(pd, rows * classes), expected, 1e-9, 1.2e-7, label);
      bufs.checkGuards(pd, rows * classes, label);
      e.softmaxCrossEntropyBackward(pp, pl, pp, rows, classes, scale);
      expectClose(core.get(pp, rows * classes), expected, 1e-9, 1.2e-7, `${label} in place`);
      bufs.free();
    }
  });

  it('svm: mean hinge loss over odd shapes and margins', () => {
    const random = rng(24);
    for (const margin of [1, 0.5, 2.5, 0]) for (const rows of rowCounts) for (const classes of classCounts) {
      const bufs = new Buffers(core, (rows + classes) % 3);
      const s = randomArray(rows * classes, random, 3), labels = labelsFor(rows, classes, random);
      const want = ref.mean(ref.svmRows(s, labels, rows, classes, Math.fround(margin)));
      const got = e.svm(bufs.put(s), bufs.put(labels, 'i32'), rows, classes, margin);
      expect(Math.abs(got - want), `${variant} ${rows}x${classes} margin ${margin}`).toBeLessThanOrEqual(1e-6 * (1 + want));
      bufs.free();
    }
    const bufs = new Buffers(core);
    expect(e.svm(bufs.put([1, 2, NaN, 0, 0]), bufs.put([0], 'i32'), 1, 5, 1)).toBeNaN();
    bufs.free();
  });

  it('svmBackward: scale at active margins, −scale·count at the label, in place too', () => {
    const random = rng(25);
    for (const margin of [1, 0.5, 0]) for (const rows of rowCounts) for (const classes of classCounts) {
      const bufs = new Buffers(core, (rows + classes) % 3);
      const s = randomArray(rows * classes, random, 2), labels = labelsFor(rows, classes, random), scale = 1.3 / rows;
      const ps = bufs.put(s), pl = bufs.put(labels, 'i32'), pd = bufs.put(rows * classes);
      const label = `${variant} ${rows}x${classes} margin ${margin}`;
      const expected = ref.svmBackward(s, labels, rows, classes, Math.fround(margin), Math.fround(scale));
      e.svmBackward(ps, pl, pd, rows, classes, margin, scale);
      expectClose(core.get(pd, rows * classes), expected, 0, 1e-7, label);
      bufs.checkGuards(pd, rows * classes, label);
      e.svmBackward(ps, pl, ps, rows, classes, margin, scale);
      expectClose(core.get(ps, rows * classes), expected, 0, 1e-7, `${label} in place`);
      bufs.free();
    }
  });

  it('mse and mseBackward over every tail length, in place too', () => {
    const random = rng(26);
    const sizes = [...Array.from({ length: 18 }, (_, i) => i + 1), 31, 33, 63, 65, 255, 257, 1001];
    for (const n of sizes) {
      const bufs = new Buffers(core, n % 3);
      const a = randomArray(n, random, 4), b = randomArray(n, random, 4), scale = 1 / n;
      const pa = bufs.put(a), pb = bufs.put(b), pd = bufs.put(n), label = `${variant} n=${n}`;
      const want = ref.mse(a, b);
      expect(Math.abs(e.mse(pa, pb, n) - want), label).toBeLessThanOrEqual(1e-6 * want);
      const expected = ref.mseBackward(a, b, Math.fround(scale));
      e.mseBackward(pa, pb, pd, n, scale);
      expectClose(core.get(pd, n), expected, 0, 1.2e-7, label);
      bufs.checkGuards(pd, n, label);
      e.mseBackward(pa, pb, pa, n, scale);
      expectClose(core.get(pa, n), expected, 0, 1.2e-7, `${label} in place`);
      bufs.free();
    }
  });
});
