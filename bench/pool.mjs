// Pooling throughput in GB/s: bytes each kernel must move (inputs read once + outputs written once:
// max forward x + y + argmax, max backward dy + argmax + dx, average forward x + y, backward dy + dx)
// per second, for simdnet's builds and a plain-JS loop.
import { time, rawCore, randomData, maxError } from './lib.mjs';

// [label, n, c, h, w, k, stride, pad]
export const shapes = [
  ['32×32×28×28, 2×2 stride 2 (MNIST pool1)', 32, 32, 28, 28, 2, 2, 0],
  ['32×64×11×11, 2×2 stride 2 (MNIST pool2)', 32, 64, 11, 11, 2, 2, 0],
  ['8×64×56×56, 3×3 stride 2 pad 1', 8, 64, 56, 56, 3, 2, 1],
];

const outSize = (size, k, s, p) => Math.floor((size + 2 * p - k) / s) + 1;

/** Plain-JS max pooling (PyTorch semantics): the oracle and the JS baseline. */
function maxPoolJs(x, y, argmax, planes, h, w, k, s, p) {
  const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
  for (let pl = 0; pl < planes; pl++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const y0 = oy * s - p, x0 = ox * s - p;
    const ys = Math.max(y0, 0), ye = Math.min(y0 + k, h), xs = Math.max(x0, 0), xe = Math.min(x0 + k, w);
    let best = -Infinity, at = ys * w + xs;
    for (let iy = ys; iy < ye; iy++) for (let ix = xs; ix < xe; ix++) {
      const v = x[pl * h * w + iy * w + ix];
      if (v > best || v !== v) { best = v; at = iy * w + ix; }
    }
    const o = (pl * oh + oy) * ow + ox;
    y[o] = best;
    argmax[o] = at;
  }
}

function avgPoolRef(x, planes, h, w, k, s, p) {
  const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
  const y = new Float64Array(planes * oh * ow);
  for (let pl = 0; pl < planes; pl++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const y0 = oy * s - p, x0 = ox * s - p;
    const div = (Math.min(y0 + k, h + p) - y0) * (Math.min(x0 + k, w + p) - x0);
    let sum = 0;
    for (let iy = Math.max(y0, 0); iy < Math.min(y0 + k, h); iy++)
      for (let ix = Math.max(x0, 0); ix < Math.min(x0 + k, w); ix++) sum += x[pl * h * w + iy * w + ix];
    y[(pl * oh + oy) * ow + ox] = sum / div;
  }
  return y;
}

const gbs = (bytes, t) => ({ median: bytes / t.median / 1e6, min: bytes / t.max / 1e6, max: bytes / t.min / 1e6 });

export async function run({ variants }) {
  const cores = Object.fromEntries(variants.map((v) => [v, rawCore(v)]));
  const rows = [];
  for (const [label, n, c, h, w, k, s, p] of shapes) {
    const planes = n * c, oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
    const nx = planes * h * w, ny = planes * oh * ow;
    const x = randomData(nx, 1), dy = randomData(ny, 2);
    const yRef = new Float32Array(ny), aRef = new Int32Array(ny);
    maxPoolJs(x, yRef, aRef, planes, h, w, k, s, p);
    const dxRef = new Float64Array(nx);
    for (let o = 0; o < ny; o++) dxRef[Math.floor(o / (oh * ow)) * h * w + aRef[o]] += dy[o];
    const avgRef = avgPoolRef(x, planes, h, w, k, s, p);
    const row = (what, bytes) => ({ group: 'pool', case: `${label} ${what}`, unit: 'GB/s', results: {}, bytes });
    const out = [row('max forward', 4 * (nx + 2 * ny)), row('max backward', 4 * (2 * ny + nx)),
      row('avg forward', 4 * (nx + ny)), row('avg backward', 4 * (ny + nx))];
    const dims = [n, c, h, w, k, k, s, s, p, p];
    for (const v of variants) {
      const core = cores[v], e = core.exports;
      const px = core.put(x), pdy = core.put(dy), py = core.put(new Float32Array(ny)), pa = core.put(new Float32Array(ny));
      const pdx = core.put(new Float32Array(nx));
      e.maxPool2dForward(px, py, pa, ...dims);
      e.maxPool2dBackward(pdy, pa, pdx, n, c, h, w, oh, ow);
      const argmax = new Int32Array(e.memory.buffer).slice(pa >> 2, (pa >> 2) + ny);
      if (maxError(core.get(py, ny), yRef) > 0 || argmax.some((a, i) => a !== aRef[i])) throw new Error(`pool ${label}: simdnet-${v} max forward disagrees with the reference`);
      if (maxError(core.get(pdx, nx), dxRef) > 1e-6) throw new Error(`pool ${label}: simdnet-${v} max backward disagrees with the reference`);
      e.avgPool2dForward(px, py, ...dims);
      if (maxError(core.get(py, ny), avgRef) > 1e-5) throw new Error(`pool ${label}: simdnet-${v} avg forward disagrees with the reference`);
      const o = { warmup: 2, samples: 9, minMs: 20 };
      out[0].results[`simdnet-${v}`] = gbs(out[0].bytes, time(() => e.maxPool2dForward(px, py, pa, ...dims), o));
      out[1].results[`simdnet-${v}`] = gbs(out[1].bytes, time(() => e.maxPool2dBackward(pdy, pa, pdx, n, c, h, w, oh, ow), o));
      out[2].results[`simdnet-${v}`] = gbs(out[2].bytes, time(() => e.avgPool2dForward(px, py, ...dims), o));
      out[3].results[`simdnet-${v}`] = gbs(out[3].bytes, time(() => e.avgPool2dBackward(pdy, pdx, ...dims), o));
      for (const ptr of [px, pdy, py, pa, pdx]) e.free(ptr);
    }
    const yJs = new Float32Array(ny), aJs = new Int32Array(ny);
    out[0].results['plain-js'] = gbs(out[0].bytes, time(() => maxPoolJs(x, yJs, aJs, planes, h, w, k, s, p), { warmup: 2, samples: 5, minMs: 10 }));
    for (const r of out) {
      const res = r.results, ratio = (a, b) => (res[a] && res[b] ? res[a].median / res[b].median : null);
      r.ratios = { 'simd÷scalar': ratio('simdnet-simd', 'simdnet-scalar'), 'simd÷js': ratio('simdnet-simd', 'plain-js') };
      delete r.bytes;
    }
    rows.push(...out);
  }
  return rows;
}
