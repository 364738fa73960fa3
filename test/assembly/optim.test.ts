// assembly/optim.ts against the float64 PyTorch-semantics references in test/reference/optim.ts:
// several consecutive steps (state carries over), every tail length, all builds.
import { describe, it, expect } from 'vitest';
import { loadCore, variants, rng, randomArray, expectClose } from '../helpers/wasm';
import { Buffers } from '../helpers/buffers';
import * as ref from '../reference/optim';

const sizes = [...Array.from({ length: 18 }, (_, i) => i), 31, 33, 63, 65, 257];
const STEPS = 6;

const sgdCases: ref.SgdOptions[] = [
  { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false },
  { lr: 0.05, momentum: 0, weightDecay: 5e-4, nesterov: false },
  { lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: false },
  { lr: 0.01, momentum: 0.9, weightDecay: 1e-2, nesterov: true },
  { lr: 0.3, momentum: 0.5, weightDecay: 0.1, nesterov: true },
];

const adamCases: ref.AdamOptions[] = [
  { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false },
  { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, decoupled: false },
  { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, decoupled: true },
  { lr: 0.1, beta1: 0.5, beta2: 0.9, eps: 1e-3, weightDecay: 0.1, decoupled: true },
];

const f32 = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? Math.fround(v) : v])) as T;

describe.each(variants)('optim (%s build)', (variant) => {
  const core = loadCore(variant);
  const e = core.exports;

  for (const o of sgdCases) {
    it(`sgdStep ${JSON.stringify(o)} over ${STEPS} steps and every tail length`, () => {
      const random = rng(31);
      const of = f32(o);
      for (const n of sizes) {
        const bufs = new Buffers(core, n % 3);
        const p0 = randomArray(n, random), v0 = new Float32Array(n);
        const pp = bufs.put(p0), pv = bufs.put(v0);
        const p = Float64Array.from(p0), v = Float64Array.from(v0);
        for (let step = 1; step <= STEPS; step++) {
          const g = randomArray(n, random);
          if (n > 2) g[2] = 0;
          const pg = bufs.put(g);
          e.sgdStep(pp, pg, pv, n, o.lr, o.momentum, o.weightDecay, o.nesterov ? 1 : 0);
          ref.sgdStep(p, g, v, of);
          const label = `${variant} n=${n} step ${step}`;
          expectClose(core.get(pp, n), p, 1e-6, 1e-6, `${label} p`);
          bufs.checkGuards(pp, n, `${label} p`);
          if (o.momentum !== 0) {
            expectClose(core.get(pv, n), v, 1e-6, 1e-6, `${label} v`);
            bufs.checkGuards(pv, n, `${label} v`);
          } else {
            expect(Array.from(core.get(pv, n)), `${label}: v untouched without momentum`).toEqual(Array.from(v0));
          }
        }
        bufs.free();
      }
    });
  }

  for (const o of adamCases) {
    it(`adamStep ${JSON.stringify(o)} over ${STEPS} steps and every tail length`, () => {
      const random = rng(32);
      const of = f32(o);
      for (const n of sizes) {
        const bufs = new Buffers(core, (n + 1) % 3);
        const p0 = randomArray(n, random);
        const pp = bufs.put(p0), pm = bufs.put(new Float32Array(n)), pv = bufs.put(new Float32Array(n));
        const p = Float64Array.from(p0), m = new Float64Array(n), v = new Float64Array(n);
        for (let step = 1; step <= STEPS; step++) {
          const g = randomArray(n, random, step);
          if (n > 2) g[2] = 0;
          const pg = bufs.put(g);
          e.adamStep(pp, pg, pm, pv, n, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, step, o.decoupled ? 1 : 0);
          ref.adamStep(p, g, m, v, step, of);
          const label = `${variant} n=${n} step ${step}`;
          expectClose(core.get(pp, n), p, 1e-6, 1e-6, `${label} p`);
          expectClose(core.get(pm, n), m, 1e-7, 1e-6, `${label} m`);
          expectClose(core.get(pv, n), v, 1e-9, 1e-6, `${label} v`);
          for (const [ptr, name] of [[pp, 'p'], [pm, 'm'], [pv, 'v']] as const) bufs.checkGuards(ptr, n, `${label} ${name}`);
        }
        bufs.free();
      }
    });
  }

  /**
   * A kernel with `states` state arrays against its reference over STEPS steps at every tail
   * length; `init` is the state's starting value (Adagrad's initialAccumulatorValue), `stateAtol`
   * the absolute tolerance of the state (RMSprop's momentum buffer sums terms d/avg of size up to
   * 1/√(1 − α) ≈ 3 that cancel, so its f32 error is absolute, ~1e-7 per term).
   */
  function sweepStates(name: string, states: number, call: (pp: number, pg: number, ps: number[], n: number, step: number) => void,
                       reference: (p: Float64Array, g: Float32Array, s: Float64Array[], step: number) => void, init = 0, stateAtol = 1e-7): void {
    const random = rng(33);
    for (const n of sizes) {
      const bufs = new Buffers(core, n % 3);
      const p0 = randomArray(n, random);
      const pp = bufs.put(p0), ps = Array.from({ length: states }, () => bufs.put(new Float32Array(n).fill(init)));
      const p = Float64Array.from(p0), s = Array.from({ length: states }, () => new Float64Array(n).fill(Math.fround(init)));
      for (let step = 1; step <= STEPS; step++) {
        const g = randomArray(n, random, step);
        if (n > 2) g[2] = 0;
        const pg = bufs.put(g);
        call(pp, pg, ps, n, step);
        reference(p, g, s, step);
        const label = `${variant} ${name} n=${n} step ${step}`;
        expectClose(core.get(pp, n), p, 1e-6, 1e-5, `${label} p`);
        s.forEach((ref, k) => expectClose(core.get(ps[k], n), ref, stateAtol, 1e-5, `${label} state ${k}`));
        [pp, ...ps].forEach((ptr) => bufs.checkGuards(ptr, n, label));
      }
      bufs.free();
    }
  }

  const rmspropCases: ref.RmspropOptions[] = [
    { lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false, weightDecay: 0 },
    { lr: 0.01, alpha: 0.9, eps: 1e-6, momentum: 0.9, centered: false, weightDecay: 1e-2 },
    { lr: 0.005, alpha: 0.95, eps: 1e-3, momentum: 0, centered: true, weightDecay: 0 },
    { lr: 0.02, alpha: 0.8, eps: 1e-8, momentum: 0.5, centered: true, weightDecay: 0.1 },
  ];
  for (const o of rmspropCases) {
    it(`rmspropStep ${JSON.stringify(o)} over ${STEPS} steps and every tail length`, () => {
      sweepStates('rmsprop', 3, (pp, pg, [sq, ga, buf], n) => e.rmspropStep(pp, pg, sq, ga, buf, n, o.lr, o.alpha, o.eps, o.momentum, o.weightDecay, o.centered ? 1 : 0),
        (p, g, s) => ref.rmspropStep(p, g, s, f32(o)), 0, 2e-6);
    });
  }

  const adagradCases: Array<ref.AdagradOptions & { init: number }> = [
    { lr: 0.01, lrDecay: 0, eps: 1e-10, weightDecay: 0, init: 0 },
    { lr: 0.1, lrDecay: 0.05, eps: 1e-6, weightDecay: 1e-2, init: 0.1 },
  ];
  for (const o of adagradCases) {
    it(`adagradStep ${JSON.stringify(o)} over ${STEPS} steps and every tail length`, () => {
      sweepStates('adagrad', 1, (pp, pg, [sum], n, step) => e.adagradStep(pp, pg, sum, n, o.lr / (1 + (step - 1) * o.lrDecay), o.eps, o.weightDecay),
        (p, g, s, step) => ref.adagradStep(p, g, s, step, f32(o)), o.init);
    });
  }

  const adadeltaCases: ref.AdadeltaOptions[] = [
    { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 },
    { lr: 0.5, rho: 0.95, eps: 1e-4, weightDecay: 1e-2 },
  ];
  for (const o of adadeltaCases) {
    it(`adadeltaStep ${JSON.stringify(o)} over ${STEPS} steps and every tail length`, () => {
      sweepStates('adadelta', 2, (pp, pg, [sq, acc], n) => e.adadeltaStep(pp, pg, sq, acc, n, o.lr, o.rho, o.eps, o.weightDecay),
        (p, g, s) => ref.adadeltaStep(p, g, s, f32(o)));
    });
  }

  it('SGD momentum and Nesterov by hand: constant gradient 1, lr 0.1, momentum 0.9', () => {
    const bufs = new Buffers(core);
    for (const [nesterov, expected] of [[0, [-0.1, -0.29]], [1, [-0.19, -0.461]]] as const) {
      const pp = bufs.put([0, 0, 0, 0, 0]), pg = bufs.put([1, 1, 1, 1, 1]), pv = bufs.put(new Float32Array(5));
      for (const want of expected) {
        e.sgdStep(pp, pg, pv, 5, 0.1, 0.9, 0, nesterov);
        for (const x of core.get(pp, 5)) expect(x).toBeCloseTo(want, 6);
      }
    }
    bufs.free();
  });

  it('the first Adam step moves every parameter by lr against its gradient; AdamW decays first', () => {
    const bufs = new Buffers(core);
    const g = [0.5, -2, 1e-3, -7, 3];
    for (const decoupled of [0, 1]) {
      const pp = bufs.put([1, 1, 1, 1, 1]), pg = bufs.put(g), pm = bufs.put(new Float32Array(5)), pv = bufs.put(new Float32Array(5));
      e.adamStep(pp, pg, pm, pv, 5, 0.01, 0.9, 0.999, 1e-8, decoupled ? 0.5 : 0, 1, decoupled);
      const start = decoupled ? 1 - 0.01 * 0.5 : 1;
      core.get(pp, 5).forEach((x, i) => expect(x).toBeCloseTo(start - 0.01 * Math.sign(g[i]), 5));
    }
    bufs.free();
  });
});
