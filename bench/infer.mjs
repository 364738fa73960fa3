// Inference throughput of the MNIST CNN (bench/models.mjs, examples/mnist-cnn's network) in
// images/s, batches of 32, eval mode (dropout off). The weights are random (He-uniform from a
// fixed seed), the same for every library: the work does not depend on their values, and the
// logits are checked against the float64 reference before timing.
import { measureCase } from './harness.mjs';
import { cnn, initialParams, batchData, referenceLogits } from './models.mjs';

export async function run({ variants }) {
  const params = initialParams(cnn), rows = [];
  // batch 32 (throughput) and batch 1 (one image's latency, reported as images/s too)
  for (const model of [cnn, { ...cnn, batch: 1 }]) {
    const { x } = batchData(model);
    const logits = referenceLogits(model, params, x);
    const row = { group: 'infer', case: `${model.name} inference, batch ${model.batch}`, unit: 'images/s', higherIsBetter: true, tags: { infer: true, batch: model.batch } };
    await measureCase(row, 'infer', { model, params, x }, {
      variants, expected: { logits: [logits, 1e-4] },
      toUnit: (t) => ({ median: model.batch / t.median * 1e3, min: model.batch / t.max * 1e3, max: model.batch / t.min * 1e3 }),
    });
    rows.push(row);
  }
  return rows;
}
