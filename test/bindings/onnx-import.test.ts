// fromOnnx on the torch.onnx.export fixtures (test/fixtures/onnx/make.py): each model at opsets 11,
// 13 and 17 imports and matches PyTorch's output; the import then trains, saves and reloads,
// describes itself, and exports again (checked in onnxruntime-node).
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { init, seed, nn, tensor, tidy, noGrad, memory, fromOnnx, toOnnx, save, load, loadModel, optim, loss, checkpoint, restore } from '../../bindings/index';

beforeAll(async () => { await init(); });

const dir = new URL('../fixtures/onnx/', import.meta.url);
const read = (f: string): Uint8Array => new Uint8Array(readFileSync(new URL(f, dir)));
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8'));

/** max |a − b| relative to max |b| (the output's scale). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return num / Math.max(den, 1e-30);
}

function run(model: nn.Module, input: { shape: number[]; data: number[] }): { shape: number[]; data: Float32Array } {
  model.eval();
  return noGrad(() => tidy(() => {
    const y = model.forward(tensor(Float32Array.from(input.data), input.shape));
    return { shape: y.shape, data: y.data() };
  }));
}

const MODELS = ['mlp', 'mnist-cnn', 'residual', 'depthwise', 'branch', 'gelu-mlp', 'asymmetric'];

describe('fromOnnx matches PyTorch', () => {
  for (const name of MODELS) {
    const f = fixture(name);
    for (const opset of Object.keys(f.graphs).map(Number)) {
      it(`${name} opset ${opset}`, () => {
        const model = fromOnnx(read(`${name}-opset${opset}.onnx`));
        const y = run(model, f.input);
        expect(y.shape).toEqual(f.output.shape);
        expect(relErr(y.data, f.output.data)).toBeLessThan(1e-4);
        model.dispose();
      });
    }
  }
});

describe('an imported model is an ordinary module', () => {
  for (const name of MODELS) {
    it(`${name}: toOnnx(fromOnnx(m)) agrees in onnxruntime-node; fit 20 steps lowers the loss; save → loadModel and toJSON → fromJSON give the same model`, async () => {
      const f = fixture(name);
      const model = fromOnnx(read(`${name}-opset13.onnx`));
      const before = run(model, f.input);

      // Export again and run in ONNX Runtime.
      const onnx = toOnnx(model, { inputShape: f.input.shape.slice(1) });
      const session = await ort.InferenceSession.create(onnx);
      const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(f.input.data), f.input.shape) });
      expect(relErr(out.output.data as Float32Array, f.output.data)).toBeLessThan(1e-4);

      // The description rebuilds the same architecture; the weights load into it.
      const copy = nn.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
      load(copy, save(model));
      expect(relErr(run(copy, f.input).data, before.data)).toBe(0);
      copy.dispose();

      // Fine-tune: 20 Adam steps towards other targets on the fixture's batch.
      seed(1);
      const x = tensor(Float32Array.from(f.input.data), f.input.shape);
      const target = tensor(before.data.map((v, i) => v + 0.1 * Math.sin(i)), before.shape);
      model.train();
      const history = await (await import('../../bindings/index')).fit(model, { x, y: target }, {
        epochs: 20, batchSize: f.input.shape[0], shuffle: false, loss: 'mse', verbose: false,
        optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }),
      });
      expect(history.loss[19]).toBeLessThan(history.loss[0] * 0.95);
      const tuned = run(model, f.input);

      // Save and reload the fine-tuned model, architecture included.
      const reloaded = loadModel(save(model));
      expect(relErr(run(reloaded, f.input).data, tuned.data)).toBe(0);
      reloaded.dispose();
      x.dispose(); target.dispose();
      model.dispose();
    });
  }

  it('imports a chain as nn.Sequential and a branching graph as nn.Graph, named as PyTorch names the weights', () => {
    const mlp = fromOnnx(read('mlp-opset13.onnx'));
    expect(mlp).toBeInstanceOf(nn.Sequential);
    expect(mlp.toJSON()).toMatchObject({ type: 'Sequential', layers: [{ type: 'Dense', inFeatures: 8, outFeatures: 16 }, { type: 'LeakyReLU', slope: expect.closeTo(0.2, 6) }, { type: 'Dense' }, { type: 'ELU' }, { type: 'Dense' }, { type: 'Softmax' }] });
    mlp.dispose();
    const branch = fromOnnx(read('branch-opset13.onnx'));
    expect(branch).toBeInstanceOf(nn.Graph);
    expect(branch.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias', 'fc.weight', 'fc.bias']);
    branch.dispose();
    const res = fromOnnx(read('residual-opset13.onnx'));
    expect(res).toBeInstanceOf(nn.Graph);
    expect(res.namedParameters().map(([n]) => n)).toContain('bn1.weight');
    expect(res.namedParameters().map(([n]) => n)).not.toContain('bn1.running_mean');
    expect(res.namedBuffers().map(([n]) => n)).toEqual(expect.arrayContaining(['bn1.running_mean', 'bn1.running_var', 'short.1.running_mean']));
    res.dispose();
    const cnn = fromOnnx(read('mnist-cnn-opset13.onnx'));
    expect((cnn.toJSON() as any).layers.map((l: any) => l.type)).toEqual(['Elementwise', 'Elementwise', 'Conv2d', 'ReLU', 'MaxPool2d', 'Conv2d', 'ReLU', 'MaxPool2d', 'Reshape', 'Dense', 'ReLU', 'Dense']);
    expect((cnn.toJSON() as any).layers[8].shape).toEqual([0, 1600]);
    cnn.dispose();
  });

  it('checkpoints: an imported graph and its optimiser resume into a fresh import of the same file', async () => {
    const f = fixture('branch');
    const bytes = read('branch-opset13.onnx');
    const x = tensor(Float32Array.from(f.input.data), f.input.shape);
    const y = tensor(f.output.data.map((v: number) => v + 1), f.output.shape);
    const step = (m: nn.Module, opt: optim.Optimizer): void => tidy(() => {
      const l = loss.mse(m.forward(x), y);
      opt.zeroGrad(); l.backward(); opt.step();
    });
    const a = fromOnnx(bytes);
    const optA = new optim.Adam(a.parameters(), { lr: 1e-2 });
    for (let i = 0; i < 3; i++) step(a, optA);
    const ckpt = checkpoint({ model: a, optimizer: optA, epoch: 3 });
    const b = fromOnnx(bytes);
    const optB = new optim.Adam(b.parameters(), { lr: 1e-2 });
    expect(restore(ckpt, { model: b, optimizer: optB }).epoch).toBe(3);
    step(a, optA); step(b, optB);
    expect(b.stateDict()).toEqual(a.stateDict());
    a.dispose(); b.dispose(); x.dispose(); y.dispose();
  });

  it('allocates nothing for a model it refuses, and frees nothing it should keep', () => {
    const live = memory().tensors;
    const bytes = read('mlp-opset13.onnx');
    const m = fromOnnx(bytes);
    expect(memory().tensors).toBe(live + 6);
    m.dispose();
    expect(memory().tensors).toBe(live);
  });
});
