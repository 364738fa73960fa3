// Printing tensors and models (toString, util.inspect, summary, paramCount) and the leak guard.
import { describe, it, expect, beforeAll, vi } from 'vitest';
import { inspect } from 'node:util';
import { init, tensor, ones, randn, seed, nn, optim, loss, tidy, memory, paramCount, setLeakWarning } from '../../bindings/index';

beforeAll(async () => {
  await init();
});

describe('tensor printing', () => {
  it('prints values as PyTorch does, with the shape', () => {
    const t = tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    const text = 'tensor([[0.1000, 0.2000, 0.3000],\n        [0.4000, 0.5000, 0.6000]], shape=[2,3])';
    expect(t.toString()).toBe(text);
    expect(String(t)).toBe(text);
    expect(inspect(t)).toBe(text);
    expect(`${tensor([1, -2, 30])}`).toBe('tensor([ 1., -2., 30.], shape=[3])');
    expect(`${tensor(2.5)}`).toBe('tensor(2.5000, shape=[])');
    expect(`${tensor([1e-6, 1, 250])}`).toBe('tensor([1.0000e-06, 1.0000e+00, 2.5000e+02], shape=[3])');
    expect(`${tensor([[[1, 2]], [[3, 4]]])}`).toBe('tensor([[[1., 2.]],\n\n        [[3., 4.]]], shape=[2,1,2])');
  });

  it('elides large tensors (first and last 3 of each long dimension) and says how grad flows', () => {
    seed(1);
    const big = randn([40, 50]);
    const lines = big.toString().split('\n');
    expect(lines.length).toBe(7); // 3 rows, ..., 3 rows
    expect(lines[3].trim()).toBe('...,');
    expect(lines[0]).toMatch(/^tensor\(\[\[ ?-?\d\.\d{4}, +-?\d\.\d{4}, +-?\d\.\d{4}, \.\.\., /);
    expect(lines[6]).toMatch(/\]\], shape=\[40,50\]\)$/);
    expect(`${ones([2]).requireGrad()}`).toBe('tensor([1., 1.], shape=[2], requiresGrad=true)');
    expect(`${ones([2]).requireGrad().mul(3)}`).toBe('tensor([3., 3.], shape=[2], gradFn=scale)');
    const d = tensor([1, 2]);
    d.dispose();
    expect(`${d}`).toBe('tensor(<disposed>, shape=[2])');
    expect(inspect({ d })).toContain('tensor(<disposed>');
  });
});

describe('model printing', () => {
  it('toString prints the layer tree; summary a table with totals; paramCount', () => {
    const model = new nn.Sequential(new nn.Dense(4, 8), new nn.ReLU(), new nn.Dropout(0.5), new nn.Dense(8, 3));
    expect(String(model)).toBe([
      'Sequential(',
      '  (0): Dense(inFeatures=4, outFeatures=8, bias=true)',
      '  (1): ReLU()',
      '  (2): Dropout(p=0.5)',
      '  (3): Dense(inFeatures=8, outFeatures=3, bias=true)',
      ')',
    ].join('\n'));
    const before = memory().tensors;
    const table = model.summary([4]);
    expect(memory().tensors).toBe(before);
    expect(model.training).toBe(true); // summary ran in eval mode and put the mode back
    expect(table.split('\n')).toEqual([
      'Layer (type)  Output shape  Param #',
      '===================================',
      '0 (Dense)     [-1, 8]            40',
      '1 (ReLU)      [-1, 8]             0',
      '2 (Dropout)   [-1, 8]             0',
      '3 (Dense)     [-1, 3]            27',
      '===================================',
      'Total params: 67',
      'Trainable params: 67',
      'Non-trainable params: 0',
    ]);
    expect(paramCount(model)).toBe(67);
    expect(nn.paramCount(model.parameters().slice(0, 1))).toBe(32);
    expect(() => model.summary([5])).toThrow(/^summary: the model's forward failed on an input of shape \[1,5\]: linear: input has 5 features/);
    expect(() => model.summary(4 as any)).toThrow(/^summary: inputShape must be an array of positive integers/);
    expect(() => paramCount({} as any)).toThrow(/^paramCount: expected an nn.Module or an array of Tensors, got Object/);
  });

  it('a custom module prints its named children, a CNN its output shapes', () => {
    class Net extends nn.Module {
      conv = new nn.Conv2d(1, 4, 3, { padding: 1 });
      pool = new nn.MaxPool2d(2);
      flat = new nn.Flatten();
      head = new nn.Dense(4 * 4 * 4, 2);
      forward(x: any) { return this.head.forward(this.flat.forward(this.pool.forward(this.conv.forward(x).relu()))); }
    }
    const net = new Net();
    expect(String(net).split('\n')[0]).toBe('Net(');
    expect(String(net)).toContain('  (conv): Conv2d(inChannels=1, outChannels=4, kernelSize=[3, 3]');
    const rows = net.summary([1, 8, 8]).split('\n');
    expect(rows[2]).toMatch(/^conv \(Conv2d\) +\[-1, 4, 8, 8\] +40$/);
    expect(rows[3]).toMatch(/^pool \(MaxPool2d\) +\[-1, 4, 4, 4\] +0$/);
    expect(rows[5]).toMatch(/^head \(Dense\) +\[-1, 2\] +130$/);
    expect(rows).toContain('Total params: 170');
    expect(Object.prototype.hasOwnProperty.call(net.conv, 'forward')).toBe(false); // the recording wrappers are gone
  });
});

describe('the leak guard', () => {
  function step(model: nn.Sequential, opt: optim.SGD, x: any, y: Int32Array): void {
    opt.zeroGrad();
    loss.softmaxCrossEntropy(model.forward(x), y).backward();
    opt.step();
  }

  it('warns once when live tensors grow across backward() calls outside tidy, naming tidy and the switch', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      setLeakWarning(true);
      const x = tensor([[1, 2], [3, 4]]), y = Int32Array.from([0, 1]);
      const model = new nn.Sequential(new nn.Dense(2, 3));
      const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
      for (let i = 0; i < 600; i++) step(model, opt, x, y);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/live tensors, and the count grew .* outside tidy\(\).*tidy\(\(\) => \{ \.\.\. \}\).*setLeakWarning\(false\)/);
    } finally {
      warn.mockRestore();
    }
  });

  it('stays quiet with tidy, and when switched off', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      setLeakWarning(true);
      const x = tensor([[1, 2], [3, 4]]), y = Int32Array.from([0, 1]);
      const model = new nn.Sequential(new nn.Dense(2, 3));
      const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
      for (let i = 0; i < 600; i++) tidy(() => step(model, opt, x, y));
      expect(warn).not.toHaveBeenCalled();
      setLeakWarning(false);
      for (let i = 0; i < 600; i++) step(model, opt, x, y);
      expect(warn).not.toHaveBeenCalled();
      expect(() => setLeakWarning('no' as any)).toThrow(/^setLeakWarning: expected true or false, got string/);
    } finally {
      setLeakWarning(true);
      warn.mockRestore();
    }
  });
});
