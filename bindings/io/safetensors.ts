// The safetensors format (https://github.com/huggingface/safetensors), read defensively:
//
//   [8 bytes: N, little-endian u64] [N bytes: UTF-8 JSON header, space-padded] [data bytes]
//   header = { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ...,
//              "__metadata__": { "<key>": "<string>" } }        (offsets relative to the data)
//
// parse() checks everything a stranger's file could get wrong before anything is read: the
// header length against the file, UTF-8, strict JSON (no duplicate keys, bounded depth), every
// entry's dtype, shape and offsets, that the sizes agree, and that the tensors tile the data
// exactly (sorted by offset: no gaps, no overlaps, nothing after the last). It allocates the
// header's text and a small record per tensor, never anything a number in the header asks for.

import { Tensor, assertLive } from '../tensor.js';
import { heapF32 } from '../runtime.js';
import { parseJson, isObject, show, type JsonValue } from './json.js';

// I64 is read (converted to float32) for the integer buffers PyTorch writes, such as BatchNorm's
// num_batches_tracked.
export type DType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64';

const ITEM_BYTES: Record<DType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8 };
/** dtypes of the format that hold no floats this library could use. */
const UNSUPPORTED = new Set(['BOOL', 'U8', 'I8', 'U16', 'I16', 'U32', 'I32', 'U64', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);
/** The reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;
const MAX_RANK = 16;

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Number of elements. */
  size: number;
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  bytes: Uint8Array;
  /** In header order. */
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

/** A name fit for an error message (quoted, and cut short if a header made it huge). */
export function q(name: string): string {
  const s = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  return `'${s.slice(1, -1)}'`;
}

/** Bytes from a Uint8Array (a Node Buffer is one), another ArrayBufferView or an ArrayBuffer. */
export function toBytes(source: unknown, op: string): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof SharedArrayBuffer !== 'undefined' && source instanceof SharedArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  const kind = source === null ? 'null' : typeof source === 'object' ? (source as object).constructor?.name ?? 'object' : typeof source;
  throw new Error(`${op}: expected the file's bytes (a Uint8Array, ArrayBuffer or Blob), got ${kind}`);
}

export function isBlob(v: unknown): v is Blob {
  return typeof Blob !== 'undefined' && v instanceof Blob;
}

function checkIndex(v: JsonValue | undefined, op: string, name: string, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new Error(`${op}: tensor ${name}: ${what} must be a non-negative integer, got ${show(v)}`);
  }
  return v;
}

/** Reads and checks the header; the data is only looked at by checkFinite() and copyInto(). */
export function parse(bytes: Uint8Array, op: string): SafetensorsFile {
  if (bytes.length < 8) {
    throw new Error(`${op}: the file is ${bytes.length} bytes, too short to hold the 8-byte header length (truncated?)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true), hi = view.getUint32(4, true);
  const claimed = hi * 4294967296 + lo;
  if (hi !== 0 || claimed > bytes.length - 8) {
    throw new Error(`${op}: the header length says ${hi >= 0x200000 ? `about ${claimed.toExponential(3)}` : claimed} bytes, but the file holds only ${bytes.length - 8} after the length (truncated, or not a safetensors file)`);
  }
  if (claimed < 2) throw new Error(`${op}: the header length is ${claimed} bytes, too short for a JSON object`);
  if (claimed > MAX_HEADER_BYTES) throw new Error(`${op}: the header is ${claimed} bytes, more than the ${MAX_HEADER_BYTES} a safetensors header may have`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + claimed));
  } catch {
    throw new Error(`${op}: the header is not valid UTF-8 (not a safetensors file?)`);
  }
  const header = parseJson(text, op, 'the header', 8);
  if (!isObject(header)) throw new Error(`${op}: the header must be a JSON object, got ${show(header)}`);

  const dataStart = 8 + claimed;
  const dataBytes = bytes.length - dataStart;
  const metadata: Record<string, string> = Object.create(null);
  const tensors = new Map<string, TensorInfo>();
  for (const key of Object.keys(header)) {
    const entry = header[key];
    if (key === '__metadata__') {
      if (!isObject(entry)) throw new Error(`${op}: __metadata__ must be an object of strings, got ${show(entry)}`);
      for (const k of Object.keys(entry)) {
        const v = entry[k];
        if (typeof v !== 'string') throw new Error(`${op}: __metadata__ ${q(k)} must be a string, got ${show(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const name = q(key);
    if (!isObject(entry)) throw new Error(`${op}: tensor ${name}: expected { dtype, shape, data_offsets }, got ${show(entry)}`);
    const dtype = entry.dtype;
    if (typeof dtype !== 'string') throw new Error(`${op}: tensor ${name}: dtype must be a string, got ${show(dtype)}`);
    if (!(dtype in ITEM_BYTES)) {
      throw new Error(UNSUPPORTED.has(dtype)
        ? `${op}: tensor ${name}: unsupported dtype ${dtype} (simdnet reads F32, and converts F16, BF16, F64 and I64)`
        : `${op}: tensor ${name}: unknown dtype ${q(dtype)} (simdnet reads F32, and converts F16, BF16, F64 and I64)`);
    }
    const shape = entry.shape;
    if (!Array.isArray(shape)) throw new Error(`${op}: tensor ${name}: shape must be an array of integers, got ${show(shape)}`);
    if (shape.length > MAX_RANK) throw new Error(`${op}: tensor ${name}: shape has ${shape.length} dimensions (at most ${MAX_RANK})`);
    const dims: number[] = [];
    let size = 1;
    for (const d of shape) {
      dims.push(checkIndex(d, op, name, 'every dimension of shape'));
      size *= d as number;
    }
    const itemBytes = ITEM_BYTES[dtype as DType];
    const offsets = entry.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2) {
      throw new Error(`${op}: tensor ${name}: data_offsets must be [begin, end], got ${show(offsets)}`);
    }
    const begin = checkIndex(offsets[0], op, name, 'data_offsets[0]');
    const end = checkIndex(offsets[1], op, name, 'data_offsets[1]');
    if (end < begin) throw new Error(`${op}: tensor ${name}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataBytes) {
      throw new Error(`${op}: tensor ${name}: data_offsets [${begin}, ${end}] reach past the end of the data (${dataBytes} bytes; truncated?)`);
    }
    if (size * itemBytes !== end - begin) {
      throw new Error(`${op}: tensor ${name}: shape [${dims.join(',')}] of ${dtype} needs ${size * itemBytes} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    tensors.set(key, { name: key, dtype: dtype as DType, shape: dims, size, begin: dataStart + begin, end: dataStart + end });
  }
  // The tensors must tile the data: sorted by offset, each begins where the previous ended.
  const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = dataStart;
  let prev: TensorInfo | null = null;
  for (const t of sorted) {
    if (t.begin < at) {
      throw new Error(`${op}: tensor ${q(t.name)}: data_offsets [${t.begin - dataStart}, ${t.end - dataStart}] overlap tensor ${q(prev!.name)} [${prev!.begin - dataStart}, ${prev!.end - dataStart}]`);
    }
    if (t.begin > at) {
      throw new Error(`${op}: tensor ${q(t.name)}: data_offsets [${t.begin - dataStart}, ${t.end - dataStart}] leave ${t.begin - at} unclaimed bytes before it (tensors must be contiguous)`);
    }
    at = t.end;
    prev = t;
  }
  if (at !== bytes.length) {
    throw new Error(`${op}: ${bytes.length - at} bytes of data follow the last tensor${prev ? ` (${q(prev.name)})` : ''}; the tensors must cover the data exactly (corrupt or mislabelled file?)`);
  }
  return { bytes, tensors, metadata };
}

function f16(h: number): number {
  const e = (h >>> 10) & 0x1f, m = h & 0x3ff, s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Element i of tensor t as a float32-representable number. */
function elementReader(file: SafetensorsFile, t: TensorInfo): (i: number) => number {
  const view = new DataView(file.bytes.buffer, file.bytes.byteOffset + t.begin, t.end - t.begin);
  switch (t.dtype) {
    case 'F32': return (i) => view.getFloat32(i * 4, true);
    case 'F64': return (i) => Math.fround(view.getFloat64(i * 8, true));
    case 'I64': return (i) => Math.fround(Number(view.getBigInt64(i * 8, true)));
    case 'F16': return (i) => f16(view.getUint16(i * 2, true));
    case 'BF16': {
      const tmp = new DataView(new ArrayBuffer(4));
      return (i) => { tmp.setUint32(0, view.getUint16(i * 2, true) << 16); return tmp.getFloat32(0); };
    }
  }
}

/**
 * Throws when tensor t holds NaN or ±Infinity (after conversion to float32, so an F64 too large
 * for float32 counts), naming the tensor, the index and the value.
 */
export function checkFinite(file: SafetensorsFile, t: TensorInfo, op: string): void {
  let bad = -1;
  if (t.dtype === 'F32') {
    const view = new DataView(file.bytes.buffer, file.bytes.byteOffset + t.begin, t.end - t.begin);
    for (let i = 0; i < t.size; i++) {
      if ((view.getUint32(i * 4, true) & 0x7f800000) === 0x7f800000) { bad = i; break; }
    }
  } else {
    const read = elementReader(file, t);
    for (let i = 0; i < t.size; i++) if (!Number.isFinite(read(i))) { bad = i; break; }
  }
  if (bad < 0) return;
  const value = elementReader(file, t)(bad);
  const raw = t.dtype === 'F64' ? new DataView(file.bytes.buffer, file.bytes.byteOffset + t.begin + bad * 8, 8).getFloat64(0, true) : value;
  const why = Number.isFinite(raw) ? `${raw}, too large for float32` : String(value);
  throw new Error(`${op}: tensor ${q(t.name)} holds a non-finite value at index ${bad} (${why}); refusing to load it (pass { allowNonFinite: true } to load it anyway)`);
}

/** Copies (converting to float32) tensor t into linear memory at byte offset ptr. */
export function copyInto(file: SafetensorsFile, t: TensorInfo, ptr: number): void {
  if (t.dtype === 'F32') {
    // Both the file and WebAssembly memory are little-endian: a byte copy, aligned or not.
    new Uint8Array(heapF32().buffer, ptr, t.end - t.begin).set(file.bytes.subarray(t.begin, t.end));
    return;
  }
  const read = elementReader(file, t);
  const heap = heapF32(), p = ptr >>> 2;
  for (let i = 0; i < t.size; i++) heap[p + i] = read(i);
}

/** Tensor t as a new Float32Array. */
export function readFloat32(file: SafetensorsFile, t: TensorInfo): Float32Array {
  const out = new Float32Array(t.size);
  if (t.dtype === 'F32') {
    new Uint8Array(out.buffer).set(file.bytes.subarray(t.begin, t.end));
    return out;
  }
  const read = elementReader(file, t);
  for (let i = 0; i < t.size; i++) out[i] = read(i);
  return out;
}

export interface EncodeEntry {
  name: string;
  shape: readonly number[];
  data: Tensor | Float32Array;
}

export function checkMetadata(metadata: unknown, op: string): Record<string, string> {
  if (metadata === undefined) return {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new Error(`${op}: metadata must be an object of strings, got ${show(metadata)}`);
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`${op}: metadata ${q(k)} must be a string (safetensors metadata maps strings to strings), got ${show(v)}`);
  }
  return metadata as Record<string, string>;
}

/** Writes a safetensors file: float32 tensors in the given order, header space-padded to 8 bytes. */
export function encode(entries: readonly EncodeEntry[], metadata: Record<string, string>, op: string): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const e of entries) {
    if (typeof e.name !== 'string' || e.name === '' || e.name === '__metadata__') throw new Error(`${op}: bad tensor name ${show(e.name)}`);
    if (seen.has(e.name)) throw new Error(`${op}: two tensors are named ${q(e.name)}`);
    seen.add(e.name);
    if (e.data instanceof Tensor) assertLive(e.data, op);
    const bytes = e.data instanceof Tensor ? e.data.size * 4 : e.data.byteLength;
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (size * 4 !== bytes) throw new Error(`${op}: tensor ${q(e.name)} has ${bytes / 4} values but shape [${e.shape.join(',')}]`);
    header[e.name] = { dtype: 'F32', shape: [...e.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const e of entries) {
    if (e.data instanceof Tensor) {
      out.set(new Uint8Array(heapF32().buffer, e.data.ptr, e.data.size * 4), at);
      at += e.data.size * 4;
    } else {
      const d = e.data;
      for (let i = 0; i < d.length; i++, at += 4) view.setFloat32(at, d[i], true);
    }
  }
  return out;
}
