import { describe, it, expect, beforeAll } from 'vitest';
import { init, tensor, ones, zeros, ops, loss, gradcheck, memory, noGrad, tidy, type Tensor } from '../../bindings/index';
import { record, setGrad } from '../../bindings/autograd';
import { wasm } from '../../bindings/runtime';
import { awayFromZero, uniformTensor, expectGradOk, matmulRef, expectAllClose } from './helpers';

beforeAll(async () => {
  await init();
});

describe('forward values', () => {
  it('matmul and linear match a float64 reference', () => {
    const a = uniformTensor([5, 7], 1), b = uniformTensor([7, 3], 2);
    expectAllClose(a.matmul(b).data(), matmulRef(a.data(), b.data(), 5, 7, 3), 1e-5);
    const w = uniformTensor([3, 7], 3), bias = uniformTensor([3], 4);
    const wt = new Float64Array(21);
    const wd = w.data();
    for (let o = 0; o < 3; o++) for (let i = 0; i < 7; i++) wt[i * 3 + o] = wd[o * 7 + i];
    const ref = matmulRef(a.data(), wt, 5, 7, 3);
    const bd = bias.data();
    for (let r = 0; r < 5; r++) for (let o = 0; o < 3; o++) ref[r * 3 + o] += bd[o];
    expectAllClose(ops.linear(a, w, bias).data(), ref, 1e-5);
  });

  it('add/sub broadcast a row vector, and take numbers', () => {
    const m = tensor([[1, 2, 3], [4, 5, 6]]), v = tensor([10, 20, 30]);
    expect(m.add(v).toArray()).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(v.add(m).toArray()).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(m.sub(v).toArray()).toEqual([[-9, -18, -27], [-6, -15, -24]]);
    expect(v.sub(m).toArray()).toEqual([[9, 18, 27], [6, 15, 24]]);
    expect(m.add(1).toArray()).toEqual([[2, 3, 4], [5, 6, 7]]);
    expect(m.sub(1).toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(m.mul(2).toArray()).toEqual([[2, 4, 6], [8, 10, 12]]);
    expect(m.mul(m).toArray()).toEqual([[1, 4, 9], [16, 25, 36]]);
    expect(m.sum().item()).toBe(21);
    expect(m.mean().item()).toBe(3.5);
    expect(m.reshape([3, -1]).shape).toEqual([3, 2]);
  });

  it('activations', () => {
    const x = tensor([-2, -0.5, 0.5, 2]);
    expectAllClose(x.relu().data(), [0, 0, 0.5, 2]);
    expectAllClose(x.leakyRelu(0.1).data(), [-0.2, -0.05, 0.5, 2]);
    expectAllClose(x.elu(1).data(), [Math.expm1(-2), Math.expm1(-0.5), 0.5, 2], 1e-5);
    expectAllClose(x.sigmoid().data(), [-2, -0.5, 0.5, 2].map((v) => 1 / (1 + Math.exp(-v))), 1e-5);
    expectAllClose(x.tanh().data(), [-2, -0.5, 0.5, 2].map(Math.tanh), 1e-5);
    expect(tensor([[1, 5, 2, 0, 3, 4]]).maxout(2).toArray()).toEqual([[5, 2, 4]]);
  });

  it('the notes’ worked numbers: SVM loss 2.9 / 0 / 12.9, mean 5.27', () => {
    const scores = [[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]];
    const labels = new Int32Array([0, 1, 2]);
    const per = scores.map((row, i) => loss.svm(tensor([row]), labels.subarray(i, i + 1)).item());
    expect(per[0]).toBeCloseTo(2.9, 5);
    expect(per[1]).toBeCloseTo(0, 6);
    expect(per[2]).toBeCloseTo(12.9, 5);
    expect(loss.svm(tensor(scores), labels).item()).toBeCloseTo(5.27, 2);
    expect(loss.svm(tensor(scores), [0, 1, 2], { margin: 1 }).item()).toBeCloseTo((2.9 + 12.9) / 3, 5);
  });

  it('the notes’ worked numbers: softmax 0.13 / 0.87 / 0.00, loss 2.04', () => {
    const s = tensor([[3.2, 5.1, -1.7]]);
    const p = s.softmax().data();
    expect(p[0]).toBeCloseTo(0.13, 2);
    expect(p[1]).toBeCloseTo(0.87, 2);
    expect(p[2]).toBeCloseTo(0.0, 2);
    expect(loss.softmaxCrossEntropy(s, new Int32Array([0])).item()).toBeCloseTo(2.04, 2);
    expect(loss.softmaxCrossEntropy(s, [0]).item()).toBeCloseTo(-Math.log(p[0]), 5);
  });

  it('mse is the mean over all elements; penalties sum over parameters', () => {
    const a = tensor([[1, 2], [3, 4]]), b = tensor([[0, 2], [5, 4]]);
    expect(loss.mse(a, b).item()).toBeCloseTo((1 + 0 + 4 + 0) / 4, 6);
    const w1 = tensor([1, -2]), w2 = tensor([[3], [-4]]);
    expect(loss.l2([w1, w2], 0.5).item()).toBeCloseTo(0.5 * 30, 5);
    expect(loss.l1([w1, w2], 0.5).item()).toBeCloseTo(0.5 * 10, 5);
    expect(loss.elasticNet([w1, w2], { l1: 0.1, l2: 0.01 }).item()).toBeCloseTo(1 + 0.3, 5);
  });
});

describe('gradcheck: every op', () => {
  it('matmul', () => expectGradOk((a, b) => a.matmul(b), [uniformTensor([4, 5], 1), uniformTensor([5, 3], 2)]));
  it('linear with and without bias', () => {
    expectGradOk((x, w, b) => ops.linear(x, w, b), [uniformTensor([6, 5], 3), uniformTensor([4, 5], 4), uniformTensor([4], 5)]);
    expectGradOk((x, w) => ops.linear(x, w), [uniformTensor([3, 2], 6), uniformTensor([9, 2], 7)]);
  });
  it('add: same shape, row broadcast (both orders), number', () => {
    expectGradOk((a, b) => a.add(b), [uniformTensor([3, 4], 8), uniformTensor([3, 4], 9)]);
    expectGradOk((a, b) => a.add(b), [uniformTensor([3, 4], 10), uniformTensor([4], 11)]);
    expectGradOk((a, b) => b.add(a), [uniformTensor([3, 4], 12), uniformTensor([4], 13)]);
    expectGradOk((a) => a.add(2.5), [uniformTensor([5], 14)]);
  });
  it('sub: same shape, row broadcast (both orders), number', () => {
    expectGradOk((a, b) => a.sub(b), [uniformTensor([3, 4], 15), uniformTensor([3, 4], 16)]);
    expectGradOk((a, b) => a.sub(b), [uniformTensor([3, 4], 17), uniformTensor([4], 18)]);
    expectGradOk((a, b) => b.sub(a), [uniformTensor([3, 4], 19), uniformTensor([4], 20)]);
    expectGradOk((a) => a.sub(0.5), [uniformTensor([5], 21)]);
  });
  it('mul, scale, x·x', () => {
    expectGradOk((a, b) => a.mul(b), [uniformTensor([2, 5], 22), uniformTensor([2, 5], 23)]);
    expectGradOk((a) => a.scale(-1.5), [uniformTensor([7], 24)]);
    expectGradOk((a) => a.mul(a), [uniformTensor([6], 25)]);
  });
  it('sum, mean', () => {
    expectGradOk((a) => a.sum(), [uniformTensor([3, 3], 26)]);
    expectGradOk((a) => a.mean(), [uniformTensor([4, 2], 27)]);
  });
  it('relu, leakyRelu, elu (inputs away from 0)', () => {
    expectGradOk((a) => a.relu(), [awayFromZero([4, 5], 28)]);
    expectGradOk((a) => a.leakyRelu(0.1), [awayFromZero([4, 5], 29)]);
    expectGradOk((a) => a.elu(0.7), [awayFromZero([4, 5], 30)]);
  });
  it('sigmoid, tanh', () => {
    expectGradOk((a) => a.sigmoid(), [uniformTensor([4, 5], 31, 2)]);
    expectGradOk((a) => a.tanh(), [uniformTensor([4, 5], 32, 2)]);
  });
  it('maxout (pieces well apart)', () => {
    // Rows of 3 units × k=3 pieces; pieces of a unit differ by at least 0.2.
    const v: number[] = [];
    for (let r = 0; r < 4; r++) for (let u = 0; u < 3; u++) {
      const order = [0, 1, 2].sort(() => ((r * 7 + u * 3) % 5) - 2);
      for (const o of order) v.push(0.3 * o - 0.3 + 0.05 * u);
    }
    expectGradOk((a) => a.maxout(3), [tensor(v, [4, 9])]);
  });
  it('softmax', () => expectGradOk((a) => a.softmax(), [uniformTensor([3, 4], 33, 2)]));
  it('reshape', () => expectGradOk((a) => a.reshape([2, 6]).mul(a.reshape([2, 6])), [uniformTensor([3, 4], 34)]));
  it('softmaxCrossEntropy', () => {
    expectGradOk((a) => loss.softmaxCrossEntropy(a, new Int32Array([0, 2, 1, 2])), [uniformTensor([4, 3], 35, 2)]);
  });
  it('svm (scores away from the margin kinks)', () => {
    const scores = tensor([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1], [0.1, 0.7, 2.0]]);
    expectGradOk((a) => loss.svm(a, new Int32Array([0, 1, 2, 1])), [scores]);
    expectGradOk((a) => loss.svm(a, new Int32Array([0, 1, 2, 1]), { margin: 0.5 }), [scores]);
  });
  it('mse (both sides)', () => expectGradOk((a, b) => loss.mse(a, b), [uniformTensor([3, 4], 36), uniformTensor([3, 4], 37)]));
  it('l2, l1 (away from 0), elasticNet', () => {
    const p = [awayFromZero([3, 2], 38), awayFromZero([4], 39)];
    expectGradOk((a, b) => loss.l2([a, b], 0.3), p);
    expectGradOk((a, b) => loss.l1([a, b], 0.3), p);
    expectGradOk((a, b) => loss.elasticNet([a, b], { l1: 0.2, l2: 0.1 }), p);
  });
  it('a composition: 2-layer net with softmax cross-entropy and L2', () => {
    const x = uniformTensor([5, 4], 40), w1 = uniformTensor([6, 4], 41), b1 = uniformTensor([6], 42);
    const w2 = uniformTensor([3, 6], 43), b2 = uniformTensor([3], 44);
    const y = new Int32Array([0, 1, 2, 1, 0]);
    expectGradOk((x, w1, b1, w2, b2) => loss.softmaxCrossEntropy(ops.linear(ops.linear(x, w1, b1).tanh(), w2, b2), y).add(loss.l2([w1, w2], 0.01)),
      [x, w1, b1, w2, b2]);
  });
});

describe('gradcheck itself', () => {
  it('fails on a deliberately wrong gradient', () => {
    // y = 3x, but the backward claims dy/dx = 2 (for 2 of 4 elements wrong would also fail).
    const wrong = (x: Tensor): Tensor => {
      const y = x.scale(3);
      const out = zeros(x.shape);
      wasm().scale(y.ptr, 1, out.ptr, y.size);
      if (x.requiresGrad) record(out, 'wrongTriple', [x], (g) => setGrad(x, (dx) => wasm().scale(g.ptr, 2, dx, x.size)));
      return out;
    };
    const x = uniformTensor([4], 50);
    const r = gradcheck(wrong, [x]);
    expect(r.ok).toBe(false);
    expect(r.failures).toBe(4);
    expect(r.maxRelError).toBeGreaterThan(0.3);
    expect(r.worst).not.toBe(null);
    expect(() => gradcheck(wrong, [x], { throwOnFailure: true })).toThrow(/^gradcheck: 4 of 4 gradient elements differ/);
    // The right gradient passes, and the inputs' flags and values are restored.
    expect(gradcheck((x) => x.scale(3), [x]).ok).toBe(true);
    expect(x.requiresGrad).toBe(false);
    expect(x.grad).toBe(null);
  });

  it('does not leak', () => {
    const x = uniformTensor([3, 3], 51);
    const before = memory();
    gradcheck((a) => a.tanh().sum(), [x]);
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});

describe('autograd', () => {
  it('gradients add at branches: x used twice', () => {
    const x = tensor([1, -2, 3]).requireGrad();
    // y = Σ (x·x + x) → dy/dx = 2x + 1
    x.mul(x).add(x).sum().backward();
    expect(Array.from(x.grad!.data())).toEqual([3, -3, 7]);
    // A tensor reused by two ops downstream: h = relu(x); y = Σ(h·2) + Σ(h) → dy/dx = 3 where x > 0
    const z = tensor([1, -2, 3]).requireGrad();
    const h = z.relu();
    h.scale(2).sum().add(h.sum()).backward();
    expect(Array.from(z.grad!.data())).toEqual([3, 0, 3]);
  });

  it('leaves accumulate across backward() calls until zeroGrad', () => {
    const w = tensor([1, 2]).requireGrad();
    w.scale(3).sum().backward();
    w.scale(3).sum().backward();
    expect(Array.from(w.grad!.data())).toEqual([6, 6]);
    w.zeroGrad();
    expect(w.grad).toBe(null);
    w.scale(2).sum().backward();
    expect(Array.from(w.grad!.data())).toEqual([2, 2]);
  });

  it('frees intermediate gradients and the graph', () => {
    const w = tensor([[0.5, -1], [2, 1]]).requireGrad();
    const x = tensor([[1, 2], [3, 4]]);
    tidy(() => x.matmul(w).relu().mean()); // warm-up: nothing kept
    const before = memory();
    tidy(() => { x.matmul(w).relu().mean().backward(); });
    // Only w.grad remains.
    expect(memory().tensors).toBe(before.tensors + 1);
    expect(memory().bytes).toBe(before.bytes + 16);
  });

  it('explicit gradients, retainGraph, and clear errors', () => {
    const x = tensor([1, 2, 3]).requireGrad();
    const y = x.scale(2);
    expect(() => y.backward()).toThrow(/^backward: needs an explicit gradient .*; shape \[3\]/);
    expect(() => y.backward(tensor([1, 1]))).toThrow(/^backward: the gradient must have the shape of the tensor; shapes \[3\] and \[2\]/);
    y.backward(tensor([1, 0, -1]), { retainGraph: true });
    y.backward(tensor([1, 0, -1]));
    expect(Array.from(x.grad!.data())).toEqual([4, 0, -4]);
    expect(() => y.backward(tensor([1, 1, 1]))).toThrow(/^backward: the graph of this tensor was already freed/);
    expect(() => tensor([1]).backward()).toThrow(/^backward: this tensor does not require grad/);
  });

  it('noGrad records nothing', () => {
    const w = tensor([1, 2]).requireGrad();
    const y = noGrad(() => w.scale(2).sum());
    expect(y.requiresGrad).toBe(false);
    expect(() => y.backward()).toThrow(/does not require grad/);
  });

  it('backward through a disposed tensor throws an Error naming the op and shape', () => {
    const w = tensor([[1, 2], [3, 4]]).requireGrad();
    const h = w.relu();
    const l = h.sum();
    h.dispose();
    expect(() => l.backward()).toThrow(/^backward: the sum in the graph reads a tensor that was disposed.*; shape \[2,2\]/);
    expect(w.grad).toBe(null);
  });
});

describe('bad input to ops: shape mismatches name the op and both shapes, before any allocation', () => {
  it('throws and allocates nothing', () => {
    const a = ones([2, 3]), b = ones([4, 5]), v = ones([5]), w25 = ones([2, 5]), b3 = ones([3]);
    const before = memory();
    expect(() => a.matmul(b)).toThrow(/^matmul: inner dimensions differ \(3 vs 4\); shapes \[2,3\] and \[4,5\]$/);
    expect(() => a.add(b)).toThrow(/^add: shapes do not broadcast \(dimension -2 is 2 in one and 4 in another\); shapes \[2,3\] and \[4,5\]$/);
    expect(() => a.add(v)).toThrow(/^add: .*; shapes \[2,3\] and \[5\]$/);
    expect(() => a.sub(b)).toThrow(/^sub: .*; shapes \[2,3\] and \[4,5\]$/);
    expect(() => a.mul(b)).toThrow(/^mul: shapes do not broadcast .*; shapes \[2,3\] and \[4,5\]$/);
    expect(() => ops.linear(a, b)).toThrow(/^linear: input has 3 features but the weight expects 5; shapes \[2,3\] and \[4,5\]$/);
    expect(() => ops.linear(b, w25, b3)).toThrow(/^linear: bias must be \[2\]; shapes \[4,5\], \[2,5\] and \[3\]$/);
    expect(() => loss.mse(a, b)).toThrow(/^mse: .*; shapes \[2,3\] and \[4,5\]$/);
    expect(() => a.maxout(2)).toThrow(/^maxout: input must be \[rows, units·k\] with k = 2; shape \[2,3\]$/);
    expect(() => a.reshape([4, 2])).toThrow(/^reshape: .*; shapes \[2,3\] and \[4,2\]$/);
    expect(() => a.scale(NaN)).toThrow(/^scale: /);
    expect(memory()).toEqual(before);
  });

  it('labels: wrong dtype, wrong length and out of range name the op, shapes and the label', () => {
    const s = ones([2, 3]);
    const before = memory();
    expect(() => loss.softmaxCrossEntropy(s, new Int32Array([0, 3]))).toThrow(/^softmaxCrossEntropy: label 3 at row 1 is outside \[0, 3\); shapes \[2,3\] and \[2\]$/);
    expect(() => loss.softmaxCrossEntropy(s, new Int32Array([-1, 0]))).toThrow(/label -1 at row 0/);
    expect(() => loss.svm(s, [0, 1, 2])).toThrow(/^svm: needs one label per row \(2\), got 3; shapes \[2,3\] and \[3\]$/);
    expect(() => loss.svm(s, new Float32Array([0, 1]) as any)).toThrow(/^svm: labels must be an Int32Array .*got Float32Array.*; shape \[2,3\]$/);
    expect(() => loss.softmaxCrossEntropy(s, [0.5, 1])).toThrow(/label 0.5 at row 0/);
    expect(memory()).toEqual(before);
  });

  it('out of memory in an op names the op and shapes, and nothing changes', () => {
    const a = ones([100000, 1]), b = ones([1, 100000]);
    const before = memory();
    expect(() => a.matmul(b)).toThrow(/^matmul: out of memory.*; shape \[100000,100000\]/);
    expect(memory()).toEqual(before);
    expect(a.matmul(ones([1, 2])).shape).toEqual([100000, 2]);
  });
});
