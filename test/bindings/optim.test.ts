import { describe, it, expect, beforeAll } from 'vitest';
import { init, tensor, optim, tidy, memory, type Tensor } from '../../bindings/index';
import { expectAllClose } from './helpers';

beforeAll(async () => {
  await init();
});

// A quadratic whose gradient changes with p: loss = Σ ½·c·p² + d·p, so ∂loss/∂p = c·p + d.
const P0 = [0.5, -1.5, 2.0, -0.25, 1.0];
const C = [1.0, 0.5, 2.0, 3.0, 0.1];
const Dv = [0.3, -0.2, 0.1, 0.0, -1.0];

function gradRef(p: number[]): number[] {
  return p.map((v, i) => C[i] * v + Dv[i]);
}

/** float64 reference of torch.optim.SGD (dampening 0). */
function sgdRef(steps: number, { lr, momentum = 0, nesterov = false, weightDecay = 0 }: { lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number }): number[] {
  const p = P0.slice();
  let buf: number[] | null = null;
  for (let s = 0; s < steps; s++) {
    let g = gradRef(p).map((gi, i) => gi + weightDecay * p[i]);
    if (momentum !== 0) {
      buf = buf === null ? g.slice() : buf.map((b, i) => momentum * b + g[i]);
      g = nesterov ? g.map((gi, i) => gi + momentum * buf![i]) : buf.slice();
    }
    for (let i = 0; i < p.length; i++) p[i] -= lr * g[i];
  }
  return p;
}

/** float64 reference of torch.optim.Adam / AdamW (amsgrad off). */
function adamRef(steps: number, { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0, decoupled = false }: { lr: number; betas?: number[]; eps?: number; weightDecay?: number; decoupled?: boolean }): number[] {
  const p = P0.slice();
  const m = p.map(() => 0), v = p.map(() => 0);
  const [b1, b2] = betas;
  for (let t = 1; t <= steps; t++) {
    let g = gradRef(p);
    if (decoupled) for (let i = 0; i < p.length; i++) p[i] *= 1 - lr * weightDecay;
    else g = g.map((gi, i) => gi + weightDecay * p[i]);
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
      p[i] -= (lr / bc1) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps);
    }
  }
  return p;
}

function run(make: (params: Tensor[]) => optim.Optimizer, steps: number): { p: Float32Array; opt: optim.Optimizer } {
  const p = tensor(P0).requireGrad();
  const c = tensor(C), d = tensor(Dv);
  const opt = make([p]);
  for (let s = 0; s < steps; s++) {
    tidy(() => {
      const l = p.mul(p).mul(c).sum().scale(0.5).add(p.mul(d).sum());
      opt.zeroGrad();
      l.backward();
      opt.step();
    });
  }
  return { p: p.data(), opt };
}

describe('optimisers match a float64 reference of PyTorch semantics', () => {
  const steps = 6;
  it('SGD', () => expectAllClose(run((ps) => new optim.SGD(ps, { lr: 0.1 }), steps).p, sgdRef(steps, { lr: 0.1 }), 1e-5));
  it('SGD with momentum', () => expectAllClose(run((ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9 }), steps).p, sgdRef(steps, { lr: 0.1, momentum: 0.9 }), 1e-5));
  it('SGD with Nesterov momentum', () => expectAllClose(run((ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }), steps).p, sgdRef(steps, { lr: 0.1, momentum: 0.9, nesterov: true }), 1e-5));
  it('SGD with weight decay and momentum', () => expectAllClose(run((ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.5, weightDecay: 0.1 }), steps).p, sgdRef(steps, { lr: 0.05, momentum: 0.5, weightDecay: 0.1 }), 1e-5));
  it('Adam (defaults but lr)', () => expectAllClose(run((ps) => new optim.Adam(ps, { lr: 0.1 }), steps).p, adamRef(steps, { lr: 0.1 }), 1e-5));
  it('Adam with L2 weight decay and betas', () => expectAllClose(run((ps) => new optim.Adam(ps, { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.1 }), steps).p, adamRef(steps, { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.1 }), 1e-5));
  it('AdamW (default weight decay 0.01)', () => {
    const { opt, p } = run((ps) => new optim.AdamW(ps, { lr: 0.1 }), steps);
    expect((opt as optim.AdamW).weightDecay).toBe(0.01);
    expectAllClose(p, adamRef(steps, { lr: 0.1, weightDecay: 0.01, decoupled: true }), 1e-5);
  });
  it('AdamW with weight decay 0.1', () => expectAllClose(run((ps) => new optim.AdamW(ps, { lr: 0.05, weightDecay: 0.1 }), steps).p, adamRef(steps, { lr: 0.05, weightDecay: 0.1, decoupled: true }), 1e-5));
  it('Adam defaults are PyTorch’s', () => {
    const a = new optim.Adam([tensor([1]).requireGrad()]);
    expect([a.lr, a.beta1, a.beta2, a.eps, a.weightDecay]).toEqual([1e-3, 0.9, 0.999, 1e-8, 0]);
  });
});

describe('optimiser state', () => {
  it('survives tidy(), is reported by stateDict(), and is freed by dispose()', () => {
    const p = tensor([1, 2, 3]).requireGrad();
    const opt = new optim.Adam([p], { lr: 0.1 });
    const before = memory().tensors;
    tidy(() => { opt.zeroGrad(); p.mul(p).sum().backward(); opt.step(); });
    // m, v and p.grad
    expect(memory().tensors).toBe(before + 3);
    const s = opt.stateDict();
    expect(s['0.step']).toBe(1);
    expect((s['0.m'] as Float32Array).length).toBe(3);
    opt.zeroGrad();
    opt.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('skips parameters without a gradient; lr is readable and writable', () => {
    const p = tensor([1, 2]).requireGrad(), q = tensor([3]).requireGrad();
    const opt = new optim.SGD([p, q], { lr: 0.5 });
    tidy(() => { p.sum().backward(); opt.step(); });
    expect(Array.from(p.data())).toEqual([0.5, 1.5]);
    expect(Array.from(q.data())).toEqual([3]);
    opt.lr = 0.1;
    expect(opt.lr).toBe(0.1);
    expect(() => { opt.lr = -1; }).toThrow(/^SGD: lr must be a finite number ≥ 0, got -1/);
    expect(() => { opt.lr = NaN; }).toThrow(/^SGD: lr /);
  });

  it('rejects bad options and non-parameters', () => {
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow(/^SGD: expected a non-empty array/);
    expect(() => new optim.SGD([tensor([1])], { lr: 0.1 })).toThrow(/^SGD: parameter 0 is not a leaf tensor that requires grad; shape \[1\]/);
    expect(() => new optim.SGD([tensor([1]).requireGrad()], { lr: 0.1, nesterov: true })).toThrow(/^SGD: nesterov needs momentum > 0/);
    expect(() => new optim.Adam([tensor([1]).requireGrad()], { betas: [1, 0.9] })).toThrow(/^Adam: betas\[0\] must be a finite number in \[0, 1\)/);
  });
});

describe('learning-rate schedules (PyTorch semantics, one step() per epoch)', () => {
  const lrs = (make: (o: optim.Optimizer) => optim.LRScheduler, base: number, epochs: number): number[] => {
    const opt = new optim.SGD([tensor([1]).requireGrad()], { lr: base });
    const s = make(opt);
    const out = [opt.lr];
    for (let e = 0; e < epochs; e++) { s.step(); out.push(opt.lr); }
    return out;
  };
  it('StepLR', () => {
    expectAllClose(lrs((o) => new optim.StepLR(o, { stepSize: 2, gamma: 0.5 }), 1, 6), [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125], 1e-12);
  });
  it('ExponentialLR', () => {
    expectAllClose(lrs((o) => new optim.ExponentialLR(o, { gamma: 0.9 }), 0.1, 4), [0.1, 0.09, 0.081, 0.0729, 0.06561], 1e-12);
  });
  it('CosineAnnealingLR (and past tMax, as PyTorch continues the cosine)', () => {
    // torch.optim.lr_scheduler.CosineAnnealingLR(opt(lr=1), T_max=4, eta_min=0.1)
    expectAllClose(lrs((o) => new optim.CosineAnnealingLR(o, { tMax: 4, etaMin: 0.1 }), 1, 6),
      [1, 0.8681980515339464, 0.55, 0.2318019484660537, 0.1, 0.2318019484660537, 0.55], 1e-12);
    expectAllClose(lrs((o) => new optim.CosineAnnealingLR(o, { tMax: 10 }), 0.5, 10).slice(-1), [0], 1e-12);
  });
  it('rejects bad settings', () => {
    const opt = new optim.SGD([tensor([1]).requireGrad()], { lr: 1 });
    expect(() => new optim.StepLR(opt, { stepSize: 0 })).toThrow(/^StepLR: stepSize/);
    expect(() => new optim.CosineAnnealingLR(opt, { tMax: 0 })).toThrow(/^CosineAnnealingLR: tMax/);
  });
});
