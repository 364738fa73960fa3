// fromOnnx reads files from strangers: 10,000+ seeded mutations of valid models (bit and byte flips,
// truncations, appended bytes, length fields rewritten, varints replaced by huge or negative values,
// dims made huge, fields duplicated or dropped, deep nesting). Every outcome must be a module that
// runs on a zero input, or a plain Error starting 'fromOnnx:'. Nothing else may escape (no
// RangeError from a typed array, no TypeError from a missing field), no case may take 1 s, a refused
// file leaves wasm memory exactly as it was, and a model that imports holds at most 2 × the file's
// bytes in tensors.
//
// Explore further: FUZZ_SEED=7 FUZZ_CASES=100000 FUZZ_REPORT=1 npx vitest run test/bindings/onnx-fuzz.test.ts
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { init, nn, fromOnnx, toOnnx, zeros, tidy, noGrad, memory } from '../../bindings/index';
import { ProtoWriter } from '../../bindings/io/onnx-proto';
import { rng, pick } from '../helpers/fuzz';

beforeAll(async () => { await init(); });

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);


const dir = new URL('../fixtures/onnx/', import.meta.url);
const bases: Array<{ name: string; bytes: Uint8Array }> = [];

/** Offsets of every field key in the message tree, with the wire type and where its value starts and ends. */
interface Field { key: number; wire: number; start: number; end: number }

function varintAt(b: Uint8Array, p: number): [number, number] {
  let v = 0, mul = 1;
  for (let i = 0; i < 10 && p < b.length; i++) {
    const byte = b[p++];
    v += (byte & 0x7f) * mul;
    if (!(byte & 0x80)) return [v, p];
    mul *= 128;
  }
  return [-1, p];
}

/** A loose walk over the protobuf (recursing into any length-delimited field that parses as a message). */
function fields(b: Uint8Array, start = 0, end = b.length, depth = 0, out: Field[] = []): Field[] {
  let p = start;
  while (p < end) {
    const at = p;
    const [key, q] = varintAt(b, p);
    if (key <= 0) return out;
    const wire = key % 8;
    p = q;
    if (wire === 0) { const [, r] = varintAt(b, p); p = r; out.push({ key: at, wire, start: q, end: p }); }
    else if (wire === 1) { p += 8; out.push({ key: at, wire, start: q, end: p }); }
    else if (wire === 5) { p += 4; out.push({ key: at, wire, start: q, end: p }); }
    else if (wire === 2) {
      const [len, r] = varintAt(b, p);
      if (len < 0 || r + len > end) return out;
      out.push({ key: at, wire, start: q, end: r + len });
      if (depth < 6 && len > 1) {
        const inner: Field[] = [];
        fields(b, r, r + len, depth + 1, inner);
        out.push(...inner);
      }
      p = r + len;
    } else return out;
    if (p > end) return out;
  }
  return out;
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function varintBytes(v: bigint): Uint8Array {
  const out: number[] = [];
  let n = BigInt.asUintN(64, v);
  while (n >= 0x80n) { out.push(Number(n & 0x7fn) | 0x80); n >>= 7n; }
  out.push(Number(n));
  return Uint8Array.from(out);
}

const HUGE: bigint[] = [0n, 1n, 2n, 127n, 128n, 255n, 4096n, 65535n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 40n, 2n ** 53n + 1n, 2n ** 63n - 1n, -1n, -2n, -(2n ** 31n)];

type Mutation = (b: Uint8Array, r: () => number) => Uint8Array;
const mutations: Record<string, Mutation> = {
  bitflip: (b, r) => { const m = b.slice(); for (let k = 1 + Math.floor(r() * 3); k > 0; k--) { const i = Math.floor(r() * m.length); m[i] ^= 1 << Math.floor(r() * 8); } return m; },
  byte: (b, r) => { const m = b.slice(); m[Math.floor(r() * m.length)] = pick(r, [0, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12]); return m; },
  truncate: (b, r) => b.slice(0, Math.floor(r() * b.length)),
  append: (b, r) => concatBytes(b, Uint8Array.from({ length: 1 + Math.floor(r() * 16) }, () => Math.floor(r() * 256))),
  // Replace a varint value (a length, a dim, an attribute int, a data type) with an odd one.
  varint: (b, r) => {
    const fs = fields(b).filter((f) => f.wire === 0 || f.wire === 2);
    if (!fs.length) return b;
    const f = pick(r, fs);
    const [, valueStart] = varintAt(b, f.key);
    const [, valueEnd] = f.wire === 0 ? [0, f.end] : varintAt(b, valueStart);
    return concatBytes(b.subarray(0, valueStart), varintBytes(pick(r, HUGE)), b.subarray(valueEnd));
  },
  // Lengths off by a little: the message now ends inside or after its neighbour.
  length: (b, r) => {
    const fs = fields(b).filter((f) => f.wire === 2);
    if (!fs.length) return b;
    const f = pick(r, fs);
    const [, valueStart] = varintAt(b, f.key);
    const [len, dataStart] = varintAt(b, valueStart);
    const next = BigInt(Math.max(0, len + pick(r, [-2, -1, 1, 2, 3, 8])));
    return concatBytes(b.subarray(0, valueStart), varintBytes(next), b.subarray(dataStart));
  },
  duplicate: (b, r) => {
    const fs = fields(b);
    if (!fs.length) return b;
    const f = pick(r, fs);
    return concatBytes(b.subarray(0, f.end), b.subarray(f.key, f.end), b.subarray(f.end));
  },
  drop: (b, r) => {
    const fs = fields(b);
    if (!fs.length) return b;
    const f = pick(r, fs);
    return concatBytes(b.subarray(0, f.key), b.subarray(f.end));
  },
  // Tensors with huge dims (packed dims field 1 rewritten inside an initializer).
  hugeDims: (b, r) => {
    const fs = fields(b).filter((f) => f.wire === 2 && b[f.key] === 0x0a && f.end - f.start < 12);
    if (!fs.length) return b;
    const f = pick(r, fs);
    const [, dataStart] = varintAt(b, f.start);
    const dims = concatBytes(...Array.from({ length: 1 + Math.floor(r() * 4) }, () => varintBytes(pick(r, HUGE))));
    return concatBytes(b.subarray(0, f.start), varintBytes(BigInt(dims.length)), dims, b.subarray(f.end));
    void dataStart;
  },
  // A deep chain of nested messages where a graph is expected.
  nest: (b, r) => {
    let m: Uint8Array = new ProtoWriter().string(4, 'Relu').finish();
    for (let k = Math.floor(r() * 200); k > 0; k--) m = new ProtoWriter().bytes(pick(r, [1, 5, 7]), m).finish();
    return concatBytes(b, new ProtoWriter().bytes(7, new ProtoWriter().bytes(1, m).finish()).finish());
  },
};

describe('fromOnnx fuzz', () => {
  it(`${CASES} mutated models: a module or a 'fromOnnx:' Error, under 1 s each, memory as before`, () => {
    for (const f of ['mlp-opset13', 'residual-opset17', 'depthwise-opset11', 'branch-opset13', 'gelu-mlp-opset17', 'asymmetric-opset11']) {
      bases.push({ name: f, bytes: new Uint8Array(readFileSync(new URL(`${f}.onnx`, dir))) });
    }
    const own = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Dense(2 * 3 * 3, 3));
    bases.push({ name: 'toOnnx', bytes: toOnnx(own, { inputShape: [1, 8, 8] }) });
    own.dispose();

    const r = rng(SEED);
    const names = Object.keys(mutations);
    const outcomes = new Map<string, number>();
    let slowest = 0;
    const heapStart = process.memoryUsage().heapUsed;
    for (let i = 0; i < CASES; i++) {
      const base = pick(r, bases);
      const kind = pick(r, names);
      let bytes = mutations[kind](base.bytes, r);
      if (r() < 0.2) bytes = mutations[pick(r, names)](bytes, r); // two mutations
      const before = memory();
      const t0 = performance.now();
      let outcome: string;
      try {
        const m = fromOnnx(bytes);
        try {
          // It must run (or refuse to run with a plain Error) on a zero input of its shape.
          const shape = JSON.parse(readShape(base.name));
          noGrad(() => tidy(() => { try { m.eval().forward(zeros(shape)); } catch (err) { if (!(err instanceof Error) || err.constructor !== Error) throw err; } }));
          expect(memory().bytes - before.bytes).toBeLessThanOrEqual(2 * bytes.length + 1024);
        } finally {
          m.dispose();
        }
        outcome = 'imported';
      } catch (err) {
        if (!(err instanceof Error) || err.constructor !== Error || !err.message.startsWith('fromOnnx:')) {
          throw new Error(`case ${i} (${base.name}, ${kind}): ${err instanceof Error ? `${err.constructor.name}: ${err.message}\n${err.stack}` : String(err)}`);
        }
        outcome = err.message.includes('not a valid ONNX model') ? 'refused: decode' : 'refused: import';
      }
      const dt = performance.now() - t0;
      slowest = Math.max(slowest, dt);
      if (dt > 1000) throw new Error(`case ${i} (${base.name}, ${kind}) took ${dt.toFixed(0)} ms`);
      const after = memory();
      if (after.tensors !== before.tensors || after.bytes !== before.bytes) throw new Error(`case ${i} (${base.name}, ${kind}): memory changed (${before.tensors} → ${after.tensors} tensors)`);
      outcomes.set(`${kind} ${outcome}`, (outcomes.get(`${kind} ${outcome}`) ?? 0) + 1);
    }
    // No blow-up of the JS heap across the run (the decoder's budget is 16 × a ≤ 10 kB file per case).
    expect(process.memoryUsage().heapUsed - heapStart).toBeLessThan(256 * 1024 * 1024);
    if (process.env.FUZZ_REPORT) console.log([...outcomes].sort().map(([k, v]) => `${k}: ${v}`).join('\n'), `\nslowest ${slowest.toFixed(1)} ms`);
    // Both outcomes occur: the mutations are not all fatal, and not all harmless.
    const total = (s: string) => [...outcomes].filter(([k]) => k.endsWith(s)).reduce((a, [, v]) => a + v, 0);
    expect(total('imported')).toBeGreaterThan(CASES / 20);
    expect(total('refused: decode') + total('refused: import')).toBeGreaterThan(CASES / 5);
  }, 600_000);
});

const inputShapes: Record<string, number[]> = {
  'mlp-opset13': [1, 8], 'residual-opset17': [1, 4, 8, 8], 'depthwise-opset11': [1, 8, 9, 9], 'branch-opset13': [1, 3, 8, 8],
  'gelu-mlp-opset17': [1, 6], 'asymmetric-opset11': [1, 2, 9, 9], toOnnx: [1, 1, 8, 8],
};
function readShape(name: string): string {
  return JSON.stringify(inputShapes[name]);
}
