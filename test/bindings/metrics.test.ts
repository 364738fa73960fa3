// metrics: scikit-learn's definitions and argument order. The expected numbers are worked by hand
// below (sklearn 1.x gives the same for these inputs: confusion_matrix, top_k_accuracy_score,
// precision_recall_fscore_support with zero_division=0).
import { describe, it, expect, beforeAll } from 'vitest';
import { init, tensor, metrics, nn, evaluate, seed } from '../../bindings/index';

beforeAll(async () => {
  await init();
});

const yTrue = new Int32Array([0, 1, 2, 2, 1, 0]);
const yPred = new Int32Array([0, 2, 2, 2, 1, 1]);

describe('confusionMatrix', () => {
  it('rows are the true class, columns the predicted one', () => {
    expect(metrics.confusionMatrix(yTrue, yPred)).toEqual([[1, 1, 0], [0, 1, 1], [0, 0, 2]]);
    expect(metrics.confusionMatrix([1, 1], [1, 0], 4)).toEqual([[0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
  });

  it('takes scores (argmax per row, the first of equal maxima) and their width as numClasses', () => {
    const scores = tensor([[0.9, 0.1, 0, 0], [0.2, 0.2, 0.1, 0], [0, 0.1, 0.3, 0.3]]);
    expect(metrics.confusionMatrix([0, 1, 3], scores)).toEqual([[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]]);
  });

  it('refuses mismatched lengths, non-classes and too small numClasses', () => {
    expect(() => metrics.confusionMatrix([0, 1], [0])).toThrow(/^confusionMatrix: yTrue has 2 samples but yPred has 1$/);
    expect(() => metrics.confusionMatrix([0, 1.5], [0, 1])).toThrow(/^confusionMatrix: yTrue\[1\] is 1.5, not a class index/);
    expect(() => metrics.confusionMatrix([0, 3], [0, 1], 3)).toThrow(/^confusionMatrix: class 3 appears but numClasses is 3$/);
    expect(() => metrics.confusionMatrix([0, 1], tensor([[1, 2]]))).toThrow(/yTrue has 2 samples but the scores have 1 rows/);
    expect(() => metrics.confusionMatrix([], [])).toThrow(/empty/);
  });
});

describe('topKAccuracy', () => {
  it('counts a true class among the k highest scores, ties with the k-th included', () => {
    const scores = tensor([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.4, 0.4, 0.2], [0.6, 0.3, 0.1]]);
    const y = [1, 2, 1, 2];
    expect(metrics.topKAccuracy(y, scores, 1)).toBeCloseTo(2 / 4); // rows 1 and 2 (tie at the top)
    expect(metrics.topKAccuracy(y, scores, 2)).toBeCloseTo(3 / 4);
    expect(metrics.topKAccuracy(y, scores, 3)).toBe(1);
    expect(() => metrics.topKAccuracy(y, scores, 0)).toThrow(/^topKAccuracy: k must be a positive integer, got 0$/);
    expect(() => metrics.topKAccuracy([5, 0, 0, 0], scores, 1)).toThrow(/yTrue\[0\] is 5, but the scores have 3 classes/);
  });
});

describe('precisionRecallF1', () => {
  // Per class: precision 1, 1/2, 2/3; recall 1/2, 1/2, 1; F1 2/3, 1/2, 4/5.
  it("'none' gives per-class values and support", () => {
    const r = metrics.precisionRecallF1(yTrue, yPred, { average: 'none' });
    expect(r.support).toEqual([2, 2, 2]);
    [1, 0.5, 2 / 3].forEach((v, i) => expect(r.precision[i]).toBeCloseTo(v, 12));
    [0.5, 0.5, 1].forEach((v, i) => expect(r.recall[i]).toBeCloseTo(v, 12));
    [2 / 3, 0.5, 0.8].forEach((v, i) => expect(r.f1[i]).toBeCloseTo(v, 12));
  });

  it("'macro' (the default) is the mean of the per-class values, so macro F1 is the mean of the F1s", () => {
    const r = metrics.precisionRecallF1(yTrue, yPred);
    expect(r.precision).toBeCloseTo((1 + 0.5 + 2 / 3) / 3, 12);
    expect(r.recall).toBeCloseTo((0.5 + 0.5 + 1) / 3, 12);
    expect(r.f1).toBeCloseTo((2 / 3 + 0.5 + 0.8) / 3, 12);
    // Not the F1 of the mean precision and recall.
    expect(Math.abs(r.f1 - (2 * r.precision * r.recall) / (r.precision + r.recall))).toBeGreaterThan(1e-3);
  });

  it('a class never predicted has precision 0; classes in neither array are left out of the macro mean', () => {
    const r = metrics.precisionRecallF1([0, 0, 1], [0, 0, 0], { average: 'none', numClasses: 3 });
    expect(r.precision).toEqual([2 / 3, 0, 0]);
    expect(r.recall).toEqual([1, 0, 0]);
    const macro = metrics.precisionRecallF1([0, 0, 1], [0, 0, 0], { numClasses: 3 });
    expect(macro.recall).toBeCloseTo(0.5, 12); // classes 0 and 1 only
    expect(() => metrics.precisionRecallF1([0], [0], { average: 'micro' as 'macro' })).toThrow(/average must be 'macro' or 'none'/);
    expect(() => metrics.precisionRecallF1([0], [0], { averge: 'none' } as never)).toThrow(/unknown option 'averge'; did you mean 'average'\?/);
  });

  it('takes a Tensor of scores as yPred', () => {
    const scores = tensor([[3, 1, 0], [0, 1, 5], [0, 0, 9], [0, 0, 1], [0, 2, 1], [0, 1, 0]]);
    expect(metrics.precisionRecallF1(yTrue, scores)).toEqual(metrics.precisionRecallF1(yTrue, yPred));
  });
});

describe('evaluate with metrics', () => {
  it('adds them on request, computed from the same predictions as accuracy', () => {
    seed(3);
    const model = new nn.Dense(2, 3);
    const x = new Float32Array([1, 0, 0, 1, 1, 1, -1, 0, 0, -1, 2, 1, 0.5, -2]);
    const y = new Int32Array([0, 1, 2, 0, 1, 2, 1]);
    const r = evaluate(model, { x, y }, { metrics: ['confusionMatrix', 'precisionRecallF1', 'top2Accuracy'], batchSize: 3 });
    const scores = model.forward(tensor(x, [7, 2]));
    expect(r.confusionMatrix).toEqual(metrics.confusionMatrix(y, scores));
    const prf = metrics.precisionRecallF1(y, scores);
    expect(r.f1).toBeCloseTo(prf.f1, 12);
    expect(r.precision).toBeCloseTo(prf.precision, 12);
    expect(r.top2Accuracy).toBeCloseTo(metrics.topKAccuracy(y, scores, 2), 12);
    const diag = r.confusionMatrix!.reduce((s, row, i) => s + row[i], 0);
    expect(r.accuracy).toBeCloseTo(diag / 7, 12);
    expect(() => evaluate(model, { x, y }, { metrics: ['auc' as 'confusionMatrix'] })).toThrow(/^evaluate: unknown metric 'auc'/);
  });

  it('gives NaN-free results for regression (no accuracy key) and refuses classification metrics there', () => {
    const model = new nn.Dense(2, 1);
    const data = { x: new Float32Array([1, 2, 3, 4]), y: new Float32Array([1, 2]) };
    const r = evaluate(model, data, { loss: 'mse' });
    expect(Object.keys(r)).toEqual(['loss']);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(() => evaluate(model, data, { loss: 'mse', metrics: ['confusionMatrix'] })).toThrow(/needs class labels/);
  });
});
