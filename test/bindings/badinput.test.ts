// The Bad input section: each case throws an Error naming the op and the shapes, before
// any kernel runs; the model's weights and the optimiser's state are unchanged afterwards, and
// the model still trains.
import { describe, it, expect, beforeAll, beforeEach } from 'vitest';
import { init, seed, tensor, zeros, nn, optim, loss, fit, tidy, memory, type Tensor } from '../../bindings/index';
import { blobs, snapshot } from './helpers';

beforeAll(async () => {
  await init();
});

let model: nn.Sequential;
let opt: optim.SGD;
const data = blobs(20, 3, 4, 3); // 60 samples, 4 features, 3 classes
const x = () => tensor(data.x, [60, 4]);

/** One hand-written training step. */
function step(input: Tensor, labels: Int32Array): number {
  return tidy(() => {
    const l = loss.softmaxCrossEntropy(model.forward(input), labels);
    opt.zeroGrad(); l.backward(); opt.step();
    return l.item();
  });
}

beforeEach(() => {
  seed(5);
  model = new nn.Sequential(new nn.Dense(4, 8), new nn.ReLU(), new nn.Dense(8, 3));
  opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  step(x(), data.y); // momentum state exists from here on
});

/**
 * Asserts `fn` throws an Error matching `message`, leaves weights, optimiser state and live memory
 * as they were (`expected` overrides the state to compare with), and that training still works.
 * `fn` runs in a tidy(), so tensors the test itself makes there do not count.
 */
async function expectRejectedCleanly(fn: () => unknown, message: RegExp, expected?: () => unknown): Promise<void> {
  const xt = x(); // made before the snapshot of memory
  const before = snapshot(model, opt);
  const mem = memory();
  const error = await tidy(async () => {
    try {
      await fn();
      return null;
    } catch (e) {
      return e;
    }
  });
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(message);
  expect(snapshot(model, opt)).toEqual(expected ? expected() : before);
  expect(memory().tensors).toBe(mem.tensors);
  expect(memory().bytes).toBe(mem.bytes);
  // Still trains: a few steps change the weights and lower the loss.
  const first = step(xt, data.y);
  let last = first;
  for (let i = 0; i < 20; i++) last = step(xt, data.y);
  expect(last).toBeLessThan(first);
  expect(snapshot(model, opt)).not.toEqual(before);
}

describe('bad input leaves the model intact and trainable', () => {
  it('shape mismatch', async () => {
    const wrong = tensor(new Float32Array(15), [5, 3]);
    await expectRejectedCleanly(() => step(wrong, data.y.subarray(0, 5)), /^linear: input has 3 features but the weight expects 4; shapes \[5,3\], \[8,4\] and \[8\]$/);
    await expectRejectedCleanly(() => fit(model, { x: data.x, y: data.y, shape: [5] }, { epochs: 1, optimizer: opt, verbose: false }),
      /^fit: data.x holds 240 values, which is not 60 samples of shape \[5\]; shapes \[240\] and \[60,5\]$/);
    await expectRejectedCleanly(() => loss.softmaxCrossEntropy(model.forward(x()), data.y.subarray(0, 10)),
      /^softmaxCrossEntropy: needs one label per row \(60\), got 10; shapes \[60,3\] and \[10\]$/);
  });

  it('labels outside [0, classes)', async () => {
    const bad = data.y.slice();
    bad[7] = 3;
    await expectRejectedCleanly(() => step(x(), bad), /^softmaxCrossEntropy: label 3 at row 7 is outside \[0, 3\); shapes \[60,3\] and \[60\]$/);
    bad[7] = -1;
    await expectRejectedCleanly(() => fit(model, { x: data.x, y: bad, shape: [4] }, { epochs: 1, optimizer: opt, verbose: false }),
      /^fit: label -1 of sample 7 is outside \[0, 3\) \(the model outputs 3 classes\); shapes \[60\] and \[1,3\]$/);
    await expectRejectedCleanly(() => loss.svm(model.forward(x()), bad), /^svm: label -1 at row 7 is outside \[0, 3\); shapes \[60,3\] and \[60\]$/);
  });

  it('NaN/Inf in data given to tensor()', async () => {
    const d = data.x.slice();
    d[13] = NaN;
    await expectRejectedCleanly(() => tensor(d, [60, 4]), /^tensor: data contains 1 non-finite value \(first: NaN at index 13\); shape \[60,4\]$/);
    d[13] = Infinity;
    await expectRejectedCleanly(() => fit(model, { x: d, y: data.y, shape: [4] }, { epochs: 1, optimizer: opt, verbose: false, shuffle: false }),
      /^fit: x of sample 3 contains Infinity \(epoch 1, step 1\); nothing was updated; shape \[32,4\]$/);
  });

  it('NaN/Inf as the loss during fit(): the step is not applied', async () => {
    let calls = 0;
    let atFailure: unknown = null;
    const exploding = (out: Tensor, y: Int32Array | Tensor): Tensor => {
      calls++;
      const l = loss.softmaxCrossEntropy(out, y as Int32Array);
      if (calls !== 5) return l;
      atFailure = snapshot(model, opt); // the state when the failing step began
      return l.scale(3e38).scale(10); // overflows to Infinity
    };
    // 60 samples in batches of 16: 4 steps per epoch, so the 5th loss is epoch 2, step 1.
    await expectRejectedCleanly(
      () => fit(model, { x: data.x, y: data.y, shape: [4] }, { epochs: 3, batchSize: 16, optimizer: opt, loss: exploding, verbose: false }),
      /^fit: loss is Infinity at epoch 2, step 1 \(batch shape \[16,4\]\); the step was not applied, weights and optimiser state are as before it$/,
      () => atFailure,
    );
    expect(calls).toBe(5);
  });

  it('NaN from overflowing data during fit()', async () => {
    const d = data.x.slice();
    for (let i = 0; i < 4; i++) d[20 + i] = 3e38; // sample 5: finite, but the forward overflows
    await expectRejectedCleanly(() => fit(model, { x: d, y: data.y, shape: [4] }, { epochs: 1, batchSize: 60, optimizer: opt, verbose: false }),
      /^fit: (loss is (NaN|Infinity) at epoch 1, step 1|the gradient of .* holds NaN\/Inf at epoch 1, step 1)/);
  });

  it('use after dispose', async () => {
    const xt = x();
    xt.dispose();
    await expectRejectedCleanly(() => step(xt, data.y), /^linear: tensor was used after dispose\(\) \(or after the tidy\(\) that made it ended\); shape \[60,4\]$/);
    const kept = tidy(() => model.forward(x()));
    let h: Tensor | null = null;
    tidy(() => { h = model.forward(x()).relu(); }); // made and freed by its tidy
    await expectRejectedCleanly(() => h!.add(kept), /^add: tensor was used after dispose\(\).*; shape \[60,3\]$/);
  });

  it('wrong dtype', async () => {
    await expectRejectedCleanly(() => tensor(Float64Array.from(data.x) as any, [60, 4]), /^tensor: data must be a Float32Array, number\[\] or number\[\]\[\], got Float64Array/);
    await expectRejectedCleanly(() => fit(model, { x: Float64Array.from(data.x) as any, y: data.y, shape: [4] }, { epochs: 1, optimizer: opt, verbose: false }),
      /^fit: data.x must be a Float32Array or a Tensor, got Float64Array$/);
    await expectRejectedCleanly(() => fit(model, { x: data.x, y: Uint8Array.from(data.y) as any, shape: [4] }, { epochs: 1, optimizer: opt, verbose: false }),
      /^fit: data.y must be an Int32Array \(or number\[\]\) of class labels for loss 'softmaxCrossEntropy', got Uint8Array/);
    await expectRejectedCleanly(() => step(x(), Float32Array.from(data.y) as any), /^softmaxCrossEntropy: labels must be an Int32Array .*got Float32Array.*; shape \[60,3\]$/);
  });

  it('zero-size tensors', async () => {
    await expectRejectedCleanly(() => tensor(new Float32Array(0), [0, 4]), /^tensor: zero-size tensors are not supported; shape \[0,4\]$/);
    await expectRejectedCleanly(() => zeros([0, 4]), /^zeros: zero-size tensors are not supported; shape \[0,4\]$/);
    await expectRejectedCleanly(() => fit(model, { x: new Float32Array(0), y: new Int32Array(0), shape: [4] }, { epochs: 1, optimizer: opt, verbose: false }),
      /^fit: the data set is empty \(data.y holds 0 samples\); pass at least one sample$/);
  });

  it('out of memory', async () => {
    await expectRejectedCleanly(() => zeros([100000, 100000]), /^zeros: out of memory.*; shape \[100000,100000\]$/);
    // A forward pass whose output cannot fit: [6000, 4] through Dense(4, 50000) needs 1.2 GB.
    const wide = new nn.Dense(4, 50000);
    const big = tensor(new Float32Array(6000 * 4), [6000, 4]);
    await expectRejectedCleanly(() => wide.forward(big), /^linear: out of memory.*; shape \[6000,50000\]$/);
  });
});
