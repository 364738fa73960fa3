// Activations (ReLU, sigmoid, tanh) and row-wise softmax on a 64×1000 batch: µs per call, each
// column in 5 passes of alternating order (bench/harness.mjs), since an op of 20–100 µs is at the
// mercy of the machine's drift when a column is timed in one block.
import { randomData, rawCore, time } from './lib.mjs';
import { activationsJs, softmaxJs } from './reference.mjs';
import { measureCase } from './harness.mjs';

const rowsN = 64, cols = 1000;

const TIMED = 'timed: the op on a prepared 64×1000 input, then its result copied out of the library\'s linear memory into a fresh '
  + 'Float32Array (simdnet .data(), tfjs dataSync(), ORT session.run()\'s output): the same 256 KiB allocation and copy for every library, '
  + 'most of a relu call (see the kernel-only figures)';

const µs = (t) => ({ median: t.median * 1e3, min: t.min * 1e3, max: t.max * 1e3 });

export async function run({ variants }) {
  const x = randomData(rowsN * cols, 21).map((v) => v * 4); // spans the curved parts of sigmoid/tanh
  const rows = [];
  for (const op of ['relu', 'sigmoid', 'tanh', 'softmax']) {
    const ref = new Float64Array(x.length);
    if (op === 'softmax') softmaxJs(x, ref, rowsN, cols); else activationsJs[op](x, ref);
    const row = { group: 'elementwise', case: `${op} 64×1000`, unit: 'µs', higherIsBetter: false, tags: { activation: op }, note: TIMED };
    await measureCase(row, 'activation', { op, rows: rowsN, cols, x }, {
      variants, expected: { y: [ref, op === 'relu' ? 0 : 2e-6] }, passes: 5,
      toUnit: µs,
    });
    // simdnet's kernel alone, its result left in linear memory: the op's cost less the JS around it
    // and the copy out
    row.kernelOnly = {};
    for (const v of variants) {
      const c = await rawCore(v), e = c.exports;
      const px = c.put(x), py = c.put(new Float32Array(x.length));
      row.kernelOnly[`simdnet-${v}`] = µs(time(op === 'softmax' ? () => e.softmax(px, py, rowsN, cols) : () => e[op](px, py, x.length)));
      e.free(px); e.free(py);
    }
    rows.push(row);
  }
  return rows;
}
