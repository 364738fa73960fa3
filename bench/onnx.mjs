// ONNX import (issue 14): is an imported network as fast as the same network built with nn, and how
// long does fromOnnx take on a 10 MB file?
//   1. MNIST CNN inference, batch 64: the PyTorch 1.13 export of examples/mnist-cnn's network
//      (test/fixtures/onnx/mnist-cnn-opset13.onnx, its input normalisation inside the graph) through
//      fromOnnx, against nn.Sequential(Conv2d, ReLU, MaxPool2d, ..., Dense) with the same weights
//      fed the normalised batch. Outputs are checked equal before timing. Target: imported within
//      5% (ms per batch, imported ÷ nn-built ≤ 1.05).
//   2. fromOnnx of a 10 MB model (an MLP 1024-1024-1024-512-10, 2.6 M float32 weights, written by
//      toOnnx), decode + plan + build, the module disposed after each call. Target ≤ 200 ms.
import { readFileSync } from 'node:fs';
import { time } from './lib.mjs';
import { simdnetEntry, root } from './platform.mjs';
import path from 'node:path';

export async function run({ variants }) {
  const s = await import(simdnetEntry);
  const rows = [];
  for (const variant of variants.filter((v) => v !== 'scalar')) {
    await s.init({ variant });
    s.seed(1);
    const file = new Uint8Array(readFileSync(path.join(root, 'test/fixtures/onnx/mnist-cnn-opset13.onnx')));
    const imported = s.fromOnnx(file).eval();
    const built = new s.nn.Sequential(
      new s.nn.Conv2d(1, 32, 3), new s.nn.ReLU(), new s.nn.MaxPool2d(2),
      new s.nn.Conv2d(32, 64, 3), new s.nn.ReLU(), new s.nn.MaxPool2d(2),
      new s.nn.Flatten(), new s.nn.Dense(1600, 128), new s.nn.ReLU(), new s.nn.Dropout(0.5), new s.nn.Dense(128, 10),
    ).eval();
    // Same weights: the imported model's parameters in order (its two Elementwise layers have none).
    const src = imported.parameters();
    built.loadStateDict(Object.fromEntries(built.namedParameters().map(([n], j) => [n, src[j].data()])));
    const batch = 64;
    const raw = Float32Array.from({ length: batch * 784 }, (_, i) => ((i * 7919) % 256) / 255);
    const x = s.tensor(raw, [batch, 1, 28, 28]);
    const xn = s.tensor(raw.map((v) => (v - 0.1307) / 0.3081), [batch, 1, 28, 28]);
    const a = s.noGrad(() => s.tidy(() => imported.forward(x).data()));
    const b = s.noGrad(() => s.tidy(() => built.forward(xn).data()));
    let err = 0, scale = 0;
    for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
    if (!(err / scale < 1e-4)) throw new Error(`onnx bench: the imported and nn-built CNN disagree (${err / scale})`);
    const forward = (m, input) => () => s.noGrad(() => s.tidy(() => { m.forward(input); }));
    // Alternate the two so load on the shared machine hits both alike.
    const ti = [], tb = [];
    for (let k = 0; k < 3; k++) { ti.push(time(forward(imported, x))); tb.push(time(forward(built, xn))); }
    const best = (ts) => ts.reduce((p, q) => (q.median < p.median ? q : p));
    rows.push({
      group: 'onnx', case: `MNIST CNN inference, batch ${batch} (${variant})`, unit: 'ms/batch', higherIsBetter: false,
      tags: { onnx: 'infer' }, results: { imported: best(ti), 'nn-built': best(tb) },
    });
    x.dispose(); xn.dispose(); imported.dispose(); built.dispose();

    const big = new s.nn.Sequential(new s.nn.Dense(1024, 1024), new s.nn.ReLU(), new s.nn.Dense(1024, 1024), new s.nn.ReLU(),
      new s.nn.Dense(1024, 512), new s.nn.ReLU(), new s.nn.Dense(512, 10));
    const bytes = s.toOnnx(big, { inputShape: [1024] });
    big.dispose();
    const t = time(() => s.fromOnnx(bytes).dispose(), { minSamples: 5 });
    rows.push({
      group: 'onnx', case: `fromOnnx of a ${(bytes.length / 1e6).toFixed(1)} MB model (${variant})`, unit: 'ms', higherIsBetter: false,
      tags: { onnx: 'load' }, results: { fromOnnx: t },
    });
  }
  return rows;
}

export function report(rows, { fmt, table }) {
  console.log('## onnx (issue 14: import)');
  table(['case', 'unit', 'imported / fromOnnx', 'nn-built', 'ratio'], rows.map((r) => {
    const a = r.results.imported ?? r.results.fromOnnx, b = r.results['nn-built'];
    return [r.case, r.unit, `${fmt(a.median)} ±${(((a.max - a.min) / 2 / a.median) * 100).toFixed(0)}%`,
      b ? `${fmt(b.median)} ±${(((b.max - b.min) / 2 / b.median) * 100).toFixed(0)}%` : '—', b ? `${(a.median / b.median).toFixed(3)}` : '—'];
  }));
  console.log('');
  const targets = [];
  for (const r of rows) {
    if (r.tags.onnx === 'infer') {
      const v = r.results.imported.median / r.results['nn-built'].median;
      targets.push({ target: 'imported MNIST CNN inference ≤ 1.05 × nn-built', case: r.case, min: 1.05, values: { ratio: v }, met: { ratio: v <= 1.05 } });
    } else {
      const v = r.results.fromOnnx.median;
      targets.push({ target: 'fromOnnx of a 10 MB model ≤ 200 ms', case: r.case, min: 200, values: { ms: v }, met: { ms: v <= 200 } });
    }
  }
  return targets;
}
