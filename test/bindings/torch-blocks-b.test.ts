// simdnet against PyTorch 1.13 on the fixtures of test/fixtures/torch/make_blocks_b.py (committed
// safetensors; the script asserts PyTorch reproduces them from the stored weights): grouped,
// depthwise and 'same' convolutions and global average pooling (outputs and every gradient, the
// weights loaded by their PyTorch state_dict names), 20-step trajectories of RMSprop, Adagrad and
// Adadelta (also through a checkpoint half-way), clip_grad_norm_, and the lrs of LinearLR and
// ReduceLROnPlateau.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { init, tensor, nn, ops, optim, checkpoint, restore, readSafetensors, clipGradNorm, type Tensor } from '../../bindings/index';
import { expectClose } from '../helpers/wasm';

beforeAll(async () => {
  await init();
});

function fixture(name: string): { t: (key: string) => { data: Float32Array; shape: number[] }; cases: Record<string, any> } {
  const file = readSafetensors(readFileSync(new URL(`../fixtures/torch/${name}`, import.meta.url)));
  return {
    t: (key) => {
      const e = file.tensors[key];
      if (!e) throw new Error(`${name}: no tensor ${key}`);
      return { data: e.data, shape: e.shape };
    },
    cases: JSON.parse(file.metadata.cases),
  };
}

const conv = fixture('blocks_b_conv.safetensors');
const opt = fixture('blocks_b_optim.safetensors');
const T = (e: { data: Float32Array; shape: number[] }): Tensor => tensor(e.data, e.shape);

describe('conv and global pooling against PyTorch', () => {
  const names = Object.keys(conv.cases).filter((n) => n !== 'globalAvgPool');
  it.each(names)('%s: y, dx, dweight, dbias through nn.Conv2d with the PyTorch state_dict', (name) => {
    const c = conv.cases[name], t = (k: string) => conv.t(`${name}.${k}`);
    const layer = new nn.Conv2d(c.cin, c.cout, c.k, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
    layer.loadStateDict({ weight: t('weight').data, bias: t('bias').data });
    const x = T(t('x')).requireGrad();
    const y = layer.forward(x);
    expect(y.shape).toEqual(t('y').shape);
    y.backward(T(t('dy')));
    expectClose(y.data(), t('y').data, 1e-5, 1e-5, `${name} y`);
    expectClose(x.grad!.data(), t('dx').data, 1e-5, 1e-5, `${name} dx`);
    expectClose(layer.weight.grad!.data(), t('dweight').data, 1e-4, 1e-5, `${name} dweight`);
    expectClose(layer.bias!.grad!.data(), t('dbias').data, 1e-4, 1e-5, `${name} dbias`);
    // And back: the state_dict simdnet saves is PyTorch's, value for value.
    expect(Array.from(layer.stateDict().weight)).toEqual(Array.from(t('weight').data));
    layer.dispose();
  });
  it('globalAvgPool: y and dx (AdaptiveAvgPool2d(1))', () => {
    const t = (k: string) => conv.t(`globalAvgPool.${k}`);
    const x = T(t('x')).requireGrad();
    const y = ops.globalAvgPool2d(x);
    expect(y.shape).toEqual(t('y').shape);
    y.backward(T(t('dy')));
    expectClose(y.data(), t('y').data, 1e-6, 1e-6, 'globalAvgPool y');
    expectClose(x.grad!.data(), t('dx').data, 1e-7, 1e-6, 'globalAvgPool dx');
  });
});

const camel = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase()), v]));
const makers: Record<string, (ps: Tensor[], o: any) => optim.Optimizer> = {
  RMSprop: (ps, o) => new optim.RMSprop(ps, o),
  Adagrad: (ps, o) => new optim.Adagrad(ps, o),
  Adadelta: (ps, o) => new optim.Adadelta(ps, o),
};

describe('optimisers against PyTorch: 20 steps from the stored start with the stored gradients', () => {
  const names = Object.keys(opt.cases).filter((n) => opt.cases[n].kind in makers);
  it.each(names)('%s', (name) => {
    const c = opt.cases[name], t = (k: string) => opt.t(`${name}.${k}`);
    const make = (ps: Tensor[]) => makers[c.kind](ps, camel(c.options));
    let params = [0, 1].map((i) => T(t(`p0.${i}`)).requireGrad().keep());
    let o = make(params);
    for (let step = 0; step < 20; step++) {
      params.forEach((p, i) => { p.zeroGrad(); p.grad = T(t(`grad.${step}.${i}`)).keep(); });
      o.step();
      // f32 against PyTorch's f32: rounding differences of a few ulps per step, compounding.
      params.forEach((p, i) => expectClose(p.data(), t(`p.${step}.${i}`).data, 2e-6, 2e-5, `${name} step ${step + 1} param ${i}`));
      if (step === 9) {
        // Half-way through a checkpoint into fresh parameters and a fresh optimiser.
        const model = new nn.Sequential();
        const bytes = checkpoint({ model, optimizer: o });
        const fresh = params.map((p) => tensor(p.data(), p.shape).requireGrad().keep());
        const o2 = make(fresh);
        restore(bytes, { model, optimizer: o2 });
        expect(o2.stateDict()).toEqual(o.stateDict());
        o.dispose();
        params.forEach((p) => { p.zeroGrad(); p.dispose(); });
        params = fresh;
        o = o2;
      }
    }
    o.dispose();
    params.forEach((p) => { p.zeroGrad(); p.dispose(); });
  });
});

describe('clipGradNorm against torch.nn.utils.clip_grad_norm_', () => {
  it.each(Object.keys(opt.cases).filter((n) => opt.cases[n].kind === 'clip'))('%s', (name) => {
    const c = opt.cases[name], t = (k: string) => opt.t(`${name}.${k}`);
    const ps = [0, 1].map((i) => { const p = tensor(new Float32Array(t(`grad.${i}`).data.length), t(`grad.${i}`).shape).requireGrad().keep(); p.grad = T(t(`grad.${i}`)).keep(); return p; });
    expect(clipGradNorm(ps, c.maxNorm)).toBeCloseTo(c.total, 5);
    ps.forEach((p, i) => expectClose(p.grad!.data(), t(`clipped.${i}`).data, 1e-7, 1e-6, `${name} grad ${i}`));
    ps.forEach((p) => { p.zeroGrad(); p.dispose(); });
  });
});

describe('schedules against PyTorch: the lr of epochs 0 … 20', () => {
  const dummy = () => tensor([0]).requireGrad().keep();
  it.each(Object.keys(opt.cases).filter((n) => opt.cases[n].kind === 'LinearLR'))('%s', (name) => {
    const c = opt.cases[name];
    const o = new optim.SGD([dummy()], { lr: c.baseLr });
    const s = new optim.LinearLR(o, camel(c.options));
    const lrs = [o.lr];
    for (let e = 0; e < 20; e++) { s.step(); lrs.push(o.lr); }
    expectClose(lrs, c.lr64, 1e-15, 1e-12, name); // PyTorch's recursive form against the closed form
  });
  it.each(Object.keys(opt.cases).filter((n) => opt.cases[n].kind === 'ReduceLROnPlateau'))('%s (and through a checkpoint at epoch 7)', (name) => {
    const c = opt.cases[name], metric = opt.t(`${name}.metric`).data;
    const run = (viaCheckpoint: boolean): number[] => {
      const model = new nn.Sequential();
      let o = new optim.SGD([dummy()], { lr: c.baseLr });
      let s = new optim.ReduceLROnPlateau(o, camel(c.options));
      const lrs = [o.lr];
      metric.forEach((m, e) => {
        s.step(m);
        lrs.push(o.lr);
        if (viaCheckpoint && e === 6) {
          const bytes = checkpoint({ model, optimizer: o, scheduler: s });
          const o2 = new optim.SGD([dummy()], { lr: c.baseLr });
          const s2 = new optim.ReduceLROnPlateau(o2, camel(c.options));
          restore(bytes, { model, optimizer: o2, scheduler: s2 });
          expect([s2.best, s2.numBadEpochs, s2.cooldownCounter, s2.lastEpoch, o2.lr]).toEqual([s.best, s.numBadEpochs, s.cooldownCounter, s.lastEpoch, o.lr]);
          o = o2; s = s2;
        }
      });
      return lrs;
    };
    expect(run(false)).toEqual(c.lr64); // the same double arithmetic as PyTorch: exact
    expect(run(true)).toEqual(c.lr64);
    expect(c.lr64[20]).toBeLessThan(c.baseLr); // the case does reduce
  });
});
