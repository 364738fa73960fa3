// Grouped and depthwise conv2d, padding 'same' and global average pooling through the public API:
// forward values against float64 references, gradcheck, the layers (state_dict shapes, init,
// toJSON/fromJSON) and bad input (a named Error before anything is allocated or written).
import { describe, it, expect, beforeAll } from 'vitest';
import { init, seed, tensor, nn, ops, tidy, memory, type Tensor } from '../../bindings/index';
import { uniformTensor, expectGradOk, expectAllClose } from './helpers';
import { conv2dRef, type ConvDims } from '../reference/conv';

beforeAll(async () => {
  await init();
});

const d0 = { sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1 };

/** x zero-padded by [top, left, bottom, right] (float64), for an independent 'same' reference. */
function padRef(x: Float32Array, [n, c, h, w]: number[], [t, l, b, r]: number[]): { data: Float64Array; h: number; w: number } {
  const H = h + t + b, W = w + l + r, out = new Float64Array(n * c * H * W);
  for (let q = 0; q < n * c; q++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out[(q * H + i + t) * W + j + l] = x[(q * h + i) * w + j];
  return { data: out, h: H, w: W };
}

describe('grouped and depthwise conv2d: forward against the grouped float64 reference', () => {
  const cases: Array<ConvDims & { groups: number }> = [
    { ...d0, n: 2, cIn: 6, h: 7, w: 9, cOut: 4, kh: 3, kw: 3, groups: 2 },
    { ...d0, n: 1, cIn: 6, h: 8, w: 7, cOut: 9, kh: 3, kw: 2, groups: 3, sh: 2, pw: 1, dh: 2 },
    { ...d0, n: 2, cIn: 5, h: 9, w: 10, cOut: 5, kh: 3, kw: 3, groups: 5, ph: 1, pw: 1 },
    { ...d0, n: 1, cIn: 3, h: 11, w: 6, cOut: 6, kh: 5, kw: 3, groups: 3, sh: 2, sw: 2, ph: 2, pw: 1 },
    { ...d0, n: 2, cIn: 4, h: 6, w: 6, cOut: 8, kh: 1, kw: 1, groups: 4 },
  ];
  it.each(cases.map((d, i) => [i, d] as const))('case %i', (i, d) => {
    const x = uniformTensor([d.n, d.cIn, d.h, d.w], 10 + i), w = uniformTensor([d.cOut, d.cIn / d.groups, d.kh, d.kw], 20 + i);
    const b = uniformTensor([d.cOut], 30 + i);
    const opts = { stride: [d.sh, d.sw] as [number, number], padding: [d.ph, d.pw] as [number, number], dilation: [d.dh, d.dw] as [number, number], groups: d.groups };
    expectAllClose(ops.conv2d(x, w, b, opts).data(), conv2dRef(x.data(), w.data(), b.data(), d), 1e-5);
    expectAllClose(ops.conv2d(x, w, null, opts).data(), conv2dRef(x.data(), w.data(), null, d), 1e-5);
  });
});

describe("padding 'same' (stride 1, PyTorch's split: ⌊t/2⌋ before, the rest after, t = dilation·(k − 1))", () => {
  const cases: Array<[number[], number[], number[], number]> = [
    // [kh, kw], [dh, dw], [h, w], groups
    [[3, 3], [1, 1], [6, 7], 1], [[4, 2], [1, 1], [7, 5], 1], [[2, 5], [3, 2], [9, 8], 1], [[4, 4], [1, 1], [6, 6], 3], [[3, 2], [2, 1], [5, 6], 3],
  ];
  it.each(cases.map((c, i) => [i, ...c] as const))('case %i: keeps H×W and matches an explicitly padded reference', (i, k, dil, [h, w], groups) => {
    const n = 2, cIn = 3, cOut = 6;
    const x = uniformTensor([n, cIn, h, w], 40 + i), wt = uniformTensor([cOut, cIn / groups, k[0], k[1]], 50 + i), b = uniformTensor([cOut], 60 + i);
    const y = ops.conv2d(x, wt, b, { padding: 'same', dilation: [dil[0], dil[1]], groups });
    expect(y.shape).toEqual([n, cOut, h, w]);
    const th = dil[0] * (k[0] - 1), tw = dil[1] * (k[1] - 1);
    const p = padRef(x.data(), x.shape, [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)]);
    const ref = conv2dRef(p.data, wt.data(), b.data(), { n, cIn, h: p.h, w: p.w, cOut, kh: k[0], kw: k[1], sh: 1, sw: 1, ph: 0, pw: 0, dh: dil[0], dw: dil[1], groups });
    expectAllClose(y.data(), ref, 1e-5);
  });
});

describe('globalAvgPool2d', () => {
  it('is the mean of each plane, [N, C, 1, 1]', () => {
    const x = uniformTensor([2, 3, 5, 7], 70);
    const y = new nn.GlobalAvgPool2d().forward(x);
    expect(y.shape).toEqual([2, 3, 1, 1]);
    const xd = x.data();
    expectAllClose(y.data(), Array.from({ length: 6 }, (_, q) => xd.slice(q * 35, (q + 1) * 35).reduce((a, v) => a + v, 0) / 35), 1e-6);
  });
});

describe('gradcheck', () => {
  it('grouped conv2d: x, w, b (stride, padding, dilation)', () => {
    expectGradOk((x, w, b) => ops.conv2d(x, w, b, { groups: 2, stride: [2, 1], padding: 1, dilation: [1, 2] }),
      [uniformTensor([2, 4, 7, 6], 80), uniformTensor([6, 2, 3, 2], 81), uniformTensor([6], 82)]);
  });
  it('depthwise conv2d: multiplier 1 and 2, stride 1 and 2, padding beyond k − 1', () => {
    expectGradOk((x, w, b) => ops.conv2d(x, w, b, { groups: 3, padding: 1 }),
      [uniformTensor([2, 3, 6, 7], 83), uniformTensor([3, 1, 3, 3], 84), uniformTensor([3], 85)]);
    expectGradOk((x, w, b) => ops.conv2d(x, w, b, { groups: 2, stride: 2, padding: [1, 3] }),
      [uniformTensor([1, 2, 7, 6], 86), uniformTensor([4, 1, 3, 3], 87), uniformTensor([4], 88)]);
    expectGradOk((x, w) => ops.conv2d(x, w, null, { groups: 2, padding: 3, dilation: 2 }),
      [uniformTensor([1, 2, 5, 9], 89), uniformTensor([6, 1, 2, 3], 90)]);
  });
  it("padding 'same' with odd and even kernels (the cropped path)", () => {
    expectGradOk((x, w, b) => ops.conv2d(x, w, b, { padding: 'same' }),
      [uniformTensor([2, 2, 5, 6], 91), uniformTensor([3, 2, 4, 3], 92), uniformTensor([3], 93)]);
    expectGradOk((x, w, b) => ops.conv2d(x, w, b, { padding: 'same', groups: 2, dilation: [1, 3] }),
      [uniformTensor([1, 2, 6, 7], 94), uniformTensor([2, 1, 2, 2], 95), uniformTensor([2], 96)]);
  });
  it('gradients add at branches (weight shared, bias in one branch only), grouped and depthwise', () => {
    for (const [groups, cOut] of [[2, 4], [2, 2]]) {
      const x1 = uniformTensor([1, 2, 5, 4], 97), x2 = uniformTensor([1, 2, 5, 4], 98);
      const inputs = [uniformTensor([cOut, 2 / groups, 2, 2], 99), uniformTensor([cOut], 100)];
      expectGradOk((w, b) => ops.conv2d(x1, w, null, { groups }).add(ops.conv2d(x2, w, b, { groups })), inputs);
      expectGradOk((w, b) => ops.conv2d(x2, w, b, { groups }).add(ops.conv2d(x1, w, null, { groups })), inputs);
    }
  });
  it('globalAvgPool2d and the layers', () => {
    expectGradOk((x) => ops.globalAvgPool2d(x), [uniformTensor([2, 3, 4, 5], 101)]);
    seed(102);
    const c = new nn.Conv2d(4, 8, 3, { groups: 4, padding: 'same' });
    expectGradOk((x) => c.forward(x), [uniformTensor([2, 4, 5, 5], 103), c.weight, c.bias!]);
  });
});

describe('layers', () => {
  it('Conv2d groups: weight [out, in/groups, kh, kw], He fan-in (in/groups)·kh·kw, toJSON/fromJSON', () => {
    seed(110);
    const model = new nn.Sequential(new nn.Conv2d(8, 16, 3, { groups: 4, padding: 'same' }), new nn.Conv2d(16, 16, 3, { groups: 16 }),
      new nn.GlobalAvgPool2d(), new nn.Flatten());
    expect(model.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['0.weight', [16, 2, 3, 3]], ['0.bias', [16]], ['1.weight', [16, 1, 3, 3]], ['1.bias', [16]],
    ]);
    const json = model.toJSON();
    expect(json).toEqual({ type: 'Sequential', layers: [
      { type: 'Conv2d', inChannels: 8, outChannels: 16, kernelSize: [3, 3], stride: [1, 1], padding: 'same', dilation: [1, 1], groups: 4, bias: true },
      { type: 'Conv2d', inChannels: 16, outChannels: 16, kernelSize: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 16, bias: true },
      { type: 'GlobalAvgPool2d' }, { type: 'Flatten' },
    ] });
    const copy = nn.fromJSON(json);
    copy.loadStateDict(model.stateDict());
    const x = uniformTensor([2, 8, 6, 6], 111);
    expect(Array.from(copy.forward(x).data())).toEqual(Array.from(model.forward(x).data()));
    expect(copy.forward(x).shape).toEqual([2, 16]);
    const std = (t: Tensor) => { const d = t.data(); let s = 0; for (const v of d) s += v * v; return Math.sqrt(s / d.length); };
    expect(std(new nn.Conv2d(64, 128, 3, { groups: 4 }).weight)).toBeCloseTo(Math.sqrt(2 / (16 * 9)), 2);
    model.dispose(); copy.dispose();
  });
});

describe('bad input: a named Error, nothing allocated', () => {
  function rejects(fn: () => unknown, message: RegExp): void {
    const x = uniformTensor([2, 4, 6, 6], 120), w = uniformTensor([6, 2, 3, 3], 121);
    const before = [Array.from(x.data()), Array.from(w.data())];
    const mem = memory();
    let error: unknown = null;
    try { tidy(() => { fn(); }); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect(memory().tensors).toBe(mem.tensors);
    expect([Array.from(x.data()), Array.from(w.data())]).toEqual(before);
    x.dispose(); w.dispose();
  }
  it('groups that do not divide the channels, or are not positive integers', () => {
    rejects(() => new nn.Conv2d(6, 4, 3, { groups: 4 }), /^Conv2d: groups 4 must divide both the input channels \(6\) and the output channels \(4\)$/);
    rejects(() => new nn.Conv2d(4, 6, 3, { groups: 4 }), /^Conv2d: groups 4 must divide both/);
    rejects(() => new nn.Conv2d(4, 4, 3, { groups: 0 }), /^Conv2d: groups must be a positive integer, got 0$/);
    rejects(() => new nn.Conv2d(4, 4, 3, { groups: 1.5 }), /^Conv2d: groups must be a positive integer, got 1.5$/);
    rejects(() => ops.conv2d(uniformTensor([1, 5, 6, 6], 1), uniformTensor([5, 1, 3, 3], 2), null, { groups: 2 }),
      /^conv2d: groups 2 must divide both the input channels \(5\) and the output channels \(5\); shapes \[1,5,6,6\] and \[5,1,3,3\]$/);
  });
  it('a weight whose in/groups does not match the input', () => {
    rejects(() => ops.conv2d(uniformTensor([1, 4, 6, 6], 3), uniformTensor([6, 1, 3, 3], 4), null, { groups: 2 }),
      /^conv2d: input has 4 channels but the weight expects 1 per group × 2 groups = 2; shapes \[1,4,6,6\] and \[6,1,3,3\]$/);
    const layer = new nn.Conv2d(4, 8, 3, { groups: 4 });
    rejects(() => layer.forward(uniformTensor([1, 8, 5, 5], 5)), /^conv2d: input has 8 channels but the weight expects 1 per group × 4 groups = 4/);
    layer.dispose();
  });
  it("padding 'same' with a stride, unknown option keys", () => {
    rejects(() => new nn.Conv2d(4, 4, 3, { padding: 'same', stride: 2 }), /^Conv2d: padding 'same' needs stride 1 \(as PyTorch\), got stride 2,2$/);
    rejects(() => ops.conv2d(uniformTensor([1, 4, 6, 6], 6), uniformTensor([2, 4, 3, 3], 7), null, { padding: 'same', stride: [1, 2] }),
      /^conv2d: padding 'same' needs stride 1 \(as PyTorch\), got stride 1,2/);
    rejects(() => ops.conv2d(uniformTensor([1, 4, 6, 6], 6), uniformTensor([2, 4, 3, 3], 7), null, { padding: 'valid' as any }),
      /^conv2d: padding must be a non-negative integer or an \[h, w\] pair of them, got string/);
    rejects(() => new nn.Conv2d(4, 4, 3, { group: 2 } as any), /^Conv2d: unknown option 'group'; did you mean 'groups'\? \(it takes stride, padding, dilation, groups, bias, init\)$/);
    rejects(() => ops.conv2d(uniformTensor([1, 4, 6, 6], 8), uniformTensor([2, 4, 3, 3], 9), null, { grups: 2 } as any), /^conv2d: unknown option 'grups'/);
  });
  it('globalAvgPool2d on a non-4-D input; fromJSON with bad groups', () => {
    rejects(() => new nn.GlobalAvgPool2d().forward(uniformTensor([2, 4], 10)), /^globalAvgPool2d: input must be 4-D \[batch, channels, height, width\] \(NCHW\), got 2-D; shape \[2,4\]$/);
    rejects(() => nn.fromJSON({ type: 'Conv2d', inChannels: 6, outChannels: 4, kernelSize: 3, groups: 4 }),
      /^fromJSON: model \(Conv2d\): groups 4 must divide both the input channels \(6\) and the output channels \(4\)$/);
    rejects(() => nn.fromJSON({ type: 'Conv2d', inChannels: 4, outChannels: 4, kernelSize: 3, padding: 'same', stride: 2 }),
      /^fromJSON: model \(Conv2d\): padding 'same' needs stride 1/);
    rejects(() => nn.fromJSON({ type: 'GlobalAvgPool2d', size: 1 }), /^fromJSON: model: GlobalAvgPool2d has no option 'size'/);
  });
});
