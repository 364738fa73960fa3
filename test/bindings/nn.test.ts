import { describe, it, expect, beforeAll } from 'vitest';
import { init, seed, tensor, nn, tidy, memory, loss, type Tensor } from '../../bindings/index';
import { uniformTensor, awayFromZero, expectGradOk } from './helpers';

beforeAll(async () => {
  await init();
});

function std(v: Float32Array): number {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
}

describe('Module', () => {
  it('names parameters like a PyTorch state_dict', () => {
    seed(1);
    const model = new nn.Sequential(new nn.Dense(2, 4), new nn.ReLU(), new nn.Dense(4, 3));
    const named = model.namedParameters();
    expect(named.map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(named.map(([, p]) => p.shape)).toEqual([[4, 2], [4], [3, 4], [3]]);
    expect(model.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);

    class Net extends nn.Module {
      fc1 = new nn.Dense(3, 5);
      act = new nn.Tanh();
      head = new nn.Dense(5, 2, { bias: false });
      forward(x: Tensor): Tensor { return this.head.forward(this.act.forward(this.fc1.forward(x))); }
    }
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual(['fc1.weight', 'fc1.bias', 'head.weight']);
    expect(net.forward(uniformTensor([4, 3], 1)).shape).toEqual([4, 2]);
  });

  it('train() / eval() set the flag on every child', () => {
    const model = new nn.Sequential(new nn.Dense(2, 2), new nn.Sequential(new nn.ReLU()));
    expect(model.training).toBe(true);
    model.eval();
    expect(model.training).toBe(false);
    expect((model.layers[1] as nn.Sequential).layers[0].training).toBe(false);
    model.train();
    expect((model.layers[1] as nn.Sequential).layers[0].training).toBe(true);
  });

  it('parameters survive tidy(), intermediate results do not', () => {
    const before = memory().tensors;
    const model = tidy(() => {
      const m = new nn.Sequential(new nn.Dense(3, 4), new nn.ReLU(), new nn.Dense(4, 2));
      m.forward(uniformTensor([2, 3], 2));
      return m;
    });
    expect(memory().tensors).toBe(before + 4);
    expect(model.parameters().every((p) => !p.isDisposed)).toBe(true);
    model.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('stateDict / loadStateDict round-trip', () => {
    seed(2);
    const a = new nn.Sequential(new nn.Dense(3, 2));
    seed(3);
    const b = new nn.Sequential(new nn.Dense(3, 2));
    b.loadStateDict(a.stateDict());
    expect(b.stateDict()).toEqual(a.stateDict());
    expect(() => b.loadStateDict({ '0.weight': new Float32Array(6) })).toThrow(/^loadStateDict: missing parameter '0.bias'; shape \[2\]/);
    expect(() => b.loadStateDict({ '0.weight': new Float32Array(5), '0.bias': new Float32Array(2) })).toThrow(/^loadStateDict: '0.weight' has 5 values/);
  });
});

describe('initialisation', () => {
  it('He by default (std √(2/fanIn)), Xavier on request, zero bias, repeatable with seed()', () => {
    seed(7);
    const he = new nn.Dense(400, 300);
    expect(std(he.weight.data())).toBeCloseTo(Math.sqrt(2 / 400), 3);
    expect(Array.from(he.bias!.data()).every((v) => v === 0)).toBe(true);
    const xavier = new nn.Dense(400, 300, { init: 'xavier' });
    expect(std(xavier.weight.data())).toBeCloseTo(Math.sqrt(2 / 700), 3);
    const xu = new nn.Dense(400, 300, { init: 'xavierUniform' }).weight.data();
    expect(Math.max(...xu)).toBeLessThanOrEqual(Math.sqrt(6 / 700));
    expect(std(xu)).toBeCloseTo(Math.sqrt(2 / 700), 3);
    const custom = new nn.Dense(3, 2, { init: () => 0.25 });
    expect(Array.from(custom.weight.data())).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
    seed(11);
    const w1 = new nn.Dense(5, 4).weight.data();
    seed(11);
    const w2 = new nn.Dense(5, 4).weight.data();
    expect(Array.from(w1)).toEqual(Array.from(w2));
    expect(() => new nn.Dense(0, 3)).toThrow(/^Dense: inFeatures must be a positive integer, got 0/);
    expect(() => new nn.Dense(2, 3, { init: 'bogus' as any })).toThrow(/^Dense: unknown init 'bogus'/);
  });
});

describe('gradcheck: every layer, through its parameters and input', () => {
  it('Dense', () => {
    seed(20);
    const d = new nn.Dense(4, 3);
    expectGradOk((x) => d.forward(x), [uniformTensor([5, 4], 21), d.weight, d.bias!]);
  });
  it('Dense without bias', () => {
    seed(22);
    const d = new nn.Dense(3, 2, { bias: false });
    expectGradOk((x) => d.forward(x), [uniformTensor([4, 3], 23), d.weight]);
  });
  it('Maxout', () => {
    seed(24);
    const m = new nn.Maxout(3, 2, 3);
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['weight', [6, 3]], ['bias', [6]]]);
    expectGradOk((x) => m.forward(x), [uniformTensor([4, 3], 25), m.weight, m.bias!]);
  });
  it('ReLU, LeakyReLU, ELU, Sigmoid, Tanh', () => {
    expectGradOk((x) => new nn.ReLU().forward(x), [awayFromZero([3, 4], 26)]);
    expectGradOk((x) => new nn.LeakyReLU().forward(x), [awayFromZero([3, 4], 27)]);
    expectGradOk((x) => new nn.LeakyReLU(0.2).forward(x), [awayFromZero([3, 4], 28)]);
    expectGradOk((x) => new nn.ELU().forward(x), [awayFromZero([3, 4], 29)]);
    expectGradOk((x) => new nn.Sigmoid().forward(x), [uniformTensor([3, 4], 30, 3)]);
    expectGradOk((x) => new nn.Tanh().forward(x), [uniformTensor([3, 4], 31, 2)]);
  });
  it('Sequential with a loss', () => {
    seed(32);
    const model = new nn.Sequential(new nn.Dense(4, 6), new nn.Tanh(), new nn.Dense(6, 5), new nn.Sigmoid(), new nn.Dense(5, 3));
    const y = new Int32Array([2, 0, 1]);
    expectGradOk((x) => loss.softmaxCrossEntropy(model.forward(x), y), [uniformTensor([3, 4], 33), ...model.parameters()]);
  });
  it('Flatten', () => {
    expectGradOk((x) => new nn.Flatten().forward(x).mul(uniformTensor([2, 6], 35)), [uniformTensor([2, 3, 2], 34)]);
  });
});

describe('bad input to layers', () => {
  it('a Dense fed the wrong width names the op and shapes and changes nothing', () => {
    seed(40);
    const model = new nn.Sequential(new nn.Dense(4, 3));
    const w = model.stateDict();
    expect(() => model.forward(tensor([[1, 2, 3]]))).toThrow(/^linear: input has 3 features but the weight expects 4; shapes \[1,3\], \[3,4\] and \[3\]$/);
    expect(model.stateDict()).toEqual(w);
    expect(model.forward(uniformTensor([2, 4], 41)).shape).toEqual([2, 3]);
  });
});
