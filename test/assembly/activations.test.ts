// assembly/activations.ts against float64 (test/reference/norm.ts), every build, every 4-lane
// tail, misaligned, guarded; the builds agree bit for bit (no FMA in these maps).
import { describe, it, expect } from 'vitest';
import { loadCore, variants, rng, randomArray, expectClose } from '../helpers/wasm';
import { Buffers } from '../helpers/buffers';
import * as ref from '../reference/norm';

// 1 … 33: every 4-lane tail, and every length left over after one 16-float block (log-softmax's Σ)
const lengths = Array.from({ length: 33 }, (_, i) => i + 1);

/** A dense sweep over [−12, 12] plus the lengths' tails. */
function sweep(): Float32Array {
  const out: number[] = [];
  for (let v = -12; v <= 12; v += 1 / 64) out.push(v);
  out.push(0, -0, 1e-6, -1e-6, 40, -40, 88, -88);
  return Float32Array.from(out);
}

function run(core: ReturnType<typeof loadCore>, name: string, x: Float32Array, dy?: Float32Array, ...extra: number[]): Float32Array {
  const bufs = new Buffers(core, x.length % 4);
  const px = bufs.put(x), out = bufs.put(x.length);
  if (dy) core.exports[name](px, bufs.put(dy), out, x.length, ...extra);
  else core.exports[name](px, out, x.length, ...extra);
  bufs.checkGuards(out, x.length, name);
  const r = core.get(out, x.length);
  bufs.free();
  return r;
}

const results: Record<string, Float32Array[]> = {};

describe.each(variants)('activations (%s build)', (variant) => {
  const core = loadCore(variant);

  it('GELU (exact): |Φ error| ≤ 3e-7, so |gelu − x·Φ| ≤ 3e-7·|x| + 2 ulp; its derivative likewise', () => {
    const x = sweep(), dy = new Float32Array(x.length).fill(1);
    const y = run(core, 'gelu', x), d = run(core, 'geluBackward', x, dy);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      expect(Math.abs(y[i] - ref.act.gelu(v)), `gelu(${v})`).toBeLessThanOrEqual(3e-7 * Math.abs(v) + 2.4e-7 * Math.abs(ref.act.gelu(v)) + 1e-30);
      expect(Math.abs(d[i] - ref.act.geluGrad(v)), `gelu'(${v})`).toBeLessThanOrEqual(3e-7 * (1 + Math.abs(v)) + 2.4e-7 * Math.abs(ref.act.geluGrad(v)));
    }
    (results.gelu ??= []).push(y, d);
  });

  it('GELU (tanh), SiLU: forward and backward against float64', () => {
    const x = sweep(), dy = randomArray(x.length, rng(3));
    const cases: Array<[string, (v: number) => number, (v: number) => number]> = [
      ['geluTanh', ref.act.geluTanh, ref.act.geluTanhGrad], ['silu', ref.act.silu, ref.act.siluGrad],
    ];
    for (const [name, f, g] of cases) {
      const y = run(core, name, x), d = run(core, `${name}Backward`, x, dy);
      expectClose(y, Array.from(x, f), 1e-6, 1e-6, `${variant} ${name}`);
      expectClose(d, Array.from(x, (v, i) => dy[i] * g(v)), 2e-6, 2e-6, `${variant} ${name}Backward`);
      (results[name] ??= []).push(y, d);
    }
  });

  it('Hardtanh (ReLU6 = [0, 6]): clamp forward; backward passes dy strictly inside only, as PyTorch', () => {
    const x = Float32Array.from([-7, -1, 0, 0.5, 1, 5.9, 6, 6.1, 1e9, -0.0, 3, -2, 2]);
    const dy = Float32Array.from(x, (_, i) => i + 1);
    for (const [lo, hi] of [[0, 6], [-1, 1], [-2.5, 0.5]]) {
      const y = run(core, 'hardtanh', x, undefined, lo, hi), d = run(core, 'hardtanhBackward', x, dy, lo, hi);
      expect(Array.from(y)).toEqual(Array.from(x, (v) => Math.min(Math.max(v, lo), hi)));
      expect(Array.from(d)).toEqual(Array.from(x, (v, i) => (v > lo && v < hi ? dy[i] : 0)));
    }
    const nan = run(core, 'hardtanh', Float32Array.from([NaN, 1, NaN, 2, NaN]), undefined, 0, 6);
    expect(Number.isNaN(nan[0]) && Number.isNaN(nan[4])).toBe(true);
  });

  it('log-softmax: stable at ±1000, every tail, in place; backward against float64', () => {
    const random = rng(11);
    for (const rows of [1, 3]) for (const cols of lengths) for (const shift of [0, 1000, -1000]) {
      const bufs = new Buffers(core, (rows + cols) % 4);
      const size = rows * cols;
      const x = randomArray(size, random, 8).map((v) => v + shift), dy = randomArray(size, random);
      const px = bufs.put(x), py = bufs.put(size);
      const label = `${variant} ${rows}x${cols} shift ${shift}`;
      core.exports.logSoftmax(px, py, rows, cols);
      const want = ref.logSoftmax(x, rows, cols);
      expectClose(core.get(py, size), want, 2e-6, 1e-6, label);
      bufs.checkGuards(py, size, label);
      const pdx = bufs.put(size);
      core.exports.logSoftmaxBackward(py, bufs.put(dy), pdx, rows, cols);
      const dx = new Float64Array(size);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += dy[r * cols + c];
        for (let c = 0; c < cols; c++) dx[r * cols + c] = dy[r * cols + c] - Math.exp(want[r * cols + c]) * s;
      }
      expectClose(core.get(pdx, size), dx, 2e-6, 2e-6, `${label} backward`);
      bufs.checkGuards(pdx, size, label);
      core.exports.logSoftmax(px, px, rows, cols);
      expectClose(core.get(px, size), want, 2e-6, 1e-6, `${label} in place`);
      bufs.free();
    }
  });
});

describe('activations: the builds agree bit for bit', () => {
  it('every map gives the same bits in every build', () => {
    for (const [name, outs] of Object.entries(results)) {
      if (outs.length < 4) continue;
      const per = outs.length / variants.length;
      for (let v = 1; v < variants.length; v++) for (let k = 0; k < per; k++) {
        expect(Buffer.from(outs[v * per + k].buffer).equals(Buffer.from(outs[k].buffer)), `${name} ${variants[v]}`).toBe(true);
      }
    }
  });
});
