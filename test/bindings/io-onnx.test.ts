// ONNX export checked by ONNX Runtime: every supported layer, exported with toOnnx() and run in
// onnxruntime-node on random inputs, agrees with simdnet's own forward pass (eval mode).
import { describe, it, expect, beforeAll } from 'vitest';
import * as ort from 'onnxruntime-node';
import { init, seed, nn, tensor, predict, toOnnx, randn } from '../../bindings/index';

beforeAll(async () => {
  await init();
});

/**
 * Worst |onnx − simdnet| / max(|simdnet|, 5% of the output's largest magnitude). The floor: a
 * float32 sum's rounding error scales with the sizes of its terms, not with the (possibly
 * cancelled) result, so an output near zero is judged against the output's scale. Both runtimes
 * agree to a few float32 ulps; a wrong layout or semantics would miss by orders of magnitude.
 */
function worstRelative(got: Float32Array, want: Float32Array): number {
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 0.05 * scale, 1e-30));
  return worst;
}

async function agree(model: nn.Module, inputShape: number[], { batch = 5, softmax = false } = {}): Promise<number> {
  const bytes = toOnnx(model, { inputShape, softmax });
  const session = await ort.InferenceSession.create(bytes);
  expect(session.inputNames).toEqual(['input']);
  expect(session.outputNames).toEqual(['output']);
  let worst = 0;
  for (const n of [batch, 1]) {
    const x = randn([n, ...inputShape]);
    let want = predict(model, x);
    if (softmax) want = want.softmax();
    const result = await session.run({ input: new ort.Tensor('float32', x.data(), [n, ...inputShape]) });
    const out = result.output;
    expect(out.dims).toEqual(want.shape);
    worst = Math.max(worst, worstRelative(out.data as Float32Array, want.data()));
    x.dispose(); want.dispose();
  }
  await session.release();
  return worst;
}

describe('toOnnx, run in onnxruntime-node', () => {
  it('an MLP with every activation, Maxout and Dropout; with and without the softmax output', async () => {
    seed(1);
    const model = new nn.Sequential(
      new nn.Dense(6, 16), new nn.ReLU(), new nn.Dropout(0.5), new nn.Dense(16, 12), new nn.LeakyReLU(0.1),
      new nn.Dense(12, 10, { bias: false }), new nn.ELU(0.7), new nn.Maxout(10, 5, 3), new nn.Sigmoid(),
      new nn.Sequential(new nn.Dense(5, 8), new nn.Tanh(), new nn.Maxout(8, 4, 2, { bias: false })), new nn.Dense(4, 3),
    );
    expect(await agree(model, [6])).toBeLessThan(1e-5);
    expect(await agree(model, [6], { softmax: true })).toBeLessThan(1e-5);
    expect(model.training).toBe(true); // export runs in eval mode and puts the mode back
    model.dispose();
  });

  it('a CNN: Conv2d (padding, stride, dilation, no bias), MaxPool2d, AvgPool2d (count_include_pad), Flatten', async () => {
    seed(2);
    const model = new nn.Sequential(
      new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(8, 6, [3, 2], { stride: [1, 2], padding: [1, 0], dilation: [2, 1], bias: false }), new nn.ELU(),
      new nn.AvgPool2d(3, { stride: 2, padding: 1 }), new nn.MaxPool2d([2, 1], { stride: 1, padding: [1, 0] }),
      new nn.Dropout(0.2), new nn.Flatten(), new nn.Dense(6 * 3 * 2, 10), new nn.Tanh(), new nn.Dense(10, 4),
    );
    const out = predict(model, randn([1, 3, 11, 13]));
    expect(out.shape).toEqual([1, 4]);
    out.dispose();
    expect(await agree(model, [3, 11, 13], { batch: 3 })).toBeLessThan(1e-5);
    model.dispose();
  });

  it('grouped and depthwise Conv2d (group), padding same (odd and even kernels), GlobalAvgPool2d → GlobalAveragePool', async () => {
    seed(4);
    const model = new nn.Sequential(
      new nn.Conv2d(4, 6, 3, { groups: 2, padding: 'same' }), new nn.ReLU(),
      new nn.Conv2d(6, 12, 3, { groups: 6, padding: 1, bias: false }),
      new nn.Conv2d(12, 12, [4, 2], { groups: 12, padding: 'same', dilation: [1, 3] }), new nn.ReLU(),
      new nn.Conv2d(12, 12, 3, { groups: 12, stride: 2 }),
      new nn.GlobalAvgPool2d(), new nn.Flatten(), new nn.Dense(12, 3),
    );
    expect(await agree(model, [4, 9, 10], { batch: 3 })).toBeLessThan(1e-5);
    model.dispose();
  });

  it('pools with ceil_mode, dilations and count_include_pad = 0', async () => {
    seed(4);
    const model = new nn.Sequential(
      new nn.Conv2d(2, 4, 3), new nn.ReLU(), new nn.MaxPool2d(2, { ceilMode: true, dilation: [1, 2] }),
      new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
      new nn.AvgPool2d([2, 1], { stride: 1, padding: [1, 0], countIncludePad: false }), new nn.Flatten(),
    );
    const y = predict(model, randn([1, 2, 14, 17]));
    const n = y.size;
    y.dispose();
    expect(n).toBeGreaterThan(0);
    expect(await agree(model, [2, 14, 17], { batch: 2 })).toBeLessThan(1e-5);
    model.dispose();
  });

  it('the MNIST-sized CNN of the examples exports and agrees', async () => {
    seed(3);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 8, 5), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(8, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Dense(16 * 4 * 4, 64), new nn.ReLU(), new nn.Dense(64, 10),
    );
    expect(await agree(model, [1, 28, 28], { batch: 4, softmax: true })).toBeLessThan(1e-5);
    model.dispose();
  });

  it('refuses what it cannot export, with a clear Error', () => {
    class Net extends nn.Module {
      fc = new nn.Dense(2, 2);
      forward(x: any): any { return this.fc.forward(x); }
    }
    const net = new Net();
    expect(() => toOnnx(net, { inputShape: [2] })).toThrow(/^toOnnx: cannot export the model \(Net\): ONNX export covers Sequential, Dense/);
    const wrapped = new nn.Sequential(new nn.Dense(2, 2), net);
    expect(() => toOnnx(wrapped, { inputShape: [2] })).toThrow(/^toOnnx: cannot export 1 \(Net\)/);
    const mlp = new nn.Sequential(new nn.Dense(4, 2));
    expect(() => toOnnx(mlp, { inputShape: [5] })).toThrow(/^toOnnx: the model does not run on inputShape \[5\]: linear: input has 5 features but the weight expects 4/);
    expect(() => toOnnx(mlp, { inputShape: [1, 4] as number[] })).toThrow(/^toOnnx: the model does not run on inputShape \[1,4\]/);
    expect(() => toOnnx(mlp, { inputShape: 4 as any })).toThrow(/^toOnnx: inputShape must be the shape of one sample/);
    expect(() => toOnnx(mlp, {} as any)).toThrow(/^toOnnx: missing required option 'inputShape': pass \{ inputShape: \[784\] \}$/);
    const conv = new nn.Sequential(new nn.Conv2d(1, 2, 3));
    expect(() => toOnnx(conv, { inputShape: [1, 5, 5], softmax: true })).toThrow(/^toOnnx: softmax needs a \[batch, classes\] output/);
    for (const m of [wrapped, mlp, conv]) m.dispose();
  });

  it('a fixed batch size and custom names; an empty Sequential exports as Identity', async () => {
    seed(4);
    const model = new nn.Sequential(new nn.Dense(3, 2));
    const bytes = toOnnx(model, { inputShape: [3], batchSize: 2, inputName: 'x', outputName: 'logits' });
    const session = await ort.InferenceSession.create(bytes);
    expect([session.inputNames, session.outputNames]).toEqual([['x'], ['logits']]);
    const x = tensor([[1, 2, 3], [-1, 0.5, 2]]);
    const r = await session.run({ x: new ort.Tensor('float32', x.data(), [2, 3]) });
    expect(worstRelative(r.logits.data as Float32Array, model.forward(x).data())).toBeLessThan(1e-5);
    const id = await ort.InferenceSession.create(toOnnx(new nn.Sequential(new nn.Dropout(0.5)), { inputShape: [3] }));
    const r2 = await id.run({ input: new ort.Tensor('float32', x.data(), [2, 3]) });
    expect(Array.from(r2.output.data as Float32Array)).toEqual(Array.from(x.data()));
    model.dispose();
  });

  it('issue 12 layers: BatchNorm2d/1d (affine or not), LayerNorm, Residual (identity and shortcut), GELU (both), SiLU, ReLU6, Hardtanh, LogSoftmax', async () => {
    seed(12);
    const model = new nn.Sequential(
      new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU6(),
      new nn.Residual(new nn.Sequential(new nn.Conv2d(4, 4, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(4, { affine: false }), new nn.GELU())),
      new nn.Residual(new nn.Sequential(new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1 }), new nn.BatchNorm2d(6), new nn.SiLU()),
        new nn.Sequential(new nn.Conv2d(4, 6, 1, { stride: 2, bias: false }), new nn.BatchNorm2d(6))),
      new nn.Flatten(), new nn.Dense(6 * 3 * 3, 12), new nn.BatchNorm1d(12), new nn.GELU({ approximate: 'tanh' }),
      new nn.LayerNorm(12), new nn.Hardtanh(-0.7, 1.3), new nn.Dense(12, 5), new nn.LogSoftmax(),
    );
    // move the running statistics and the affine parameters away from their initial values
    for (let i = 0; i < 3; i++) model.forward(randn([6, 2, 5, 5], { mean: i, std: 1 + i }));
    model.loadStateDict(Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, /(weight|bias)$/.test(k) ? v.map((w, i) => w + 0.3 * Math.sin(7 * i + k.length)) : v])));
    expect(await agree(model, [2, 5, 5], { batch: 3 })).toBeLessThan(1e-5);
    const ln = new nn.Sequential(new nn.LayerNorm([3, 4], { elementwiseAffine: false }), new nn.Flatten());
    expect(await agree(ln, [3, 4])).toBeLessThan(1e-5);
    const untracked = new nn.Sequential(new nn.BatchNorm1d(3, { trackRunningStats: false }));
    expect(() => toOnnx(untracked, { inputShape: [3, 2] })).toThrow(/^toOnnx: cannot export 0 \(BatchNorm1d with trackRunningStats: false\)/);
    for (const m of [model, ln, untracked]) m.dispose();
  });
});
