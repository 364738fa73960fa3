// Pooling throughput in GB/s: the bytes the op must move (inputs read once, outputs written once:
// max forward x + y, max backward dy + dx, average forward x + y, backward dy + dx) per second.
// The same byte count for every column, so the ratios are ratios of time.
import { rate, randomData } from './lib.mjs';
import { outSize, maxPoolJs, maxPoolBackwardJs, avgPoolJs, avgPoolBackwardJs } from './reference.mjs';
import { measureCase } from './harness.mjs';

// [label, n, c, h, w, k, stride, pad]
export const shapes = [
  ['32×32×28×28, 2×2 stride 2 (MNIST pool1)', 32, 32, 28, 28, 2, 2, 0],
  ['32×64×11×11, 2×2 stride 2 (MNIST pool2)', 32, 64, 11, 11, 2, 2, 0],
  ['8×64×56×56, 3×3 stride 2 pad 1', 8, 64, 56, 56, 3, 2, 1],
];

export async function run({ variants }) {
  const rows = [];
  for (const [label, n, c, h, w, k, s, p] of shapes) {
    const planes = n * c, oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
    const nx = planes * h * w, ny = planes * oh * ow;
    const x = randomData(nx, 1), dy = randomData(ny, 2);
    const argmax = new Int32Array(ny);
    const ref = {
      'max forward': { y: maxPoolJs(x, new Float64Array(ny), argmax, planes, h, w, k, s, p) },
      'max backward': { dx: maxPoolBackwardJs(dy, argmax, new Float64Array(nx), planes, h, w, oh, ow) },
      'avg forward': { y: avgPoolJs(x, new Float64Array(ny), planes, h, w, k, s, p, true) },
      'avg backward': { dx: avgPoolBackwardJs(dy, new Float64Array(nx), planes, h, w, k, s, p, true) },
    };
    // TensorFlow's divisor leaves padding out (count_include_pad = False): its own reference
    const refExcludePad = {
      'avg forward': { y: avgPoolJs(x, new Float64Array(ny), planes, h, w, k, s, p, false) },
      'avg backward': { dx: avgPoolBackwardJs(dy, new Float64Array(nx), planes, h, w, k, s, p, false) },
    };
    for (const op of ['max', 'avg']) for (const pass of ['forward', 'backward']) {
      const key = `${op} ${pass}`, tol = op === 'max' && pass === 'forward' ? 0 : 1e-5;
      const row = { group: 'pool', case: `${label} ${key}`, unit: 'GB/s', higherIsBetter: true, tags: { pool: key } };
      const expect = (r) => Object.fromEntries(Object.entries(r).map(([name, v]) => [name, [v, tol]]));
      await measureCase(row, 'pool', { op, pass, n, c, h, w, k, s, p, x, dy }, {
        variants,
        expected: (semantics) => expect(semantics === 'excludePad' ? refExcludePad[key] : ref[key]),
        toUnit: (t) => rate(t, 4 * (nx + ny), 1e6),
      });
      rows.push(row);
    }
  }
  return rows;
}
