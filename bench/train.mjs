// Milliseconds per training step (forward, loss, backward, optimiser) through the public API.
import { time } from './lib.mjs';
import { init, seed, tensor, nn, loss, optim, tidy, memory } from '../dist/index.js';

// [label, batch, shape of one sample, build model]
const models = [
  ['MLP 784-256-10, batch 64, SGD momentum', 64, [784], () => new nn.Sequential(new nn.Dense(784, 256), new nn.ReLU(), new nn.Dense(256, 10))],
  // examples/mnist-cnn's network
  ['MNIST CNN conv32-conv64-128-10, batch 32, SGD momentum', 32, [1, 28, 28], () => new nn.Sequential(
    new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Dense(64 * 5 * 5, 128), new nn.ReLU(), new nn.Dropout(0.5), new nn.Dense(128, 10))],
];

export async function run({ variants }) {
  const rows = [];
  for (const [label, batch, shape, build] of models) {
    const features = shape.reduce((a, b) => a * b, 1);
    const row = { group: 'train', case: label, unit: 'ms/step', results: {} };
    for (const v of variants) {
      await init({ variant: v });
      seed(1);
      const model = build();
      const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
      const xs = new Float32Array(batch * features).map((_, i) => ((i * 2654435761) % 1000) / 1000);
      const x = tensor(xs, [batch, ...shape]);
      const y = Int32Array.from({ length: batch }, (_, i) => i % 10);
      const step = () => tidy(() => {
        opt.zeroGrad();
        const l = loss.softmaxCrossEntropy(model.forward(x), y);
        l.backward();
        opt.step();
      });
      step(); // creates the gradients and the optimiser state, which live on
      const before = memory();
      const t = time(step, { warmup: 5, samples: 15, minMs: 50 });
      const after = memory();
      if (after.tensors !== before.tensors) throw new Error(`train ${label}: ${after.tensors - before.tensors} tensors leaked per run`);
      row.results[`simdnet-${v}`] = t;
    }
    const r = row.results;
    row.ratios = { 'scalar÷simd': r['simdnet-scalar'] && r['simdnet-simd'] ? r['simdnet-scalar'].median / r['simdnet-simd'].median : null };
    rows.push(row);
  }
  return rows;
}
