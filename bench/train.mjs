// Milliseconds per training step (forward, mean softmax cross-entropy, backward, SGD with momentum
// 0.9, lr 0.01) for the MLP 784-256-10 at batch 64 and examples/mnist-cnn's network at batch 32
// (bench/models.mjs), on every library that can train: simdnet through its public API (nn,
// loss, optim inside tidy, with a leak check), TensorFlow.js (optimizer.minimize with
// tf.train.momentum) and ConvNetJS (its Trainer). Every library starts from the same weights; the
// loss and every parameter after its first step are checked against a float64 reference step,
// with dropout off (p = 0) so the step is deterministic; the timed steps then use the model as
// built (the CNN's dropout 0.5 on).
import { measureCase } from './harness.mjs';
import { mlp, cnn, initialParams, batchData, referenceStep } from './models.mjs';

const lr = 0.01, momentum = 0.9;

export async function run({ variants }) {
  const rows = [];
  for (const model of [mlp, cnn]) {
    const params = initialParams(model), { x, labels } = batchData(model);
    const ref = referenceStep(model, params, x, labels, { lr });
    const expected = { loss: [Float64Array.of(ref.loss), 1e-5] };
    for (const [name, p] of Object.entries(ref.params)) expected[name] = [p, 1e-5];
    const spec = { model, params, x, labels, lr, momentum, dropout: true };
    const row = {
      group: 'train', case: `${model.name}, batch ${model.batch}, SGD momentum`, unit: 'ms/step', higherIsBetter: false,
      tags: { train: model === mlp ? 'mlp' : 'cnn' },
    };
    await measureCase(row, 'train', spec, { variants, expected, checkSpec: { ...spec, dropout: false } });
    rows.push(row);
  }
  return rows;
}
