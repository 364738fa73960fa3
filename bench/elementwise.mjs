// Activations (ReLU, sigmoid, tanh) and row-wise softmax on a 64×1000 batch: µs per call.
import { randomData } from './lib.mjs';
import { activationsJs, softmaxJs } from './reference.mjs';
import { measureCase } from './harness.mjs';

const rowsN = 64, cols = 1000;

export async function run({ variants }) {
  const x = randomData(rowsN * cols, 21).map((v) => v * 4); // spans the curved parts of sigmoid/tanh
  const rows = [];
  for (const op of ['relu', 'sigmoid', 'tanh', 'softmax']) {
    const ref = new Float64Array(x.length);
    if (op === 'softmax') softmaxJs(x, ref, rowsN, cols); else activationsJs[op](x, ref);
    const row = { group: 'elementwise', case: `${op} 64×1000`, unit: 'µs', higherIsBetter: false, tags: { activation: op } };
    await measureCase(row, 'activation', { op, rows: rowsN, cols, x }, {
      variants, expected: { y: [ref, op === 'relu' ? 0 : 2e-6] },
      toUnit: (t) => ({ median: t.median * 1e3, min: t.min * 1e3, max: t.max * 1e3 }),
    });
    rows.push(row);
  }
  return rows;
}
