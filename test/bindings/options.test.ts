// Issue 15 item 2: every option object is checked. An unknown key is an Error naming it and the
// closest known key (or a hint for another library's name); a missing required key is a named
// Error; the raw engine errors the issue lists are the library's own Errors now.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  init, tensor, zeros, randn, rand, memory, nn, optim, loss, ops, fit, evaluate, predict, gradcheck,
  save, load, loadModel, checkpoint, restore, toOnnx, backward,
} from '../../bindings/index';
import { closest, options } from '../../bindings/options';

beforeAll(async () => {
  await init();
});

describe('options()', () => {
  it('suggests the closest known key for a typo, and nothing for an unrelated key', () => {
    expect(closest('momentun', ['lr', 'momentum', 'nesterov'])).toBe('momentum');
    expect(closest('batchsize', ['epochs', 'batchSize'])).toBe('batchSize');
    expect(closest('wieghtDecay', ['lr', 'weightDecay'])).toBe('weightDecay');
    expect(closest('strides', ['stride', 'padding'])).toBe('stride');
    expect(closest('colour', ['lr', 'momentum'])).toBeNull();
  });

  it('treats undefined as no options, and refuses a non-object', () => {
    expect(options('op', undefined, ['a'])).toEqual({});
    expect(() => options('op', 3, ['a'])).toThrow(/^op: options must be an object \{ a \}, got number$/);
    expect(() => options('op', [1], ['a'])).toThrow(/^op: options must be an object \{ a \}, got an array$/);
    expect(() => options('op', null, ['a'])).toThrow(/got null/);
  });

  it('names a missing required key, also when the whole object is missing', () => {
    expect(() => options('op', {}, ['a', 'b'], { required: ['a'] })).toThrow(/^op: missing required option 'a'/);
    expect(() => options('op', { a: undefined }, ['a'], { required: ['a'] })).toThrow(/missing required option 'a'/);
    expect(() => options('op', undefined, ['a'], { required: ['a'], example: '{ a: 1 }' })).toThrow(/^op: missing required option 'a': pass \{ a: 1 \}$/);
  });
});

describe('every public options object refuses unknown keys', () => {
  const model = () => new nn.Sequential(new nn.Dense(2, 3), new nn.ReLU(), new nn.Dense(3, 2));
  const data = { x: new Float32Array([0, 1, 1, 0, 1, 1, 0, 0]), y: new Int32Array([0, 1, 1, 0]) };

  it('the issue\'s examples', () => {
    const m = model();
    expect(() => new optim.SGD(m.parameters(), { lr: 0.1, momentun: 0.9 } as never))
      .toThrow(/^SGD: unknown option 'momentun'; did you mean 'momentum'\? \(it takes lr, momentum, nesterov, weightDecay\)$/);
    expect(() => new optim.Adam(m.parameters(), { beta1: 0.5 } as never)).toThrow(/^Adam: unknown option 'beta1'; use betas: \[beta1, beta2\]/);
    expect(() => new optim.AdamW(m.parameters(), { learningRate: 0.5 } as never)).toThrow(/^AdamW: unknown option 'learningRate'; use lr /);
    expect(() => new nn.Dense(2, 3, { activation: 'relu' } as never)).toThrow(/^Dense: unknown option 'activation'; use a separate activation layer/);
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    return expect(fit(m, data, { epochs: 1, optimizer: opt, batchsize: 2 } as never))
      .rejects.toThrow(/^fit: unknown option 'batchsize'; did you mean 'batchSize'\?/);
  });

  it('layers, optimisers, schedulers, ops, losses, creation, gradcheck, backward, io', async () => {
    const m = model();
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    const x4 = zeros([1, 1, 4, 4]);
    const cases: Array<[() => unknown, RegExp]> = [
      [() => new nn.Maxout(2, 3, 2, { bais: false } as never), /^Maxout: unknown option 'bais'; did you mean 'bias'\?/],
      [() => new nn.Conv2d(1, 2, 3, { strides: 2 } as never), /^Conv2d: unknown option 'strides'; did you mean 'stride'\?/],
      [() => new nn.MaxPool2d(2, { pad: 1 } as never), /^MaxPool2d: unknown option 'pad'/],
      [() => new nn.AvgPool2d(2, { stirde: 1 } as never), /^AvgPool2d: unknown option 'stirde'; did you mean 'stride'\?/],
      [() => new optim.SGD(m.parameters(), { lr: 0.1, weight_decay: 1 } as never), /^SGD: unknown option 'weight_decay'; use weightDecay/],
      [() => new optim.SGD(m.parameters(), {} as never), /^SGD: missing required option 'lr'/],
      [() => new optim.SGD(m.parameters(), undefined as never), /^SGD: missing required option 'lr'/],
      [() => new optim.StepLR(opt, undefined as never), /^StepLR: missing required option 'stepSize'/],
      [() => new optim.StepLR(opt, { step_size: 2 } as never), /^StepLR: unknown option 'step_size'; use stepSize/],
      [() => new optim.ExponentialLR(opt, undefined as never), /^ExponentialLR: missing required option 'gamma'/],
      [() => new optim.CosineAnnealingLR(opt, { T_max: 3 } as never), /^CosineAnnealingLR: unknown option 'T_max'; use tMax/],
      [() => ops.conv2d(x4, zeros([1, 1, 3, 3]), null, { dilations: 1 } as never), /^conv2d: unknown option 'dilations'; did you mean 'dilation'\?/],
      [() => ops.maxPool2d(x4, { kernel_size: 2 } as never), /^maxPool2d: unknown option 'kernel_size'; use kernelSize/],
      [() => ops.avgPool2d(x4, {} as never), /^avgPool2d: missing required option 'kernelSize'/],
      [() => ops.dropout(x4, 0.5, { train: false } as never), /^dropout: unknown option 'train'; did you mean 'training'\?/],
      [() => loss.svm(zeros([1, 2]), [0], { marign: 1 } as never), /^svm: unknown option 'marign'; did you mean 'margin'\?/],
      [() => loss.elasticNet(m.parameters(), { l3: 1 } as never), /^elasticNet: unknown option 'l3'; did you mean 'l1'\?/],
      [() => randn([2], { sd: 1 } as never), /^randn: unknown option 'sd'; did you mean 'std'\?/],
      [() => rand([2], { min: 0 } as never), /^rand: unknown option 'min'/],
      [() => gradcheck((a) => ops.sum(a), [tensor([1, 2])], { epsilon: 1 } as never), /^gradcheck: unknown option 'epsilon'; use eps/],
      [() => evaluate(m, data, { batch_size: 2 } as never), /^evaluate: unknown option 'batch_size'; use batchSize/],
      [() => predict(m, data.x, { shpae: [2] } as never), /^predict: unknown option 'shpae'; did you mean 'shape'\?/],
      [() => nn.fromJSON(m.toJSON(), { initialiser: 'he' } as never), /^fromJSON: unknown option 'initialiser'/],
      [() => save(m, { meta: {} } as never), /^save: unknown option 'meta'/],
      [() => load(m, save(m), { strcit: false } as never), /^load: unknown option 'strcit'; did you mean 'strict'\?/],
      [() => loadModel(save(m), { allowNaN: true } as never), /^loadModel: unknown option 'allowNaN'/],
      [() => checkpoint({ model: m, epochs: 3 } as never), /^checkpoint: unknown option 'epochs'; did you mean 'epoch'\?/],
      [() => checkpoint(undefined as never), /^checkpoint: missing required option 'model'/],
      [() => restore(checkpoint({ model: m }), { model: m, optimiser: opt } as never), /^restore: unknown option 'optimiser'; did you mean 'optimizer'\?/],
      [() => toOnnx(m, { inputshape: [2] } as never), /^toOnnx: unknown option 'inputshape'; did you mean 'inputShape'\?/],
      [() => toOnnx(m, undefined as never), /^toOnnx: missing required option 'inputShape'/],
    ];
    for (const [fn, message] of cases) expect(fn).toThrow(message);
    await expect(init({ varaint: 'scalar' } as never)).rejects.toThrow(/^init: unknown option 'varaint'; did you mean 'variant'\?/);
    await expect(fit(m, data, { optimizer: opt } as never)).rejects.toThrow(/^fit: missing required option 'epochs'/);
    await expect(fit(m, data, undefined as never)).rejects.toThrow(/^fit: missing required options 'epochs', 'optimizer'/);
  });

  it('backward takes its options in the gradient\'s place, as PyTorch, and checks them', () => {
    const w = tensor([1, 2]).requireGrad();
    const l = ops.sum(ops.mul(w, w));
    l.backward({ retainGraph: true });
    l.backward();
    expect(Array.from(w.grad!.data())).toEqual([4, 8]);
    const l2 = ops.sum(ops.mul(w, w));
    expect(() => backward(l2, undefined, { retain_graph: true } as never)).toThrow(/^backward: unknown option 'retain_graph'/);
    expect(() => l2.backward({ retainGrpah: true } as never)).toThrow(/^backward: unknown option 'retainGrpah'; did you mean 'retainGraph'\?/);
  });
});

describe('the raw errors the issue lists', () => {
  it('a layer too large for WebAssembly memory is the named out-of-memory Error, and leaves nothing behind', () => {
    const before = memory().tensors;
    expect(() => new nn.Dense(100000, 100000)).toThrow(/^Dense: out of memory: 40000000000 bytes .*; shape \[100000,100000\]$/);
    expect(() => new nn.Maxout(50000, 50000, 4)).toThrow(/^Maxout: out of memory/);
    expect(() => new nn.Conv2d(4096, 4096, 9)).toThrow(/^Conv2d: out of memory/);
    expect(memory().tensors).toBe(before);
  });

  it('a custom init returning NaN is refused and nothing is kept', () => {
    const before = memory().tensors;
    expect(() => new nn.Dense(2, 2, { init: () => NaN })).toThrow(/^Dense: init \(the init function\) contains 4 non-finite values/);
    expect(memory().tensors).toBe(before);
  });

  it('StepLR without options names the missing option', () => {
    const opt = new optim.SGD(new nn.Dense(2, 2).parameters(), { lr: 0.1 });
    expect(() => new (optim.StepLR as any)(opt)).toThrow(/^StepLR: missing required option 'stepSize': pass \{ stepSize: 10, gamma: 0.1 \}$/);
  });

  it('float targets with a classification loss say to use mse', async () => {
    const m = new nn.Dense(2, 2);
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    const data = { x: new Float32Array(8), y: new Float32Array(4) };
    await expect(fit(m, data, { epochs: 1, optimizer: opt, verbose: false }))
      .rejects.toThrow(/^fit: data.y is a Float32Array of float targets, but loss 'softmaxCrossEntropy' needs class labels: pass loss: 'mse'/);
    expect(() => evaluate(m, data, { loss: 'svm' })).toThrow(/^evaluate: data.y is a Float32Array of float targets, but loss 'svm'/);
  });

  it('evaluate on zero samples says the data set is empty', () => {
    const m = new nn.Dense(2, 2);
    expect(() => evaluate(m, { x: new Float32Array(0), y: new Int32Array(0) })).toThrow(/^evaluate: the data set is empty/);
    expect(() => evaluate(m, { x: new Float32Array(0), y: new Float32Array(0) }, { loss: 'mse' })).toThrow(/^evaluate: the data set is empty/);
  });
});
