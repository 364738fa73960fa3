// Inference throughput of the MNIST CNN (bench/models.mjs, examples/mnist-cnn's network) in
// images/s, batches of 32, eval mode (dropout off). The weights are random (He-uniform from a
// fixed seed), the same for every library: the work does not depend on their values, and the
// logits are checked against the float64 reference before timing.
import { measureCase } from './harness.mjs';
import { cnn, initialParams, batchData, referenceLogits } from './models.mjs';

export async function run({ variants }) {
  const params = initialParams(cnn), { x } = batchData(cnn);
  const logits = referenceLogits(cnn, params, x);
  const row = { group: 'infer', case: `${cnn.name} inference, batch ${cnn.batch}`, unit: 'images/s', higherIsBetter: true, tags: { infer: true } };
  await measureCase(row, 'infer', { model: cnn, params, x }, {
    variants, expected: { logits: [logits, 1e-4] },
    toUnit: (t) => ({ median: cnn.batch / t.median * 1e3, min: cnn.batch / t.max * 1e3, max: cnn.batch / t.min * 1e3 }),
  });
  return [row];
}
