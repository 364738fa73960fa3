// Fusion (issues 10 and 11): Sequential runs Dense or Conv2d and the activation after it as one
// kernel (the activation applied to each GEMM tile as it is stored). With no gradient needed it
// must give the unfused path's bits on every build and keep no intermediate tensor; in training,
// ReLU, Sigmoid and Tanh stay fused (their backward reads the output) and must give the unfused
// path's outputs and gradients to the bit, while Leaky ReLU and ELU run unfused.
import { describe, it, expect } from 'vitest';
import { init, seed, nn, ops, noGrad, tidy, memory, predict, type Tensor, type Variant } from '../../bindings/index';
import { uniformTensor } from './helpers';
import { variants } from '../helpers/wasm';
import { heapF32 } from '../../bindings/runtime';

const activations = (): Array<[string, () => nn.Module]> => [
  ['ReLU', () => new nn.ReLU()], ['LeakyReLU', () => new nn.LeakyReLU(0.07)], ['ELU', () => new nn.ELU(0.8)],
  ['Sigmoid', () => new nn.Sigmoid()], ['Tanh', () => new nn.Tanh()],
];

/** Layers whose outputs have edge tiles (rows not a multiple of 4, columns not of 8) and several depth blocks. */
const layers = (): Array<[string, () => nn.Module, number[]]> => [
  ['Dense 37→29', () => new nn.Dense(37, 29), [7, 37]],
  ['Dense 300→9 (two depth blocks)', () => new nn.Dense(300, 9), [5, 300]],
  ['Dense 16→10, no bias', () => new nn.Dense(16, 10, { bias: false }), [1, 16]],
  ['Conv2d 3→5 3×3 pad 1', () => new nn.Conv2d(3, 5, 3, { padding: 1 }), [2, 3, 7, 9]],
  ['Conv2d 30→6 3×3 (depth 271)', () => new nn.Conv2d(30, 6, 3), [1, 30, 6, 5]],
  ['Conv2d groups 2 (fallback: activation in place)', () => new nn.Conv2d(4, 6, 3, { groups: 2 }), [2, 4, 6, 6]],
  ["Conv2d padding 'same', even kernel (fallback)", () => new nn.Conv2d(2, 3, 2, { padding: 'same' }), [1, 2, 5, 6]],
];

const bits = (t: Tensor) => Array.from(new Uint32Array(t.data().buffer));
// Bits with every NaN as one: a NaN's sign and payload may differ between two runs of the same code
// (WebAssembly leaves them open; V8's tiers order a commutative op's operands differently), and
// the planted NaN and infinities reach the gradients.
const nanBits = (t: Tensor) => bits(t).map((b) => ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0 ? 0x7fc00000 : b));

describe.each(variants)('fused inference path (%s build)', (variant: Variant) => {
  it('Dense/Conv2d + every activation: the unfused bits, one tensor out, nothing recorded', async () => {
    await init({ variant });
    seed(5);
    for (const [name, makeLayer, shape] of layers()) {
      for (const [actName, makeAct] of activations()) {
        const layer = makeLayer(), act = makeAct();
        const model = new nn.Sequential(layer, act);
        // values of both signs and magnitudes up to ~20, so every branch of the activations runs
        const x = uniformTensor(shape, 7, 6);
        const unfused = noGrad(() => tidy(() => bits(act.forward(layer.forward(x)))));
        const before = memory().tensors;
        const y = noGrad(() => model.forward(x));
        expect(memory().tensors, `${name} + ${actName}: one output, no intermediate`).toBe(before + 1);
        expect(bits(y), `${variant} ${name} + ${actName}`).toEqual(unfused);
        y.dispose();
        // eval() alone still records (a gradient may be wanted): the same values through the unfused path
        model.eval();
        const recorded = tidy(() => bits(model.forward(x)));
        expect(recorded).toEqual(unfused);
        model.train();
        x.dispose();
        model.dispose();
      }
    }
  });

  it('training: Dense/Conv2d + ReLU, Sigmoid or Tanh fused under the tape, outputs and gradients the unfused bits', async () => {
    await init({ variant });
    seed(7);
    for (const [name, makeLayer, shape] of layers()) {
      for (const [actName, makeAct] of activations()) {
        const layer = makeLayer(), act = makeAct();
        const model = new nn.Sequential(layer, act);
        const x = uniformTensor(shape, 9, 6);
        x.requiresGrad = true;
        const run = (forward: () => Tensor) => tidy(() => {
          const before = memory().tensors;
          const y = forward();
          const kept = memory().tensors - before;
          const w = uniformTensor(y.shape, 11, 1); // weights of both signs: every branch of the backward runs
          ops.mul(y, w).sum().backward();
          w.dispose();
          const grads = [x, ...model.parameters()].map((p) => bits(p.grad!));
          for (const p of [x, ...model.parameters()]) p.zeroGrad();
          return { y: bits(y), grads, kept };
        });
        const unfused = run(() => act.forward(layer.forward(x)));
        const fused = run(() => model.forward(x));
        const label = `${variant} ${name} + ${actName}`;
        expect(fused.y, label).toEqual(unfused.y);
        expect(fused.grads, label).toEqual(unfused.grads);
        // fused: one tensor where the unfused path keeps the pre-activation too
        const fuses = ['ReLU', 'Sigmoid', 'Tanh'].includes(actName);
        expect(fused.kept, `${label}: tensors the forward keeps`).toBe(fuses ? unfused.kept - 1 : unfused.kept);
        x.dispose();
        model.dispose();
      }
    }
  });

  it('Conv2d + activation + MaxPool2d(2) with no gradient: one op, the three layers\' bits', async () => {
    await init({ variant });
    seed(8);
    const pools: Array<[string, () => nn.Module, boolean]> = [
      ['MaxPool2d(2)', () => new nn.MaxPool2d(2), true],
      ['MaxPool2d(2, ceil mode): not fused', () => new nn.MaxPool2d(2, { ceilMode: true }), false],
      ['MaxPool2d(3, stride 2): not fused', () => new nn.MaxPool2d(3, { stride: 2 }), false],
    ];
    const convs: Array<[string, () => nn.Conv2d, number[]]> = [
      ['Conv2d 1→7 3×3 (the fused kernel)', () => new nn.Conv2d(1, 7, 3), [2, 1, 28, 28]],
      ['Conv2d 1→5 3×3 pad 1, odd output', () => new nn.Conv2d(1, 5, 3, { padding: 1 }), [3, 1, 9, 7]],
      ['Conv2d 1→4 3×3, 4×4 → 2×2 → 1×1', () => new nn.Conv2d(1, 4, 3), [1, 1, 4, 4]],
      ['Conv2d 3→6 3×3 (conv then pool)', () => new nn.Conv2d(3, 6, 3, { padding: 1 }), [2, 3, 10, 11]],
      // the Winograd path (8 and more input channels): its 2×2 output tiles pooled where computed
      ['Conv2d 8→5 3×3 pad 1, odd output (Winograd)', () => new nn.Conv2d(8, 5, 3, { padding: 1 }), [3, 8, 9, 7]],
      ['Conv2d 9→12 3×3, 12×14 → 10×12 (Winograd)', () => new nn.Conv2d(9, 12, 3), [2, 9, 12, 14]],
      ['Conv2d 8→4 3×3, 4×4 → 2×2 → 1×1 (Winograd)', () => new nn.Conv2d(8, 4, 3), [3, 8, 4, 4]],
    ];
    for (const [convName, makeConv, shape] of convs) {
      for (const [poolName, makePool, fuses] of pools) {
        for (const [actName, makeAct] of activations()) {
          const conv = makeConv(), act = makeAct(), pool = makePool();
          const model = new nn.Sequential(conv, act, pool);
          const x = uniformTensor(shape, 9, 6);
          // a NaN, a −0 and both infinities in the first image, so the pool's NaN and tie rules run
          const heap = heapF32(), at = x.ptr >>> 2;
          heap[at + 3] = NaN; heap[at + 13] = -0; heap[at + 7] = Infinity; heap[at + 11] = -Infinity; // all inside 16 floats
          let unfused: number[] = [], refused = '';
          try {
            unfused = noGrad(() => tidy(() => bits(pool.forward(act.forward(conv.forward(x))))));
          } catch (err) {
            refused = (err as Error).message; // a pool larger than the conv's output: the fused path names the same problem
          }
          if (refused) {
            expect(() => noGrad(() => tidy(() => model.forward(x)))).toThrow(refused);
            x.dispose();
            model.dispose();
            continue;
          }
          const before = memory().tensors;
          const y = noGrad(() => tidy(() => model.forward(x)));
          const label = `${variant} ${convName} + ${actName} + ${poolName}`;
          expect(memory().tensors, `${label}: the output is all that is left`).toBe(before + 1);
          expect(bits(y), label).toEqual(unfused);
          y.dispose();
          // the layer says whether it fused: only Conv2d with a 2×2 stride-2 floor pool, no gradient needed
          const direct = noGrad(() => conv.forwardFusedPool(x, { code: 3, alpha: 0 }, pool));
          expect(direct !== null, `${label}: fused`).toBe(fuses);
          direct?.dispose();
          x.dispose();
          model.dispose();
        }
      }
    }
  });

  it('training: Conv2d + ReLU + MaxPool2d(2) in one kernel, outputs and gradients the three layers\' bits', async () => {
    await init({ variant });
    seed(9);
    const convs: Array<[string, () => nn.Conv2d, number[], boolean]> = [
      ['Conv2d 1→7 3×3 (direct path)', () => new nn.Conv2d(1, 7, 3), [2, 1, 28, 28], true],
      ['Conv2d 1→5 3×3 pad 1, odd output (direct path)', () => new nn.Conv2d(1, 5, 3, { padding: 1 }), [3, 1, 9, 7], true],
      ['Conv2d 8→5 3×3 pad 1, odd output (Winograd)', () => new nn.Conv2d(8, 5, 3, { padding: 1 }), [3, 8, 9, 7], true],
      ['Conv2d 9→12 3×3 (Winograd)', () => new nn.Conv2d(9, 12, 3), [2, 9, 12, 14], true],
      ['Conv2d 3→6 3×3 (conv, then the pool)', () => new nn.Conv2d(3, 6, 3, { padding: 1 }), [2, 3, 10, 11], false],
    ];
    for (const [convName, makeConv, shape, oneKernel] of convs) {
      for (const [actName, makeAct] of activations()) {
        const conv = makeConv(), act = makeAct(), pool = new nn.MaxPool2d(2);
        const model = new nn.Sequential(conv, act, pool);
        const x = uniformTensor(shape, 9, 6);
        x.requiresGrad = true;
        // a NaN, a −0 and both infinities in the first image: the pool's NaN and tie rules, in the backward too
        const heap = heapF32(), at = x.ptr >>> 2;
        heap[at + 3] = NaN; heap[at + 13] = -0; heap[at + 7] = Infinity; heap[at + 11] = -Infinity;
        const run = (forward: () => Tensor) => tidy(() => {
          const before = memory().tensors;
          const y = forward();
          const kept = memory().tensors - before;
          const w = uniformTensor(y.shape, 11, 1);
          ops.mul(y, w).sum().backward();
          w.dispose();
          const grads = [x, ...model.parameters()].map((p) => nanBits(p.grad!));
          for (const p of [x, ...model.parameters()]) p.zeroGrad();
          return { y: nanBits(y), grads, kept };
        });
        const unfused = run(() => pool.forward(act.forward(conv.forward(x))));
        const fused = run(() => model.forward(x));
        const label = `${variant} ${convName} + ${actName} + MaxPool2d(2), training`;
        expect(fused.y, label).toEqual(unfused.y);
        expect(fused.grads, label).toEqual(unfused.grads);
        // one kernel (ReLU only): the pooled output and its winners, not the full-size output
        const fuses = oneKernel && actName === 'ReLU';
        if (fuses) expect(fused.kept, `${label}: tensors the forward keeps`).toBeLessThan(unfused.kept);
        const direct = conv.forwardFusedPool(x, { code: 3, alpha: 0 }, pool);
        expect(direct !== null, `${label}: the layer takes ReLU + pool under a tape`).toBe(true);
        direct?.dispose();
        x.dispose();
        model.dispose();
      }
    }
  });

  it('training keeps the recorded path: gradients flow through Dense + activation', async () => {
    await init({ variant });
    seed(6);
    const model = new nn.Sequential(new nn.Dense(5, 7), new nn.Tanh(), new nn.Dense(7, 3), new nn.Sigmoid());
    const x = uniformTensor([4, 5], 8);
    tidy(() => model.forward(x).sum().backward());
    for (const p of model.parameters()) expect(p.grad, 'every parameter gets a gradient').not.toBeNull();
    // predict (eval, no gradient) takes the fused path and agrees with the recorded forward
    const viaPredict = predict(model, x);
    const recorded = tidy(() => bits(model.forward(x)));
    expect(bits(viaPredict)).toEqual(recorded);
    viaPredict.dispose();
    for (const p of model.parameters()) p.zeroGrad();
    x.dispose();
    model.dispose();
  });
});
