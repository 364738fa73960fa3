// The ONNX protobuf codec, both directions: a writer (varint / length-delimited, used by toOnnx) and
// a validating decoder for ModelProto / GraphProto / NodeProto / AttributeProto / TensorProto /
// ValueInfoProto (used by fromOnnx), with the field numbers of onnx/onnx.proto. Hand-written, not
// protobufjs (figures in ARCHITECTURE.md): ~300 lines, no runtime dependency, and the decoder treats
// the file as hostile:
//   - every length and varint is checked against the bytes that remain (a truncated or lying file
//     is an Error, never a read past the end);
//   - nesting is capped (MAX_DEPTH); unknown fields are skipped without recursion;
//   - each tensor's data is checked against its dims and data type, external data is refused;
//   - tensor payloads stay views of the file (no copy), and every object the decoder makes is
//     charged to a budget of ALLOC_FACTOR × the file's size (+ 64 KiB): a file of a million empty
//     nodes is refused instead of turning 2 MB into 200 MB of objects.
// Unknown or unsupported content (sparse tensors, subgraphs, strings) is recorded, not interpreted:
// fromOnnx decides what to refuse.

// ---------------------------------------------------------------------------------------------
// Writer. Wire types: 0 = varint, 2 = length-delimited, 5 = 32-bit.

export class ProtoWriter {
  private parts: Uint8Array[] = [];
  private scratch: number[] = [];

  private flush(): void {
    if (this.scratch.length) { this.parts.push(Uint8Array.from(this.scratch)); this.scratch = []; }
  }

  private varint(v: number | bigint): void {
    // int64 fields: negatives are ten-byte two's complement.
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) { this.scratch.push(Number(n & 0x7fn) | 0x80); n >>= 7n; }
    this.scratch.push(Number(n));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.scratch.push(...b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.varint(b.length);
    this.flush();
    this.parts.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  packedInts(field: number, vs: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of vs) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, vs: readonly number[]): this {
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(4 * i, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    this.flush();
    let n = 0;
    for (const p of this.parts) n += p.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of this.parts) { out.set(p, at); at += p.length; }
    return out;
  }
}

// TensorProto.DataType and AttributeProto.AttributeType values used on both sides.
export const DT = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
} as const;
export const DT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DT).map(([k, v]) => [v, k]));
/** Bytes per element of the data types whose raw_data size follows from their dims. */
const DT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2 };

export const AT = {
  FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9,
  GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
} as const;
export const AT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(AT).map(([k, v]) => [v, k]));

// ---------------------------------------------------------------------------------------------
// Decoded messages (only what an importer needs; everything else is skipped).

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Number of elements (the product of dims), checked against the data. */
  size: number;
  /** raw_data as a view into the file, or null. */
  raw: Uint8Array | null;
  /** float_data / int32_data / int64_data / double_data / uint64_data values, when not raw. */
  values: number[] | null;
  /** Entries of string_data (STRING tensors only), counted but not decoded. */
  strings: number;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f: number;
  i: number;
  s: Uint8Array | null;
  t: OnnxTensor | null;
  floats: number[];
  ints: number[];
  /** Entries of the list fields the importer never reads (strings, tensors, graphs, ...). */
  others: number;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

export interface OnnxValueInfo {
  name: string;
  /** The tensor element type, 0 when the value is not a tensor or has no type. */
  elemType: number;
  /** Each dim: a number, a symbolic name, or null when unknown; null for the whole when no shape. */
  shape: Array<number | string | null> | null;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  sparseInitializers: number;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsets: Array<{ domain: string; version: number }>;
  graph: OnnxGraph;
  /** Model-local functions (IR 8); fromOnnx refuses models that have any. */
  functions: number;
}

// ---------------------------------------------------------------------------------------------
// Decoder

export const MAX_DEPTH = 16;
export const ALLOC_FACTOR = 16;
// What each decoded object costs on V8's heap, measured with --expose-gc (heapUsed per object, rounded
// up): a node (object + three arrays) ~190 bytes, an attribute or tensor ~150, a string 40 + its
// characters, an array element 8 (a double) once the array has grown.
const NODE_COST = 256;
const OBJECT_COST = 160;
const STRING_COST = 48;
/** The largest element count a tensor may claim (what one WebAssembly memory could hold as float32). */
const MAX_ELEMENTS = 2 ** 30;

class DecodeError extends Error {}

function fail(problem: string): never {
  throw new DecodeError(problem);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  pos: number;
  budget: number;
  constructor(readonly buf: Uint8Array, budget: number) {
    this.pos = 0;
    this.budget = budget;
  }

  charge(bytes: number, what: string): void {
    this.budget -= bytes;
    if (this.budget < 0) fail(`${what}: the file describes more objects than its size can hold (allocation bound ${ALLOC_FACTOR}× the file size)`);
  }

  /** A varint as a JS number; int64 values beyond 2^53 lose precision, negatives keep their sign. */
  varint(end: number): number {
    const b = this.buf;
    let result = 0, mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) fail(`varint runs past the end of its message at byte ${this.pos}`);
      const byte = b[this.pos++];
      if (i === 7) return this.bigVarint(end, i); // past 49 bits: exact, with the int64 sign
      result += (byte & 0x7f) * mul;
      if ((byte & 0x80) === 0) return result;
      mul *= 128;
    }
    return fail(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** The rare long varint (a large or negative int64): re-read it exactly with BigInt. */
  private bigVarint(end: number, read: number): number {
    this.pos -= read + 1;
    let v = 0n, shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) fail(`varint runs past the end of its message at byte ${this.pos}`);
      const byte = this.buf[this.pos++];
      v |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return Number(BigInt.asIntN(64, v));
      shift += 7n;
    }
    return fail(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** The end of a length-delimited field that starts here, checked against `end`. */
  lengthEnd(end: number, what: string): number {
    const n = this.varint(end);
    if (n < 0 || n > end - this.pos) fail(`${what}: length ${n} at byte ${this.pos} runs past the end of its message (${end - this.pos} bytes left)`);
    return this.pos + n;
  }

  bytes(end: number, what: string): Uint8Array {
    const e = this.lengthEnd(end, what);
    const v = this.buf.subarray(this.pos, e);
    this.pos = e;
    return v;
  }

  string(end: number, what: string): string {
    const b = this.bytes(end, what);
    this.charge(STRING_COST + 2 * b.length, what);
    try {
      return utf8.decode(b);
    } catch {
      return fail(`${what}: not valid UTF-8`);
    }
  }

  float(end: number, what: string): number {
    if (end - this.pos < 4) fail(`${what}: float runs past the end of its message`);
    const b = this.buf, p = this.pos;
    this.pos += 4;
    return new DataView(b.buffer, b.byteOffset + p, 4).getFloat32(0, true);
  }

  skip(wire: number, end: number, what: string): void {
    switch (wire) {
      case 0: this.varint(end); return;
      case 1: if (end - this.pos < 8) fail(`${what}: fixed64 runs past the end`); this.pos += 8; return;
      case 2: this.pos = this.lengthEnd(end, what); return;
      case 5: if (end - this.pos < 4) fail(`${what}: fixed32 runs past the end`); this.pos += 4; return;
      default: fail(`${what}: wire type ${wire} at byte ${this.pos} (groups and invalid types are not accepted)`);
    }
  }

  /** Calls `field(number, wire)` for each field of the message ending at `end`. */
  fields(end: number, what: string, field: (no: number, wire: number) => boolean): void {
    while (this.pos < end) {
      const key = this.varint(end);
      const no = Math.floor(key / 8), wire = key % 8;
      if (no < 1 || no >= 2 ** 29) fail(`${what}: field number ${no} at byte ${this.pos}`);
      if (!field(no, wire)) this.skip(wire, end, what);
    }
  }

  /** Appends a repeated scalar (packed or not) to `out`; `kind` says how each element is written. */
  repeated(out: number[], wire: number, end: number, kind: 'varint' | 'float' | 'double' | 'fixed64', what: string): void {
    const one = (e: number): number => {
      if (kind === 'varint') return this.varint(e);
      if (kind === 'float') return this.float(e, what);
      if (e - this.pos < 8) fail(`${what}: 64-bit value runs past the end`);
      const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
      this.pos += 8;
      return kind === 'double' ? dv.getFloat64(0, true) : Number(dv.getBigUint64(0, true));
    };
    const expected = kind === 'varint' ? 0 : kind === 'float' ? 5 : 1;
    if (wire === 2) {
      const e = this.lengthEnd(end, what);
      this.charge(8 * (e - this.pos) / (kind === 'varint' ? 1 : kind === 'float' ? 4 : 8), what);
      while (this.pos < e) out.push(one(e));
    } else if (wire === expected) {
      this.charge(8, what);
      out.push(one(end));
    } else {
      fail(`${what}: wire type ${wire} for a repeated ${kind}`);
    }
  }
}

function expectWire(wire: number, want: number, what: string): void {
  if (wire !== want) fail(`${what}: wire type ${wire}, expected ${want}`);
}

function decodeTensor(r: Reader, end: number, depth: number, at: string): OnnxTensor {
  if (depth > MAX_DEPTH) fail(`${at}: messages nested deeper than ${MAX_DEPTH}`);
  r.charge(OBJECT_COST, at);
  const t: OnnxTensor = { name: '', dims: [], dataType: 0, size: 1, raw: null, values: null, strings: 0 };
  let external = false, segmented = false;
  const vals: number[] = [];
  let valueFields = 0;
  r.fields(end, at, (no, wire) => {
    switch (no) {
      case 1: r.repeated(t.dims, wire, end, 'varint', 'dims'); return true;
      case 2: expectWire(wire, 0, 'data_type'); t.dataType = r.varint(end); return true;
      case 3: expectWire(wire, 2, 'segment'); segmented = true; return false;
      case 4: r.repeated(vals, wire, end, 'float', 'float_data'); valueFields |= 1; return true;
      case 5: r.repeated(vals, wire, end, 'varint', `${at}.int32_data`); valueFields |= 2; return true;
      case 6: expectWire(wire, 2, 'string_data'); r.skip(2, end, at); r.charge(8, at); t.strings++; return true;
      case 7: r.repeated(vals, wire, end, 'varint', `${at}.int64_data`); valueFields |= 4; return true;
      case 8: expectWire(wire, 2, 'name'); t.name = r.string(end, 'name'); return true;
      case 9: expectWire(wire, 2, 'raw_data'); t.raw = r.bytes(end, 'raw_data'); return true;
      case 10: r.repeated(vals, wire, end, 'double', 'double_data'); valueFields |= 8; return true;
      case 11: r.repeated(vals, wire, end, 'fixed64', `${at}.uint64_data`); valueFields |= 16; return true;
      case 13: external = true; return false;
      case 14: expectWire(wire, 0, 'data_location'); if (r.varint(end) !== 0) external = true; return true;
      default: return false;
    }
  });
  const label = t.name ? `tensor '${t.name}'` : at;
  if (external) fail(`${label}: external data is not accepted (the weights must be inside the file)`);
  if (segmented) fail(`${label}: segmented tensors are not accepted`);
  if (valueFields & (valueFields - 1)) fail(`${label}: data in more than one typed field`);
  for (const d of t.dims) {
    if (!Number.isInteger(d) || d < 0) fail(`${label}: dims [${t.dims.join(', ')}] hold a negative or non-integer size`);
    t.size *= d;
    if (t.size > MAX_ELEMENTS) fail(`${label}: dims [${t.dims.join(', ')}] claim more than 2^30 elements`);
  }
  if (valueFields) t.values = vals;
  if (t.raw && valueFields) fail(`${label}: both raw_data and typed data`);
  const bytesPer = DT_BYTES[t.dataType];
  // Check the data against the dims. COMPLEX64/128 typed fields hold two numbers per element.
  const perElement = t.dataType === DT.COMPLEX64 || t.dataType === DT.COMPLEX128 ? 2 : 1;
  if (t.raw) {
    if (bytesPer === undefined) fail(`${label}: raw_data for data type ${t.dataType}`);
    if (t.raw.length !== t.size * bytesPer) fail(`${label}: raw_data has ${t.raw.length} bytes, dims [${t.dims.join(', ')}] of ${DT_NAMES[t.dataType]} need ${t.size * bytesPer}`);
  } else if (t.values) {
    if (t.values.length !== t.size * perElement) fail(`${label}: ${t.values.length} values, dims [${t.dims.join(', ')}] need ${t.size * perElement}`);
  } else if (t.dataType === DT.STRING) {
    if (t.strings !== t.size) fail(`${label}: ${t.strings} strings, dims [${t.dims.join(', ')}] need ${t.size}`);
  } else if (t.size !== 0) {
    fail(`${label}: no data for dims [${t.dims.join(', ')}]`);
  }
  return t;
}

function decodeAttribute(r: Reader, end: number, depth: number, at: string): OnnxAttribute {
  if (depth > MAX_DEPTH) fail(`${at}: messages nested deeper than ${MAX_DEPTH}`);
  r.charge(OBJECT_COST, at);
  const a: OnnxAttribute = { name: '', type: 0, f: 0, i: 0, s: null, t: null, floats: [], ints: [], others: 0 };
  r.fields(end, at, (no, wire) => {
    switch (no) {
      case 1: expectWire(wire, 2, 'name'); a.name = r.string(end, 'name'); return true;
      case 2: expectWire(wire, 5, 'f'); a.f = r.float(end, 'f'); return true;
      case 3: expectWire(wire, 0, 'i'); a.i = r.varint(end); return true;
      case 4: expectWire(wire, 2, 's'); a.s = r.bytes(end, 's'); return true;
      case 5: {
        expectWire(wire, 2, 't');
        const e = r.lengthEnd(end, 't');
        a.t = decodeTensor(r, e, depth + 1, 't');
        return true;
      }
      case 7: r.repeated(a.floats, wire, end, 'float', 'floats'); return true;
      case 8: r.repeated(a.ints, wire, end, 'varint', 'ints'); return true;
      case 20: expectWire(wire, 0, 'type'); a.type = r.varint(end); return true;
      case 6: case 9: case 10: case 11: case 14: case 15: case 22: case 23: a.others++; r.charge(8, at); return false;
      default: return false;
    }
  });
  return a;
}

function decodeNode(r: Reader, end: number, depth: number, index: number): OnnxNode {
  const at = 'node';
  if (depth > MAX_DEPTH) fail(`node ${index}: messages nested deeper than ${MAX_DEPTH}`);
  r.charge(NODE_COST, at);
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  r.fields(end, at, (no, wire) => {
    switch (no) {
      case 1: expectWire(wire, 2, 'input'); n.inputs.push(r.string(end, 'input')); return true;
      case 2: expectWire(wire, 2, 'output'); n.outputs.push(r.string(end, 'output')); return true;
      case 3: expectWire(wire, 2, 'name'); n.name = r.string(end, 'name'); return true;
      case 4: expectWire(wire, 2, 'op_type'); n.opType = r.string(end, 'op_type'); return true;
      case 7: expectWire(wire, 2, 'domain'); n.domain = r.string(end, 'domain'); return true;
      case 5: {
        expectWire(wire, 2, 'attribute');
        const e = r.lengthEnd(end, 'attribute');
        n.attributes.push(decodeAttribute(r, e, depth + 1, 'node.attribute'));
        return true;
      }
      default: return false;
    }
  });
  return n;
}

function decodeShape(r: Reader, end: number, at: string): Array<number | string | null> {
  const dims: Array<number | string | null> = [];
  r.fields(end, at, (no, wire) => {
    if (no !== 1) return false;
    expectWire(wire, 2, 'dim');
    const e = r.lengthEnd(end, 'dim');
    r.charge(16, at);
    let d: number | string | null = null;
    r.fields(e, 'dim', (dn, dw) => {
      if (dn === 1) { expectWire(dw, 0, 'dim_value'); d = r.varint(e); return true; }
      if (dn === 2) { expectWire(dw, 2, 'dim_param'); d = r.string(e, 'dim_param'); return true; }
      return false;
    });
    dims.push(d);
    return true;
  });
  return dims;
}

function decodeValueInfo(r: Reader, end: number, at: string): OnnxValueInfo {
  r.charge(OBJECT_COST, at);
  const v: OnnxValueInfo = { name: '', elemType: 0, shape: null };
  r.fields(end, at, (no, wire) => {
    if (no === 1) { expectWire(wire, 2, 'name'); v.name = r.string(end, 'name'); return true; }
    if (no !== 2) return false;
    expectWire(wire, 2, 'type');
    const te = r.lengthEnd(end, 'type');
    // TypeProto: only tensor_type (1) is read; sequences, maps and optionals stay elemType 0.
    r.fields(te, 'type', (tn, tw) => {
      if (tn !== 1) return false;
      expectWire(tw, 2, 'tensor_type');
      const e = r.lengthEnd(te, 'tensor_type');
      r.fields(e, 'tensor_type', (fn, fw) => {
        if (fn === 1) { expectWire(fw, 0, 'elem_type'); v.elemType = r.varint(e); return true; }
        if (fn === 2) {
          expectWire(fw, 2, 'shape');
          const se = r.lengthEnd(e, 'shape');
          v.shape = decodeShape(r, se, 'shape');
          return true;
        }
        return false;
      });
      return true;
    });
    return true;
  });
  return v;
}

/** Runs a message's decoder; its Error gains the message's place ('node 12: ...'). */
function inContext<T>(decode: () => T, what: string, index: number): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof DecodeError) throw new DecodeError(`${what} ${index}: ${err.message}`);
    throw err;
  }
}

function decodeGraph(r: Reader, end: number, depth: number): OnnxGraph {
  const at = 'graph';
  if (depth > MAX_DEPTH) fail(`${at}: messages nested deeper than ${MAX_DEPTH}`);
  r.charge(OBJECT_COST, at);
  const g: OnnxGraph = { name: '', nodes: [], initializers: [], sparseInitializers: 0, inputs: [], outputs: [] };
  r.fields(end, at, (no, wire) => {
    if (no === 1 || no === 5 || no === 11 || no === 12) {
      expectWire(wire, 2, 'graph');
      const e = r.lengthEnd(end, 'graph');
      switch (no) {
        case 1: g.nodes.push(inContext(() => decodeNode(r, e, depth + 1, g.nodes.length), 'node', g.nodes.length)); return true;
        case 5: g.initializers.push(inContext(() => decodeTensor(r, e, depth + 1, 'initializer'), 'initializer', g.initializers.length)); return true;
        case 11: g.inputs.push(decodeValueInfo(r, e, 'graph.input')); return true;
        default: g.outputs.push(decodeValueInfo(r, e, 'graph.output')); return true;
      }
    }
    switch (no) {
      case 2: expectWire(wire, 2, 'graph.name'); g.name = r.string(end, 'graph.name'); return true;
      case 15: g.sparseInitializers++; r.charge(8, at); return false;
      default: return false;
    }
  });
  return g;
}

/**
 * Decodes an ONNX ModelProto. Throws an Error naming the field and byte offset of the first
 * problem; never reads past `bytes` and never allocates more than ALLOC_FACTOR × bytes.length.
 */
export function decodeOnnx(bytes: Uint8Array, op = 'fromOnnx'): OnnxModel {
  const r = new Reader(bytes, ALLOC_FACTOR * bytes.length + 65536);
  const m: OnnxModel = { irVersion: 0, producerName: '', producerVersion: '', opsets: [], graph: null as unknown as OnnxGraph, functions: 0 };
  try {
    const end = bytes.length;
    r.fields(end, 'model', (no, wire) => {
      switch (no) {
        case 1: expectWire(wire, 0, 'model.ir_version'); m.irVersion = r.varint(end); return true;
        case 2: expectWire(wire, 2, 'model.producer_name'); m.producerName = r.string(end, 'model.producer_name'); return true;
        case 3: expectWire(wire, 2, 'model.producer_version'); m.producerVersion = r.string(end, 'model.producer_version'); return true;
        case 7: {
          expectWire(wire, 2, 'model.graph');
          if (m.graph) fail('model: more than one graph');
          m.graph = decodeGraph(r, r.lengthEnd(end, 'model.graph'), 1);
          return true;
        }
        case 8: {
          expectWire(wire, 2, 'model.opset_import');
          const e = r.lengthEnd(end, 'model.opset_import');
          r.charge(OBJECT_COST, 'model.opset_import');
          const o = { domain: '', version: 0 };
          r.fields(e, 'opset_import', (on, ow) => {
            if (on === 1) { expectWire(ow, 2, 'opset_import.domain'); o.domain = r.string(e, 'opset_import.domain'); return true; }
            if (on === 2) { expectWire(ow, 0, 'opset_import.version'); o.version = r.varint(e); return true; }
            return false;
          });
          m.opsets.push(o);
          return true;
        }
        case 25: m.functions++; r.charge(8, 'model'); return false;
        default: return false;
      }
    });
    if (!m.graph) fail('model: no graph (is this an ONNX model file?)');
  } catch (err) {
    if (err instanceof DecodeError) throw new Error(`${op}: not a valid ONNX model: ${err.message}`);
    throw err;
  }
  return m;
}

/** A tensor's values as float32 (FLOAT, FLOAT16, DOUBLE and the integer types); null for others. */
export function tensorFloats(t: OnnxTensor): Float32Array | null {
  const out = new Float32Array(t.size);
  if (t.values) {
    if (t.dataType === DT.FLOAT16) { for (let i = 0; i < t.size; i++) out[i] = half(t.values[i]); return out; }
    if (t.dataType === DT.STRING || t.dataType === DT.COMPLEX64 || t.dataType === DT.COMPLEX128 || t.dataType === DT.BFLOAT16) return null;
    for (let i = 0; i < t.size; i++) out[i] = t.values[i];
    return out;
  }
  if (!t.raw) return t.size === 0 ? out : null;
  const dv = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
  const read = rawReader(t.dataType, dv);
  if (!read) return null;
  for (let i = 0; i < t.size; i++) out[i] = read(i);
  return out;
}

/** A tensor's values as JS numbers (int64 beyond 2^53 rounded); null for types without a numeric value. */
export function tensorNumbers(t: OnnxTensor): number[] | null {
  if (t.values) {
    if (t.dataType === DT.FLOAT16) return t.values.map(half);
    if (t.dataType === DT.STRING || t.dataType === DT.COMPLEX64 || t.dataType === DT.COMPLEX128 || t.dataType === DT.BFLOAT16) return null;
    return t.values.slice();
  }
  if (!t.raw) return t.size === 0 ? [] : null;
  const read = rawReader(t.dataType, new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength));
  if (!read) return null;
  const out = new Array<number>(t.size);
  for (let i = 0; i < t.size; i++) out[i] = read(i);
  return out;
}

function rawReader(dataType: number, dv: DataView): ((i: number) => number) | null {
  switch (dataType) {
    case DT.FLOAT: return (i) => dv.getFloat32(4 * i, true);
    case DT.DOUBLE: return (i) => dv.getFloat64(8 * i, true);
    case DT.FLOAT16: return (i) => half(dv.getUint16(2 * i, true));
    case DT.BFLOAT16: return (i) => new Float32Array(new Uint32Array([dv.getUint16(2 * i, true) << 16]).buffer)[0];
    case DT.INT8: return (i) => dv.getInt8(i);
    case DT.UINT8: case DT.BOOL: return (i) => dv.getUint8(i);
    case DT.INT16: return (i) => dv.getInt16(2 * i, true);
    case DT.UINT16: return (i) => dv.getUint16(2 * i, true);
    case DT.INT32: return (i) => dv.getInt32(4 * i, true);
    case DT.UINT32: return (i) => dv.getUint32(4 * i, true);
    case DT.INT64: return (i) => Number(dv.getBigInt64(8 * i, true));
    case DT.UINT64: return (i) => Number(dv.getBigUint64(8 * i, true));
    default: return null;
  }
}

function half(h: number): number {
  const e = (h >> 10) & 31, m = h & 1023, s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
