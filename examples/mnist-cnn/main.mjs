// A convolutional network on the real MNIST digits: 60,000 training images, evaluated on the
// 10,000 official test images. Every core by default (--threads N to choose), no GPU.
//
//   conv 3×3 (1→32) → ReLU → max pool 2 → conv 3×3 (32→64) → ReLU → max pool 2
//   → flatten (64·5·5) → dense 128 → ReLU → dropout 0.5 → dense 10
//
//   npm run example:mnist-cnn            (options: --epochs N --batch N --lr X --limit N --threads N)
import { nn, optim, fit, evaluate } from 'simdnet';
import { startMnist, numberArg as arg } from '../shared/mnist.mjs';

const epochs = arg('epochs', 5);
const batchSize = arg('batch', 32);
const lr = arg('lr', 1e-3);

const { train, test } = await startMnist();

const model = new nn.Sequential(
  new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),   // 28×28 → 26×26 → 13×13
  new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),  // 13×13 → 11×11 → 5×5 (row and column 10 dropped)
  new nn.Flatten(),
  new nn.Dense(64 * 5 * 5, 128), new nn.ReLU(), new nn.Dropout(0.5),
  new nn.Dense(128, 10),
);
const optimizer = new optim.Adam(model.parameters(), { lr });
const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: epochs });

const t0 = performance.now();
await fit(model, { x: train.x, y: train.y, shape: [1, 28, 28] }, {
  epochs, batchSize, optimizer, scheduler, verbose: false,
  onEpoch: ({ epoch, loss, accuracy, time }) => {
    console.log(`epoch ${String(epoch).padStart(2)}/${epochs}  loss ${loss.toFixed(4)}  train accuracy ${accuracy.toFixed(4)}  ${time.toFixed(1)} s`);
  },
});
const seconds = (performance.now() - t0) / 1000;

const { accuracy } = evaluate(model, { x: test.x, y: test.y, shape: [1, 28, 28] }, { batchSize: 500 });
console.log(`training time: ${seconds.toFixed(1)} s (${epochs} epochs, conv32-conv64-128-10, batch ${batchSize}, Adam lr ${lr} + cosine schedule)`);
console.log(`test accuracy: ${accuracy.toFixed(4)}`);
