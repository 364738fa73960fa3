// The scalar build (for engines without SIMD) trains the same net to the same result as the
// SIMD build the engine picks by default.
import { describe, it, expect } from 'vitest';
import { init, runtimeInfo, seed, nn, optim, fit, memory, tensor, zeros, type Variant } from '../../bindings/index';
import { blobs, expectAllClose } from './helpers';

async function trainWith(variant?: Variant): Promise<{ variant: string; loss: number[]; weights: Record<string, Float32Array> }> {
  await init(variant ? { variant } : {});
  seed(42);
  const { x, y } = blobs(32, 3, 6, 4);
  const model = new nn.Sequential(new nn.Dense(6, 16), new nn.Tanh(), new nn.Dense(16, 16), new nn.ReLU(), new nn.Dense(16, 3));
  const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const h = await fit(model, { x, y, shape: [6] }, { epochs: 8, batchSize: 16, optimizer: opt, verbose: false });
  return { variant: runtimeInfo().variant, loss: h.loss, weights: model.stateDict() };
}

describe('before init()', () => {
  it('every entry point says to call init() first', () => {
    expect(() => tensor([1, 2])).toThrow(/^simdnet: tensor\(\) called before init\(\); call `await init\(\)` first$/);
    expect(() => zeros([2])).toThrow(/^simdnet: zeros\(\) called before init\(\)/);
    expect(() => memory()).toThrow(/^simdnet: memory\(\) called before init\(\)/);
    expect(() => new nn.Dense(2, 2)).toThrow(/^simdnet: Dense\(\) called before init\(\); call `await init\(\)` first$/);
  });
});

describe('scalar fallback', () => {
  it('init({ variant: "scalar" }) trains the same small net as the SIMD build, within float32 tolerance', async () => {
    const simd = await trainWith();
    expect(simd.variant).not.toBe('scalar');
    const scalar = await trainWith('scalar');
    expect(scalar.variant).toBe('scalar');
    expect(memory().tensors).toBeGreaterThan(0);
    expectAllClose(scalar.loss, simd.loss, 1e-4);
    for (const name of Object.keys(simd.weights)) expectAllClose(scalar.weights[name], simd.weights[name], 1e-3);
    expect(simd.loss[7]).toBeLessThan(simd.loss[0]);
  });

  it('the plain SIMD build agrees too', async () => {
    const relaxed = await trainWith();
    const simd = await trainWith('simd');
    expect(simd.variant).toBe('simd');
    expectAllClose(simd.loss, relaxed.loss, 1e-4);
  });
});
