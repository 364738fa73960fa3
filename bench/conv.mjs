// conv2d: forward GFLOP/s and forward + backward (input, weight and bias gradients) ms per shape.
// FLOPs are 2·n·cOut·outH·outW·(cIn/groups)·kh·kw (padded taps included, as usually counted).
// The depthwise row (issue 12) has the target ≥ 2× tfjs-wasm for forward + backward.
import { rate, randomData } from './lib.mjs';
import { outSize, convJs, convBackwardJs } from './reference.mjs';
import { measureCase } from './harness.mjs';

// [label, n, cIn, h, w, cOut, k, stride, pad, groups (default 1; = cIn: depthwise)]
export const shapes = [
  ['32×1×28×28 → 32, 3×3 (MNIST conv1)', 32, 1, 28, 28, 32, 3, 1, 0],
  ['32×32×13×13 → 64, 3×3 (MNIST conv2)', 32, 32, 13, 13, 64, 3, 1, 0],
  ['32×32×14×14 → 64, 3×3 pad 1', 32, 32, 14, 14, 64, 3, 1, 1],
  ['1×3×224×224 → 64, 7×7 stride 2 pad 3', 1, 3, 224, 224, 64, 7, 2, 3],
  ['32×64×28×28 depthwise 3×3 pad 1', 32, 64, 28, 28, 64, 3, 1, 1, 64],
];

export async function run({ variants }) {
  const rows = [];
  for (const [label, n, cIn, h, w, cOut, k, s, p, groups = 1] of shapes) {
    const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p), cg = cIn / groups;
    const nx = n * cIn * h * w, nw = cOut * cg * k * k, ny = n * cOut * oh * ow;
    const x = randomData(nx, 1), weight = randomData(nw, 2), bias = randomData(cOut, 3), dy = randomData(ny, 4);
    const y = convJs(x, weight, bias, new Float64Array(ny), n, cIn, h, w, cOut, k, s, p, groups);
    const dx = new Float64Array(nx), dw = new Float64Array(nw), db = new Float64Array(cOut);
    convBackwardJs(x, weight, dy, dx, dw, db, n, cIn, h, w, cOut, k, s, p, groups);
    const spec = { n, cIn, h, w, cOut, k, s, p, groups, x, weight, bias, dy };
    const sumTol = 1e-4 * Math.sqrt(ny / cOut); // dw and db sum ny/cOut terms each
    const depthwise = groups > 1 ? { depthwise: true } : {};
    const fwd = { group: 'conv', case: `${label} forward`, unit: 'GFLOP/s', higherIsBetter: true, tags: { conv: 'forward', ...depthwise } };
    await measureCase(fwd, 'convForward', spec, {
      variants, expected: { y: [y, 1e-4] }, toUnit: (t) => rate(t, 2 * ny * cg * k * k, 1e6),
    });
    const both = { group: 'conv', case: `${label} fwd+bwd`, unit: 'ms', higherIsBetter: false, tags: { conv: 'fwd+bwd', ...depthwise } };
    await measureCase(both, 'convBackward', spec, {
      variants, expected: { dx: [dx, 1e-4], dw: [dw, sumTol], db: [db, sumTol] },
    });
    rows.push(fwd, both);
  }
  return rows;
}
