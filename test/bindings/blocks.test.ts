// Issue 12 layers through the public API: BatchNorm1d/2d (buffers, train/eval, running
// statistics), LayerNorm, Residual, GELU/ReLU6/SiLU/Hardtanh/LogSoftmax and the new losses:
// worked numbers against float64, gradcheck (BatchNorm in train and eval mode), state_dict names,
// save/load/loadModel/checkpoint/fromJSON round trips, and bad input that changes nothing.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  init, seed, tensor, nn, loss, ops, optim, memory, save, load, loadModel, checkpoint, restore, gradcheck, readSafetensors, type Tensor,
} from '../../bindings/index';
import { uniformTensor, awayFromZero, expectGradOk, expectAllClose } from './helpers';
import * as ref from '../reference/norm';

beforeAll(async () => {
  await init();
});

const data = (t: Tensor): number[] => Array.from(t.data());

describe('BatchNorm', () => {
  it('has PyTorch state_dict names; running statistics are buffers, not parameters', () => {
    const model = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU(), new nn.Flatten(), new nn.Dense(2, 3), new nn.BatchNorm1d(3, { affine: false }));
    expect(model.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '4.weight', '4.bias']);
    expect(model.namedBuffers().map(([n]) => n)).toEqual(['1.running_mean', '1.running_var', '1.num_batches_tracked', '5.running_mean', '5.running_var', '5.num_batches_tracked']);
    expect(Object.keys(model.stateDict())).toEqual([
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '4.weight', '4.bias',
      '5.running_mean', '5.running_var', '5.num_batches_tracked',
    ]);
    expect(model.parameters().length).toBe(6);
    const bn = model.layers[1] as nn.BatchNorm2d;
    expect([data(bn.weight!), data(bn.bias!), data(bn.running_mean!), data(bn.running_var!), data(bn.num_batches_tracked!)]).toEqual([[1, 1], [0, 0], [0, 0], [1, 1], [0]]);
    expect(bn.running_mean!.requiresGrad).toBe(false);
    const none = new nn.BatchNorm2d(4, { affine: false, trackRunningStats: false });
    expect(none.namedTensors()).toEqual([]);
    const before = memory().tensors;
    model.dispose();
    expect(memory().tensors).toBe(before - 12);
  });

  it('train mode: batch statistics, running statistics with momentum (unbiased variance) after k steps; eval uses them', () => {
    const [n, c, h, w] = [3, 4, 2, 3];
    const bn = new nn.BatchNorm2d(c, { momentum: 0.3 });
    let rm = new Float64Array(c), rv = new Float64Array(c).fill(1);
    const xs: Tensor[] = [];
    for (let k = 0; k < 3; k++) {
      const x = uniformTensor([n, c, h, w], 10 + k, 2 + k);
      xs.push(x);
      const y = bn.forward(x);
      const want = ref.batchNormForward(x.data(), null, null, rm, rv, n, c, h * w, 1e-5, 0.3, true);
      expectAllClose(y.data(), want.y, 1e-5);
      rm = want.runMean; rv = want.runVar;
    }
    expectAllClose(bn.running_mean!.data(), rm, 1e-6);
    expectAllClose(bn.running_var!.data(), rv, 1e-6);
    expect(data(bn.num_batches_tracked!)).toEqual([3]);
    bn.eval();
    const x = uniformTensor([2, c, h, w], 20);
    const y = bn.forward(x);
    expectAllClose(y.data(), ref.batchNormForward(x.data(), null, null, rm, rv, 2, c, h * w, 1e-5, 0.3, false).y, 1e-5);
    expect(data(bn.num_batches_tracked!)).toEqual([3]); // eval leaves the statistics alone
    expectAllClose(bn.running_mean!.data(), rm, 1e-6);
    // a single sample is fine in eval mode
    expect(bn.forward(uniformTensor([1, c, 1, 1], 21)).shape).toEqual([1, c, 1, 1]);
  });

  it('momentum null is the cumulative average; trackRunningStats false uses batch statistics in eval too', () => {
    const bn = new nn.BatchNorm1d(2, { momentum: null });
    const a = tensor([[1, 2], [3, 6]]), b = tensor([[5, 0], [7, 0]]);
    bn.forward(a); bn.forward(b);
    expectAllClose(bn.running_mean!.data(), [(2 + 6) / 2, (4 + 0) / 2], 1e-6);
    expectAllClose(bn.running_var!.data(), [(2 + 2) / 2, (8 + 0) / 2], 1e-6);
    const free = new nn.BatchNorm1d(2, { trackRunningStats: false, affine: false }).eval();
    expectAllClose(free.forward(a).data(), [-1, -1, 1, 1], 1e-4);
  });

  it('gradcheck in train mode (input, weight, bias; 1d and 2d) and in eval mode', () => {
    seed(3);
    const bn2 = new nn.BatchNorm2d(3);
    setState(bn2, { weight: [0.5, -1.2, 2], bias: [0.1, 0.2, -0.3] });
    const x = uniformTensor([2, 3, 2, 3], 4, 2);
    expectGradOk((x, w, b) => ops.batchNorm(x, null, null, w, b, { training: true }), [x, bn2.weight!, bn2.bias!]);
    expectGradOk((x) => bn2.forward(x), [x]);
    const x1 = uniformTensor([5, 4], 5, 3);
    const bn1 = new nn.BatchNorm1d(4);
    expectGradOk((x, w, b) => ops.batchNorm(x, bn1.running_mean, bn1.running_var, w, b, { training: true }), [x1, bn1.weight!, bn1.bias!]);
    const x3 = uniformTensor([3, 2, 5], 6, 3);
    expectGradOk((x) => ops.batchNorm(x, null, null, null, null, { training: true }), [x3]);
    setState(bn1, { running_mean: [0.5, -1, 0, 2], running_var: [2, 0.5, 1, 3], weight: [1.5, -0.5, 1, 2] });
    bn1.eval();
    expectGradOk((x, w, b) => ops.batchNorm(x, bn1.running_mean, bn1.running_var, w, b, { training: false }), [x1, bn1.weight!, bn1.bias!]);
  });

  it('bad input: a named Error, before any kernel runs, nothing written', () => {
    const bn = new nn.BatchNorm2d(3), bn1 = new nn.BatchNorm1d(3);
    const state = JSON.stringify(bn.stateDict(), (_, v) => (v instanceof Float32Array ? Array.from(v) : v));
    const before = memory();
    expect(() => bn.forward(uniformTensor([4, 3], 1))).toThrow(/^BatchNorm2d: expected a 4-D \[batch, channels, height, width\] input, got 2-D \[4,3\]/);
    expect(() => bn.forward(uniformTensor([2, 4, 2, 2], 1))).toThrow(/^BatchNorm2d: input has 4 channels, the layer has 3/);
    expect(() => bn.forward(uniformTensor([1, 3, 1, 1], 1))).toThrow(/^BatchNorm2d: expected more than 1 value per channel in training mode, got 1/);
    expect(() => bn1.forward(uniformTensor([1, 3], 1))).toThrow(/^BatchNorm1d: expected more than 1 value per channel in training mode/);
    expect(() => bn1.forward(uniformTensor([2, 3, 1, 1], 1))).toThrow(/^BatchNorm1d: expected a 2-D \[batch, features\] or 3-D/);
    expect(memory().tensors - before.tensors).toBe(5); // just the five inputs above
    expect(memory().bytes - before.bytes).toBe(4 * (12 + 32 + 3 + 3 + 6)); // no stats buffer, no output left behind
    expect(JSON.stringify(bn.stateDict(), (_, v) => (v instanceof Float32Array ? Array.from(v) : v))).toBe(state);
    const t0 = memory().tensors;
    expect(() => new nn.BatchNorm2d(3, { eps: 0 })).toThrow(/^BatchNorm2d: eps must be a positive number, got 0/);
    expect(() => new nn.BatchNorm2d(3, { eps: -1e-5 })).toThrow(/^BatchNorm2d: eps must be a positive number/);
    expect(() => new nn.BatchNorm2d(3, { momentum: 2 })).toThrow(/^BatchNorm2d: momentum must be a number in \[0, 1\] or null/);
    expect(() => new nn.BatchNorm2d(3, { eps: 1e-5, moment: 0.1 } as any)).toThrow(/^BatchNorm2d: unknown option 'moment'; did you mean 'momentum'\? \(it takes eps, momentum, affine, trackRunningStats\)/);
    expect(() => new nn.BatchNorm1d(0)).toThrow(/^BatchNorm1d: numFeatures must be a positive integer, got 0/);
    expect(() => new nn.BatchNorm1d(2.5 as any)).toThrow(/^BatchNorm1d: numFeatures must be a positive integer/);
    expect(memory().tensors).toBe(t0);
  });
});

/** Overwrites some of a module's state_dict entries. */
function setState(m: nn.Module, values: Record<string, number[]>): void {
  m.loadStateDict({ ...m.stateDict(), ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Float32Array.from(v)])) });
}

/** A small ResNet-style model with every new layer. */
function resnetish(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(),
    new nn.Residual(new nn.Sequential(new nn.Conv2d(4, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.GELU())),
    new nn.Residual(new nn.Sequential(new nn.Conv2d(4, 6, 3, { padding: 1, stride: 2 }), new nn.BatchNorm2d(6), new nn.SiLU()),
      new nn.Sequential(new nn.Conv2d(4, 6, 1, { stride: 2, bias: false }), new nn.BatchNorm2d(6, { momentum: null }))),
    new nn.Flatten(), new nn.Dense(6 * 2 * 2, 8), new nn.LayerNorm(8), new nn.GELU({ approximate: 'tanh' }), new nn.ReLU6(),
    new nn.Hardtanh(-0.5, 2), new nn.BatchNorm1d(8, { affine: false }), new nn.Dense(8, 3), new nn.LogSoftmax(),
  );
}

function trainSteps(model: nn.Module, k: number, s: number): void {
  const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  for (let i = 0; i < k; i++) {
    const x = uniformTensor([4, 2, 4, 4], s + i, 2);
    const l = loss.softmaxCrossEntropy(model.forward(x), [0, 1, 2, 1], { labelSmoothing: 0.1 });
    model.zeroGrad(); l.backward(); opt.step();
  }
}

describe('Residual and the model io of the new layers', () => {
  it('Residual: PyTorch names (body / shortcut), forward body(x) + shortcut(x), gradients add at the branch', () => {
    seed(5);
    const model = resnetish();
    const names = model.namedTensors().map(([n]) => n);
    expect(names).toContain('3.body.0.weight');
    expect(names).toContain('3.body.1.running_var');
    expect(names).toContain('4.shortcut.0.weight');
    expect(names).toContain('4.shortcut.1.num_batches_tracked');
    expect(names).toContain('7.weight');
    expect(names.filter((n) => n.startsWith('11.'))).toEqual(['11.running_mean', '11.running_var', '11.num_batches_tracked']);
    const x = uniformTensor([3, 4], 1);
    const body = new nn.Dense(4, 4), r = new nn.Residual(body);
    expectAllClose(r.forward(x).data(), body.forward(x).add(x).data(), 1e-6);
    expectGradOk((x) => r.forward(x), [x]);
    const sc = new nn.Residual(new nn.Sequential(new nn.Dense(4, 2), new nn.Tanh()), new nn.Dense(4, 2));
    expectGradOk((x) => sc.forward(x), [x]);
    expect(() => new nn.Residual(new nn.Dense(4, 2)).forward(x)).toThrow(/^Residual: the body gives \[3,2\] but the identity shortcut passes \[3,4\]/);
    expect(() => new nn.Residual(null as any)).toThrow(/^Residual: body must be an nn.Module/);
  });

  it('save / load / loadModel / fromJSON / checkpoint keep the running statistics', () => {
    seed(6);
    const model = resnetish();
    trainSteps(model, 3, 100);
    model.eval();
    const x = uniformTensor([2, 2, 4, 4], 7);
    const want = model.forward(x).data();
    const bytes = save(model);
    const file = readSafetensors(bytes);
    expect(file.tensors['1.num_batches_tracked'].shape).toEqual([]);
    expect(file.tensors['1.num_batches_tracked'].data[0]).toBe(3);
    const copy = loadModel(bytes).eval();
    expect(copy.forward(x).data()).toEqual(want);
    seed(99);
    const other = nn.fromJSON(model.toJSON()).eval();
    expect(other.forward(x).data()).not.toEqual(want);
    load(other, bytes);
    expect(other.forward(x).data()).toEqual(want);
    // JSON text round trip of the description
    expect(nn.fromJSON(JSON.stringify(model.toJSON())).toJSON()).toEqual(model.toJSON());

    // checkpoint → restore → the same next steps, bit for bit (running statistics included)
    model.train();
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const ck = checkpoint({ model, optimizer: opt, epoch: 1 });
    const twin = nn.fromJSON(model.toJSON());
    const opt2 = new optim.Adam(twin.parameters(), { lr: 0.01 });
    restore(ck, { model: twin, optimizer: opt2 });
    const step = (m: nn.Module, o: optim.Adam) => {
      const l = loss.softmaxCrossEntropy(m.forward(uniformTensor([4, 2, 4, 4], 50, 2)), [2, 1, 0, 0]);
      m.zeroGrad(); l.backward(); o.step();
    };
    step(model, opt); step(twin, opt2);
    expect(save(twin)).toEqual(save(model));
  });

  it('loading refuses a file without the buffers, naming it, and changes nothing', () => {
    const model = new nn.Sequential(new nn.Dense(2, 3), new nn.BatchNorm1d(3));
    const weightsOnly = new nn.Sequential(new nn.Dense(2, 3), new nn.BatchNorm1d(3, { trackRunningStats: false }));
    const before = save(model);
    expect(() => load(model, save(weightsOnly))).toThrow(/^load: the file has no tensor '1.running_mean' \(nor '1.running_var', '1.num_batches_tracked'\)/);
    expect(save(model)).toEqual(before);
  });

  it('fromJSON checks the new layers\' options', () => {
    expect(() => nn.fromJSON({ type: 'BatchNorm2d', numFeatures: 3, eps: 0 })).toThrow(/^fromJSON: model \(BatchNorm2d\): eps must be a positive number/);
    expect(() => nn.fromJSON({ type: 'BatchNorm2d', numFeatures: 3, foo: 1 })).toThrow(/^fromJSON: model: BatchNorm2d has no option 'foo'/);
    expect(() => nn.fromJSON({ type: 'GELU', approximate: 'erf' })).toThrow(/^fromJSON: model \(GELU\): approximate must be 'none' or 'tanh'/);
    expect(() => nn.fromJSON({ type: 'Hardtanh', min: 2, max: 1 })).toThrow(/^fromJSON: model \(Hardtanh\): min and max must be finite numbers with min < max/);
    expect(() => nn.fromJSON({ type: 'Residual', body: { type: 'Nope' } })).toThrow(/^fromJSON: model \(Residual\)\.body: unknown layer type 'Nope'/);
    expect(() => nn.fromJSON({ type: 'LayerNorm', normalizedShape: [3, 0] })).toThrow(/^fromJSON: model \(LayerNorm\): normalizedShape\[1\] must be a positive integer/);
  });
});

describe('LayerNorm', () => {
  it('normalises the trailing dimensions against float64; gradcheck; bad input', () => {
    const ln = new nn.LayerNorm([2, 3]);
    setState(ln, { weight: [1, 2, -1, 0.5, 1.5, 1], bias: [0, 0.1, 0.2, -0.3, 0, 1] });
    const x = uniformTensor([4, 2, 3], 8, 3);
    const want = ref.layerNormForward(x.data(), ln.weight!.data(), ln.bias!.data(), 4, 6, 1e-5);
    expectAllClose(ln.forward(x).data(), want.y, 1e-5);
    expectGradOk((x, w, b) => ops.layerNorm(x, [2, 3], w, b), [x, ln.weight!, ln.bias!]);
    expectGradOk((x) => ops.layerNorm(x, [3], null, null, 1e-3), [uniformTensor([5, 3], 9, 2)]);
    expect(ln.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['weight', [2, 3]], ['bias', [2, 3]]]);
    expect(new nn.LayerNorm(4, { elementwiseAffine: false }).parameters()).toEqual([]);
    expect(() => ln.forward(uniformTensor([4, 3, 2], 1))).toThrow(/^LayerNorm: the input's trailing dimensions must be \[2,3\]/);
    expect(() => new nn.LayerNorm(4, { eps: 0 })).toThrow(/^LayerNorm: eps must be a positive number, got 0/);
    expect(() => new nn.LayerNorm(4, { affine: false } as any)).toThrow(/^LayerNorm: unknown option 'affine'.* \(it takes eps, elementwiseAffine\)/);
    expect(() => new nn.LayerNorm([])).toThrow(/^LayerNorm: normalizedShape must be a positive integer or a non-empty array/);
  });
});

describe('activations', () => {
  it('GELU (both), SiLU, ReLU6, Hardtanh, LogSoftmax: forward against float64, gradcheck, options', () => {
    const x = awayFromZero([3, 7], 11, 0.05, 4);
    const xs = Array.from(x.data());
    expectAllClose(new nn.GELU().forward(x).data(), xs.map(ref.act.gelu), 1e-6);
    expectAllClose(new nn.GELU({ approximate: 'tanh' }).forward(x).data(), xs.map(ref.act.geluTanh), 1e-6);
    expectAllClose(new nn.SiLU().forward(x).data(), xs.map(ref.act.silu), 1e-6);
    const six = tensor([-1, 0.5, 5.5, 7, 6, 0]);
    expect(data(new nn.ReLU6().forward(six))).toEqual([0, 0.5, 5.5, 6, 6, 0]);
    expect(data(new nn.Hardtanh().forward(six))).toEqual([-1, 0.5, 1, 1, 1, 0]);
    expectAllClose(new nn.LogSoftmax().forward(x).data(), ref.logSoftmax(xs, 3, 7), 1e-6);
    expectAllClose(new nn.LogSoftmax().forward(x.reshape([3, 7, 1])).data(), new Float32Array(21), 0); // a single class: log 1 = 0
    for (const f of [(t: Tensor) => t.gelu(), (t: Tensor) => t.gelu('tanh'), (t: Tensor) => t.silu(), (t: Tensor) => t.logSoftmax(),
      (t: Tensor) => t.relu6().mul(1)]) {
      expectGradOk(f, [awayFromZero([3, 5], 12, 0.05, 2)]);
    }
    expectGradOk((t) => t.relu6(), [tensor([5.5, 6.5, -0.5, 0.5, 3])]);
    expectGradOk((t) => t.hardtanh(-0.5, 0.7), [tensor([-1, -0.4, 0, 0.3, 0.6, 0.8, 2])]);
    expect(() => new nn.GELU({ approximate: 'erf' } as any)).toThrow(/^GELU: approximate must be 'none' or 'tanh', got erf/);
    expect(() => new nn.GELU({ approx: 'tanh' } as any)).toThrow(/^GELU: unknown option 'approx'; did you mean 'approximate'\? \(it takes approximate\)/);
    expect(() => new nn.Hardtanh(1, 1)).toThrow(/^Hardtanh: min and max must be finite numbers with min < max, got 1 and 1/);
  });
});

describe('losses', () => {
  it('binaryCrossEntropyWithLogits: stable for large logits, PyTorch numbers, gradcheck', () => {
    const x = tensor([[0.5, -2, 100], [-100, 3, 0]]), t = tensor([[1, 0, 0], [1, 0.3, 0.5]]);
    const want = [[0.5, 1], [-2, 0], [100, 0], [-100, 1], [3, 0.3], [0, 0.5]].map(([v, tt]) => Math.max(v, 0) - v * tt + Math.log1p(Math.exp(-Math.abs(v))));
    expect(loss.binaryCrossEntropyWithLogits(x, t).item()).toBeCloseTo(want.reduce((a, b) => a + b) / 6, 5);
    expectGradOk((a, b) => loss.binaryCrossEntropyWithLogits(a, b), [uniformTensor([3, 4], 13, 3), uniformTensor([3, 4], 14).add(1).scale(0.5)]);
    expect(() => loss.binaryCrossEntropyWithLogits(x, tensor([1, 0]))).toThrow(/^binaryCrossEntropyWithLogits: logits and targets must have the same shape/);
  });

  it('huber: quadratic inside delta, linear beyond, mean; gradcheck; options', () => {
    const a = tensor([0, 1, 3, -4]), b = tensor([0.5, 1, 0, 0]);
    const h = (d: number, delta: number) => (Math.abs(d) <= delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta));
    expect(loss.huber(a, b).item()).toBeCloseTo([-0.5, 0, 3, -4].map((d) => h(d, 1)).reduce((s, v) => s + v) / 4, 6);
    expect(loss.huber(a, b, { delta: 2 }).item()).toBeCloseTo([-0.5, 0, 3, -4].map((d) => h(d, 2)).reduce((s, v) => s + v) / 4, 6);
    expectGradOk((p, q) => loss.huber(p, q, { delta: 0.7 }), [awayFromZero([2, 5], 15, 0.1, 2), uniformTensor([2, 5], 16, 0.05)]);
    expect(() => loss.huber(a, b, { delta: 0 })).toThrow(/^huber: delta must be a positive number, got 0/);
    expect(() => loss.huber(a, b, { beta: 1 } as any)).toThrow(/^huber: unknown option 'beta'.*\(it takes delta\)/);
  });

  it('softmaxCrossEntropy labelSmoothing: (1 − ε)·CE + ε·mean over classes of −log p; gradcheck; ε = 0 is plain CE', () => {
    const x = uniformTensor([4, 5], 17, 3), y = [0, 4, 2, 2];
    const lp = ref.logSoftmax(x.data(), 4, 5);
    let want = 0;
    for (let r = 0; r < 4; r++) {
      let mean = 0;
      for (let c = 0; c < 5; c++) mean -= lp[r * 5 + c] / 5;
      want += (0.9 * -lp[r * 5 + y[r]] + 0.1 * mean) / 4;
    }
    expect(loss.softmaxCrossEntropy(x, y, { labelSmoothing: 0.1 }).item()).toBeCloseTo(want, 5);
    expect(loss.softmaxCrossEntropy(x, y, { labelSmoothing: 0 }).item()).toBe(loss.softmaxCrossEntropy(x, y).item());
    expectGradOk((x) => loss.softmaxCrossEntropy(x, y, { labelSmoothing: 0.25 }), [x]);
    expect(() => loss.softmaxCrossEntropy(x, y, { labelSmoothing: 1.5 })).toThrow(/^softmaxCrossEntropy: labelSmoothing must be a number in \[0, 1\], got 1.5/);
    expect(() => loss.softmaxCrossEntropy(x, y, { smoothing: 0.1 } as any)).toThrow(/^softmaxCrossEntropy: unknown option 'smoothing'.*\(it takes labelSmoothing\)/);
  });
});
