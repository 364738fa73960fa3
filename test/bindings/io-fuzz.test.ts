// The loader is an attack surface: 12,000 seeded mutations of valid files (bit and byte flips,
// truncations, appended bytes, header-length edits, JSON edits of offsets, dtypes, shapes and
// names, huge and odd numbers, non-JSON, duplicate keys, deep nesting, NaN in the data, model
// descriptions and checkpoint metadata). Every outcome must be either a correct load — the weights
// are what an independent reference decoder reads from the file — or a plain Error from the
// loader, after which the weights (and optimiser state) are unchanged and memory() is exactly as
// before. Nothing else may escape, and no case may take long.
//
// Explore further: FUZZ_SEED=7 FUZZ_CASES=100000 FUZZ_REPORT=1 npx vitest run test/bindings/io-fuzz.test.ts
// (FUZZ_REPORT prints how often each kind of outcome occurred).
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { init, seed, nn, optim, tensor, loss, tidy, memory, save, load, loadModel, checkpoint, restore } from '../../bindings/index';
import { rng, pick } from '../helpers/fuzz';

beforeAll(async () => {
  await init();
});

const CASES = Number(process.env.FUZZ_CASES ?? 12_000);


// ---------------------------------------------------------------------------------------------
// An independent reference decoder (JSON.parse and DataView; no validation beyond what it needs).

function f16(h: number): number {
  const e = (h >> 10) & 31, m = h & 1023, s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function referenceDecode(bytes: Uint8Array): Map<string, Float32Array> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const out = new Map<string, Float32Array>();
  for (const [name, info] of Object.entries<any>(header)) {
    if (name === '__metadata__') continue;
    const size = info.shape.reduce((a: number, b: number) => a * b, 1);
    const at = 8 + n + info.data_offsets[0];
    const v = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      switch (info.dtype) {
        case 'F32': v[i] = dv.getFloat32(at + 4 * i, true); break;
        case 'F64': v[i] = dv.getFloat64(at + 8 * i, true); break;
        case 'F16': v[i] = f16(dv.getUint16(at + 2 * i, true)); break;
        case 'BF16': v[i] = new Float32Array(new Uint32Array([dv.getUint16(at + 2 * i, true) << 16]).buffer)[0]; break;
        default: throw new Error(`reference: dtype ${info.dtype}`);
      }
    }
    out.set(name, v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mutations

interface Parts { header: any; data: Uint8Array }

function split(bytes: Uint8Array): Parts {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.slice(8 + n) };
}

function join(headerText: string, data: Uint8Array, r: () => number): Uint8Array {
  let text = headerText;
  if (r() < 0.9) while (text.length % 8 !== 0) text += ' ';
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}


const ODD_NUMBERS = [0, 1, -1, 2, 3, 4, 7, 8, 12, 48, 92, 0.5, -0.0, 1e300, -1e300, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e21, NaN, Infinity];
const ODD_VALUES: unknown[] = [...ODD_NUMBERS, null, true, 'F32', '', '12', [], {}, [1, 2], { a: 1 }];
const DTYPES: unknown[] = ['F32', 'F16', 'BF16', 'F64', 'I32', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'f32', 'F32 ', '', 'C64', 7, null];

/** A number as JSON text, including forms JSON.stringify cannot write (huge integers, 1e400). */
function numberText(r: () => number): string {
  return pick(r, ['0', '-0', '1', '-1', '4', '12', '48', '92', '1e400', '-1e400', '1.5', '18446744073709551616', '9007199254740993', '4294967296', '1e-400', '00', '1.', '.5', '+1', '0x10']);
}

function jsonEdit(base: Uint8Array, r: () => number): Uint8Array {
  const { header, data } = split(base);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = pick(r, names);
  const entry = header[name];
  let raw: string | null = null;
  switch (Math.floor(r() * 16)) {
    case 0: entry.data_offsets[Math.floor(r() * 2)] = pick(r, ODD_VALUES); break;
    case 1: entry.data_offsets[Math.floor(r() * 2)] += Math.floor(r() * 9) - 4; break;
    case 2: entry.dtype = pick(r, DTYPES); break;
    case 3: entry.shape[Math.floor(r() * entry.shape.length)] = pick(r, ODD_VALUES); break;
    case 4: if (r() < 0.5) entry.shape.push(pick(r, [1, 2, 0])); else entry.shape.pop(); break;
    case 5: entry.shape = entry.shape.slice().reverse(); break;
    case 6: delete header[name]; break;
    case 7: header[`${name}${pick(r, ['x', ' ', '.0', ''])}`] = { dtype: 'F32', shape: [1], data_offsets: [data.length, data.length + 4] }; break;
    case 8: { const other = pick(r, names); const t = entry.data_offsets; entry.data_offsets = header[other].data_offsets; header[other].data_offsets = t; break; }
    case 9: header.__metadata__ = pick(r, [{ format: 1 }, 'pt', null, [], { a: 'b' }, { format: 'pt', 'simdnet.model': '{"type":"Dense"}' }]); break;
    case 10: header[name] = pick(r, ODD_VALUES); break;
    case 11: { // reorder keys: still valid
      const entries = Object.entries(header);
      for (let i = entries.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [entries[i], entries[j]] = [entries[j], entries[i]]; }
      raw = JSON.stringify(Object.fromEntries(entries));
      break;
    }
    case 12: { // duplicate key
      const text = JSON.stringify(header);
      raw = `${text.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(entry)}}`;
      break;
    }
    case 13: { // a number JSON.stringify cannot write
      const text = JSON.stringify(header);
      const spots = [...text.matchAll(/-?\d+(\.\d+)?/g)];
      const m = pick(r, spots);
      raw = text.slice(0, m.index) + numberText(r) + text.slice(m.index! + m[0].length);
      break;
    }
    case 14: raw = pick(r, ['', ' ', '{', '}', 'null', '[]', '[{}]', '"x"', '{"a":', '{"a" 1}', '{,}', '{"a":1,}', '\u0000', '{"\\x":1}', '{"\\ud800":1}',
      '['.repeat(200000), '{"a":'.repeat(1000), `{"${'k'.repeat(100000)}":1}`, JSON.stringify(header).replace(/"/, "'")]); break;
    case 15: { // whitespace and escapes that keep the meaning: still valid
      raw = JSON.stringify(header, null, Math.floor(r() * 3)).replace(/"0\./g, '"\\u0030.');
      break;
    }
  }
  return join(raw ?? JSON.stringify(header), data, r);
}

function byteEdit(base: Uint8Array, r: () => number, parseable = true): Uint8Array {
  const b = base.slice();
  switch (Math.floor(r() * (parseable && b.length >= 8 ? 6 : 4))) {
    case 0: { const k = 1 + Math.floor(r() * 4); for (let i = 0; i < k && b.length > 0; i++) { const at = Math.floor(r() * b.length); b[at] ^= 1 << Math.floor(r() * 8); } return b; }
    case 1: { if (b.length > 0) b[Math.floor(r() * b.length)] = Math.floor(r() * 256); return b; }
    case 2: return b.subarray(0, Math.floor(r() * b.length));
    case 3: { const extra = new Uint8Array(1 + Math.floor(r() * 16)).map(() => Math.floor(r() * 256)); const out = new Uint8Array(b.length + extra.length); out.set(b); out.set(extra, b.length); return out; }
    case 4: { // the header length
      const dv = new DataView(b.buffer);
      const n = dv.getBigUint64(0, true);
      const v = pick(r, [0n, 1n, 7n, n - 1n, n + 1n, n + 8n, n - 8n, BigInt(b.length), 2n ** 32n - 1n, 2n ** 40n, 2n ** 63n, 2n ** 64n - 1n, BigInt(Math.floor(r() * 2 ** 32))]);
      dv.setBigUint64(0, BigInt.asUintN(64, v), true);
      return b;
    }
    default: { // NaN / Inf / huge values in the data
      const { header } = split(base);
      const n = Number(new DataView(b.buffer).getBigUint64(0, true));
      const dataLen = b.length - 8 - n;
      const info: any = pick(r, Object.entries<any>(header).filter(([k]) => k !== '__metadata__').map(([, v]) => v));
      const [begin] = info.data_offsets;
      const item = { F32: 4, F64: 8, F16: 2, BF16: 2 }[info.dtype as 'F32'];
      const i = Math.floor(r() * (info.shape.reduce((a: number, c: number) => a * c, 1)));
      const at = 8 + n + begin + i * item;
      if (at + item > 8 + n + dataLen) return b;
      const dv = new DataView(b.buffer);
      const v = pick(r, [NaN, Infinity, -Infinity, 3e38, -0]);
      if (item === 4) dv.setFloat32(at, v, true);
      else if (item === 8) dv.setFloat64(at, pick(r, [NaN, Infinity, 1e300, -1e39]), true);
      else dv.setUint16(at, pick(r, [0x7c00, 0xfc00, 0x7e00, 0x7f80, 0x7fc0]), true);
      return b;
    }
  }
}

/** Edits inside the metadata strings: the model description and the checkpoint state. */
function metadataEdit(base: Uint8Array, r: () => number): Uint8Array {
  const { header, data } = split(base);
  const meta = header.__metadata__;
  const key = pick(r, Object.keys(meta).filter((k) => k.startsWith('simdnet.')));
  const value = JSON.parse(meta[key]);
  const paths: Array<[any, string]> = [];
  const walk = (v: any): void => {
    if (v === null || typeof v !== 'object') return;
    for (const k of Object.keys(v)) { paths.push([v, k]); walk(v[k]); }
  };
  walk(value);
  const [obj, k] = pick(r, paths);
  switch (Math.floor(r() * 5)) {
    case 0: obj[k] = pick(r, ODD_VALUES); break;
    case 1: delete obj[k]; break;
    case 2: obj[`${k}x`] = obj[k]; break;
    case 3: if (typeof obj[k] === 'number') obj[k] = obj[k] * pick(r, [10, 1000, 100000, -1, 0.5]); else obj[k] = pick(r, ODD_VALUES); break;
    default: meta[key] = pick(r, ['', '{', '[]', 'null', '{"type":"Dense","type":"ReLU"}', '['.repeat(10000), JSON.stringify(value).slice(0, -1)]);
      return join(JSON.stringify(header), data, r);
  }
  meta[key] = JSON.stringify(value);
  return join(JSON.stringify(header), data, r);
}

// ---------------------------------------------------------------------------------------------

function bitsOf(v: Float32Array): number[] {
  return Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
}

function snapshot(model: nn.Module, opt?: optim.Optimizer): string {
  const w = Object.entries(model.stateDict()).map(([k, v]) => [k, bitsOf(v)]);
  const o = opt ? Object.entries(opt.stateDict()).map(([k, v]) => [k, typeof v === 'number' ? v : bitsOf(v)]) : [];
  return JSON.stringify([w, o, opt?.lr]);
}

const LOADER_ERRORS = /^(load|loadModel|restore)[: ]/;

describe('fuzzing the loader', () => {
  it(`${CASES} seeded mutations of valid files: a correct load or a clean Error, nothing else`, () => {
    seed(1);
    const model = new nn.Sequential(new nn.Dense(4, 3), new nn.ReLU(), new nn.Dense(3, 2));
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const x = tensor(Float32Array.from({ length: 8 }, (_, i) => Math.sin(i)), [2, 4]);
    tidy(() => { const l = loss.softmaxCrossEntropy(model.forward(x), Int32Array.from([0, 1])); opt.zeroGrad(); l.backward(); opt.step(); });
    x.dispose();
    const conv = new nn.Sequential(new nn.Conv2d(1, 2, [2, 3], { padding: [1, 0], bias: false }), new nn.ELU(), new nn.AvgPool2d(2, { stride: 1, padding: 1 }),
      new nn.Dropout(0.1), new nn.MaxPool2d([1, 2]), new nn.Flatten(), new nn.Maxout(8, 2, 2), new nn.LeakyReLU(0.1), new nn.Dense(2, 2));
    const fixtures = new URL('../fixtures/', import.meta.url);
    const bases: Array<{ name: string; bytes: Uint8Array; edits: Array<(b: Uint8Array, r: () => number) => Uint8Array> }> = [
      { name: 'save', bytes: save(model), edits: [jsonEdit, byteEdit, metadataEdit] },
      { name: 'fixture', bytes: new Uint8Array(readFileSync(new URL('tiny-pytorch-layout.safetensors', fixtures))), edits: [jsonEdit, byteEdit] },
      { name: 'mixed', bytes: new Uint8Array(readFileSync(new URL('tiny-pytorch-layout-mixed.safetensors', fixtures))), edits: [jsonEdit, byteEdit] },
      { name: 'checkpoint', bytes: checkpoint({ model, optimizer: opt, epoch: 1 }), edits: [jsonEdit, byteEdit, metadataEdit] },
      { name: 'conv', bytes: save(conv), edits: [metadataEdit, metadataEdit, jsonEdit, byteEdit] },
    ];
    conv.dispose();
    const mem = memory();
    const r = rng(Number(process.env.FUZZ_SEED ?? 20240607));
    const outcomes: Record<string, number> = {};
    let slowest = 0;
    for (let c = 0; c < CASES; c++) {
      const base = bases[c % bases.length];
      let bytes = pick(r, base.edits)(base.bytes, r);
      if (r() < 0.15) { // a second mutation, on top of the first (when the first left something it can parse)
        try {
          bytes = pick(r, base.edits)(bytes, r);
        } catch {
          bytes = byteEdit(bytes, r, false);
        }
      }
      const op = base.name === 'checkpoint' ? (r() < 0.8 ? 'restore' : 'load') : base.name === 'conv' || (base.name === 'save' && r() < 0.3) ? 'loadModel' : 'load';
      const before = snapshot(model, opt);
      const t0 = performance.now();
      let error: unknown = null;
      let built: nn.Module | null = null;
      try {
        if (op === 'restore') restore(bytes, { model, optimizer: opt });
        else if (op === 'loadModel') built = loadModel(bytes);
        else load(model, bytes, { strict: base.name !== 'checkpoint' });
      } catch (e) {
        error = e;
      }
      slowest = Math.max(slowest, performance.now() - t0);
      const where = `case ${c} (${base.name}, ${op})`;
      if (error) {
        if (!(error instanceof Error) || error.constructor !== Error || !LOADER_ERRORS.test(error.message) || error.message.length > 1000) {
          throw new Error(`${where}: not a clean loader Error: ${String(error)}\n${(error as Error)?.stack ?? ''}`);
        }
        if (snapshot(model, opt) !== before) throw new Error(`${where}: state changed although it threw: ${error.message}`);
        const key = `${op}: ${error.message.replace(/^\S+ /, '').replace(/'[^']*'|\d+(\.\d+)?(e[+-]?\d+)?|\[[^\]]*\]|"[^"]*"/g, '_').slice(0, 60)}`;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
      } else {
        // A correct load: every parameter is exactly what the reference decoder reads.
        const ref = referenceDecode(bytes);
        const target = built ?? model;
        for (const [name, v] of Object.entries(target.stateDict())) {
          const want = ref.get(name);
          if (!want || JSON.stringify(bitsOf(v)) !== JSON.stringify(bitsOf(want))) throw new Error(`${where}: loaded ${name} differs from the file`);
          if (!v.every(Number.isFinite)) throw new Error(`${where}: loaded a non-finite ${name}`);
        }
        if (op === 'restore') {
          for (const [k, v] of Object.entries(opt.stateDict())) {
            if (typeof v !== 'number' && JSON.stringify(bitsOf(v)) !== JSON.stringify(bitsOf(ref.get(`optimizer/${k}`)!))) throw new Error(`${where}: optimiser ${k} differs from the file`);
          }
        }
        outcomes[`${op}: ok`] = (outcomes[`${op}: ok`] ?? 0) + 1;
        built?.dispose();
      }
      const now = memory();
      if (now.tensors !== mem.tensors || now.bytes !== mem.bytes || now.wasmBytes !== mem.wasmBytes) {
        throw new Error(`${where}: memory changed: ${JSON.stringify(mem)} → ${JSON.stringify(now)}`);
      }
    }
    const ok = Object.entries(outcomes).filter(([k]) => k.endsWith(': ok')).reduce((s, [, n]) => s + n, 0);
    // Both outcomes occur often, through many different checks.
    expect(ok).toBeGreaterThan(CASES * 0.05);
    expect(CASES - ok).toBeGreaterThan(CASES * 0.5);
    expect(Object.keys(outcomes).length).toBeGreaterThan(40);
    expect(outcomes['loadModel: ok']).toBeGreaterThan(10);
    expect(outcomes['restore: ok']).toBeGreaterThan(10);
    expect(slowest).toBeLessThan(250);
    if (process.env.FUZZ_REPORT) console.log(JSON.stringify(outcomes, null, 1), `slowest case ${slowest.toFixed(1)} ms`);
    opt.dispose();
    model.dispose();
  });
});
