// A multi-layer perceptron on the real MNIST digits: 60,000 training images, evaluated on the
// 10,000 official test images. Every core by default (--threads N to choose), no GPU.
//
//   npm run example:mnist-mlp            (options: --epochs N --hidden N --batch N --limit N --threads N)
import { nn, optim, fit, evaluate } from 'simdnet';
import { startMnist, numberArg as arg } from '../shared/mnist.mjs';

const epochs = arg('epochs', 12);
const hidden = arg('hidden', 512);
const batchSize = arg('batch', 64);

const { train, test } = await startMnist();

const model = new nn.Sequential(
  new nn.Dense(784, hidden), new nn.ReLU(),
  new nn.Dense(hidden, 10),
);
const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: epochs });

const t0 = performance.now();
await fit(model, { x: train.x, y: train.y, shape: [784] }, {
  epochs, batchSize, optimizer, scheduler, verbose: false,
  onEpoch: ({ epoch, loss, accuracy, time }) => {
    console.log(`epoch ${String(epoch).padStart(2)}/${epochs}  loss ${loss.toFixed(4)}  train accuracy ${accuracy.toFixed(4)}  ${time.toFixed(1)} s`);
  },
});
const seconds = (performance.now() - t0) / 1000;

const { accuracy } = evaluate(model, { x: test.x, y: test.y, shape: [784] }, { batchSize: 1000 });
console.log(`training time: ${seconds.toFixed(1)} s (${epochs} epochs, 784-${hidden}-10, batch ${batchSize}, Adam + cosine schedule)`);
console.log(`test accuracy: ${accuracy.toFixed(4)}`);
