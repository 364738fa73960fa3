// save / load in safetensors: round trips, the PyTorch-layout fixture, every bad-input case of the
// issue (each an Error naming the tensor and the problem, weights and memory untouched), Node
// files, and optimiser state loading.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  init, seed, tensor, nn, optim, loss, tidy, memory, getRngState,
  save, load, loadModel, readSafetensors, writeSafetensors, saveFile, loadFile,
} from '../../bindings/index';

beforeAll(async () => {
  await init();
});

const fixtures = new URL('../fixtures/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, fixtures)));

function mlp(seedValue = 1): nn.Sequential {
  seed(seedValue);
  return new nn.Sequential(new nn.Dense(4, 3), new nn.ReLU(), new nn.Dense(3, 2));
}

function weights(model: nn.Module): Record<string, number[]> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, Array.from(v)]));
}

/** A safetensors file from a header (object or raw JSON text) and data bytes, by hand. */
function file(header: unknown, data: Uint8Array, { pad = true, length }: { pad?: boolean; length?: bigint } = {}): Uint8Array {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  if (pad) while (json.length % 8 !== 0) json += ' ';
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function f32(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return b;
}

/** The header and data of a valid file for mlp(): 0.weight [3,4], 0.bias [3], 2.weight [2,3], 2.bias [2]. */
function validParts(): { header: Record<string, any>; data: Uint8Array } {
  const header: Record<string, any> = {
    '0.weight': { dtype: 'F32', shape: [3, 4], data_offsets: [0, 48] },
    '0.bias': { dtype: 'F32', shape: [3], data_offsets: [48, 60] },
    '2.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [60, 84] },
    '2.bias': { dtype: 'F32', shape: [2], data_offsets: [84, 92] },
  };
  return { header, data: f32(Array.from({ length: 23 }, (_, i) => i / 8 - 1)) };
}

/**
 * Expects load() to throw an Error whose message matches, with the weights and the live memory
 * (tensors, bytes, WebAssembly memory size) exactly as before.
 */
function expectRefused(bytes: Uint8Array, message: RegExp, options?: Parameters<typeof load>[2]): void {
  const model = mlp(3);
  const before = weights(model);
  const mem = memory();
  let error: unknown = null;
  try {
    load(model, bytes, options);
  } catch (e) {
    error = e;
  }
  expect(error, `expected an Error matching ${message}`).toBeInstanceOf(Error);
  expect((error as Error).constructor).toBe(Error);
  expect((error as Error).message).toMatch(message);
  expect(weights(model)).toEqual(before);
  expect(memory()).toEqual(mem);
  model.dispose();
}

describe('save / load', () => {
  it('round-trips: same weights, same outputs, PyTorch names and layouts', () => {
    const a = mlp(1);
    const bytes = save(a, { metadata: { note: 'hello' } });
    // 8-byte little-endian header length, header padded with spaces to a multiple of 8.
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.__metadata__.format).toBe('pt');
    expect(header.__metadata__.note).toBe('hello');
    expect(header['0.weight']).toEqual({ dtype: 'F32', shape: [3, 4], data_offsets: [0, 48] });
    expect(header['0.bias']).toEqual({ dtype: 'F32', shape: [3], data_offsets: [48, 60] });
    expect(header['2.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [60, 84] });
    expect(header['2.bias']).toEqual({ dtype: 'F32', shape: [2], data_offsets: [84, 92] });
    expect(bytes.length).toBe(8 + n + 92);
    // The data is the raw little-endian float32 weights in state_dict order.
    const data = new DataView(bytes.buffer, bytes.byteOffset + 8 + n);
    const w = a.stateDict()['0.weight'];
    for (let i = 0; i < 12; i++) expect(data.getFloat32(i * 4, true)).toBe(w[i]);

    const b = mlp(2);
    expect(weights(b)).not.toEqual(weights(a));
    load(b, bytes);
    expect(weights(b)).toEqual(weights(a));
    const x = tensor(new Float32Array([0.5, -1, 2, 0.25, 1, 1, -1, 0]), [2, 4]);
    expect(Array.from(b.forward(x).data())).toEqual(Array.from(a.forward(x).data()));
    // The same bytes from an ArrayBuffer, a Node Buffer and a DataView.
    const c = mlp(3);
    load(c, bytes.slice().buffer);
    expect(weights(c)).toEqual(weights(a));
    load(c, Buffer.from(bytes));
    load(c, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    expect(weights(c)).toEqual(weights(a));
    // save is deterministic.
    expect(save(b, { metadata: { note: 'hello' } })).toEqual(bytes);
    for (const m of [a, b, c]) m.dispose();
    x.dispose();
  });

  it('loads from a Blob (the browser path) and from an unaligned view', async () => {
    const a = mlp(4), b = mlp(5);
    const bytes = save(a);
    await load(b, new Blob([bytes]));
    expect(weights(b)).toEqual(weights(a));
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const c = mlp(6);
    load(c, shifted.subarray(3)); // data starts at an odd address: no aligned views are assumed
    expect(weights(c)).toEqual(weights(a));
    for (const m of [a, b, c]) m.dispose();
  });

  it('saves models with custom modules and nested names', () => {
    class Net extends nn.Module {
      fc1 = new nn.Dense(3, 5);
      blocks = [new nn.Dense(5, 5), new nn.Dense(5, 2, { bias: false })];
      forward(x: any): any { return this.blocks[1].forward(this.blocks[0].forward(this.fc1.forward(x).relu())); }
    }
    seed(1);
    const a = new Net();
    seed(2);
    const b = new Net();
    const bytes = save(a);
    expect(Object.keys(readSafetensors(bytes).tensors)).toEqual(['fc1.weight', 'fc1.bias', 'blocks.0.weight', 'blocks.0.bias', 'blocks.1.weight']);
    load(b, bytes);
    expect(weights(b)).toEqual(weights(a));
    a.dispose(); b.dispose();
  });

  it('loads the committed PyTorch-layout fixture (written without simdnet) and gives its float64 outputs', () => {
    const expected = JSON.parse(readFileSync(new URL('tiny-pytorch-layout.expected.json', fixtures), 'utf8'));
    for (const name of ['tiny-pytorch-layout.safetensors', 'tiny-pytorch-layout-mixed.safetensors']) {
      const model = mlp(9);
      load(model, fixture(name));
      for (const [k, v] of Object.entries(expected.stateDict) as Array<[string, { shape: number[]; values: number[] }]>) {
        expect(Array.from(model.stateDict()[k]), `${name} ${k}`).toEqual(v.values);
      }
      const out = model.forward(tensor(Float32Array.from(expected.input.values), expected.input.shape));
      expect(out.shape).toEqual(expected.output.shape);
      const got = out.data();
      expected.output.values.forEach((v: number, i: number) => expect(Math.abs(got[i] - v)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(v))));
      model.dispose();
    }
    const info = readSafetensors(fixture('tiny-pytorch-layout-mixed.safetensors'));
    expect(Object.fromEntries(Object.entries(info.tensors).map(([k, t]) => [k, t.dtype]))).toEqual({ '0.bias': 'BF16', '0.weight': 'F16', '2.bias': 'F32', '2.weight': 'F64' });
    expect(info.metadata).toEqual({ format: 'pt' });
  });

  it('the committed fixture is what make-fixture.mjs writes', () => {
    const r = spawnSync(process.execPath, [new URL('make-fixture.mjs', fixtures).pathname, '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const want = JSON.parse(r.stdout);
    for (const [name, b64] of Object.entries(want.files) as Array<[string, string]>) {
      expect(Buffer.from(fixture(name)).toString('base64'), name).toBe(b64);
    }
    expect(JSON.parse(readFileSync(new URL('tiny-pytorch-layout.expected.json', fixtures), 'utf8'))).toEqual(want.expected);
  });

  it('converts F16 (normals, subnormals, ±0), BF16 and F64 exactly', () => {
    const model = new nn.Sequential(new nn.Dense(2, 2, { bias: false }));
    const f16 = new Uint8Array(8);
    const dv = new DataView(f16.buffer);
    [0x3c00, 0xc000, 0x0001, 0x8000].forEach((h, i) => dv.setUint16(i * 2, h, true)); // 1, -2, 2^-24, -0
    load(model, file({ '0.weight': { dtype: 'F16', shape: [2, 2], data_offsets: [0, 8] } }, f16));
    expect(Array.from(model.stateDict()['0.weight'])).toEqual([1, -2, 2 ** -24, -0]);
    const bf = new Uint8Array(8);
    const bv = new DataView(bf.buffer);
    [0x3f80, 0x4049, 0xbf00, 0x0000].forEach((h, i) => bv.setUint16(i * 2, h, true));
    load(model, file({ '0.weight': { dtype: 'BF16', shape: [2, 2], data_offsets: [0, 8] } }, bf));
    expect(Array.from(model.stateDict()['0.weight'])).toEqual([1, 3.140625, -0.5, 0]);
    const f64 = new Uint8Array(32);
    const fv = new DataView(f64.buffer);
    [0.1, -1e-3, 3, 1e30].forEach((v, i) => fv.setFloat64(i * 8, v, true));
    load(model, file({ '0.weight': { dtype: 'F64', shape: [2, 2], data_offsets: [0, 32] } }, f64));
    expect(Array.from(model.stateDict()['0.weight'])).toEqual([0.1, -1e-3, 3, 1e30].map(Math.fround));
    fv.setFloat64(24, 1e300, true);
    expectRefusedOn(model, file({ '0.weight': { dtype: 'F64', shape: [2, 2], data_offsets: [0, 32] } }, f64),
      /^load: tensor '0.weight' holds a non-finite value at index 3 \(1e\+300, too large for float32\)/);
    model.dispose();
  });

  it('strict: false ignores extra tensors; allowNonFinite loads NaN on request', () => {
    const { header, data } = validParts();
    header.extra = { dtype: 'F32', shape: [1], data_offsets: [92, 96] };
    const bytes = file(header, new Uint8Array([...data, ...f32([5])]));
    expectRefused(bytes, /^load: the file has tensors? 'extra' the model does not have \(pass \{ strict: false \} to ignore it\)$/);
    const model = mlp(1);
    load(model, bytes, { strict: false });
    expect(model.stateDict()['2.bias'][1]).toBe(Math.fround(84 / 4 / 8 + 1 / 8 - 1));
    const nan = validParts();
    new DataView(nan.data.buffer).setFloat32(4 * 13, NaN, true);
    const nanFile = file(nan.header, nan.data);
    expectRefused(nanFile, /^load: tensor '0.bias' holds a non-finite value at index 1 \(NaN\); refusing to load it \(pass \{ allowNonFinite: true \} to load it anyway\)$/);
    load(model, nanFile, { allowNonFinite: true });
    expect(model.stateDict()['0.bias'][1]).toBeNaN();
    model.dispose();
  });
});

function expectRefusedOn(model: nn.Module, bytes: Uint8Array, message: RegExp): void {
  const before = weights(model);
  expect(() => load(model, bytes)).toThrow(message);
  expect(weights(model)).toEqual(before);
}

describe('load refuses bad files cleanly: an Error naming the tensor, nothing written, nothing allocated', () => {
  const valid = (): Uint8Array => { const { header, data } = validParts(); return file(header, data); };
  const edited = (edit: (h: Record<string, any>) => void, data?: Uint8Array): Uint8Array => {
    const p = validParts();
    edit(p.header);
    return file(p.header, data ?? p.data);
  };

  it('accepts the valid file (the baseline of every case below)', () => {
    const model = mlp(3);
    load(model, valid());
    expect(model.stateDict()['0.weight'][1]).toBe(1 / 8 - 1);
    model.dispose();
  });

  it('truncated files and header lengths beyond the file', () => {
    const v = valid();
    expectRefused(v.subarray(0, 0), /^load: the file is 0 bytes, too short to hold the 8-byte header length \(truncated\?\)$/);
    expectRefused(v.subarray(0, 7), /^load: the file is 7 bytes, too short/);
    expectRefused(v.subarray(0, 100), /^load: the header length says \d+ bytes, but the file holds only 92 after the length/);
    expectRefused(v.subarray(0, v.length - 1), /^load: tensor '2.bias': data_offsets \[84, 92\] reach past the end of the data \(91 bytes; truncated\?\)$/);
    const { header, data } = validParts();
    expectRefused(file(header, data, { length: 1n << 40n }), /^load: the header length says 1099511627776 bytes, but the file holds only \d+ after the length/);
    expectRefused(file(header, data, { length: (1n << 64n) - 1n }), /^load: the header length says about 1\.845e\+19 bytes/);
    expectRefused(file(header, data, { length: 0n }), /^load: the header length is 0 bytes/);
  });

  it('headers that are not a JSON object, or not UTF-8', () => {
    expectRefused(file('{"0.weight": {', new Uint8Array(0)), /^load: the header is not valid JSON: unexpected end \(expected a string key\) at character 16$/);
    expectRefused(file('hello   ', new Uint8Array(0)), /^load: the header is not valid JSON: unexpected character "h" at character 0$/);
    expectRefused(file('[1,2,3] ', new Uint8Array(0)), /^load: the header must be a JSON object, got an array$/);
    expectRefused(file('"str"   ', new Uint8Array(0)), /^load: the header must be a JSON object, got the string 'str'$/);
    expectRefused(file('{} {}   ', new Uint8Array(0)), /^load: the header is not valid JSON: unexpected data after the value/);
    const bad = file('{"a":1} ', new Uint8Array(0));
    bad[10] = 0xff; // inside the key: invalid UTF-8
    expectRefused(bad, /^load: the header is not valid UTF-8/);
    expectRefused(file('['.repeat(5000) + ']'.repeat(5000), new Uint8Array(0)), /^load: the header is not valid JSON: nesting deeper than 8/);
  });

  it('duplicate keys (JSON.parse would silently keep the last)', () => {
    const { data } = validParts();
    const text = '{"0.weight":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]},"0.bias":{"dtype":"F32","shape":[3],"data_offsets":[48,60]},' +
      '"2.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[60,84]},"2.bias":{"dtype":"F32","shape":[2],"data_offsets":[84,92]},' +
      '"0.weight":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]}}';
    expectRefused(file(text, data), /^load: the header is not valid JSON: duplicate key "0.weight" at character \d+$/);
    expectRefused(edited((h) => { h['0.bias'] = '{"dtype":"F32","dtype":"F16"}'; }), /tensor '0.bias': expected \{ dtype, shape, data_offsets \}, got the string/);
  });

  it('unknown and unsupported dtypes', () => {
    expectRefused(edited((h) => { h['0.bias'].dtype = 'F33'; }), /^load: tensor '0.bias': unknown dtype 'F33' \(simdnet reads F32, and converts F16, BF16, F64 and I64\)$/);
    expectRefused(edited((h) => { h['0.bias'].dtype = 'I32'; }), /^load: tensor '0.bias': unsupported dtype I32 \(simdnet reads F32, and converts F16, BF16, F64 and I64\)$/);
    expectRefused(edited((h) => { h['0.bias'].dtype = 7; }), /^load: tensor '0.bias': dtype must be a string, got 7$/);
    expectRefused(edited((h) => { h['0.bias'].dtype = 'F16'; }), /^load: tensor '0.bias': shape \[3\] of F16 needs 6 bytes, but data_offsets \[48, 60\] hold 12$/);
  });

  it('shapes that do not match the model, or the data', () => {
    expectRefused(edited((h) => { h['0.weight'].shape = [4, 3]; }),
      /^load: tensor '0.weight' has shape \[4,3\] in the file, but the model's parameter is \[3,4\]; shapes \[4,3\] and \[3,4\]$/);
    expectRefused(edited((h) => { h['0.weight'].shape = [12]; }), /^load: tensor '0.weight' has shape \[12\] in the file, but the model's parameter is \[3,4\]/);
    expectRefused(edited((h) => { h['0.weight'].shape = [3, 5]; }), /^load: tensor '0.weight': shape \[3,5\] of F32 needs 60 bytes, but data_offsets \[0, 48\] hold 48$/);
    expectRefused(edited((h) => { h['0.weight'].shape = [3, -4]; }), /^load: tensor '0.weight': every dimension of shape must be a non-negative integer, got -4$/);
    expectRefused(edited((h) => { h['0.weight'].shape = [3, 4.5]; }), /every dimension of shape must be a non-negative integer, got 4.5$/);
    expectRefused(edited((h) => { h['0.weight'].shape = '3,4'; }), /^load: tensor '0.weight': shape must be an array of integers, got the string '3,4'$/);
    expectRefused(edited((h) => { h['0.weight'].shape = [1e300, 1e300]; }), /every dimension of shape must be a non-negative integer, got 1e\+300$/);
    expectRefused(edited((h) => { h['0.weight'].shape = Array(17).fill(1); }), /shape has 17 dimensions/);
  });

  it('offsets out of range, overlapping, with gaps, or with data after the last tensor', () => {
    expectRefused(edited((h) => { h['2.bias'].data_offsets = [84, 96]; }), /^load: tensor '2.bias': data_offsets \[84, 96\] reach past the end of the data \(92 bytes; truncated\?\)$/);
    expectRefused(edited((h) => { h['0.bias'].data_offsets = [60, 48]; }), /^load: tensor '0.bias': data_offsets \[60, 48\] end before they begin$/);
    expectRefused(edited((h) => { h['0.bias'].data_offsets = [-48, 60]; }), /^load: tensor '0.bias': data_offsets\[0\] must be a non-negative integer, got -48$/);
    expectRefused(edited((h) => { h['0.bias'].data_offsets = [48]; }), /^load: tensor '0.bias': data_offsets must be \[begin, end\], got an array$/);
    expectRefused(edited((h) => { h['0.bias'].data_offsets = [48, 18446744073709551615]; }), /data_offsets\[1\] must be a non-negative integer, got 18446744073709552000$/);
    // 2.weight moved onto 0.bias's bytes: overlap.
    expectRefused(edited((h) => { h['0.bias'].data_offsets = [44, 56]; }), /^load: tensor '0.bias': data_offsets \[44, 56\] overlap tensor '0.weight' \[0, 48\]$/);
    expectRefused(edited((h) => { h['0.weight'].data_offsets = [4, 52]; h['0.bias'].data_offsets = [52, 64]; h['2.weight'].data_offsets = [64, 88]; h['2.bias'].data_offsets = [88, 96]; }, new Uint8Array(96)),
      /^load: tensor '0.weight': data_offsets \[4, 52\] leave 4 unclaimed bytes before it \(tensors must be contiguous\)$/);
    expectRefused(edited(() => {}, new Uint8Array(100)), /^load: 8 bytes of data follow the last tensor \('2.bias'\); the tensors must cover the data exactly/);
    // Any header order is fine as long as the offsets tile the data (PyTorch's writer sorts by name).
    const model = mlp(3);
    load(model, edited((h) => { const w = h['0.weight']; delete h['0.weight']; h['0.weight'] = w; }));
    model.dispose();
  });

  it('missing and extra tensors', () => {
    const p = validParts();
    delete p.header['2.bias'];
    expectRefused(file(p.header, p.data.subarray(0, 84)), /^load: the file has no tensor '2.bias' \(wrong file, or a different model\?\); shape \[2\]$/);
    expectRefused(edited((h) => { h['2.weight '] = h['2.weight']; delete h['2.weight']; }),
      /^load: the file has no tensor '2.weight' \(wrong file, or a different model\?\); shape \[2,3\]$/);
    expectRefused(edited((h) => { h.__metadata__ = { format: 'pt' }; h['3.weight'] = { dtype: 'F32', shape: [0], data_offsets: [92, 92] }; }),
      /^load: the file has tensors? '3.weight' the model does not have/);
  });

  it('NaN and Infinity in weights are refused by default', () => {
    for (const [at, v, name, index] of [[0, NaN, '0.weight', 0], [50, Infinity, '0.bias', 0], [91, -Infinity, '2.bias', 1]] as const) {
      const p = validParts();
      new DataView(p.data.buffer).setFloat32(Math.floor(at / 4) * 4, v, true);
      expectRefused(file(p.header, p.data), new RegExp(`^load: tensor '${name}' holds a non-finite value at index ${index} \\(${String(v).replace('-', '\\-')}\\)`));
    }
  });

  it('metadata that is not a map of strings; keys like __proto__ are plain names', () => {
    expectRefused(edited((h) => { h.__metadata__ = { format: 1 }; }), /^load: __metadata__ 'format' must be a string, got 1$/);
    expectRefused(edited((h) => { h.__metadata__ = 'pt'; }), /^load: __metadata__ must be an object of strings, got the string 'pt'$/);
    expectRefused(edited((h) => { h['0.bias'] = null; }), /^load: tensor '0.bias': expected \{ dtype, shape, data_offsets \}, got null$/);
    const p = validParts();
    const text = JSON.stringify(p.header).replace('"0.bias"', '"__proto__"');
    expectRefused(file(text, p.data), /^load: the file has no tensor '0.bias'/);
    expect(({} as any).dtype).toBeUndefined();
  });

  it('a header claiming gigabytes allocates nothing and fails fast', () => {
    const big = [
      edited((h) => { h['0.weight'] = { dtype: 'F32', shape: [100000, 100000], data_offsets: [0, 40000000000] }; }),
      edited((h) => { h['0.weight'] = { dtype: 'F64', shape: [1 << 30, 1 << 30, 1 << 30], data_offsets: [0, 48] }; }),
      file({ huge: { dtype: 'F32', shape: [4294967296], data_offsets: [0, 17179869184] } }, new Uint8Array(16)),
    ];
    const ab = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    expectRefused(big[0], /^load: tensor '0.weight': data_offsets \[0, 40000000000\] reach past the end of the data \(92 bytes; truncated\?\)$/);
    expectRefused(big[1], /^load: tensor '0.weight': shape \[1073741824,1073741824,1073741824\] of F64 needs \d.*bytes, but data_offsets \[0, 48\] hold 48$/);
    expectRefused(big[2], /^load: tensor 'huge': data_offsets \[0, 17179869184\] reach past the end/);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(process.memoryUsage().arrayBuffers - ab).toBeLessThan(1 << 20);
  });

  it('refuses what is not bytes, and models that are not modules', () => {
    const model = mlp(1);
    expect(() => load(model, 'weights.safetensors' as any)).toThrow(/^load: expected the file's bytes \(a Uint8Array, ArrayBuffer or Blob\), got string$/);
    expect(() => load(model, null as any)).toThrow(/^load: expected the file's bytes .*got null$/);
    expect(() => load({} as any, valid())).toThrow(/^load: expected an nn.Module, got Object$/);
    const bytes = save(model);
    model.dispose();
    expect(() => save(model)).toThrow(/^save \(0.weight\): tensor was used after dispose\(\)/);
    expect(() => load(model, bytes)).toThrow(/^load \(0.weight\): tensor was used after dispose\(\)/);
    const m2 = mlp(1);
    expect(() => save(m2, { metadata: { a: 1 as any } })).toThrow(/^save: metadata 'a' must be a string/);
    expect(() => save(m2, { metadata: { 'simdnet.model': 'x' } })).toThrow(/^save: metadata key 'simdnet.model' is reserved/);
    m2.dispose();
  });
});

describe('readSafetensors / writeSafetensors', () => {
  it('round-trip named arrays and tensors with metadata', () => {
    const t = tensor([[1, 2], [3, 4]]);
    const bytes = writeSafetensors({ a: { shape: [3], data: Float32Array.from([0.5, -1, 2]) }, b: t }, { k: 'v' });
    const r = readSafetensors(bytes);
    expect(r.metadata).toEqual({ k: 'v' });
    expect(r.tensors.a).toEqual({ dtype: 'F32', shape: [3], data: Float32Array.from([0.5, -1, 2]) });
    expect(Array.from(r.tensors.b.data)).toEqual([1, 2, 3, 4]);
    expect(r.tensors.b.shape).toEqual([2, 2]);
    expect(() => writeSafetensors({ a: { shape: [2], data: new Float32Array(3) } })).toThrow(/^writeSafetensors: tensor 'a' has 3 values but shape \[2\]$/);
    t.dispose();
  });
});

describe('files (Node)', () => {
  it('saveFile writes atomically (no temp file left, old file replaced whole); loadFile reads it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-io-'));
    try {
      const path = join(dir, 'model.safetensors');
      writeFileSync(path, 'old contents');
      const a = mlp(1), b = mlp(2);
      await saveFile(a, path);
      expect(readdirSync(dir)).toEqual(['model.safetensors']);
      await loadFile(b, path);
      expect(weights(b)).toEqual(weights(a));
      // A save that fails (disposed model) leaves the previous file as it was, and no temp file.
      const before = readFileSync(path);
      const c = mlp(3);
      c.dispose();
      await expect(saveFile(c, path)).rejects.toThrow(/^save \(0.weight\): tensor was used after dispose/);
      expect(readFileSync(path)).toEqual(before);
      expect(readdirSync(dir)).toEqual(['model.safetensors']);
      await expect(loadFile(b, join(dir, 'missing.safetensors'))).rejects.toThrow(/^loadFile: cannot read .*missing.safetensors: ENOENT/);
      // Writing into a directory that does not exist fails without leaving anything behind.
      await expect(saveFile(a, join(dir, 'no', 'such', 'm.safetensors'))).rejects.toThrow(/ENOENT/);
      a.dispose(); b.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('optimiser loadStateDict', () => {
  function trained(kind: 'sgd' | 'adam'): { model: nn.Sequential; opt: optim.Optimizer } {
    const model = mlp(7);
    const opt = kind === 'sgd' ? new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }) : new optim.Adam(model.parameters(), { lr: 0.01 });
    const x = tensor(Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)), [4, 4]);
    for (let s = 0; s < 3; s++) tidy(() => { const l = loss.softmaxCrossEntropy(model.forward(x), Int32Array.from([0, 1, 1, 0])); opt.zeroGrad(); l.backward(); opt.step(); });
    x.dispose();
    return { model, opt };
  }

  for (const kind of ['sgd', 'adam'] as const) {
    it(`${kind}: copies state, frees state the dict lacks, and refuses bad dicts without changing anything`, () => {
      const a = trained(kind);
      const b = trained(kind);
      const fresh = mlp(7);
      const opt = kind === 'sgd' ? new optim.SGD(fresh.parameters(), { lr: 0.1, momentum: 0.9 }) : new optim.Adam(fresh.parameters(), { lr: 0.01 });
      const mem = memory().tensors;
      opt.loadStateDict(a.opt.stateDict());
      expect(opt.stateDict()).toEqual(a.opt.stateDict());
      expect(memory().tensors).toBe(mem + (kind === 'sgd' ? 4 : 8));
      const partial = Object.fromEntries(Object.entries(a.opt.stateDict()).filter(([k]) => k.startsWith('0.')));
      opt.loadStateDict(partial);
      expect(opt.stateDict()).toEqual(partial);
      expect(memory().tensors).toBe(mem + (kind === 'sgd' ? 1 : 2));
      opt.loadStateDict(b.opt.stateDict());
      const before = opt.stateDict();
      const name = kind === 'sgd' ? 'SGD' : 'Adam';
      const field = kind === 'sgd' ? 'momentum' : 'm';
      const bad = (edit: (s: Record<string, any>) => void): Record<string, any> => { const s: Record<string, any> = { ...b.opt.stateDict() }; edit(s); return s; };
      expect(() => opt.loadStateDict(bad((s) => { s[`9.${field}`] = new Float32Array(3); }))).toThrow(new RegExp(`^${name}.loadStateDict: unknown entry '9.${field}'`));
      expect(() => opt.loadStateDict(bad((s) => { s[`1.${field}`] = new Float32Array(2); }))).toThrow(new RegExp(`^${name}.loadStateDict: '1.${field}' has 2 values, parameter 1 has 3; shapes \\[3\\] and \\[2\\]$`));
      expect(() => opt.loadStateDict(bad((s) => { s[`2.${field}`] = new Float32Array(6).fill(NaN); }))).toThrow(new RegExp(`^${name}.loadStateDict: '2.${field}' holds NaN at index 0`));
      if (kind === 'adam') {
        expect(() => opt.loadStateDict(bad((s) => { delete s['3.v']; }))).toThrow(/^Adam.loadStateDict: parameter 3 has '3.m', '3.step' but no '3.v'$/);
        expect(() => opt.loadStateDict(bad((s) => { s['1.step'] = 1.5; }))).toThrow(/^Adam.loadStateDict: '1.step' must be a non-negative integer, got 1.5$/);
      }
      expect(opt.stateDict()).toEqual(before);
      for (const m of [a, b]) { m.opt.dispose(); m.model.dispose(); }
      opt.dispose(); fresh.dispose();
    });
  }
});

describe('model descriptions: toJSON / nn.fromJSON / loadModel', () => {
  const everyLayer = (): nn.Sequential => new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(4, 3, [2, 1], { stride: [1, 2], dilation: [2, 1], bias: false }), new nn.ELU(0.5), new nn.AvgPool2d(2, { stride: 1, padding: 1 }),
    new nn.Dropout(0.25), new nn.Flatten(),
    new nn.Dense(3 * 2 * 3, 6), new nn.LeakyReLU(0.2), new nn.Maxout(6, 4, 3), new nn.Tanh(),
    new nn.Sequential(new nn.Dense(4, 5, { bias: false }), new nn.Sigmoid()), new nn.Dense(5, 2),
  );

  it('every layer describes itself, and fromJSON builds the same architecture (same names, shapes, outputs after load)', () => {
    seed(1);
    const a = everyLayer();
    const json = a.toJSON();
    expect(json.layers as unknown[]).toHaveLength(14);
    expect((json.layers as any[])[0]).toEqual({ type: 'Conv2d', inChannels: 2, outChannels: 4, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], bias: true });
    expect((json.layers as any[])[5]).toEqual({ type: 'AvgPool2d', kernelSize: [2, 2], stride: [1, 1], padding: [1, 1], ceilMode: false, countIncludePad: true });
    expect((json.layers as any[])[10]).toEqual({ type: 'Maxout', inFeatures: 6, outFeatures: 4, k: 3, bias: true });
    expect(JSON.parse(JSON.stringify(a))).toEqual(json); // JSON.stringify uses toJSON
    const b = nn.fromJSON(json) as nn.Sequential;
    expect(b.toJSON()).toEqual(json);
    expect(b.namedParameters().map(([n, p]) => [n, p.shape])).toEqual(a.namedParameters().map(([n, p]) => [n, p.shape]));
    const c = nn.fromJSON(JSON.stringify(json), { init: 'zeros' });
    expect(Object.values(c.stateDict()).every((v) => v.every((x) => x === 0))).toBe(true);
    load(b, save(a));
    a.eval(); b.eval();
    const x = tensor(Float32Array.from({ length: 2 * 2 * 6 * 6 }, (_, i) => Math.sin(i)), [2, 2, 6, 6]);
    expect(Array.from(b.forward(x).data())).toEqual(Array.from(a.forward(x).data()));
    for (const m of [a, b, c]) m.dispose();
    x.dispose();
  });

  it('loadModel rebuilds a model from the file alone (bytes or Blob)', async () => {
    seed(2);
    const a = everyLayer().eval();
    const bytes = save(a);
    expect(JSON.parse(readSafetensors(bytes).metadata['simdnet.model'])).toEqual(a.toJSON());
    const rng = getRngState();
    const b = loadModel(bytes).eval();
    const c = (await loadModel(new Blob([bytes]))).eval();
    const x = tensor(Float32Array.from({ length: 2 * 6 * 6 }, (_, i) => Math.cos(i)), [1, 2, 6, 6]);
    const want = Array.from(a.forward(x).data());
    expect(Array.from(b.forward(x).data())).toEqual(want);
    expect(Array.from(c.forward(x).data())).toEqual(want);
    expect(getRngState()).toEqual(rng); // building with zeros draws nothing from the generator
    for (const m of [a, b, c]) m.dispose();
    x.dispose();
  });

  it('custom modules cannot describe themselves: save keeps the weights only, loadModel says so', () => {
    class Net extends nn.Module {
      fc = new nn.Dense(2, 2);
      forward(x: any): any { return this.fc.forward(x); }
    }
    const net = new Net();
    expect(() => net.toJSON()).toThrow(/^toJSON: Net is a custom nn.Module and cannot describe itself/);
    const bytes = save(net);
    expect(readSafetensors(bytes).metadata).toEqual({ format: 'pt' });
    expect(() => loadModel(bytes)).toThrow(/^loadModel: the file has no 'simdnet.model' metadata \(it holds weights only: build the model in code and use load\(model, bytes\)\)$/);
    net.dispose();
  });

  it('fromJSON checks the whole description first and names the layer', () => {
    const mem = memory();
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'Sequential', layers: [{ type: 'Dense', inFeatures: 2, outFeatures: 3 }, { type: 'Conv3d' }] },
        /^fromJSON: model \(Sequential\)\.layers\[1\]: unknown layer type 'Conv3d' \(known: Dense, Maxout, .*\)$/],
      [{ type: 'Dense', inFeatures: 2, outFeatures: 0 }, /^fromJSON: model \(Dense\): outFeatures must be a positive integer, got 0$/],
      [{ type: 'Dense', inFeatures: 2, outFeatures: 3, bias: 'yes' }, /^fromJSON: model \(Dense\): bias must be true or false, got 'yes'$/],
      [{ type: 'Dense', inFeatures: 2, outFeatures: 3, init: 'he' }, /^fromJSON: model: Dense has no option 'init' \(it takes inFeatures, outFeatures, bias\)$/],
      [{ type: 'Dense', inFeatures: 100000, outFeatures: 100000 }, /^fromJSON: model \(Dense\): weight would be \[100000,100000\], 10000000000 values: more than one tensor can hold \(1 GiB\)$/],
      [{ type: 'Conv2d', inChannels: 1, outChannels: 1, kernelSize: [3] }, /^fromJSON: model \(Conv2d\): kernelSize must be a positive integer or an \[h, w\] pair of them, got \[3\]$/],
      [{ type: 'MaxPool2d', kernelSize: 2, padding: 2 }, /^fromJSON: model \(MaxPool2d\): padding 2,2 must be at most half the kernel 2×2/],
      [{ type: 'MaxPool2d', kernelSize: 2, dilation: 0 }, /^fromJSON: model \(MaxPool2d\): dilation must be a positive integer/],
      [{ type: 'AvgPool2d', kernelSize: 2, ceilMode: 1 }, /^fromJSON: model \(AvgPool2d\): ceilMode must be true or false, got 1/],
      [{ type: 'AvgPool2d', kernelSize: 2, dilation: 2 }, /^fromJSON: model: AvgPool2d has no option 'dilation'/],
      [{ type: 'Dropout', p: 1 }, /^fromJSON: model \(Dropout\): p must be a probability in \[0, 1\), got 1$/],
      [{ type: 'LeakyReLU', slope: 'x' }, /^fromJSON: model \(LeakyReLU\): slope must be a finite number, got 'x'$/],
      [{ type: 'Sequential', layers: {} }, /^fromJSON: model \(Sequential\): layers must be an array of layer descriptions, got an object$/],
      [[1], /^fromJSON: model: expected a layer description \{ type, \.\.\. \}, got an array$/],
      ['{"type":', /^fromJSON: not valid JSON/],
    ];
    let deep: any = { type: 'ReLU' };
    for (let i = 0; i < 100; i++) deep = { type: 'Sequential', layers: [deep] };
    cases.push([deep, /modules nested deeper than 64$/]);
    for (const [json, message] of cases) expect(() => nn.fromJSON(json as any)).toThrow(message);
    expect(memory()).toEqual(mem);
  });

  it('loadModel checks the description against the file before allocating anything', () => {
    const model = mlp(1);
    const bytes = save(model);
    const edit = (description: unknown): Uint8Array => {
      const r = readSafetensors(bytes);
      const tensors = Object.fromEntries(Object.entries(r.tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data }]));
      return writeSafetensors(tensors, { ...r.metadata, 'simdnet.model': typeof description === 'string' ? description : JSON.stringify(description) });
    };
    const mem = memory();
    const huge = { type: 'Sequential', layers: [{ type: 'Dense', inFeatures: 4, outFeatures: 3 }, { type: 'ReLU' }, { type: 'Dense', inFeatures: 3, outFeatures: 2 }, { type: 'Dense', inFeatures: 2, outFeatures: 20000 }] };
    expect(() => loadModel(edit(huge))).toThrow(/^loadModel: the file has no tensor '3.weight' \(nor '3.bias'\) \(wrong file, or a different model\?\); shape \[20000,2\]$/);
    const wrong = { type: 'Sequential', layers: [{ type: 'Dense', inFeatures: 3, outFeatures: 4 }, { type: 'ReLU' }, { type: 'Dense', inFeatures: 3, outFeatures: 2 }] };
    expect(() => loadModel(edit(wrong))).toThrow(/^loadModel: tensor '0.weight' has shape \[3,4\] in the file, but the model's parameter is \[4,3\]/);
    expect(() => loadModel(edit({ type: 'Dense', inFeatures: 4, outFeatures: 3, extra: 1 }))).toThrow(/^loadModel: the model description in the file is invalid: fromJSON: model: Dense has no option 'extra'/);
    expect(() => loadModel(edit('{"type":"ReLU","type":"Dense"}'))).toThrow(/^loadModel: the 'simdnet.model' metadata is not valid JSON: duplicate key "type"/);
    expect(() => loadModel(edit('['.repeat(100000)))).toThrow(/^loadModel: the 'simdnet.model' metadata is not valid JSON: nesting deeper than 80/);
    expect(memory()).toEqual(mem);
    const back = loadModel(edit(model.toJSON()));
    expect(weights(back)).toEqual(weights(model));
    back.dispose(); model.dispose();
  });
});
