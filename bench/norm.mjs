// Batch normalisation (issue 12): BatchNorm2d forward + backward in train mode on 32×64×28×28
// (batch statistics, affine; ms per forward+backward, target ≥ 2× tfjs-wasm), and the training
// step of examples/mnist-resnet's network at batch 64 with and without its BatchNorm layers
// (simdnet only; target: BN adds ≤ 15%). The step rows time forward, loss, backward and an SGD
// step; their correctness is the tests' (test/bindings), so they check only a finite loss here.
import { randomData } from './lib.mjs';
import { batchNormJs } from './reference.mjs';
import { measureCase } from './harness.mjs';

const EPS = 1e-5;

export async function run({ variants }) {
  const rows = [];
  const [n, c, h, w] = [32, 64, 28, 28];
  const x = randomData(n * c * h * w, 11), gamma = randomData(c, 12), beta = randomData(c, 13), dy = randomData(n * c * h * w, 14);
  const ref = batchNormJs(x, gamma, beta, dy, n, c, h * w, EPS);
  const sumTol = 1e-4 * Math.sqrt(n * h * w); // dgamma and dbeta sum n·h·w terms each
  const bn = { group: 'norm', case: `BatchNorm2d ${n}×${c}×${h}×${w} fwd+bwd (train mode)`, unit: 'ms', higherIsBetter: false, tags: { norm: 'batchnorm' } };
  await measureCase(bn, 'batchNorm', { n, c, h, w, x, gamma, beta, dy, eps: EPS }, {
    variants, expected: { y: [ref.y, 1e-4], dx: [ref.dx, 1e-4], dgamma: [ref.dgamma, sumTol], dbeta: [ref.dbeta, sumTol] },
  });
  rows.push(bn);

  const batch = 64, images = randomData(batch * 784, 15).map((v) => Math.abs(v));
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10);
  const steps = {};
  for (const withBn of [false, true]) {
    const row = {
      group: 'norm', case: `MNIST-ResNet training step, batch ${batch}, ${withBn ? 'with' : 'without'} BatchNorm`, unit: 'ms/step',
      higherIsBetter: false, tags: { norm: withBn ? 'resnet-bn' : 'resnet' },
    };
    await measureCase(row, 'resnetStep', { bn: withBn, batch, x: images, labels }, { variants, expected: { finite: [Float64Array.of(1), 0] } });
    rows.push((steps[withBn] = row));
  }
  // The BN row carries step(with BN) ÷ step(without), per build, for the target in run.mjs.
  steps[true].overhead = Object.fromEntries(Object.keys(steps[true].results).map((b) => {
    const a = steps[true].results[b]?.median, z = steps[false].results[b]?.median;
    return [b, a && z ? a / z : null];
  }));
  return rows;
}
