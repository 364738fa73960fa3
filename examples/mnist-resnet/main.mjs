// A small residual network with batch normalisation on the real MNIST digits: 60,000 training
// images (randomly shifted by up to 2 pixels each epoch), evaluated on the 10,000 official test
// images. Every core by default (--threads N to choose), no GPU.
//
//   a ResNet: stem conv + BN, three residual stages with BN (stride-2 shortcuts), global average
//   pool, dense head (model.mjs)
//
//   npm run example:mnist-resnet         (options: --epochs N --batch N --lr X --limit N --no-bn --threads N)
// --limit N trains on the first N training images only (a quick check; the goal needs all 60,000).
// --no-bn builds the same net without its BatchNorm layers (the convolutions then get biases),
// for comparing the cost of batch normalisation.
import { nn, optim, fit, evaluate } from 'simdnet';
import { startMnist, numberArg as arg } from '../shared/mnist.mjs';
import { mnistResnet } from './model.mjs';

const epochs = arg('epochs', 6);
const batchSize = arg('batch', 64);
const lr = arg('lr', 0.05);
const bn = !process.argv.includes('--no-bn');

const { train, test } = await startMnist();

const model = mnistResnet(nn, { bn });
const params = model.parameters().reduce((s, p) => s + p.size, 0);
const optimizer = new optim.SGD(model.parameters(), { lr, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: epochs });

// Augmentation: each epoch sees every image shifted by (dy, dx) ∈ [−2, 2]², zeros shifted in.
let state = 12345;
const rand5 = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return (state >>> 16) % 5 - 2;
};
const shifted = new Float32Array(train.x.length);
function shiftAll() {
  shifted.fill(0);
  for (let i = 0; i < train.n; i++) {
    const dy = rand5(), dx = rand5(), o = i * 784;
    for (let r = Math.max(0, dy); r < Math.min(28, 28 + dy); r++) {
      const from = o + (r - dy) * 28, to = o + r * 28;
      for (let c = Math.max(0, dx); c < Math.min(28, 28 + dx); c++) shifted[to + c] = train.x[from + c - dx];
    }
  }
}

const t0 = performance.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  shiftAll();
  const h = await fit(model, { x: shifted, y: train.y, shape: [1, 28, 28] }, { epochs: 1, batchSize, optimizer, scheduler, verbose: false });
  console.log(`epoch ${String(epoch).padStart(2)}/${epochs}  loss ${h.loss[0].toFixed(4)}  train accuracy ${h.accuracy[0].toFixed(4)}  ${h.time[0].toFixed(1)} s`);
}
const seconds = (performance.now() - t0) / 1000;

const { accuracy } = evaluate(model, { x: test.x, y: test.y, shape: [1, 28, 28] }, { batchSize: 500 });
console.log(`training time: ${seconds.toFixed(1)} s (${epochs} epochs, ResNet 16-32-64${bn ? ' with BN' : ' without BN'}, ${params} parameters, batch ${batchSize}, SGD nesterov lr ${lr} + cosine schedule)`);
console.log(`test accuracy: ${accuracy.toFixed(4)}`);
