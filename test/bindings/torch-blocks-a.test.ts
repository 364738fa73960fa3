// simdnet against PyTorch 1.13 (test/fixtures/torch/make_blocks_a.py wrote the files; npm test
// needs no Python): BatchNorm1d/2d (k train steps, running statistics, gradients, eval), LayerNorm,
// GELU/SiLU/ReLU6/Hardtanh/LogSoftmax, BCE-with-logits, Huber, label-smoothed cross-entropy, and a
// small ResNet whose PyTorch state_dict (I64 num_batches_tracked included) loads into the same
// simdnet architecture, gives PyTorch's outputs, and saves back to the same names and values.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { init, nn, loss, ops, tensor, load, save, readSafetensors, noGrad, type Tensor } from '../../bindings/index';

const dir = new URL('../fixtures/torch/', import.meta.url);
const read = (name: string) => readSafetensors(readFileSync(new URL(name, dir)));
let layers: ReturnType<typeof read>;

beforeAll(async () => {
  await init();
  layers = read('blocks_a_layers.safetensors');
});

const TOL = 1e-4;

function t(name: string): Tensor {
  const e = layers.tensors[name];
  if (!e) throw new Error(`fixture has no ${name}`);
  return tensor(e.data, e.shape);
}
const want = (name: string): Float32Array => layers.tensors[name].data;

/** max |a − b| / (1 + |b|) ≤ tol, naming the worst element. */
function close(got: ArrayLike<number>, expected: ArrayLike<number>, label: string, tol = TOL): void {
  expect(got.length, label).toBe(expected.length);
  let worst = 0, at = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - expected[i]) / (1 + Math.abs(expected[i]));
    if (!(e <= worst)) { worst = e; at = i; }
  }
  expect(worst, `${label}: element ${at} is ${got[at]}, PyTorch ${expected[at]}`).toBeLessThanOrEqual(tol);
}

/** Backward with upstream dy: Σ y·dy. */
function backwardWith(y: Tensor, dy: Tensor): void {
  y.mul(dy).sum().backward();
}

describe('PyTorch fixtures: layers', () => {
  it('BatchNorm1d/2d: outputs and running statistics after each of k train steps, gradients, eval', () => {
    const cases = JSON.parse(layers.metadata.cases).bn as Record<string, { dims: number; shape: number[]; momentum: number | null; affine: boolean; steps: number }>;
    expect(Object.keys(cases).length).toBe(5);
    for (const [name, c] of Object.entries(cases)) {
      const Layer = c.dims === 2 ? nn.BatchNorm2d : nn.BatchNorm1d;
      const bn = new Layer(c.shape[1], { momentum: c.momentum, affine: c.affine });
      if (c.affine) bn.loadStateDict({ ...bn.stateDict(), weight: want(`${name}.weight`), bias: want(`${name}.bias`) });
      for (let k = 0; k < c.steps; k++) {
        const x = t(`${name}.x${k}`);
        x.requiresGrad = true;
        const y = bn.forward(x);
        close(y.data(), want(`${name}.step${k}.y`), `${name} step ${k} y`);
        close(bn.running_mean!.data(), want(`${name}.step${k}.running_mean`), `${name} step ${k} running_mean`);
        close(bn.running_var!.data(), want(`${name}.step${k}.running_var`), `${name} step ${k} running_var`);
        if (k === c.steps - 1) {
          backwardWith(y, t(`${name}.dy`));
          close(x.grad!.data(), want(`${name}.dx`), `${name} dx`);
          if (c.affine) {
            close(bn.weight!.grad!.data(), want(`${name}.dweight`), `${name} dweight`);
            close(bn.bias!.grad!.data(), want(`${name}.dbias`), `${name} dbias`);
          }
        }
      }
      expect(bn.num_batches_tracked!.item()).toBe(c.steps);
      bn.eval();
      close(bn.forward(t(`${name}.xEval`)).data(), want(`${name}.eval.y`), `${name} eval y`);
    }
  });

  it('LayerNorm (with and without affine): output and gradients', () => {
    for (const [name, affine] of [['layerNorm', true], ['layerNormNoAffine', false]] as const) {
      const ln = new nn.LayerNorm([4, 6], { elementwiseAffine: affine });
      if (affine) ln.loadStateDict({ weight: want(`${name}.weight`), bias: want(`${name}.bias`) });
      const x = t(`${name}.x`);
      x.requiresGrad = true;
      const y = ln.forward(x);
      close(y.data(), want(`${name}.y`), `${name} y`);
      backwardWith(y, t(`${name}.dy`));
      close(x.grad!.data(), want(`${name}.dx`), `${name} dx`);
      if (affine) {
        close(ln.weight!.grad!.data(), want(`${name}.dweight`), `${name} dweight`);
        close(ln.bias!.grad!.data(), want(`${name}.dbias`), `${name} dbias`);
      }
    }
  });

  it('GELU (none, tanh), SiLU, ReLU6, Hardtanh(−0.5, 2), LogSoftmax: output and gradient', () => {
    const layersBy: Record<string, nn.Module> = {
      gelu: new nn.GELU(), geluTanh: new nn.GELU({ approximate: 'tanh' }), silu: new nn.SiLU(), relu6: new nn.ReLU6(),
      hardtanh: new nn.Hardtanh(-0.5, 2), logSoftmax: new nn.LogSoftmax(),
    };
    for (const [name, layer] of Object.entries(layersBy)) {
      const x = t(`${name}.x`);
      x.requiresGrad = true;
      const y = layer.forward(x);
      close(y.data(), want(`${name}.y`), `${name} y`, 1e-6);
      backwardWith(y, t(`${name}.dy`));
      close(x.grad!.data(), want(`${name}.dx`), `${name} dx`, 1e-5);
    }
  });

  it('binaryCrossEntropyWithLogits, huber (delta 1, 0.7), softmaxCrossEntropy with labelSmoothing: loss and gradients', () => {
    const run: Record<string, (a: Tensor, b: Tensor, labels: number[]) => Tensor> = {
      bce: (a, b) => loss.binaryCrossEntropyWithLogits(a, b),
      huber: (a, b) => loss.huber(a, b),
      huberDelta: (a, b) => loss.huber(a, b, { delta: 0.7 }),
      ceSmooth: (a, _b, y) => loss.softmaxCrossEntropy(a, y, { labelSmoothing: 0.1 }),
      ceSmooth35: (a, _b, y) => loss.softmaxCrossEntropy(a, y, { labelSmoothing: 0.35 }),
    };
    for (const [name, f] of Object.entries(run)) {
      const a = t(`${name}.a`), b = t(`${name}.b`);
      a.requiresGrad = true;
      const isCe = name.startsWith('ce');
      if (!isCe) b.requiresGrad = true;
      const l = f(a, b, Array.from(want(`${name}.b`)));
      close([l.item()], want(`${name}.loss`), `${name} loss`, 1e-6);
      l.backward();
      close(a.grad!.data(), want(`${name}.da`), `${name} da`, 1e-6);
      if (!isCe) close(b.grad!.data(), want(`${name}.db`), `${name} db`, 1e-6);
    }
  });
});

/** The simdnet twin of make_blocks_a.py's resnet(). */
function resnet(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(),
    new nn.Residual(new nn.Sequential(new nn.Conv2d(4, 4, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(4), new nn.ReLU(),
      new nn.Conv2d(4, 4, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(4))),
    new nn.ReLU(),
    new nn.Residual(new nn.Sequential(new nn.Conv2d(4, 8, 3, { stride: 2, padding: 1, bias: false }), new nn.BatchNorm2d(8), new nn.GELU()),
      new nn.Sequential(new nn.Conv2d(4, 8, 1, { stride: 2, bias: false }), new nn.BatchNorm2d(8))),
    new nn.SiLU(), new nn.Flatten(), new nn.Dense(8 * 3 * 3, 10), new nn.BatchNorm1d(10), new nn.ReLU6(), new nn.Dense(10, 3),
  );
}

describe('PyTorch fixtures: a ResNet state_dict, both ways', () => {
  it('PyTorch → simdnet: the state_dict loads (strict) into the same architecture and gives the same outputs', () => {
    const bytes = readFileSync(new URL('blocks_a_resnet.safetensors', dir));
    const io = read('blocks_a_resnet_io.safetensors');
    const model = resnet();
    load(model, bytes);
    const x = tensor(io.tensors.x.data, io.tensors.x.shape);
    model.eval();
    close(noGrad(() => model.forward(x)).data(), io.tensors.y_eval.data, 'eval output');
    model.train();
    close(noGrad(() => model.forward(x)).data(), io.tensors.y_train.data, 'train-mode output');
  });

  it('simdnet → PyTorch: save() writes the same names, shapes and values back (PyTorch loads it with load_state_dict)', () => {
    const bytes = readFileSync(new URL('blocks_a_resnet.safetensors', dir));
    const model = resnet();
    load(model, bytes);
    const theirs = readSafetensors(bytes).tensors, ours = readSafetensors(save(model)).tensors;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    for (const [name, e] of Object.entries(theirs)) {
      expect(ours[name].shape, name).toEqual(e.shape);
      expect(Array.from(ours[name].data), name).toEqual(Array.from(e.data));
    }
    expect(theirs['1.num_batches_tracked'].dtype).toBe('I64');
  });
});
