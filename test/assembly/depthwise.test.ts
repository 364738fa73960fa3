import { describe, it } from 'vitest';
import { loadCore, variants, rng, randomArray, expectClose, type RawCore } from '../helpers/wasm';
import { buffer, guardsIntact } from '../helpers/guarded';
import { conv2dRef, conv2dBackwardInputRef, conv2dBackwardWeightRef, convOut, type ConvDims } from '../reference/conv';

// Depthwise kernels against the grouped float64 reference (groups = cIn, cOut = cIn·mult).
// The sweep: 3×3 at every stride 1–3, padding 0–3 (3 > k − 1: backward input's flipped
// correlation then has negative padding) and dilation 1–2 over widths 1–13, so the SIMD interior
// (4 outputs per vector) is left with every tail 0–3 and with no interior at all; plus other kernel
// sizes, non-square ones, channel multipliers 1–3 and the benchmark's layer shape at a small batch.
function sweep(): ConvDims[] {
  const random = rng(7);
  const pick = <T>(xs: T[]): T => xs[Math.floor((random() + 1) / 2 * xs.length) % xs.length];
  const cases: ConvDims[] = [];
  const add = (d: ConvDims) => { const [oh, ow] = convOut(d); if (oh >= 1 && ow >= 1) cases.push(d); };
  for (let s = 1; s <= 3; s++) for (let p = 0; p <= 3; p++) for (let dil = 1; dil <= 2; dil++) for (let w = 1; w <= 13; w++) {
    const c = pick([1, 2, 3, 5]);
    add({ n: pick([1, 2]), cIn: c, cOut: c * pick([1, 1, 2, 3]), groups: c, h: pick([1, 3, 4, 6, 9]), w,
      kh: 3, kw: 3, sh: s, sw: pick([1, s]), ph: p, pw: pick([p, 1]), dh: dil, dw: pick([1, dil]) });
  }
  for (let kh = 1; kh <= 5; kh++) for (let kw = 1; kw <= 7; kw++) {
    const c = pick([1, 2, 4]);
    add({ n: 1, cIn: c, cOut: c * pick([1, 2]), groups: c, h: pick([5, 8, 11]), w: pick([6, 9, 14, 17]),
      kh, kw, sh: pick([1, 1, 2]), sw: pick([1, 1, 2]), ph: pick([0, 1, 2]), pw: pick([0, 1, 2, 3]), dh: 1, dw: pick([1, 2]) });
  }
  add({ n: 2, cIn: 16, cOut: 16, groups: 16, h: 28, w: 28, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1 });
  add({ n: 1, cIn: 8, cOut: 8, groups: 8, h: 15, w: 15, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1 });
  return cases;
}
const cases = sweep();

const label = (d: ConvDims) =>
  `n${d.n} c${d.cIn}x${d.h}x${d.w} -> ${d.cOut} k${d.kh}x${d.kw} s${d.sh},${d.sw} p${d.ph},${d.pw} d${d.dh},${d.dw}`;
const dims = (d: ConvDims) => [d.n, d.cIn, d.h, d.w, d.cOut / d.cIn, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, d.dh, d.dw];

function checkCase(core: RawCore, d: ConvDims, seed: number): void {
  const { depthwiseConv2dForward: fwd, depthwiseConv2dBackwardInput: bwdX, depthwiseConv2dBackwardWeight: bwdW, free } = core.exports;
  const random = rng(seed);
  const [oh, ow] = convOut(d);
  const nx = d.n * d.cIn * d.h * d.w, nw = d.cOut * d.kh * d.kw, ny = d.n * d.cOut * oh * ow;
  const x = randomArray(nx, random), w = randomArray(nw, random), bias = randomArray(d.cOut, random), dy = randomArray(ny, random);
  const dw0 = randomArray(nw, random), db0 = randomArray(d.cOut, random);
  const what = `${core.variant} ${label(d)}`;
  const tol = 1e-5 * Math.sqrt(d.kh * d.kw), tolB = 1e-5 * Math.sqrt(ny / d.cOut);
  const px = buffer(core, nx, x), pw = buffer(core, nw, w), pb = buffer(core, d.cOut, bias), pdy = buffer(core, ny, dy);

  const py = buffer(core, ny);
  fwd(px, pw, pb, py, ...dims(d));
  expectClose(core.get(py, ny), conv2dRef(x, w, bias, d), tol, tol, `${what} forward+bias`);
  guardsIntact(core, py, ny, `${what} forward`);
  const py0 = buffer(core, ny);
  fwd(px, pw, 0, py0, ...dims(d));
  expectClose(core.get(py0, ny), conv2dRef(x, w, null, d), tol, tol, `${what} forward`);

  const pdx = buffer(core, nx);
  bwdX(pdy, pw, pdx, ...dims(d));
  const tolX = 1e-5 * Math.sqrt(d.cOut / d.cIn * d.kh * d.kw);
  expectClose(core.get(pdx, nx), conv2dBackwardInputRef(dy, w, d), tolX, tolX, `${what} backward input`);
  guardsIntact(core, pdx, nx, `${what} backward input`);

  const ref = conv2dBackwardWeightRef(x, dy, d);
  const pdw = buffer(core, nw), pdb = buffer(core, d.cOut);
  bwdW(px, pdy, pdw, pdb, ...dims(d), 0);
  expectClose(core.get(pdw, nw), ref.dw, tolB, tolB, `${what} backward weight`);
  expectClose(core.get(pdb, d.cOut), ref.dbias, tolB, tolB, `${what} backward bias`);
  guardsIntact(core, pdw, nw, `${what} backward weight`);
  guardsIntact(core, pdb, d.cOut, `${what} backward bias`);
  const pdwAcc = buffer(core, nw, dw0), pdbAcc = buffer(core, d.cOut, db0);
  bwdW(px, pdy, pdwAcc, pdbAcc, ...dims(d), 1);
  expectClose(core.get(pdwAcc, nw), ref.dw.map((v, i) => v + dw0[i]), tolB, tolB, `${what} backward weight, accumulate`);
  expectClose(core.get(pdbAcc, d.cOut), ref.dbias.map((v, i) => v + db0[i]), tolB, tolB, `${what} backward bias, accumulate`);
  const pdwNoBias = buffer(core, nw);
  bwdW(px, pdy, pdwNoBias, 0, ...dims(d), 0);
  expectClose(core.get(pdwNoBias, nw), ref.dw, tolB, tolB, `${what} backward weight without bias`);
  for (const p of [px, pw, pb, pdy, py, py0, pdx, pdw, pdb, pdwAcc, pdbAcc, pdwNoBias]) free(p);
}

describe.each(variants)('depthwise conv kernels (%s build)', (variant) => {
  const core = loadCore(variant);
  it(`match the grouped float64 reference over ${cases.length} shapes`, () => {
    cases.forEach((d, i) => checkCase(core, d, 500 + i));
  });
});

describe.each(variants)('global average pool kernels (%s build)', (variant) => {
  const core = loadCore(variant);
  it('forward is the plane mean and backward spreads dy / plane, at every tail size', () => {
    const random = rng(3);
    for (const rows of [1, 3, 5]) for (let plane = 1; plane <= 21; plane++) {
      const n = rows * plane, x = randomArray(n, random), dy = randomArray(rows, random);
      const px = buffer(core, n, x), py = buffer(core, rows), pdy = buffer(core, rows, dy), pdx = buffer(core, n);
      core.exports.globalAvgPool2dForward(px, py, rows, plane);
      const ref = Array.from({ length: rows }, (_, r) => x.slice(r * plane, (r + 1) * plane).reduce((a, b) => a + b, 0) / plane);
      expectClose(core.get(py, rows), ref, 1e-6, 1e-6, `${variant} forward ${rows}x${plane}`);
      guardsIntact(core, py, rows, 'forward');
      core.exports.globalAvgPool2dBackward(pdy, pdx, rows, plane);
      expectClose(core.get(pdx, n), Array.from({ length: n }, (_, i) => dy[Math.floor(i / plane)] / plane), 1e-7, 1e-6, `${variant} backward ${rows}x${plane}`);
      guardsIntact(core, pdx, n, 'backward');
      for (const p of [px, py, pdy, pdx]) core.exports.free(p);
    }
  });
});
