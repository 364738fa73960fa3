// The modules and ops the ONNX importer builds on: gradients (gradcheck), worked numbers, bad input.
import { describe, it, expect, beforeAll } from 'vitest';
import { init, seed, nn, randn, tensor, gradcheck, tidy, memory } from '../../bindings/index';
import { pad2d } from '../../bindings/ops/pad2d';
import { constAffine } from '../../bindings/ops/affine';
import { concat } from '../../bindings/ops/slice';

beforeAll(async () => { await init(); seed(3); });

describe('gradients', () => {
  it('pad2d (asymmetric, non-zero value)', () => tidy(() => {
    const x = randn([2, 3, 4, 5]), w = randn([2, 3, 7, 8]);
    expect(gradcheck((x) => pad2d(x, [1, 2, 0, 3], 0.5).mul(w), [x]).ok).toBe(true);
  }));
  it('constAffine in each layout', () => tidy(() => {
    const x = randn([2, 3, 4, 5]);
    const w = randn([2, 3, 4, 5]);
    expect(gradcheck((x) => constAffine(x, 'scalar', Float32Array.of(2.5), Float32Array.of(-1)).mul(w), [x]).ok).toBe(true);
    expect(gradcheck((x) => constAffine(x, 'channel', Float32Array.of(1, -2, 3), Float32Array.of(0, 1, 2)).mul(w), [x]).ok).toBe(true);
    const s = Float32Array.from({ length: 60 }, (_, i) => Math.cos(i)), t = Float32Array.from({ length: 60 }, (_, i) => Math.sin(i));
    expect(gradcheck((x) => constAffine(x, 'sample', s, t).mul(w), [x]).ok).toBe(true);
  }));
  it('concat on axes 1 and 3, and a value used twice', () => tidy(() => {
    const a = randn([2, 3, 4, 5]), b = randn([2, 1, 4, 5]), w1 = randn([2, 7, 4, 5]);
    expect(gradcheck((a, b) => concat([a, b, a], 1).mul(w1), [a, b]).ok).toBe(true);
    const c = randn([2, 3, 4, 2]), w3 = randn([2, 3, 4, 7]);
    expect(gradcheck((a, c) => concat([a, c], 3).mul(w3), [a, c]).ok).toBe(true);
  }));
  it('nn.Graph: a residual add and a concat, gradients adding at the branch', () => tidy(() => {
    const conv = new nn.Conv2d(2, 2, 3, { padding: 1 });
    const g = new nn.Graph([
      { name: 'conv', op: 'layer', inputs: [0], module: conv },
      { name: 'add', op: 'add', inputs: [1, 0] },
      { name: 'cat', op: 'concat', inputs: [2, 0], axis: 1 },
    ]);
    const x = randn([1, 2, 4, 4]);
    expect(g.forward(x).shape).toEqual([1, 4, 4, 4]);
    const w = randn([1, 4, 4, 4]);
    expect(gradcheck((x, wt, b) => g.forward(x).mul(w), [x, conv.weight, conv.bias!]).ok).toBe(true);
    expect(g.namedParameters().map(([n]) => n)).toEqual(['conv.weight', 'conv.bias']);
    g.dispose();
  }));
});

describe('worked numbers', () => {
  it('pad2d puts the input at [top, left] and the value around it', () => tidy(() => {
    const y = pad2d(tensor([1, 2, 3, 4], [1, 1, 2, 2]), [1, 0, 0, 1], 9);
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(y.data())).toEqual([9, 1, 2, 9, 3, 4, 9, 9, 9]);
  }));
  it('Elementwise broadcasts a per-channel constant, a scalar, and a [1, 1, H, W] map; reverse sub', () => tidy(() => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    expect(Array.from(new nn.Elementwise('sub', { shape: [1, 2, 1, 1], values: [1, 10] }).forward(x).data())).toEqual([0, 1, 2, 3, -5, -4, -3, -2]);
    expect(Array.from(new nn.Elementwise('div', { shape: [], values: [2] }).forward(x).data())).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]);
    expect(Array.from(new nn.Elementwise('mul', { shape: [1, 1, 2, 2], values: [1, 0, 0, -1] }).forward(x).data())).toEqual([1, 0, 0, -4, 5, 0, 0, -8]);
    expect(Array.from(new nn.Elementwise('sub', { shape: [1], values: [10] }, { reverse: true }).forward(x).data())).toEqual([9, 8, 7, 6, 5, 4, 3, 2]);
  }));
});

describe('bad input: a named Error, nothing allocated', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['a constant that would grow the batch', () => new nn.Elementwise('add', { shape: [3, 2, 1, 1], values: [1, 2, 3, 4, 5, 6] }).forward(randn([1, 2, 2, 2])), /Elementwise: constant \[3,2,1,1\] does not broadcast/],
    ['a division by zero', () => new nn.Elementwise('div', { shape: [2], values: [1, 0] }), /finite and non-zero/],
    ['negative padding', () => new nn.ConstantPad2d([1, -1, 0, 0]), /padding must be \[left, right, top, bottom\]/],
    ['pad2d on a 2-D input', () => pad2d(randn([2, 3]), [1, 1, 1, 1]), /pad2d: input must be 4-D/],
    ['a Graph node reading a later value', () => new nn.Graph([{ name: 'a', op: 'add', inputs: [0, 2] }]), /inputs must be values 0..0/],
    ['a Graph with a duplicate name', () => new nn.Graph([{ name: 'r', op: 'layer', inputs: [0], module: new nn.ReLU() }, { name: 'r', op: 'layer', inputs: [1], module: new nn.ReLU() }]), /unique identifier/],
    ['a Reshape with two −1', () => new nn.Reshape([-1, -1]), /at most one −1/],
  ];
  for (const [what, fn, message] of cases) {
    it(what, () => {
      tidy(() => {
        const before = memory().tensors;
        expect(fn).toThrow(message);
        expect(memory().tensors).toBeLessThanOrEqual(before + 2); // at most the test's own inputs
      });
    });
  }
});
