// A tiny ONNX writer: just enough protobuf to build one-graph float32 models in memory for the
// ONNX Runtime peers (MatMul/Gemm, Conv, pools, activations, the MNIST CNN). No dependency.
//
//   const bytes = onnxModel({
//     inputs: [['x', [64, 784]]], outputs: [['y', [64, 256]]],
//     initializers: [['w', [784, 256], w]],
//     nodes: [node('Gemm', ['x', 'w'], ['y'], { transB: 0 })],
//   });

// Protobuf wire format: varint (type 0), 32-bit (type 5), length-delimited (type 2).
function varint(n) {
  const out = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // int64 two's complement, as protobuf encodes negative ints
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

const utf8 = new TextEncoder();

class Message {
  parts = [];
  tag(field, type) { this.parts.push(Uint8Array.from(varint((field << 3) | type))); return this; }
  int(field, n) { this.tag(field, 0); this.parts.push(Uint8Array.from(varint(n))); return this; }
  float(field, x) {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, x, true);
    this.parts.push(b);
    return this;
  }
  bytes(field, data) {
    const b = data instanceof Uint8Array ? data : data instanceof Message ? data.finish() : utf8.encode(String(data));
    this.tag(field, 2);
    this.parts.push(Uint8Array.from(varint(b.length)), b);
    return this;
  }
  finish() {
    const total = this.parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of this.parts) { out.set(p, at); at += p.length; }
    return out;
  }
}

const FLOAT = 1, INT64 = 7; // TensorProto.DataType
const ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_INTS = 7; // AttributeProto.AttributeType

/** A node: op type, input and output names, attributes (number → int or float, string, int[]). */
export function node(opType, inputs, outputs, attrs = {}) {
  return { opType, inputs, outputs, attrs };
}

function attribute(name, value) {
  const a = new Message().bytes(1, name);
  if (Array.isArray(value)) { for (const v of value) a.int(8, v); a.int(20, ATTR_INTS); }
  else if (typeof value === 'string') a.bytes(4, value).int(20, ATTR_STRING);
  else if (value && typeof value === 'object' && 'float' in value) a.float(2, value.float).int(20, ATTR_FLOAT);
  else a.int(3, value).int(20, ATTR_INT);
  return a;
}

function tensorProto(name, dims, data) {
  const t = new Message();
  for (const d of dims) t.int(1, d);
  if (data instanceof BigInt64Array) {
    t.int(2, INT64).bytes(8, name).bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } else {
    const f = Float32Array.from(data);
    t.int(2, FLOAT).bytes(8, name).bytes(9, new Uint8Array(f.buffer));
  }
  return t;
}

function valueInfo(name, dims, elemType = FLOAT) {
  const shape = new Message();
  for (const d of dims) shape.bytes(1, new Message().int(1, d));
  const tensorType = new Message().int(1, elemType).bytes(2, shape);
  return new Message().bytes(1, name).bytes(2, new Message().bytes(1, tensorType));
}

/**
 * Serialises a ModelProto (IR version 8, default-domain opset 17).
 * inputs/outputs: [name, dims]; initializers: [name, dims, Float32Array | BigInt64Array].
 */
export function onnxModel({ inputs, outputs, initializers = [], nodes, name = 'simdnet-bench' }) {
  const graph = new Message();
  nodes.forEach((n, i) => {
    const m = new Message();
    for (const x of n.inputs) m.bytes(1, x);
    for (const y of n.outputs) m.bytes(2, y);
    m.bytes(3, `${n.opType}_${i}`).bytes(4, n.opType);
    for (const [k, v] of Object.entries(n.attrs)) m.bytes(5, attribute(k, v));
    graph.bytes(1, m);
  });
  graph.bytes(2, name);
  for (const [n, dims, data] of initializers) graph.bytes(5, tensorProto(n, dims, data));
  for (const [n, dims] of inputs) graph.bytes(11, valueInfo(n, dims));
  for (const [n, dims] of outputs) graph.bytes(12, valueInfo(n, dims));
  return new Message()
    .int(1, 8) // ir_version
    .bytes(2, 'simdnet-bench') // producer_name
    .bytes(7, graph)
    .bytes(8, new Message().bytes(1, '').int(2, 17)) // opset_import
    .finish();
}
