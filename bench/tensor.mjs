// The tensor toolkit on 256×1024 (issue 15): reductions along each dimension, broadcasting binary
// ops and a transpose, through the public API with the result copied out (as dataSync()), against
// the same op in tfjs-wasm, one thread. µs per call; target: within 1.5× of tfjs-wasm.
import { randomData } from './lib.mjs';
import { measureCase } from './harness.mjs';

const rows = 256, cols = 1024;

/** float64 reference of each case over row-major x [rows, cols] (and b). */
function reference(op, x, b) {
  const at = (r, c) => x[r * cols + c];
  const reduce = (dim, f) => {
    const n = dim === 0 ? cols : rows, m = dim === 0 ? rows : cols;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = new Float64Array(m);
      for (let j = 0; j < m; j++) v[j] = dim === 0 ? at(j, i) : at(i, j);
      out[i] = f(v);
    }
    return out;
  };
  const sum = (v) => v.reduce((a, c) => a + c, 0);
  const map = (f) => Float64Array.from(x, (v, i) => f(v, i));
  switch (op) {
    case 'sum0': return reduce(0, sum);
    case 'sum1': return reduce(1, sum);
    case 'mean1': return reduce(1, (v) => sum(v) / v.length);
    case 'max1': return reduce(1, (v) => Math.max(...v));
    case 'max0': return reduce(0, (v) => Math.max(...v));
    case 'logsumexp1': return reduce(1, (v) => { const m = Math.max(...v); return m + Math.log(sum(v.map((e) => Math.exp(e - m)))); });
    case 'var0': return reduce(0, (v) => { const m = sum(v) / v.length; return sum(v.map((e) => (e - m) ** 2)) / v.length; });
    case 'addRow': return map((v, i) => v + b[i % cols]);
    case 'addCol': return map((v, i) => v + b[Math.floor(i / cols)]);
    case 'mul': return map((v, i) => v * b[i]);
    case 'divCol': return map((v, i) => v / b[Math.floor(i / cols)]);
    case 'transpose': { const out = new Float64Array(x.length); for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = at(r, c); return out; }
  }
  throw new Error(op);
}

export const CASES = [
  ['sum0', 'sum dim 0', 'reduce'], ['sum1', 'sum dim 1', 'reduce'], ['mean1', 'mean dim 1', 'reduce'],
  ['max0', 'max dim 0', 'reduce'], ['max1', 'max dim 1', 'reduce'], ['logsumexp1', 'logsumexp dim 1', 'reduce'],
  ['var0', 'var dim 0 (biased)', 'reduce'],
  ['addRow', 'add [256,1024]+[1024]', 'broadcast'], ['addCol', 'add [256,1024]+[256,1]', 'broadcast'],
  ['mul', 'mul [256,1024]·[256,1024]', 'broadcast'], ['divCol', 'div [256,1024]/[256,1]', 'broadcast'],
  ['transpose', 'transpose [256,1024]', 'transpose'],
];

/** The second operand's shape for the binary cases. */
export function operandShape(op) {
  return { addRow: [cols], addCol: [rows, 1], mul: [rows, cols], divCol: [rows, 1] }[op] ?? null;
}

export async function run({ variants }) {
  const x = randomData(rows * cols, 31).map((v) => v * 3);
  const out = [];
  for (const [op, label, kind] of CASES) {
    const bShape = operandShape(op);
    const b = bShape ? randomData(bShape.reduce((p, d) => p * d, 1), 32).map((v) => (op === 'divCol' ? 1.5 + Math.abs(v) : v)) : null;
    const ref = reference(op, x, b);
    const row = { group: 'tensor', case: `${label}`, unit: 'µs', higherIsBetter: false, tags: { toolkit: kind } };
    await measureCase(row, 'tensorOp', { op, rows, cols, x, b, bShape }, {
      variants, expected: { y: [ref, kind === 'reduce' ? 1e-4 : 1e-6] },
      toUnit: (t) => ({ median: t.median * 1e3, min: t.min * 1e3, max: t.max * 1e3 }),
    });
    out.push(row);
  }
  return out;
}
