// RMSprop, Adagrad, Adadelta, clipGradNorm, LinearLR and ReduceLROnPlateau through the public API:
// defaults, state handling (made on first use, skipped parameters, stateDict/loadStateDict, tidy,
// dispose), bad input (a named Error, nothing changed), and fit stepping ReduceLROnPlateau with the
// validation loss. Their numbers against PyTorch are in torch-blocks-b.test.ts.
import { describe, it, expect, beforeAll } from 'vitest';
import { init, seed, tensor, nn, optim, fit, tidy, memory, clipGradNorm, type Tensor } from '../../bindings/index';
import { blobs } from './helpers';

beforeAll(async () => {
  await init();
});

function params(): Tensor[] {
  return [tensor([0.5, -1.5, 2, -0.25, 1]).requireGrad().keep(), tensor([[1, 2], [3, 4]]).requireGrad().keep()];
}
function grads(ps: Tensor[], scale = 1): void {
  ps.forEach((p) => { p.zeroGrad(); p.grad = tensor(p.data().map((v, i) => scale * (v + 0.1 * i)), p.shape).keep(); });
}

describe('RMSprop, Adagrad, Adadelta', () => {
  it("defaults are PyTorch's", () => {
    const ps = params();
    const r = new optim.RMSprop(ps), a = new optim.Adagrad(ps), d = new optim.Adadelta(ps);
    expect([r.lr, r.alpha, r.eps, r.momentum, r.centered, r.weightDecay]).toEqual([0.01, 0.99, 1e-8, 0, false, 0]);
    expect([a.lr, a.lrDecay, a.eps, a.weightDecay, a.initialAccumulatorValue]).toEqual([0.01, 0, 1e-10, 0, 0]);
    expect([d.lr, d.rho, d.eps, d.weightDecay]).toEqual([1, 0.9, 1e-6, 0]);
  });

  it('state: made on the first step, only what the options need, skips parameters without a gradient, survives tidy, freed by dispose', () => {
    const ps = params();
    const mem = memory().tensors;
    const r = new optim.RMSprop(ps, { momentum: 0.9, centered: true });
    const a = new optim.Adagrad(ps, { initialAccumulatorValue: 0.5 });
    const plain = new optim.RMSprop(ps);
    expect(r.stateDict()).toEqual({});
    ps[0].zeroGrad();
    ps[1].zeroGrad();
    ps[1].grad = tensor([[1, 1], [1, 1]]).keep();
    const before0 = Array.from(ps[0].data());
    tidy(() => { r.step(); a.step(); plain.step(); });
    expect(Array.from(ps[0].data())).toEqual(before0);
    expect(Object.keys(r.stateDict()).sort()).toEqual(['1.gradAvg', '1.momentumBuffer', '1.squareAvg', '1.step']);
    expect(Object.keys(plain.stateDict()).sort()).toEqual(['1.squareAvg', '1.step']);
    expect(Array.from(a.stateDict()['1.sum'] as Float32Array)).toEqual([1.5, 1.5, 1.5, 1.5]); // 0.5 + 1²
    for (const o of [r, a, plain]) o.dispose();
    ps[1].zeroGrad();
    expect(memory().tensors).toBe(mem);
  });

  it('loadStateDict round-trips, and a bad state dict throws and changes nothing', () => {
    const ps = params();
    const o = new optim.Adadelta(ps, { lr: 0.5 });
    grads(ps); o.step(); grads(ps, 2); o.step();
    const state = o.stateDict();
    const o2 = new optim.Adadelta(ps, { lr: 0.5 });
    o2.loadStateDict(state as any);
    expect(o2.stateDict()).toEqual(state);
    expect(() => o2.loadStateDict({ ...state, '0.squareAv': new Float32Array(5) } as any)).toThrow(/^Adadelta.loadStateDict: unknown entry '0.squareAv'/);
    expect(() => o2.loadStateDict({ ...state, '1.accDelta': new Float32Array(3) } as any)).toThrow(/^Adadelta.loadStateDict: '1.accDelta' has 3 values, parameter 1 has 4/);
    expect(o2.stateDict()).toEqual(state);
    o.dispose(); o2.dispose();
  });

  it('bad options: a named Error, unknown keys included', () => {
    const ps = params();
    expect(() => new optim.RMSprop(ps, { alpha: 1.5 })).toThrow(/^RMSprop: alpha must be a finite number in \[0, 1\], got 1.5$/);
    expect(() => new optim.RMSprop(ps, { eps: -1 })).toThrow(/^RMSprop: eps must be a finite number ≥ 0, got -1$/);
    expect(() => new optim.RMSprop(ps, { centered: 1 as any })).toThrow(/^RMSprop: centered must be true or false, got 1$/);
    expect(() => new optim.RMSprop(ps, { momentun: 0.9 } as any)).toThrow(/^RMSprop: unknown option 'momentun'; did you mean 'momentum'\?/);
    expect(() => new optim.Adagrad(ps, { lrDecay: -0.1 })).toThrow(/^Adagrad: lrDecay must be a finite number ≥ 0, got -0.1$/);
    expect(() => new optim.Adagrad(ps, { lr_decay: 0.1 } as any)).toThrow(/^Adagrad: unknown option 'lr_decay'/);
    expect(() => new optim.Adadelta(ps, { rho: 2 })).toThrow(/^Adadelta: rho must be a finite number in \[0, 1\], got 2$/);
    expect(() => new optim.Adadelta(ps, { lr: NaN })).toThrow(/^Adadelta: lr must be a finite number ≥ 0, got NaN$/);
    expect(() => new optim.Adadelta([])).toThrow(/^Adadelta: expected a non-empty array of parameters/);
  });
});

describe('clipGradNorm (torch.nn.utils.clip_grad_norm_)', () => {
  it('returns the joint L2 norm and scales every gradient by maxNorm / (norm + 1e-6) when it is larger', () => {
    const ps = [tensor([0, 0]).requireGrad().keep(), tensor([0]).requireGrad().keep(), tensor([1]).requireGrad().keep()];
    ps[0].grad = tensor([3, 4]).keep();
    ps[1].grad = tensor([12]).keep();
    expect(clipGradNorm(ps, 100)).toBeCloseTo(13, 5);
    expect(Array.from(ps[0].grad!.data())).toEqual([3, 4]); // under the limit: untouched
    expect(optim.clipGradNorm(ps, 6.5)).toBeCloseTo(13, 5);
    const c = 6.5 / (13 + 1e-6);
    expect(Array.from(ps[0].grad!.data())).toEqual([Math.fround(3 * c), Math.fround(4 * c)]);
    expect(Array.from(ps[1].grad!.data())).toEqual([Math.fround(12 * c)]);
    expect(clipGradNorm(ps, 6.5)).toBeCloseTo(6.5, 5);
    expect(clipGradNorm([ps[2]], 1)).toBe(0); // no gradient: nothing to clip
    expect(() => clipGradNorm(ps, -1)).toThrow(/^clipGradNorm: maxNorm must be a finite number ≥ 0, got -1$/);
    expect(() => clipGradNorm(ps[0] as any, 1)).toThrow(/^clipGradNorm: expected an array of parameters/);
  });
});

describe('LinearLR and ReduceLROnPlateau', () => {
  const sgd = (lr: number) => new optim.SGD([tensor([0]).requireGrad().keep()], { lr });
  it('LinearLR sets the warm-up lr at once and ramps linearly over totalIters', () => {
    const o = sgd(0.1);
    const s = new optim.LinearLR(o, { startFactor: 0.5, totalIters: 4 });
    const lrs = [o.lr];
    for (let e = 0; e < 6; e++) { s.step(); lrs.push(o.lr); }
    expect(lrs.map((v) => +v.toFixed(10))).toEqual([0.05, 0.0625, 0.075, 0.0875, 0.1, 0.1, 0.1]);
    expect(() => new optim.LinearLR(sgd(0.1), { startFactor: 0 })).toThrow(/^LinearLR: startFactor must be greater than 0/);
    expect(() => new optim.LinearLR(sgd(0.1), { totalIters: 0 })).toThrow(/^LinearLR: totalIters must be a positive integer, got 0$/);
    expect(() => new optim.LinearLR(sgd(0.1), { total_iters: 3 } as any)).toThrow(/^LinearLR: unknown option 'total_iters'/);
  });
  it('ReduceLROnPlateau: drops after patience epochs without improvement; bad options and a missing metric throw', () => {
    const o = sgd(1);
    const s = new optim.ReduceLROnPlateau(o, { factor: 0.5, patience: 1 });
    for (const m of [1, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6]) s.step(m);
    expect(o.lr).toBe(0.25);
    expect(() => s.step()).toThrow(/^ReduceLROnPlateau.step: needs the epoch's metric/);
    expect(() => new optim.ReduceLROnPlateau(sgd(1), { mode: 'down' as any })).toThrow(/^ReduceLROnPlateau: mode must be 'min' or 'max', got down$/);
    expect(() => new optim.ReduceLROnPlateau(sgd(1), { factor: 1 })).toThrow(/^ReduceLROnPlateau: factor must be a finite number in \[0, 1\), got 1$/);
    expect(() => new optim.ReduceLROnPlateau(sgd(1), { patience: -1 })).toThrow(/^ReduceLROnPlateau: patience must be a non-negative integer, got -1$/);
    expect(() => new optim.ReduceLROnPlateau(sgd(1), { min_lr: 0 } as any)).toThrow(/^ReduceLROnPlateau: unknown option 'min_lr'/);
  });
  it('fit steps ReduceLROnPlateau with the validation loss, and refuses it without validation data', async () => {
    seed(5);
    const data = { ...blobs(30, 3, 4, 7), shape: [4] };
    const model = new nn.Sequential(new nn.Dense(4, 8), new nn.ReLU(), new nn.Dense(8, 3));
    const o = new optim.SGD(model.parameters(), { lr: 0.5 });
    const seen: number[] = [];
    // threshold 10 (relative, mode min): better means m < best·(1 − 10), which no loss is, not even the first.
    const s = new optim.ReduceLROnPlateau(o, { patience: 0, factor: 0.5, threshold: 10 });
    const orig = s.step.bind(s);
    s.step = (m?: number) => { seen.push(m!); orig(m); };
    const h = await fit(model, data, { epochs: 3, batchSize: 30, optimizer: o, scheduler: s, validation: data, verbose: false });
    expect(seen).toEqual(h.valLoss);
    expect(h.lr).toEqual([0.5, 0.25, 0.125]); // the lr each epoch trained with: every step drops it
    await expect(fit(model, data, { epochs: 1, optimizer: o, scheduler: s, verbose: false }))
      .rejects.toThrow(/^fit: ReduceLROnPlateau steps on the validation loss; pass options.validation \(or validationSplit\)$/);
    o.dispose(); model.dispose();
  });
});
