// Convolutional networks through the public API: conv2d, maxPool2d, avgPool2d and dropout (forward
// values, gradcheck, output sizes), the Conv2d / MaxPool2d / AvgPool2d / Dropout / Flatten layers,
// every bad-input case (thrown before anything is allocated or written; the model still trains),
// and a small CNN trained with fit() in flat memory.
import { describe, it, expect, beforeAll } from 'vitest';
import { init, seed, tensor, nn, ops, loss, optim, fit, tidy, memory, noGrad, reset, type Tensor } from '../../bindings/index';
import { uniformTensor, expectGradOk, expectAllClose, snapshot } from './helpers';
import { conv2dRef, convOut, type ConvDims } from '../reference/conv';
import { maxPool2dRef, avgPool2dRef, type PoolDims } from '../reference/pool';
import { dropoutMaskRef } from '../reference/dropout';
import { rng } from '../helpers/wasm';

beforeAll(async () => {
  await init();
});

/** A tensor holding a shuffled ramp 0, step, 2·step, …: all values distinct and `step` apart (no max-pool ties). */
function distinct(shape: number[], seedValue: number, step = 0.05): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * step);
  const r = rng(seedValue);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(((r() + 1) / 2) * (i + 1)) % (i + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
  return tensor(v, shape);
}

const worked = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]];

describe('the notes’ worked example: 4×4 input, 2×2 windows at stride 2', () => {
  it('max pool gives [[6,8],[3,4]], average pool [[3.25,5.25],[2,2]]', () => {
    const x = tensor([[worked]]); // [1, 1, 4, 4]
    expect(x.shape).toEqual([1, 1, 4, 4]);
    expect(new nn.MaxPool2d(2).forward(x).toArray()).toEqual([[[[6, 8], [3, 4]]]]);
    expect(new nn.AvgPool2d(2).forward(x).toArray()).toEqual([[[[3.25, 5.25], [2, 2]]]]);
    expect(ops.maxPool2d(x, { kernelSize: 2, stride: 2 }).toArray()).toEqual([[[[6, 8], [3, 4]]]]);
    expect(ops.avgPool2d(x, { kernelSize: [2, 2], stride: [2, 2], padding: 0 }).toArray()).toEqual([[[[3.25, 5.25], [2, 2]]]]);
  });

  it('max pool routes the gradient to each window’s maximum', () => {
    const x = tensor([[worked]]).requireGrad();
    ops.maxPool2d(x, { kernelSize: 2 }).sum().backward();
    expect(x.grad!.toArray()).toEqual([[[[0, 0, 0, 0], [0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 1]]]]);
    x.zeroGrad();
    ops.avgPool2d(x, { kernelSize: 2 }).sum().backward();
    expect(x.grad!.data().every((v) => v === 0.25)).toBe(true);
  });
});

describe('forward values against float64 references', () => {
  it('conv2d with stride, padding and dilation, with and without bias', () => {
    const cases: ConvDims[] = [
      { n: 2, cIn: 3, h: 7, w: 9, cOut: 5, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1 },
      { n: 1, cIn: 2, h: 9, w: 8, cOut: 3, kh: 3, kw: 2, sh: 2, sw: 3, ph: 1, pw: 2, dh: 2, dw: 1 },
      { n: 3, cIn: 5, h: 5, w: 5, cOut: 9, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1 },
      { n: 1, cIn: 1, h: 11, w: 6, cOut: 2, kh: 5, kw: 4, sh: 3, sw: 1, ph: 2, pw: 1, dh: 1, dw: 1 },
    ];
    cases.forEach((d, i) => {
      const x = uniformTensor([d.n, d.cIn, d.h, d.w], 10 + i), w = uniformTensor([d.cOut, d.cIn, d.kh, d.kw], 20 + i);
      const b = uniformTensor([d.cOut], 30 + i);
      const opts = { stride: [d.sh, d.sw] as [number, number], padding: [d.ph, d.pw] as [number, number], dilation: [d.dh, d.dw] as [number, number] };
      const y = ops.conv2d(x, w, b, opts);
      expect(y.shape).toEqual([d.n, d.cOut, ...convOut(d)]);
      expectAllClose(y.data(), conv2dRef(x.data(), w.data(), b.data(), d), 1e-5);
      expectAllClose(ops.conv2d(x, w, null, opts).data(), conv2dRef(x.data(), w.data(), null, d), 1e-5);
    });
  });

  it('pooling with padding and uneven windows', () => {
    const cases: PoolDims[] = [
      { n: 2, c: 3, h: 7, w: 9, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 },
      { n: 1, c: 2, h: 6, w: 5, kh: 2, kw: 3, sh: 1, sw: 2, ph: 1, pw: 0 },
    ];
    cases.forEach((d, i) => {
      const x = uniformTensor([d.n, d.c, d.h, d.w], 40 + i);
      const opts = { kernelSize: [d.kh, d.kw] as [number, number], stride: [d.sh, d.sw] as [number, number], padding: [d.ph, d.pw] as [number, number] };
      expectAllClose(ops.maxPool2d(x, opts).data(), maxPool2dRef(x.data(), d).y, 1e-6);
      expectAllClose(ops.avgPool2d(x, opts).data(), avgPool2dRef(x.data(), d), 1e-6);
    });
  });

  it('average pooling counts padded cells in the divisor (count_include_pad)', () => {
    const y = ops.avgPool2d(tensor([[[[1, 1], [1, 1]]]]), { kernelSize: 2, stride: 1, padding: 1 });
    expect(y.toArray()).toEqual([[[[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]]]);
  });

  it('ceilMode, dilation and countIncludePad, as PyTorch (ops and layers, with and without a gradient)', () => {
    const cases: PoolDims[] = [
      { n: 2, c: 3, h: 7, w: 9, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, ceil: true, includePad: false },
      { n: 1, c: 2, h: 12, w: 21, kh: 2, kw: 3, sh: 2, sw: 1, ph: 1, pw: 1, dh: 2, dw: 3, ceil: true },
      { n: 1, c: 2, h: 6, w: 5, kh: 2, kw: 3, sh: 1, sw: 2, ph: 1, pw: 0, dh: 3, dw: 1 },
    ];
    cases.forEach((d, i) => {
      const x = uniformTensor([d.n, d.c, d.h, d.w], 60 + i);
      const common = { stride: [d.sh, d.sw] as [number, number], padding: [d.ph, d.pw] as [number, number], ceilMode: !!d.ceil };
      const maxOpts = { kernelSize: [d.kh, d.kw] as [number, number], ...common, dilation: [d.dh ?? 1, d.dw ?? 1] as [number, number] };
      const avgOpts = { kernelSize: [d.kh, d.kw] as [number, number], ...common, countIncludePad: d.includePad ?? true };
      const maxRef = maxPool2dRef(x.data(), d).y, avgRef = avgPool2dRef(x.data(), { ...d, dh: 1, dw: 1 });
      expectAllClose(ops.maxPool2d(x, maxOpts).data(), maxRef, 0);
      expectAllClose(noGrad(() => ops.maxPool2d(x, maxOpts)).data(), maxRef, 0);
      expectAllClose(new nn.MaxPool2d([d.kh, d.kw], { ...common, dilation: maxOpts.dilation }).forward(x).data(), maxRef, 0);
      expectAllClose(ops.avgPool2d(x, avgOpts).data(), avgRef, 1e-6);
      expectAllClose(new nn.AvgPool2d([d.kh, d.kw], { ...common, countIncludePad: avgOpts.countIncludePad }).forward(x).data(), avgRef, 1e-6);
    });
    // PyTorch: a 1×3 input through 2×2 stride 2 in ceil mode gives 1×2 (max [1, 2], mean [0.5, 2])
    const row = tensor([[[[0, 1, 2]]]]);
    expect(ops.maxPool2d(row, { kernelSize: 2, ceilMode: true }).toArray()).toEqual([[[[1, 2]]]]);
    expect(ops.avgPool2d(row, { kernelSize: 2, ceilMode: true }).toArray()).toEqual([[[[0.5, 2]]]]);
    expect(new nn.MaxPool2d(2, { ceilMode: true }).forward(uniformTensor([1, 1, 4, 5], 63)).shape).toEqual([1, 1, 2, 3]);
  });

  it('max pooling under noGrad keeps no argmax: one tensor out, nothing else left live', () => {
    const x = uniformTensor([2, 3, 8, 8], 64);
    const before = memory().tensors;
    const y = noGrad(() => ops.maxPool2d(x, { kernelSize: 2 }));
    expect(memory().tensors).toBe(before + 1);
    expect(Array.from(y.data())).toEqual(Array.from(tidy(() => ops.maxPool2d(x.requireGrad(), { kernelSize: 2 }).data())));
    y.dispose();
    x.dispose();
  });

  it('max pooling: padded cells never win, even over negative inputs', () => {
    const y = ops.maxPool2d(tensor([[[[-1, -2], [-3, -4]]]]), { kernelSize: 2, stride: 1, padding: 1 });
    expect(y.toArray()).toEqual([[[[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]]]]);
  });
});

describe('output size = floor((H + 2P − D(K−1) − 1)/S) + 1, as PyTorch', () => {
  const shapeOf = (h: number, w: number, k: number, o: { stride?: number; padding?: number; dilation?: number } = {}) =>
    noGrad(() => tidy(() => ops.conv2d(tensor(new Float32Array(h * w), [1, 1, h, w]), tensor(new Float32Array(k * k), [1, 1, k, k]), null, o).shape.slice(2)));

  it('the notes’ cases', () => {
    expect(shapeOf(7, 7, 3)).toEqual([5, 5]);                          // 7×7, 3×3, stride 1 → 5×5
    expect(shapeOf(7, 7, 3, { stride: 2 })).toEqual([3, 3]);           // stride 2 → 3×3
    expect(shapeOf(5, 5, 3, { padding: 1 })).toEqual([5, 5]);          // "same" padding (F−1)/2
    expect(shapeOf(227, 227, 11, { stride: 4 })).toEqual([55, 55]);    // AlexNet's first layer
    expect(shapeOf(32, 32, 5, { padding: 2 })).toEqual([32, 32]);
    expect(shapeOf(9, 9, 3, { dilation: 2 })).toEqual([5, 5]);         // a dilated 3×3 spans 5
    expect(shapeOf(10, 10, 3, { stride: 2 })).toEqual([4, 4]);         // (10 − 3)/2 + 1 = 4.5 → 4
  });

  it('rows and columns the last window does not reach are dropped: they affect nothing and get zero gradient', () => {
    // 6×6 input, 3×3 kernel, stride 2: windows start at 0 and 2, so row 5 and column 5 are never read.
    const xs = uniformTensor([1, 1, 6, 6], 50).data();
    const w = uniformTensor([1, 1, 3, 3], 51);
    const x1 = tensor(xs, [1, 1, 6, 6]).requireGrad();
    const y1 = ops.conv2d(x1, w, null, { stride: 2 });
    expect(y1.shape).toEqual([1, 1, 2, 2]);
    const changed = xs.slice();
    for (let i = 0; i < 6; i++) { changed[5 * 6 + i] = 100; changed[i * 6 + 5] = -100; }
    expect(Array.from(ops.conv2d(tensor(changed, [1, 1, 6, 6]), w, null, { stride: 2 }).data())).toEqual(Array.from(y1.data()));
    y1.sum().backward();
    const g = x1.grad!.data();
    for (let i = 0; i < 6; i++) { expect(g[5 * 6 + i]).toBe(0); expect(g[i * 6 + 5]).toBe(0); }
    // Pooling likewise: 5×5 through 2×2 stride 2 gives 2×2 and ignores the last row and column.
    const p = tensor(distinct([1, 1, 5, 5], 52).data(), [1, 1, 5, 5]).requireGrad();
    const y2 = ops.maxPool2d(p, { kernelSize: 2 });
    expect(y2.shape).toEqual([1, 1, 2, 2]);
    y2.sum().backward();
    const gp = p.grad!.data();
    for (let i = 0; i < 5; i++) { expect(gp[4 * 5 + i]).toBe(0); expect(gp[i * 5 + 4]).toBe(0); }
    expect(new nn.AvgPool2d(3, { stride: 2, padding: 1 }).forward(uniformTensor([2, 3, 8, 7], 53)).shape).toEqual([2, 3, 4, 4]);
    expect(new nn.MaxPool2d([2, 3], { stride: [1, 2] }).forward(uniformTensor([1, 1, 4, 8], 54)).shape).toEqual([1, 1, 3, 3]);
  });
});

describe('gradcheck: every op', () => {
  it('conv2d: x, w and b, plain', () => {
    expectGradOk((x, w, b) => ops.conv2d(x, w, b), [uniformTensor([2, 3, 5, 5], 60), uniformTensor([4, 3, 3, 3], 61), uniformTensor([4], 62)]);
  });
  it('conv2d: stride, padding and dilation, odd sizes, [h, w] options', () => {
    expectGradOk((x, w, b) => ops.conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2] }),
      [uniformTensor([2, 3, 7, 5], 63), uniformTensor([5, 3, 3, 2], 64), uniformTensor([5], 65)]);
    expectGradOk((x, w) => ops.conv2d(x, w, null, { stride: 3, padding: 2, dilation: 2 }),
      [uniformTensor([1, 2, 9, 11], 66), uniformTensor([3, 2, 2, 3], 67)]);
  });
  it('conv2d: only the inputs that need gradients get them', () => {
    const x = uniformTensor([2, 2, 5, 5], 68), w = uniformTensor([3, 2, 3, 3], 69).requireGrad(), b = uniformTensor([3], 70);
    ops.conv2d(x, w, b).sum().backward();
    expect(x.grad).toBe(null);
    expect(b.grad).toBe(null);
    expect(w.grad!.shape).toEqual([3, 2, 3, 3]);
    // Frozen weights, trained bias: db = Σ dy per output channel.
    const w2 = uniformTensor([3, 2, 3, 3], 71), b2 = uniformTensor([3], 72).requireGrad();
    ops.conv2d(x, w2, b2, { padding: 1 }).sum().backward();
    expect(w2.grad).toBe(null);
    expectAllClose(b2.grad!.data(), [50, 50, 50], 1e-6); // 2 images × 5×5 outputs
    expectGradOk((b) => ops.conv2d(x, w2, b, { stride: 2 }), [uniformTensor([3], 73)]);
  });
  it('conv2d: gradients add at branches (weight shared, bias in one branch only, either order)', () => {
    const x1 = uniformTensor([1, 2, 5, 4], 74), x2 = uniformTensor([1, 2, 5, 4], 75);
    const inputs = [uniformTensor([3, 2, 2, 2], 76), uniformTensor([3], 77)];
    expectGradOk((w, b) => ops.conv2d(x1, w, null).add(ops.conv2d(x2, w, b)), inputs);
    expectGradOk((w, b) => ops.conv2d(x2, w, b).add(ops.conv2d(x1, w, null)), inputs);
    expectGradOk((w, b) => ops.conv2d(x1, w, b).sum().add(b.mul(b).sum()), inputs);
    expectGradOk((w, b) => b.mul(b).sum().add(ops.conv2d(x1, w, b).sum()), inputs);
  });
  it('maxPool2d (inputs with distinct values, away from ties)', () => {
    expectGradOk((x) => ops.maxPool2d(x, { kernelSize: 2 }), [distinct([2, 3, 6, 7], 80)]);
    expectGradOk((x) => ops.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), [distinct([1, 2, 7, 6], 81)]);
    expectGradOk((x) => ops.maxPool2d(x, { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0] }), [distinct([2, 1, 5, 9], 82)]);
  });
  it('maxPool2d with dilation and ceilMode', () => {
    expectGradOk((x) => ops.maxPool2d(x, { kernelSize: 2, stride: 2, dilation: 2, ceilMode: true }), [distinct([2, 2, 7, 9], 87)]);
    expectGradOk((x) => ops.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), [distinct([1, 2, 6, 8], 88)]);
  });
  it('avgPool2d with ceilMode and countIncludePad = false', () => {
    expectGradOk((x) => ops.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [uniformTensor([2, 2, 6, 8], 89)]);
    expectGradOk((x) => ops.avgPool2d(x, { kernelSize: 2, ceilMode: true }), [uniformTensor([1, 2, 5, 7], 90)]);
    expectGradOk((x) => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }).forward(x), [uniformTensor([1, 2, 7, 6], 91)]);
  });
  it('avgPool2d', () => {
    expectGradOk((x) => ops.avgPool2d(x, { kernelSize: 2 }), [uniformTensor([2, 3, 6, 7], 83)]);
    expectGradOk((x) => ops.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), [uniformTensor([1, 2, 7, 6], 84)]);
    expectGradOk((x) => ops.avgPool2d(x, { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0] }), [uniformTensor([2, 1, 5, 9], 85)]);
  });
  it('dropout (a fixed mask)', () => {
    expectGradOk((x) => ops.dropout(x, 0.4, { seed: 7 }), [uniformTensor([3, 5, 7], 86)]);
  });
});

describe('dropout', () => {
  it('eval mode is the identity', () => {
    const x = uniformTensor([4, 50], 90);
    const before = memory();
    expect(ops.dropout(x, 0.5, { training: false })).toBe(x);
    const layer = new nn.Dropout(0.5).eval();
    expect(layer.forward(x)).toBe(x);
    expect(memory()).toEqual(before);
  });

  it('train mode zeroes about p of the elements and scales the rest by 1/(1−p)', () => {
    const n = 20000, p = 0.3;
    const x = tensor(new Float32Array(n).fill(2), [n]);
    const y = ops.dropout(x, p).data();
    const kept = y.filter((v) => v !== 0);
    const scale = Math.fround(1 / (1 - p));
    expect(kept.every((v) => v === Math.fround(2 * scale))).toBe(true);
    expect((n - kept.length) / n).toBeGreaterThan(p - 0.02);
    expect((n - kept.length) / n).toBeLessThan(p + 0.02);
    expect(ops.dropout(x, 0).data().every((v) => v === 2)).toBe(true);
  });

  it('the mask is the kernel’s seeded hash: same seed, same mask; seed(n) repeats the layer’s masks', () => {
    const x = tensor(new Float32Array(1000).fill(1), [10, 100]);
    const a = ops.dropout(x, 0.5, { seed: 123 }).data(), b = ops.dropout(x, 0.5, { seed: 123 }).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).toEqual(Array.from(dropoutMaskRef(1000, 0.5, 123)));
    expect(Array.from(ops.dropout(x, 0.5, { seed: 124 }).data())).not.toEqual(Array.from(a));
    const layer = new nn.Dropout(0.5);
    seed(9);
    const m1 = layer.forward(x).data(), m2 = layer.forward(x).data();
    expect(Array.from(m1)).not.toEqual(Array.from(m2)); // a fresh mask per call
    seed(9);
    expect(Array.from(layer.forward(x).data())).toEqual(Array.from(m1));
    expect(Array.from(layer.forward(x).data())).toEqual(Array.from(m2));
  });

  it('frees its mask with the graph, and keeps none without one', () => {
    const x = uniformTensor([8, 8], 91).requireGrad();
    const before = memory();
    tidy(() => ops.dropout(x, 0.5).sum().backward());
    x.zeroGrad();
    expect(memory()).toEqual(before);
    const y = noGrad(() => ops.dropout(x, 0.5));
    expect(memory().tensors).toBe(before.tensors + 1);
    y.dispose();
  });
});

describe('layers', () => {
  it('Conv2d: PyTorch state_dict names and layout, He init with fanIn = in·kh·kw, Xavier on request', () => {
    seed(100);
    const model = new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Dense(4 * 3 * 3, 2));
    expect(model.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['0.weight', [4, 1, 3, 3]], ['0.bias', [4]], ['4.weight', [2, 36]], ['4.bias', [2]],
    ]);
    const std = (t: Tensor) => { const d = t.data(); let s = 0; for (const v of d) s += v * v; return Math.sqrt(s / d.length); };
    const he = new nn.Conv2d(16, 32, 3);
    expect(std(he.weight)).toBeCloseTo(Math.sqrt(2 / (16 * 9)), 2);
    expect(Array.from(he.bias!.data()).every((v) => v === 0)).toBe(true);
    const xavier = new nn.Conv2d(16, 32, [3, 3], { init: 'xavier', bias: false });
    expect(std(xavier.weight)).toBeCloseTo(Math.sqrt(2 / (16 * 9 + 32 * 9)), 2);
    expect(xavier.bias).toBe(null);
    expect(xavier.parameters()).toHaveLength(1);
    seed(101);
    const w1 = new nn.Conv2d(2, 3, 3).weight.data();
    seed(101);
    expect(Array.from(new nn.Conv2d(2, 3, 3).weight.data())).toEqual(Array.from(w1));
  });

  it('Flatten: NCHW → [N, C·H·W], channel-major as PyTorch', () => {
    const x = tensor(Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 2, 2]);
    const y = new nn.Flatten().forward(x);
    expect(y.shape).toEqual([2, 12]);
    expect(Array.from(y.data())).toEqual(Array.from(x.data()));
  });

  it('gradcheck: Conv2d (input, weight, bias), with and without bias', () => {
    seed(102);
    const c = new nn.Conv2d(2, 3, [3, 2], { stride: [1, 2], padding: 1, dilation: [2, 1] });
    expectGradOk((x) => c.forward(x), [uniformTensor([2, 2, 6, 5], 103), c.weight, c.bias!]);
    const nb = new nn.Conv2d(3, 2, 1, { bias: false });
    expectGradOk((x) => nb.forward(x), [uniformTensor([1, 3, 3, 4], 104), nb.weight]);
  });

  it('gradcheck: MaxPool2d, AvgPool2d, Dropout (reseeded per call, so the mask repeats)', () => {
    expectGradOk((x) => new nn.MaxPool2d(3, { stride: 2, padding: 1 }).forward(x), [distinct([2, 2, 5, 6], 105)]);
    expectGradOk((x) => new nn.AvgPool2d([3, 2], { stride: 1, padding: [1, 1] }).forward(x), [uniformTensor([2, 2, 4, 5], 106)]);
    const drop = new nn.Dropout(0.25);
    expectGradOk((x) => { seed(107); return drop.forward(x); }, [uniformTensor([4, 30], 108)]);
  });

  it('gradcheck: a small CNN with a loss, through every parameter', () => {
    seed(110);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 3, 3, { padding: 1 }), new nn.Tanh(), new nn.AvgPool2d(2),
      new nn.Conv2d(3, 4, 2), new nn.Tanh(), new nn.Flatten(), new nn.Dense(4 * 2 * 2, 3),
    );
    const y = new Int32Array([2, 0]);
    expectGradOk((x) => loss.softmaxCrossEntropy(model.forward(x), y), [uniformTensor([2, 1, 6, 6], 111), ...model.parameters()]);
  });

  it('a forward and backward pass frees everything it made (argmax, masks, gradients of intermediates)', () => {
    seed(112);
    const model = new nn.Sequential(new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Dropout(0.3), new nn.Flatten(), new nn.Dense(4 * 3 * 3, 3));
    const x = uniformTensor([5, 2, 6, 6], 113);
    const run = () => tidy(() => loss.softmaxCrossEntropy(model.forward(x), [0, 1, 2, 0, 1]).backward());
    run(); // creates the parameters' gradients
    const before = memory();
    for (let i = 0; i < 3; i++) run();
    expect(memory()).toEqual(before);
  });
});

describe('bad input: a clear Error naming the op and shapes, before anything is allocated or written', () => {
  let model: nn.Sequential;
  let opt: optim.Adam;
  const data = bars(24, 8, 120);

  function step(input: Tensor, labels: Int32Array): number {
    return tidy(() => {
      const l = loss.softmaxCrossEntropy(model.forward(input), labels);
      opt.zeroGrad(); l.backward(); opt.step();
      return l.item();
    });
  }

  function fresh(): void {
    model?.dispose();
    opt?.dispose();
    seed(121);
    model = new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
      new nn.Dropout(0.1), new nn.Dense(4 * 3 * 3, 2));
    opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    step(tensor(data.x, [24, 1, 8, 8]), data.y); // optimiser state exists from here on
  }

  /**
   * On a freshly trained-one-step model: `fn` throws `message`; weights, optimiser state and live
   * memory are unchanged; the model still trains.
   */
  function expectRejectedCleanly(fn: () => unknown, message: RegExp): void {
    fresh();
    const xt = tensor(data.x, [24, 1, 8, 8]);
    const before = snapshot(model, opt);
    const mem = memory();
    let error: unknown = null;
    try { tidy(() => { fn(); }); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect(snapshot(model, opt)).toEqual(before);
    expect(memory().tensors).toBe(mem.tensors);
    expect(memory().bytes).toBe(mem.bytes);
    const first = step(xt, data.y);
    let last = first;
    for (let i = 0; i < 10; i++) last = step(xt, data.y);
    expect(last).toBeLessThan(first);
    xt.dispose();
  }

  it('channel mismatch', () => {
    expectRejectedCleanly(() => model.forward(uniformTensor([2, 3, 8, 8], 122)),
      /^conv2d: input has 3 channels but the weight expects 1; shapes \[2,3,8,8\], \[4,1,3,3\] and \[4\]$/);
    expectRejectedCleanly(() => ops.conv2d(uniformTensor([1, 1, 8, 8], 123), model.parameters()[0], uniformTensor([5], 124)),
      /^conv2d: bias must be \[4\]; shapes \[1,1,8,8\], \[4,1,3,3\] and \[5\]$/);
  });

  it('kernel larger than the padded input', () => {
    expectRejectedCleanly(() => model.forward(uniformTensor([2, 1, 2, 5], 125)),
      /^conv2d: kernel 3×3 is larger than the padded input 2×5 \(input 2×5, padding 0,0\); shapes \[2,1,2,5\], \[4,1,3,3\] and \[4\]$/);
    // The conv fits (3×3 → 1×1) but the 2×2 pool does not.
    expectRejectedCleanly(() => model.forward(uniformTensor([2, 1, 3, 3], 126)),
      /^maxPool2d: kernel 2×2 is larger than the padded input 1×1 \(input 1×1, padding 0,0\); shape \[2,4,1,1\]$/);
    expectRejectedCleanly(() => ops.avgPool2d(uniformTensor([1, 1, 4, 2], 127), { kernelSize: [2, 5], padding: [0, 1] }),
      /^avgPool2d: kernel 2×5 is larger than the padded input 4×4 \(input 4×2, padding 0,1\); shape \[1,1,4,2\]$/);
  });

  it('output size < 1 (a dilated kernel that does not fit)', () => {
    expectRejectedCleanly(() => ops.conv2d(uniformTensor([1, 1, 5, 8], 128), model.parameters()[0], null, { dilation: 3 }),
      /^conv2d: output size would be -1×2 \(< 1\): kernel 3×3 with dilation 3,3 spans 7×7, more than the padded input 5×8; shapes \[1,1,5,8\] and \[4,1,3,3\]$/);
  });

  it('zero, negative or non-integer stride, kernel or dilation', () => {
    const x = () => uniformTensor([1, 1, 8, 8], 129);
    const w = () => model.parameters()[0]; // of the model expectRejectedCleanly makes
    expectRejectedCleanly(() => ops.conv2d(x(), w(), null, { stride: 0 }),
      /^conv2d: stride must be a positive integer or an \[h, w\] pair of them, got 0; shapes \[1,1,8,8\] and \[4,1,3,3\]$/);
    expectRejectedCleanly(() => ops.conv2d(x(), w(), null, { stride: [1, -2] }), /^conv2d: stride must be .*, got \[1, -2\]; shapes/);
    expectRejectedCleanly(() => ops.conv2d(x(), w(), null, { dilation: 1.5 }), /^conv2d: dilation must be a positive integer .*, got 1\.5; shapes/);
    expectRejectedCleanly(() => ops.conv2d(x(), w(), null, { padding: -1 }), /^conv2d: padding must be a non-negative integer .*, got -1; shapes/);
    expectRejectedCleanly(() => ops.maxPool2d(x(), { kernelSize: 0 }), /^maxPool2d: kernelSize must be a positive integer .*, got 0; shape \[1,1,8,8\]$/);
    expectRejectedCleanly(() => ops.avgPool2d(x(), { kernelSize: 2, stride: 0.5 }), /^avgPool2d: stride must be a positive integer .*, got 0\.5; shape \[1,1,8,8\]$/);
    expectRejectedCleanly(() => ops.maxPool2d(x(), { kernelSize: '2' as any }), /^maxPool2d: kernelSize must be .*, got string; shape/);
    expectRejectedCleanly(() => new nn.Conv2d(1, 4, 0), /^Conv2d: kernelSize must be a positive integer or an \[h, w\] pair of them, got 0$/);
    expectRejectedCleanly(() => new nn.Conv2d(1, 4, [3, 2.5]), /^Conv2d: kernelSize must be .*, got \[3, 2\.5\]$/);
    expectRejectedCleanly(() => new nn.Conv2d(1, 4, 3, { stride: -1 }), /^Conv2d: stride must be a positive integer .*, got -1$/);
    expectRejectedCleanly(() => new nn.Conv2d(1, 4, 3, { dilation: 0 }), /^Conv2d: dilation must be a positive integer .*, got 0$/);
    expectRejectedCleanly(() => new nn.Conv2d(0, 4, 3), /^Conv2d: inChannels must be a positive integer, got 0$/);
    expectRejectedCleanly(() => new nn.MaxPool2d(2, { stride: 0 }), /^MaxPool2d: stride must be a positive integer .*, got 0$/);
    expectRejectedCleanly(() => new nn.AvgPool2d(-2), /^AvgPool2d: kernelSize must be a positive integer .*, got -2$/);
  });

  it('unknown or ill-typed pooling options (an option ported from PyTorch is never silently ignored)', () => {
    const x = () => uniformTensor([1, 1, 8, 8], 136);
    expectRejectedCleanly(() => ops.avgPool2d(x(), { kernelSize: 2, dilation: 2 } as any),
      /^avgPool2d: unknown option 'dilation' \(it takes kernelSize, stride, padding, ceilMode, countIncludePad\)$/);
    expectRejectedCleanly(() => ops.maxPool2d(x(), { kernelSize: 2, countIncludePad: false } as any), /^maxPool2d: unknown option 'countIncludePad'/);
    expectRejectedCleanly(() => ops.maxPool2d(x(), { kernelSize: 2, ceil_mode: true } as any), /^maxPool2d: unknown option 'ceil_mode'; use ceilMode /);
    expectRejectedCleanly(() => new nn.AvgPool2d(2, { count_include_pad: false } as any), /^AvgPool2d: unknown option 'count_include_pad'; use countIncludePad /);
    expectRejectedCleanly(() => ops.maxPool2d(x(), { kernelSize: 2, dilation: 0 }), /^maxPool2d: dilation must be a positive integer .*, got 0; shape/);
    expectRejectedCleanly(() => ops.avgPool2d(x(), { kernelSize: 2, ceilMode: 1 as any }), /^avgPool2d: ceilMode must be true or false, got 1; shape/);
    expectRejectedCleanly(() => new nn.MaxPool2d(2, { countIncludePad: true } as any),
      /^MaxPool2d: unknown option 'countIncludePad' \(it takes stride, padding, dilation, ceilMode\)$/);
    expectRejectedCleanly(() => new nn.AvgPool2d(2, { dilation: 2 } as any), /^AvgPool2d: unknown option 'dilation'/);
    expectRejectedCleanly(() => new nn.AvgPool2d(2, { countIncludePad: 'no' } as any), /^AvgPool2d: countIncludePad must be true or false, got string$/);
    expectRejectedCleanly(() => ops.maxPool2d(uniformTensor([1, 1, 3, 3], 137), { kernelSize: 2, dilation: 3 }),
      /^maxPool2d: output size would be 0×0 \(< 1\)/);
  });

  it('pooling padding larger than half the window (as PyTorch)', () => {
    expectRejectedCleanly(() => new nn.MaxPool2d(3, { padding: 2 }), /^MaxPool2d: padding 2,2 must be at most half the kernel 3×3 \(as PyTorch\)$/);
    expectRejectedCleanly(() => new nn.AvgPool2d([4, 2], { padding: [2, 2] }), /^AvgPool2d: padding 2,2 must be at most half the kernel 4×2 \(as PyTorch\)$/);
    expectRejectedCleanly(() => ops.maxPool2d(uniformTensor([1, 1, 8, 8], 130), { kernelSize: 2, padding: 2 }),
      /^maxPool2d: padding 2,2 must be at most half the kernel 2×2 \(as PyTorch\); shape \[1,1,8,8\]$/);
    expect(new nn.MaxPool2d(3, { padding: 1 }).padding).toEqual([1, 1]); // exactly half (floored) is allowed
  });

  it('non-4-D input', () => {
    expectRejectedCleanly(() => model.forward(uniformTensor([2, 64], 131)),
      /^conv2d: input must be 4-D \[batch, channels, height, width\] \(NCHW\), got 2-D; shapes \[2,64\], \[4,1,3,3\] and \[4\]$/);
    expectRejectedCleanly(() => new nn.MaxPool2d(2).forward(uniformTensor([1, 8, 8], 132)),
      /^maxPool2d: input must be 4-D .*, got 3-D; shape \[1,8,8\]$/);
    expectRejectedCleanly(() => ops.avgPool2d(uniformTensor([1, 1, 1, 8, 8], 133), { kernelSize: 2 }),
      /^avgPool2d: input must be 4-D .*, got 5-D; shape \[1,1,1,8,8\]$/);
    expectRejectedCleanly(() => ops.conv2d(uniformTensor([1, 1, 8, 8], 134), uniformTensor([4, 9], 135)),
      /^conv2d: weight must be 4-D \[out, in\/groups, kh, kw\]; shapes \[1,1,8,8\] and \[4,9\]$/);
  });

  it('dropout p outside [0, 1)', () => {
    const x = () => uniformTensor([4, 4], 136);
    expectRejectedCleanly(() => new nn.Dropout(1), /^Dropout: p must be a probability in \[0, 1\), got 1$/);
    expectRejectedCleanly(() => new nn.Dropout(-0.1), /^Dropout: p must be a probability in \[0, 1\), got -0\.1$/);
    expectRejectedCleanly(() => ops.dropout(x(), 1.5), /^dropout: p must be a probability in \[0, 1\), got 1\.5; shape \[4,4\]$/);
    expectRejectedCleanly(() => ops.dropout(x(), NaN, { training: false }), /^dropout: p must be .*, got NaN; shape \[4,4\]$/);
    expectRejectedCleanly(() => ops.dropout(x(), 0.5, { seed: 1.5 }), /^dropout: seed must be an integer, got 1\.5; shape \[4,4\]$/);
  });
});

/** 8×8 images of a horizontal (class 0) or vertical (class 1) bar at a random place, with noise. */
function bars(n: number, size: number, seedValue: number): { x: Float32Array; y: Int32Array } {
  const r = rng(seedValue);
  const x = new Float32Array(n * size * size), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cls = i % 2, at = Math.floor(((r() + 1) / 2) * size) % size;
    y[i] = cls;
    for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) {
      const on = cls === 0 ? a === at : b === at;
      x[i * size * size + a * size + b] = (on ? 1 : 0) + 0.1 * r();
    }
  }
  return { x, y };
}

describe('a small CNN trained with fit()', () => {
  it('lowers the loss, classifies the bars, and leaves memory() flat', async () => {
    reset(); // free the earlier tests' tensors, so the heap is not fragmented by them
    seed(140);
    const data = bars(96, 8, 141);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 6, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(6, 8, 3), new nn.ReLU(), new nn.AvgPool2d(2),
      new nn.Flatten(), new nn.Dropout(0.2), new nn.Dense(8, 2),
    );
    const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
    const first = await fit(model, { x: data.x, y: data.y, shape: [1, 8, 8] }, { epochs: 1, batchSize: 16, optimizer, verbose: false });
    const before = memory();
    const h = await fit(model, { x: data.x, y: data.y, shape: [1, 8, 8] }, { epochs: 6, batchSize: 16, optimizer, verbose: false });
    expect(memory()).toEqual(before);
    expect(h.loss[5]).toBeLessThan(first.loss[0]);
    expect(h.loss[5]).toBeLessThan(h.loss[0]);
    expect(h.accuracy[5]).toBeGreaterThan(0.9);
    expect(model.training).toBe(true);
  });
});
