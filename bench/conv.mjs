// conv2d: forward GFLOP/s and forward + backward (input and weight gradients) ms per shape, for
// simdnet's relaxed-SIMD, plain-SIMD and scalar builds, with a plain-JS direct loop as the forward
// baseline. FLOPs are 2·n·cOut·outH·outW·cIn·kh·kw (padded taps included, as usually counted).
import { time, rawCore, randomData, maxError } from './lib.mjs';

// [label, n, cIn, h, w, cOut, k, stride, pad]
export const shapes = [
  ['32×1×28×28 → 32, 3×3 (MNIST conv1)', 32, 1, 28, 28, 32, 3, 1, 0],
  ['32×32×13×13 → 64, 3×3 (MNIST conv2)', 32, 32, 13, 13, 64, 3, 1, 0],
  ['32×32×14×14 → 64, 3×3 pad 1', 32, 32, 14, 14, 64, 3, 1, 1],
  ['1×3×224×224 → 64, 7×7 stride 2 pad 3', 1, 3, 224, 224, 64, 7, 2, 3],
];

const outSize = (size, k, s, p) => Math.floor((size + 2 * p - k) / s) + 1;

/** Direct convolution in plain JS (float64 when out is a Float64Array): the oracle and the JS baseline. */
function convJs(x, w, out, n, cIn, h, wd, cOut, k, s, p) {
  const oh = outSize(h, k, s, p), ow = outSize(wd, k, s, p);
  out.fill(0);
  for (let b = 0; b < n; b++) for (let co = 0; co < cOut; co++) {
    const yo = (b * cOut + co) * oh * ow;
    for (let ci = 0; ci < cIn; ci++) {
      const xo = (b * cIn + ci) * h * wd, wo = (co * cIn + ci) * k * k;
      for (let ki = 0; ki < k; ki++) for (let kj = 0; kj < k; kj++) {
        const wv = w[wo + ki * k + kj];
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * s - p + ki;
          if (iy < 0 || iy >= h) continue;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * s - p + kj;
            if (ix >= 0 && ix < wd) out[yo + oy * ow + ox] += wv * x[xo + iy * wd + ix];
          }
        }
      }
    }
  }
}

/** float64 gradients of Σ dy·conv(x, w): the adjoint of convJs. */
function convBackwardRef(x, w, dy, n, cIn, h, wd, cOut, k, s, p) {
  const oh = outSize(h, k, s, p), ow = outSize(wd, k, s, p);
  const dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  for (let b = 0; b < n; b++) for (let co = 0; co < cOut; co++) {
    const yo = (b * cOut + co) * oh * ow;
    for (let ci = 0; ci < cIn; ci++) {
      const xo = (b * cIn + ci) * h * wd, wo = (co * cIn + ci) * k * k;
      for (let ki = 0; ki < k; ki++) for (let kj = 0; kj < k; kj++) {
        const wv = w[wo + ki * k + kj];
        let g = 0;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * s - p + ki;
          if (iy < 0 || iy >= h) continue;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * s - p + kj;
            if (ix < 0 || ix >= wd) continue;
            const d = dy[yo + oy * ow + ox];
            dx[xo + iy * wd + ix] += wv * d;
            g += x[xo + iy * wd + ix] * d;
          }
        }
        dw[wo + ki * k + kj] += g;
      }
    }
  }
  return { dx, dw };
}

export async function run({ variants }) {
  const cores = Object.fromEntries(variants.map((v) => [v, rawCore(v)]));
  const rows = [];
  for (const [label, n, cIn, h, wd, cOut, k, s, p] of shapes) {
    const oh = outSize(h, k, s, p), ow = outSize(wd, k, s, p);
    const nx = n * cIn * h * wd, nw = cOut * cIn * k * k, ny = n * cOut * oh * ow;
    const x = randomData(nx, 1), w = randomData(nw, 2), bias = randomData(cOut, 3), dy = randomData(ny, 4);
    const ref = new Float64Array(ny);
    convJs(x, w, ref, n, cIn, h, wd, cOut, k, s, p);
    for (let i = 0; i < ny; i++) ref[i] += bias[Math.floor(i / (oh * ow)) % cOut];
    const grad = convBackwardRef(x, w, dy, n, cIn, h, wd, cOut, k, s, p);
    const flops = 2 * n * cOut * oh * ow * cIn * k * k;
    const fwd = { group: 'conv', case: `${label} forward`, unit: 'GFLOP/s', results: {} };
    const both = { group: 'conv', case: `${label} fwd+bwd`, unit: 'ms', results: {} };
    const dims = [n, cIn, h, wd, cOut, k, k, s, s, p, p, 1, 1];
    for (const v of variants) {
      const core = cores[v], e = core.exports;
      const px = core.put(x), pw = core.put(w), pb = core.put(bias), pdy = core.put(dy);
      const py = core.put(new Float32Array(ny)), pdx = core.put(new Float32Array(nx));
      const pdw = core.put(new Float32Array(nw)), pdb = core.put(new Float32Array(cOut));
      e.conv2dForward(px, pw, pb, py, ...dims);
      e.conv2dBackwardInput(pdy, pw, pdx, ...dims);
      e.conv2dBackwardWeight(px, pdy, pdw, pdb, ...dims, 0);
      for (const [what, got, want, scale] of [
        ['forward', core.get(py, ny), ref, 1],
        ['backward input', core.get(pdx, nx), grad.dx, 1],
        ['backward weight', core.get(pdw, nw), grad.dw, Math.sqrt(ny / cOut)],
      ]) {
        const err = maxError(got, want) / scale;
        if (err > 1e-4) throw new Error(`conv ${label}: simdnet-${v} ${what} disagrees with the float64 reference (${err})`);
      }
      const quick = v === 'scalar' ? { warmup: 1, samples: 5, minMs: 20 } : { warmup: 2, samples: 9, minMs: 30 };
      const t = time(() => e.conv2dForward(px, pw, pb, py, ...dims), quick);
      fwd.results[`simdnet-${v}`] = { median: flops / t.median / 1e6, min: flops / t.max / 1e6, max: flops / t.min / 1e6 };
      both.results[`simdnet-${v}`] = time(() => {
        e.conv2dForward(px, pw, pb, py, ...dims);
        e.conv2dBackwardInput(pdy, pw, pdx, ...dims);
        e.conv2dBackwardWeight(px, pdy, pdw, pdb, ...dims, 0);
      }, quick);
      for (const ptr of [px, pw, pb, pdy, py, pdx, pdw, pdb]) e.free(ptr);
    }
    const yJs = new Float32Array(ny);
    const t = time(() => convJs(x, w, yJs, n, cIn, h, wd, cOut, k, s, p), { warmup: 1, samples: 3, minMs: 1 });
    fwd.results['plain-js'] = { median: flops / t.median / 1e6, min: flops / t.max / 1e6, max: flops / t.min / 1e6 };
    const r = fwd.results, ratio = (a, b) => (r[a] && r[b] ? r[a].median / r[b].median : null);
    fwd.ratios = { 'simd÷scalar': ratio('simdnet-simd', 'simdnet-scalar'), 'simd÷js': ratio('simdnet-simd', 'plain-js') };
    const rb = both.results;
    both.ratios = {
      'simd÷scalar': rb['simdnet-simd'] && rb['simdnet-scalar'] ? rb['simdnet-scalar'].median / rb['simdnet-simd'].median : null,
      'simd÷js': null,
    };
    rows.push(fwd, both);
  }
  return rows;
}
