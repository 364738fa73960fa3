// ONNX import: fromOnnx(bytes) turns a model written by torch.onnx.export (or tf2onnx) into an
// nn.Module: an nn.Sequential when the graph is a chain, an nn.Graph when it branches.
//
// Three phases, and nothing is allocated in wasm memory before the third:
//   1. decode (onnx-proto.ts: bounds, depth, dims against data, an allocation budget);
//   2. plan: walk the nodes in order with concrete shapes, folding everything that is constant
//      (initializers, Constant nodes, Shape → Gather → Unsqueeze → Concat → Reshape chains, the
//      Pad amounts PyTorch computes in the graph) and mapping the rest to layers. Every problem is
//      collected; if there is any, one Error lists each offending node (name, op type, attribute).
//      The plan runs twice, with batch 2 and batch 3: a folded shape that differs between the two
//      is the batch, and reshape targets are written with 0 (copy) or −1 (infer) for it;
//   3. build the modules and copy the weights in.
//
// Mapping (PyTorch's layouts throughout, so state dicts move between the two):
//   Gemm (transB or not), MatMul [+ Add]  → Dense        Conv         → Conv2d (+ ConstantPad2d when asymmetric)
//   GlobalAveragePool → GlobalAvgPool2d    Conv group → Conv2d groups
//   MaxPool, AveragePool → MaxPool2d / AvgPool2d (ceil_mode and
//   count_include_pad = 0 by explicit padding / a constant correction)
//   BatchNormalization → BatchNorm2d/1d (statistics as buffers)      Clip → ReLU6 / Hardtanh / ReLU
//   Div → Erf → Add → Mul → Mul (PyTorch's exact GELU) → GELU          LogSoftmax → LogSoftmax
//   Relu, LeakyRelu, Elu, Sigmoid, Tanh, Softmax → the layers        Flatten → Flatten
//   Reshape/Squeeze/Unsqueeze with a foldable shape → Reshape        Dropout → Dropout, Identity → nothing
//   Add/Sub/Mul/Div with a constant → Elementwise; between two computed values → a Graph merge
//   Concat → a Graph merge                                            Pad (constant) → ConstantPad2d, or
//   folded into the following Conv / AveragePool's padding when that is exactly what it computes.

import { Module } from '../nn/module.js';
import { Dense, ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Flatten, Sequential } from '../nn/layers.js';
import { Conv2d, MaxPool2d, AvgPool2d, GlobalAvgPool2d, Dropout } from '../nn/conv.js';
import { Graph, Reshape, ConstantPad2d, Softmax, Elementwise, type GraphNode, type GraphOp, type ElementwiseOp } from '../nn/graph.js';
import { BatchNorm1d, BatchNorm2d } from '../nn/norm.js';
import { GELU, ReLU6, Hardtanh, LogSoftmax } from '../nn/activations.js';
import { heapF32 } from '../runtime.js';
import { options as checkOptions } from '../options.js';
import { describe as describeValue, shapeStr } from '../tensor.js';
import { decodeOnnx, tensorFloats, tensorNumbers, DT, DT_NAMES, AT, AT_NAMES, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxAttribute } from './onnx-proto.js';

export interface FromOnnxOptions {
  /**
   * The shape of one sample (without the batch axis), for files whose input has symbolic
   * dimensions besides the batch. By default the file's own input shape.
   */
  inputShape?: number[];
}

const OP = 'fromOnnx';
const MIN_OPSET = 9, MAX_OPSET = 17;
/** The most negative float32: padding with it makes max pooling ignore the padded cells. */
const LOWEST = -3.4028234663852886e38;

// ---------------------------------------------------------------------------------------------
// Values during planning

interface Const { kind: 'const'; dims: number[]; data: ArrayLike<number>; float: boolean; init?: string }
interface Dyn {
  kind: 'dyn';
  shape: number[];
  /** The Graph value (0 = input, k + 1 = step k's output). */
  v: number;
  /** A constant Pad not yet emitted: a following Conv or AveragePool may absorb it. */
  pad?: { pads: [number, number, number, number]; value: number; src: Dyn; node: string };
}
interface Bad { kind: 'bad' }
type Val = Const | Dyn | Bad;

interface LayerSpec { make: () => Module; weights?: Array<[string, ArrayLike<number>]>; label: string }

interface Step {
  op: GraphOp;
  inputs: number[];
  layer?: LayerSpec;
  axis?: number;
  /** Reshape-like steps: input and output shapes, to write the target once both plans are known. */
  reshape?: { from: number[]; to: number[] };
  /** A name for the layer: from its weight's initializer name, or the node's name. */
  name: string;
  node: string;
}

interface Plan { steps: Step[]; problems: string[]; output: number }

const prod = (a: readonly number[]): number => a.reduce((x, y) => x * y, 1);

class Refusal extends Error {}

// ---------------------------------------------------------------------------------------------
// Constant folding: small N-d arrays in plain JS

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) { s[i] = acc; acc *= dims[i]; }
  return s;
}

function broadcastDims(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The flat index into `dims` (right-aligned, broadcast) of output element `flat` of `out`. */
function broadcastIndex(flat: number, out: readonly number[], dims: readonly number[], ds: readonly number[]): number {
  let idx = 0;
  for (let i = out.length - 1, rem = flat; i >= 0; i--) {
    const c = rem % out[i];
    rem = Math.floor(rem / out[i]);
    const j = i - (out.length - dims.length);
    if (j >= 0 && dims[j] !== 1) idx += c * ds[j];
  }
  return idx;
}

// ---------------------------------------------------------------------------------------------

/** Attribute access for one node; every attribute the handler does not read is reported. */
class Attrs {
  private readonly map = new Map<string, OnnxAttribute>();
  private readonly read = new Set<string>();
  constructor(private readonly node: OnnxNode, private readonly problem: (attr: string, what: string) => void) {
    for (const a of node.attributes) this.map.set(a.name, a);
  }

  private get(name: string, type: number): OnnxAttribute | undefined {
    this.read.add(name);
    const a = this.map.get(name);
    if (a && a.type !== type && a.type !== 0) {
      this.problem(name, `has type ${AT_NAMES[a.type] ?? a.type}, expected ${AT_NAMES[type]}`);
      return undefined;
    }
    return a;
  }

  has(name: string): boolean { return this.map.has(name); }
  int(name: string, fallback: number): number { return this.get(name, AT.INT)?.i ?? fallback; }
  float(name: string, fallback: number): number { return this.get(name, AT.FLOAT)?.f ?? fallback; }
  ints(name: string): number[] | undefined { return this.get(name, AT.INTS)?.ints; }
  floats(name: string): number[] | undefined { return this.get(name, AT.FLOATS)?.floats; }
  string(name: string, fallback: string): string {
    const a = this.get(name, AT.STRING);
    return a?.s ? new TextDecoder().decode(a.s) : fallback;
  }
  tensor(name: string): OnnxTensor | undefined { return this.get(name, AT.TENSOR)?.t ?? undefined; }

  /** Attributes present that no handler read: each one is a refusal. */
  unread(): string[] {
    return [...this.map.keys()].filter((k) => !this.read.has(k));
  }
}

/** One pass over the graph at a given batch size. */
function plan(model: OnnxModel, batch: number, sample: number[], opset: number, consts: Map<OnnxTensor, ArrayLike<number>>, foldCap: number): Plan {
  const g = model.graph;
  const env = new Map<string, Val>();
  const steps: Step[] = [];
  const problems: string[] = [];
  const initNames = new Set(g.initializers.map((t) => t.name));

  const tensorConst = (t: OnnxTensor, at: string): Const | null => {
    let data = consts.get(t);
    const float = t.dataType === DT.FLOAT || t.dataType === DT.DOUBLE || t.dataType === DT.FLOAT16 || t.dataType === DT.BFLOAT16;
    if (!data) {
      const d = float ? tensorFloats(t) : tensorNumbers(t);
      if (!d) { problems.push(`${at}: data type ${DT_NAMES[t.dataType] ?? t.dataType} is not supported`); return null; }
      data = d;
      consts.set(t, d);
    }
    return { kind: 'const', dims: t.dims.slice(), data, float, init: t.name };
  };
  for (const t of g.initializers) {
    const c = tensorConst(t, `initializer '${t.name}'`);
    env.set(t.name, c ?? { kind: 'bad' });
  }
  const realInputs = g.inputs.filter((v) => !initNames.has(v.name));
  const input = realInputs[0];
  env.set(input.name, { kind: 'dyn', shape: [batch, ...sample], v: 0 });

  // How many times each value is read (to know when a MatMul's output feeds only its Add, etc.).
  const uses = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of g.outputs) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  const producer = new Map<string, OnnxNode>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producer.set(o, n);

  const gelu = findGelu(g.nodes, uses, producer, (name) => env.get(name));
  const skipped = new Set<OnnxNode>();
  for (const p of gelu.values()) for (const n of p.parts) skipped.add(n);
  const fusedAdd = new Set<OnnxNode>();

  const emit = (s: Omit<Step, 'name'> & { name?: string }): number => {
    steps.push({ ...s, name: s.name ?? '' });
    return steps.length; // its value index
  };
  const materialise = (d: Dyn): Dyn => {
    if (!d.pad) return d;
    const { pads, value, src, node } = d.pad;
    // Emitted once, for every consumer: the pending value becomes the pad layer's output.
    d.v = emit({ op: 'layer', inputs: [src.v], node, layer: { label: 'ConstantPad2d', make: () => new ConstantPad2d(pads, value) } });
    d.pad = undefined;
    return d;
  };

  g.nodes.forEach((n, index) => {
    if (skipped.has(n)) return;
    const label = `node '${n.name || `#${index}`}' (${n.opType})`;
    let failed = false;
    const problem = (what: string): void => { failed = true; problems.push(`${label}: ${what}`); };
    const attrs = new Attrs(n, (a, what) => problem(`attribute '${a}' ${what}`));
    // A GELU pattern's last node reads the pattern's input, not the (skipped) nodes before it.
    const geluX = gelu.get(n)?.x;
    const ins: Array<Val | undefined> = (geluX !== undefined ? [geluX] : n.inputs).map((name) => {
      if (name === '') return undefined;
      const v = env.get(name);
      if (!v) problem(`input '${name}' is not produced by an earlier node, an initializer or the graph input`);
      return v;
    });
    const setOut = (v: Val, k = 0): void => {
      if (v.kind === 'dyn') checkDynShape(v.shape);
      if (n.outputs[k]) env.set(n.outputs[k], v);
    };
    const bad = (): void => { for (let k = 0; k < n.outputs.length; k++) setOut({ kind: 'bad' }, k); };
    if (n.domain !== '' && n.domain !== 'ai.onnx') { problem(`operator domain '${n.domain}' is not supported`); bad(); return; }
    if (failed || ins.some((v) => v?.kind === 'bad')) {
      // Downstream of a refused node there are no shapes to check against; the operator and its
      // attribute names still are, so the Error lists this node's own problems too.
      if (!Object.prototype.hasOwnProperty.call(KNOWN_ATTRS, n.opType)) problem(`operator ${n.opType} is not supported`);
      else for (const a of n.attributes) if (!KNOWN_ATTRS[n.opType].includes(a.name)) problem(`attribute '${a.name}' is not supported`);
      bad();
      return;
    }

    const ctx: Ctx = {
      n, opset, batch, attrs, ins, problem, setOut, emit, materialise, foldCap,
      uses: (name) => uses.get(name) ?? 0, consumers: (name) => g.nodes.filter((m) => m.inputs.includes(name)),
      fusedAdd, gelu, env,
    };
    try {
      const allConst = ins.every((v) => v === undefined || v.kind === 'const');
      if (allConst && n.opType !== 'Shape') fold(ctx, ins as Array<Const | undefined>);
      else layer(ctx);
      // Attributes no handler read are refused (only when the node was otherwise fine, so a
      // refused operator is one line, not one per attribute).
      for (const a of attrs.unread()) problem(`attribute '${a}' is not supported`);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      problem(err.message);
    }
    if (failed) bad();
  });

  let output = -1;
  const outName = g.outputs[0].name;
  const out = env.get(outName);
  if (!out) problems.push(`graph output '${outName}' is not produced by any node`);
  else if (out.kind === 'const') problems.push(`graph output '${outName}' is a constant (it does not depend on the input)`);
  else if (out.kind === 'dyn') {
    output = materialise(out).v;
    // An output that is the input itself, or an earlier value: an Identity layer keeps the graph's last value the output.
    if (output !== steps.length) output = emit({ op: 'layer', inputs: [output], node: 'output', layer: { label: 'Reshape', make: () => new Reshape([0, ...out.shape.slice(1)]) }, reshape: { from: out.shape, to: out.shape } });
  }
  return { steps, problems, output };
}

interface Ctx {
  n: OnnxNode;
  opset: number;
  batch: number;
  attrs: Attrs;
  ins: Array<Val | undefined>;
  problem: (what: string) => void;
  setOut: (v: Val, k?: number) => void;
  emit: (s: Omit<Step, 'name'> & { name?: string }) => number;
  materialise: (d: Dyn) => Dyn;
  uses: (name: string) => number;
  consumers: (name: string) => OnnxNode[];
  fusedAdd: Set<OnnxNode>;
  gelu: Map<OnnxNode, GeluMatch>;
  env: Map<string, Val>;
  foldCap: number;
}

/** The operators the import knows and the attributes each may carry (values are checked with shapes). */
const KNOWN_ATTRS: Record<string, string[]> = {
  Conv: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
  MaxPool: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'],
  AveragePool: ['auto_pad', 'ceil_mode', 'count_include_pad', 'kernel_shape', 'pads', 'strides'],
  Gemm: ['alpha', 'beta', 'transA', 'transB', 'broadcast'],
  BatchNormalization: ['epsilon', 'momentum', 'training_mode'],
  LeakyRelu: ['alpha'], Elu: ['alpha'], Softmax: ['axis'], LogSoftmax: ['axis'], Flatten: ['axis'], Concat: ['axis'],
  Gather: ['axis'], Transpose: ['perm'], Cast: ['to'], Pad: ['mode', 'pads', 'value'], Squeeze: ['axes'], Unsqueeze: ['axes'],
  Reshape: ['allowzero'], Dropout: ['ratio', 'seed', 'is_test'], Clip: ['min', 'max'], Gelu: ['approximate'],
  Constant: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'], ConstantOfShape: ['value'], Shape: ['start', 'end'],
  Slice: ['starts', 'ends', 'axes'],
  ...Object.fromEntries(['Relu', 'Sigmoid', 'Tanh', 'Identity', 'Erf', 'Add', 'Sub', 'Mul', 'Div', 'MatMul', 'GlobalAveragePool', 'Sqrt', 'Neg',
    'Floor', 'Ceil', 'Reciprocal', 'Equal', 'Where', 'Range', 'Pow'].map((op) => [op, []])),
};

/** The largest value a layer may produce: 2^28 float32 (1 GiB), each dimension a positive integer. */
const MAX_VALUE = 2 ** 28;

function checkDynShape(shape: readonly number[]): void {
  if (shape.some((d) => !Number.isInteger(d) || d < 1) || prod(shape) > MAX_VALUE) refuse(`its output would be ${shapeStr(shape)}: empty or more than 2^28 values`);
}

function refuse(what: string): never {
  throw new Refusal(what);
}

function constOpt(c: Ctx, k: number, what: string): Const | undefined {
  return c.ins[k] === undefined ? undefined : constIn(c, k, what);
}

function constIn(c: Ctx, k: number, what: string): Const {
  const v = c.ins[k];
  if (v === undefined) return refuse(`input ${k} (${what}) is missing`);
  if (v.kind !== 'const') return refuse(`input ${k} (${what}) must be a constant (an initializer or folded from constants), not computed from the graph input`);
  return v;
}

function dynIn(c: Ctx, k: number): Dyn {
  const v = c.ins[k];
  if (!v || v.kind !== 'dyn') return refuse(`input ${k} must be computed from the graph input`);
  return v;
}

const ints = (v: Const): number[] => Array.from(v.data, (x) => Math.trunc(x));

function mkConst(dims: number[], data: ArrayLike<number>, float: boolean, cap: number): Const {
  if (prod(dims) > cap) refuse(`folding would make a constant of ${prod(dims)} elements, more than this file's size allows`);
  return { kind: 'const', dims, data, float };
}

// ---------------------------------------------------------------------------------------------
// Folding: every input constant

function fold(c: Ctx, ins: Array<Const | undefined>): void {
  const { n, attrs, opset } = c;
  const cap = c.foldCap;
  const at = (k: number): Const => ins[k] ?? refuse(`input ${k} is missing`);
  const axisOf = (axis: number, rank: number): number => {
    const a = axis < 0 ? axis + rank : axis;
    if (!Number.isInteger(a) || a < 0 || a >= rank) refuse(`axis ${axis} is outside rank ${rank}`);
    return a;
  };
  switch (n.opType) {
    case 'Constant': {
      const t = attrs.tensor('value');
      const vf = attrs.floats('value_floats'), vi = attrs.ints('value_ints');
      if (t) {
        const float = t.dataType === DT.FLOAT || t.dataType === DT.DOUBLE || t.dataType === DT.FLOAT16;
        const d = float ? tensorFloats(t) : tensorNumbers(t);
        if (!d) refuse(`data type ${DT_NAMES[t.dataType] ?? t.dataType} is not supported`);
        c.setOut({ kind: 'const', dims: t.dims.slice(), data: d, float });
      } else if (attrs.has('value_float')) c.setOut({ kind: 'const', dims: [], data: [attrs.float('value_float', 0)], float: true });
      else if (attrs.has('value_int')) c.setOut({ kind: 'const', dims: [], data: [attrs.int('value_int', 0)], float: false });
      else if (vf) c.setOut({ kind: 'const', dims: [vf.length], data: vf, float: true });
      else if (vi) c.setOut({ kind: 'const', dims: [vi.length], data: vi, float: false });
      else refuse('no value (sparse_value and strings are not supported)');
      return;
    }
    case 'Identity': case 'Dropout': c.setOut(at(0)); return;
    case 'Cast': {
      const to = attrs.int('to', 0);
      const x = at(0);
      const float = to === DT.FLOAT || to === DT.DOUBLE || to === DT.FLOAT16;
      const data = float ? (to === DT.FLOAT ? Float32Array.from(x.data) : Array.from(x.data)) : Array.from(x.data, (v) => (to === DT.BOOL ? Number(v !== 0) : Math.trunc(v)));
      c.setOut({ kind: 'const', dims: x.dims, data, float });
      return;
    }
    case 'Add': case 'Sub': case 'Mul': case 'Div': case 'Equal': case 'Pow': {
      const a = at(0), b = at(1);
      const dims = broadcastDims(a.dims, b.dims) ?? refuse(`shapes ${shapeStr(a.dims)} and ${shapeStr(b.dims)} do not broadcast`);
      const size = prod(dims);
      if (size > cap) refuse(`folding would make a constant of ${size} elements`);
      const float = a.float || b.float;
      const out = float ? new Float32Array(size) : new Array<number>(size);
      const as = strides(a.dims), bs = strides(b.dims);
      for (let i = 0; i < size; i++) {
        const x = a.data[broadcastIndex(i, dims, a.dims, as)], y = b.data[broadcastIndex(i, dims, b.dims, bs)];
        let v: number;
        switch (n.opType) {
          case 'Add': v = x + y; break;
          case 'Sub': v = x - y; break;
          case 'Mul': v = x * y; break;
          case 'Div': v = float ? x / y : (y === 0 ? refuse('integer division by zero') : Math.trunc(x / y)); break;
          case 'Pow': v = x ** y; break;
          default: v = Number(x === y);
        }
        out[i] = v;
      }
      c.setOut({ kind: 'const', dims, data: out, float: n.opType === 'Equal' ? false : float });
      return;
    }
    case 'Sqrt': case 'Neg': case 'Floor': case 'Ceil': case 'Reciprocal': {
      const x = at(0);
      const f = { Sqrt: Math.sqrt, Neg: (v: number) => -v, Floor: Math.floor, Ceil: Math.ceil, Reciprocal: (v: number) => 1 / v }[n.opType]!;
      c.setOut({ kind: 'const', dims: x.dims, data: x.float ? Float32Array.from(x.data, f) : Array.from(x.data, f), float: x.float });
      return;
    }
    case 'Where': {
      const cond = at(0), a = at(1), b = at(2);
      const dims = broadcastDims(broadcastDims(cond.dims, a.dims) ?? refuse('shapes do not broadcast'), b.dims) ?? refuse('shapes do not broadcast');
      const size = prod(dims);
      if (size > cap) refuse(`folding would make a constant of ${size} elements`);
      const out = new Array<number>(size);
      const cs = strides(cond.dims), as = strides(a.dims), bs = strides(b.dims);
      for (let i = 0; i < size; i++) {
        out[i] = cond.data[broadcastIndex(i, dims, cond.dims, cs)] ? a.data[broadcastIndex(i, dims, a.dims, as)] : b.data[broadcastIndex(i, dims, b.dims, bs)];
      }
      c.setOut({ kind: 'const', dims, data: out, float: a.float || b.float });
      return;
    }
    case 'ConstantOfShape': {
      const dims = ints(at(0));
      if (dims.some((d) => d < 0)) refuse(`negative dimension in ${shapeStr(dims)}`);
      const t = attrs.tensor('value');
      let value = 0, float = true;
      if (t) {
        const float_ = t.dataType === DT.FLOAT || t.dataType === DT.DOUBLE || t.dataType === DT.FLOAT16;
        const d = float_ ? tensorFloats(t) : tensorNumbers(t);
        if (!d || d.length !== 1) refuse('value must be a one-element tensor');
        value = d[0];
        float = float_;
      }
      const size = prod(dims);
      if (size > cap) refuse(`folding would make a constant of ${size} elements`);
      c.setOut({ kind: 'const', dims, data: new Array<number>(size).fill(value), float });
      return;
    }
    case 'Gather': {
      const data = at(0), idx = at(1);
      const axis = axisOf(attrs.int('axis', 0), data.dims.length);
      const ix = ints(idx).map((i) => {
        const j = i < 0 ? i + data.dims[axis] : i;
        if (j < 0 || j >= data.dims[axis]) refuse(`index ${i} is outside axis ${axis} of size ${data.dims[axis]}`);
        return j;
      });
      const outer = prod(data.dims.slice(0, axis)), inner = prod(data.dims.slice(axis + 1));
      const dims = [...data.dims.slice(0, axis), ...idx.dims, ...data.dims.slice(axis + 1)];
      const out = mkConst(dims, new Array<number>(prod(dims)), data.float, cap);
      const o = out.data as number[];
      let k = 0;
      for (let a = 0; a < outer; a++) for (const j of ix) for (let b = 0; b < inner; b++) o[k++] = data.data[(a * data.dims[axis] + j) * inner + b];
      c.setOut(out);
      return;
    }
    case 'Unsqueeze': case 'Squeeze': {
      const x = at(0);
      const axes = opset >= 13 ? (ins[1] ? ints(ins[1]) : undefined) : attrs.ints('axes');
      const dims = n.opType === 'Unsqueeze' ? unsqueezeDims(x.dims, axes) : squeezeDims(x.dims, axes);
      c.setOut({ kind: 'const', dims, data: x.data, float: x.float });
      return;
    }
    case 'Reshape': {
      const x = at(0);
      const dims = reshapeDims(x.dims, ints(at(1)), attrs.int('allowzero', 0));
      c.setOut({ kind: 'const', dims, data: x.data, float: x.float });
      return;
    }
    case 'Flatten': {
      const x = at(0);
      const axis = axisOf(attrs.int('axis', 1), x.dims.length + 1);
      c.setOut({ kind: 'const', dims: [prod(x.dims.slice(0, axis)), prod(x.dims.slice(axis))], data: x.data, float: x.float });
      return;
    }
    case 'Concat': {
      const parts = ins.map((v, k) => v ?? at(k));
      const rank = parts[0].dims.length;
      const axis = axisOf(attrs.int('axis', 0), rank);
      for (const p of parts) if (p.dims.length !== rank || p.dims.some((d, i) => i !== axis && d !== parts[0].dims[i])) refuse('inputs differ off the concatenation axis');
      const dims = parts[0].dims.slice();
      dims[axis] = parts.reduce((s, p) => s + p.dims[axis], 0);
      const outer = prod(dims.slice(0, axis));
      const out = mkConst(dims, new Array<number>(prod(dims)), parts.some((p) => p.float), cap);
      const o = out.data as number[];
      let k = 0;
      for (let a = 0; a < outer; a++) {
        for (const p of parts) {
          const len = prod(p.dims.slice(axis));
          for (let b = 0; b < len; b++) o[k++] = p.data[a * len + b];
        }
      }
      c.setOut(out);
      return;
    }
    case 'Slice': {
      const x = at(0);
      let starts: number[], ends: number[], axes: number[] | undefined, stepsV: number[] | undefined;
      if (opset >= 10) {
        starts = ints(at(1)); ends = ints(at(2));
        axes = ins[3] ? ints(ins[3]) : undefined;
        stepsV = ins[4] ? ints(ins[4]) : undefined;
      } else {
        starts = attrs.ints('starts') ?? refuse('starts is missing');
        ends = attrs.ints('ends') ?? refuse('ends is missing');
        axes = attrs.ints('axes');
      }
      const r = x.dims.length;
      const ax = (axes ?? starts.map((_, i) => i)).map((a) => axisOf(a, r));
      const lo = x.dims.map(() => 0), step = x.dims.map(() => 1), count = x.dims.slice();
      ax.forEach((a, i) => {
        const d = x.dims[a], s = stepsV?.[i] ?? 1;
        if (s === 0) refuse('a step of 0');
        const clamp = (v: number, min: number, max: number): number => Math.min(Math.max(v < 0 ? v + d : v, min), max);
        const b = s > 0 ? clamp(starts[i], 0, d) : clamp(starts[i], 0, d - 1);
        const e = s > 0 ? clamp(ends[i], 0, d) : clamp(ends[i], -1, d - 1);
        lo[a] = b; step[a] = s;
        count[a] = Math.max(0, Math.ceil((e - b) / s));
      });
      const out = mkConst(count, new Array<number>(prod(count)), x.float, cap);
      const xs = strides(x.dims), o = out.data as number[];
      for (let i = 0; i < o.length; i++) {
        let src = 0;
        for (let a = r - 1, rem = i; a >= 0; a--) {
          const k = rem % count[a];
          rem = Math.floor(rem / count[a]);
          src += (lo[a] + k * step[a]) * xs[a];
        }
        o[i] = x.data[src];
      }
      c.setOut(out);
      return;
    }
    case 'Transpose': {
      const x = at(0);
      const r = x.dims.length;
      const perm = attrs.ints('perm') ?? x.dims.map((_, i) => r - 1 - i);
      if (perm.length !== r || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) refuse(`perm [${perm.join(', ')}] is not a permutation of ${r} axes`);
      const dims = perm.map((p) => x.dims[p]);
      const xs = strides(x.dims);
      const o = new Array<number>(x.data.length);
      for (let i = 0; i < o.length; i++) {
        let src = 0;
        for (let a = r - 1, rem = i; a >= 0; a--) {
          const k = rem % dims[a];
          rem = Math.floor(rem / dims[a]);
          src += k * xs[perm[a]];
        }
        o[i] = x.data[src];
      }
      c.setOut({ kind: 'const', dims, data: x.float ? Float32Array.from(o) : o, float: x.float });
      return;
    }
    case 'Range': {
      const [s, l, d] = [at(0).data[0], at(1).data[0], at(2).data[0]];
      const size = Math.max(Math.ceil((l - s) / d), 0);
      if (!Number.isFinite(size) || size > cap) refuse(`range of ${size} elements`);
      c.setOut({ kind: 'const', dims: [size], data: Array.from({ length: size }, (_, i) => s + i * d), float: at(0).float });
      return;
    }
    default:
      // Anything else with constant inputs is a layer (e.g. Relu of a constant): refuse plainly.
      refuse(`operator ${n.opType} is not supported`);
  }
}

function unsqueezeDims(dims: number[], axes: number[] | undefined): number[] {
  if (!axes) refuse('axes are missing');
  const r = dims.length + axes.length;
  const set = new Set(axes.map((a) => (a < 0 ? a + r : a)));
  if ([...set].some((a) => a < 0 || a >= r) || set.size !== axes.length) refuse(`axes [${axes.join(', ')}] are invalid for rank ${r}`);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(set.has(i) ? 1 : dims[k++]);
  return out;
}

function squeezeDims(dims: number[], axes: number[] | undefined): number[] {
  const r = dims.length;
  const set = new Set((axes ?? dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => (a < 0 ? a + r : a)));
  for (const a of set) if (a < 0 || a >= r || dims[a] !== 1) refuse(`cannot squeeze axis ${a} of ${shapeStr(dims)}`);
  return dims.filter((_, i) => !set.has(i));
}

function reshapeDims(from: number[], target: number[], allowzero: number): number[] {
  const size = prod(from);
  const dims = target.map((d, i) => {
    if (d === 0 && !allowzero) {
      if (i >= from.length) refuse(`shape ${shapeStr(target)} copies dimension ${i}, which the input ${shapeStr(from)} lacks`);
      return from[i];
    }
    return d;
  });
  const free = dims.filter((d) => d === -1).length;
  if (free > 1 || dims.some((d) => d < -1)) refuse(`bad target shape ${shapeStr(target)}`);
  const known = prod(dims.filter((d) => d !== -1));
  if (free) {
    if (known === 0 || size % known !== 0) refuse(`cannot reshape ${shapeStr(from)} to ${shapeStr(target)}`);
    dims[dims.indexOf(-1)] = size / known;
  } else if (known !== size) refuse(`cannot reshape ${shapeStr(from)} (${size} elements) to ${shapeStr(target)}`);
  return dims;
}

// ---------------------------------------------------------------------------------------------
// The Erf form of GELU PyTorch 1.13 writes: 0.5 · x · (1 + erf(x / √2)).

interface GeluMatch { x: string; parts: OnnxNode[] }

function findGelu(nodes: OnnxNode[], uses: Map<string, number>, producer: Map<string, OnnxNode>, lookup: (name: string) => Val | undefined): Map<OnnxNode, GeluMatch> {
  const out = new Map<OnnxNode, GeluMatch>();
  const scalar = (name: string, want: number): boolean => {
    let v = lookup(name);
    if (!v) {
      const p = producer.get(name);
      if (p?.opType === 'Constant') {
        const t = p.attributes.find((a) => a.name === 'value')?.t;
        const d = t ? tensorFloats(t) : null;
        if (d && d.length === 1) v = { kind: 'const', dims: [], data: d, float: true };
      }
    }
    return v?.kind === 'const' && v.data.length === 1 && Math.abs(v.data[0] - want) <= 1e-6 * Math.abs(want);
  };
  const other = (n: OnnxNode, name: string): string | undefined => (n.inputs[0] === name ? n.inputs[1] : n.inputs[1] === name ? n.inputs[0] : undefined);
  const onlyConsumer = (name: string): OnnxNode | undefined => {
    if (uses.get(name) !== 1) return undefined;
    return nodes.find((m) => m.inputs.includes(name));
  };
  for (const erf of nodes) {
    if (erf.opType !== 'Erf') continue;
    const d = producer.get(erf.inputs[0]);
    if (!d || uses.get(erf.inputs[0]) !== 1) continue;
    const x = d.inputs[0];
    if (!((d.opType === 'Div' && scalar(d.inputs[1], Math.SQRT2)) || (d.opType === 'Mul' && scalar(d.inputs[1], Math.SQRT1_2)))) continue;
    const a = onlyConsumer(erf.outputs[0]);
    if (!a || a.opType !== 'Add' || !scalar(other(a, erf.outputs[0]) ?? '', 1)) continue;
    const m1 = onlyConsumer(a.outputs[0]);
    if (!m1 || m1.opType !== 'Mul') continue;
    if (other(m1, a.outputs[0]) === x) {
      // torch: Mul(x, 1 + erf) then Mul(·, 0.5)
      const m2 = onlyConsumer(m1.outputs[0]);
      if (!m2 || m2.opType !== 'Mul' || !scalar(other(m2, m1.outputs[0]) ?? '', 0.5)) continue;
      out.set(m2, { x, parts: [d, erf, a, m1] });
    } else {
      // tf2onnx: Mul(Mul(x, 0.5), 1 + erf)
      const half = producer.get(other(m1, a.outputs[0]) ?? '');
      if (!half || half.opType !== 'Mul' || other(half, x) === undefined || !scalar(other(half, x)!, 0.5) || uses.get(half.outputs[0]) !== 1) continue;
      out.set(m1, { x, parts: [d, erf, a, half] });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Layers: at least one input computed from the graph input

function layerName(weight: Const | undefined): string {
  const w = weight?.init;
  if (w && /\.weight$/.test(w) && /^[A-Za-z0-9_.]+$/.test(w)) return w.slice(0, -'.weight'.length);
  if (w && /^[A-Za-z0-9_]+$/.test(w)) return w;
  return '';
}

function layer(c: Ctx): void {
  const { n, attrs, opset } = c;
  const simple = (label: string, make: () => Module): void => {
    const x = c.materialise(dynIn(c, 0));
    const v = c.emit({ op: 'layer', inputs: [x.v], node: n.name, layer: { label, make } });
    c.setOut({ kind: 'dyn', shape: x.shape, v });
  };
  if (c.gelu.has(n)) return geluLayer(c, dynIn(c, 0));
  switch (n.opType) {
    case 'Identity': c.setOut(dynIn(c, 0)); return;
    case 'Cast': {
      if (attrs.int('to', 0) !== DT.FLOAT) refuse(`attribute 'to' = ${DT_NAMES[attrs.int('to', 0)] ?? attrs.int('to', 0)}: only casts to FLOAT are supported on computed values`);
      c.setOut(dynIn(c, 0));
      return;
    }
    case 'Dropout': {
      if (n.outputs.length > 1 && n.outputs[1] && c.uses(n.outputs[1]) > 0) refuse('the mask output is not supported');
      let p = 0.5;
      if (opset < 12) p = attrs.float('ratio', 0.5);
      else if (c.ins[1]) p = constIn(c, 1, 'ratio').data[0];
      if (opset < 7) attrs.int('is_test', 0);
      if (c.ins[2]) {
        const t = constIn(c, 2, 'training_mode');
        if (t.data[0]) refuse('training_mode = true is not supported');
      }
      attrs.int('seed', 0);
      simple('Dropout', () => new Dropout(p));
      return;
    }
    case 'Relu': simple('ReLU', () => new ReLU()); return;
    case 'Sigmoid': simple('Sigmoid', () => new Sigmoid()); return;
    case 'Tanh': simple('Tanh', () => new Tanh()); return;
    case 'LeakyRelu': { const a = attrs.float('alpha', 0.01); simple('LeakyReLU', () => new LeakyReLU(a)); return; }
    case 'Elu': { const a = attrs.float('alpha', 1); simple('ELU', () => new ELU(a)); return; }
    case 'Softmax': case 'LogSoftmax': {
      const x = dynIn(c, 0);
      const axis = attrs.int('axis', opset >= 13 ? -1 : 1);
      if (x.shape.length !== 2 || (axis !== 1 && axis !== -1)) refuse(`${n.opType} over axis ${axis} of a ${x.shape.length}-D value: only the last axis of [batch, classes] is supported`);
      if (n.opType === 'Softmax') simple('Softmax', () => new Softmax());
      else simple('LogSoftmax', () => new LogSoftmax());
      return;
    }
    case 'BatchNormalization': return batchNorm(c);
    case 'Clip': return clip(c);
    case 'Flatten': {
      const x = c.materialise(dynIn(c, 0));
      const axis = attrs.int('axis', 1);
      const r = x.shape.length;
      const a = axis < 0 ? axis + r : axis;
      if (a < 0 || a > r) refuse(`attribute 'axis' = ${axis} is outside rank ${r}`);
      const to = [prod(x.shape.slice(0, a)), prod(x.shape.slice(a))];
      if (a === 1) {
        const v = c.emit({ op: 'layer', inputs: [x.v], node: n.name, layer: { label: 'Flatten', make: () => new Flatten() } });
        c.setOut({ kind: 'dyn', shape: to, v });
      } else reshapeLike(c, x, to);
      return;
    }
    case 'Reshape': {
      const x = c.materialise(dynIn(c, 0));
      const shape = ints(constIn(c, 1, 'shape'));
      reshapeLike(c, x, reshapeDims(x.shape, shape, attrs.int('allowzero', 0)));
      return;
    }
    case 'Squeeze': case 'Unsqueeze': {
      const x = c.materialise(dynIn(c, 0));
      const axes = opset >= 13 ? (c.ins[1] ? ints(constIn(c, 1, 'axes')) : undefined) : attrs.ints('axes');
      reshapeLike(c, x, n.opType === 'Unsqueeze' ? unsqueezeDims(x.shape, axes) : squeezeDims(x.shape, axes));
      return;
    }
    case 'Shape': {
      const x = c.ins[0];
      if (!x || x.kind === 'bad') return refuse('input 0 is missing');
      const full = x.kind === 'const' ? x.dims : x.shape;
      const r = full.length;
      const norm = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const s = norm(attrs.int('start', 0)), e = norm(attrs.int('end', r));
      const dims = full.slice(s, Math.max(s, e));
      c.setOut({ kind: 'const', dims: [dims.length], data: dims, float: false });
      return;
    }
    case 'Gemm': return gemm(c);
    case 'MatMul': return matmul(c);
    case 'Conv': return conv(c);
    case 'MaxPool': case 'AveragePool': return pool(c);
    case 'GlobalAveragePool': {
      const x = c.materialise(dynIn(c, 0));
      if (x.shape.length !== 4) refuse(`input is ${x.shape.length}-D; only NCHW (4-D) is supported`);
      const [, ch, h, w] = x.shape;
      if (h < 1 || w < 1) refuse(`input ${shapeStr(x.shape)} is empty`);
      const v = c.emit({ op: 'layer', inputs: [x.v], node: n.name, layer: { label: 'GlobalAvgPool2d', make: () => new GlobalAvgPool2d() } });
      c.setOut({ kind: 'dyn', shape: [x.shape[0], ch, 1, 1], v });
      return;
    }
    case 'Pad': return pad(c);
    case 'Add': case 'Sub': case 'Mul': case 'Div': return binary(c);
    case 'Concat': {
      const xs = c.ins.map((v, k) => {
        if (!v || v.kind !== 'dyn') refuse(`input ${k} is a constant: only values computed from the graph input can be concatenated`);
        return c.materialise(v);
      });
      const r = xs[0].shape.length;
      const axis0 = attrs.int('axis', opset >= 4 ? Number.NaN : 1);
      if (Number.isNaN(axis0)) refuse("attribute 'axis' is missing");
      const axis = axis0 < 0 ? axis0 + r : axis0;
      if (axis < 1 || axis >= r) refuse(`attribute 'axis' = ${axis0}: only non-batch axes of a ${r}-D value are supported`);
      for (const x of xs) if (x.shape.length !== r || x.shape.some((d, i) => i !== axis && d !== xs[0].shape[i])) refuse(`inputs ${xs.map((t) => shapeStr(t.shape)).join(', ')} differ off axis ${axis}`);
      const shape = xs[0].shape.slice();
      shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
      const v = c.emit({ op: 'concat', inputs: xs.map((x) => x.v), node: n.name, axis });
      c.setOut({ kind: 'dyn', shape, v });
      return;
    }
    default:
      return refuse(`operator ${n.opType} is not supported`);
  }
}

/** A shape change that keeps the batch axis first: a Reshape layer whose target is written once both plans are known. */
function reshapeLike(c: Ctx, x: Dyn, to: number[]): void {
  if (to[0] !== x.shape[0]) refuse(`changes the batch axis (${shapeStr(x.shape)} → ${shapeStr(to)}); only shapes that keep the batch first are supported`);
  const v = c.emit({ op: 'layer', inputs: [x.v], node: c.n.name, reshape: { from: x.shape, to }, layer: { label: 'Reshape', make: () => new Reshape([0, ...to.slice(1)]) } });
  c.setOut({ kind: 'dyn', shape: to, v });
}

function geluLayer(c: Ctx, x: Dyn): void {
  const v = c.emit({ op: 'layer', inputs: [c.materialise(x).v], node: c.n.name, layer: { label: 'GELU', make: () => new GELU() } });
  c.setOut({ kind: 'dyn', shape: x.shape, v });
}

function batchNorm(c: Ctx): void {
  const { attrs, n } = c;
  const x = c.materialise(dynIn(c, 0));
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((k) => constIn(c, k, ['', 'scale', 'B', 'input_mean', 'input_var'][k]));
  const eps = attrs.float('epsilon', 1e-5);
  const momentum = attrs.float('momentum', 0.9);
  if (attrs.int('training_mode', 0)) refuse("attribute 'training_mode' = 1: only inference-mode BatchNormalization is supported");
  if (n.outputs.slice(1).some((o) => o && c.uses(o) > 0)) refuse('the running-statistics outputs (training mode) are not supported');
  const r = x.shape.length;
  if (r !== 4 && r !== 2 && r !== 3) refuse(`input is ${r}-D; BatchNorm takes [batch, C] or [batch, C, L] (BatchNorm1d) or NCHW (BatchNorm2d)`);
  const ch = x.shape[1];
  for (const [what, t] of [['scale', scale], ['B', bias], ['input_mean', mean], ['input_var', variance]] as const) {
    if (prod(t.dims) !== ch) refuse(`${what} ${shapeStr(t.dims)} does not match ${ch} channels`);
  }
  if (!(eps > 0)) refuse(`attribute 'epsilon' = ${eps} must be positive`);
  // ONNX keeps momentum × the running value; PyTorch's momentum weighs the new batch.
  const m = Math.round((1 - momentum) * 1e6) / 1e6;
  if (!(m >= 0 && m <= 1)) refuse(`attribute 'momentum' = ${momentum} is outside [0, 1]`);
  const opts = { eps: Math.fround(eps) === eps ? eps : eps, momentum: m };
  const weights: Array<[string, ArrayLike<number>]> = [['weight', scale.data], ['bias', bias.data], ['running_mean', mean.data], ['running_var', variance.data]];
  const v = c.emit({
    op: 'layer', inputs: [x.v], node: n.name, name: layerName(scale),
    layer: { label: r === 4 ? 'BatchNorm2d' : 'BatchNorm1d', make: () => (r === 4 ? new BatchNorm2d(ch, opts) : new BatchNorm1d(ch, opts)), weights },
  });
  c.setOut({ kind: 'dyn', shape: x.shape, v });
}

function clip(c: Ctx): void {
  const { attrs, opset } = c;
  let lo = -Infinity, hi = Infinity;
  if (opset < 11) {
    lo = attrs.float('min', -Infinity);
    hi = attrs.float('max', Infinity);
  } else {
    const a = constOpt(c, 1, 'min'), b = constOpt(c, 2, 'max');
    if (a) { if (a.data.length !== 1) refuse('min must be a scalar'); lo = a.data[0]; }
    if (b) { if (b.data.length !== 1) refuse('max must be a scalar'); hi = b.data[0]; }
  }
  const x = c.materialise(dynIn(c, 0));
  let label: string, make: () => Module;
  if (lo === 0 && hi === 6) { label = 'ReLU6'; make = () => new ReLU6(); }
  else if (lo === 0 && hi === Infinity) { label = 'ReLU'; make = () => new ReLU(); }
  else if (lo < hi) {
    // A one-sided clip (torch.onnx writes ReLU6 at opset 9 as Relu then Clip(max = 6)): the open
    // side at the largest float, which no finite input passes.
    const a = Math.max(lo, LOWEST), b = Math.min(hi, -LOWEST);
    label = 'Hardtanh'; make = () => new Hardtanh(a, b);
  } else return refuse(`bounds [${lo}, ${hi}]: min must be below max`);
  const v = c.emit({ op: 'layer', inputs: [x.v], node: c.n.name, layer: { label, make } });
  c.setOut({ kind: 'dyn', shape: x.shape, v });
}

function denseLayer(c: Ctx, x: Dyn, w: Float32Array, out: number, inF: number, bias: Float32Array | null, weight: Const): void {
  if (x.shape.length !== 2) refuse(`input is ${x.shape.length}-D ${shapeStr(x.shape)}; Dense takes [batch, features]`);
  if (x.shape[1] !== inF) refuse(`input has ${x.shape[1]} features, the weight expects ${inF}`);
  const weights: Array<[string, ArrayLike<number>]> = [['weight', w]];
  if (bias) weights.push(['bias', bias]);
  const v = c.emit({
    op: 'layer', inputs: [x.v], node: c.n.name, name: layerName(weight),
    layer: { label: 'Dense', make: () => new Dense(inF, out, { bias: bias !== null, init: 'zeros' }), weights },
  });
  c.setOut({ kind: 'dyn', shape: [x.shape[0], out], v });
}

/** [rows, cols] → [cols, rows]. */
function transpose2(d: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = d[i * cols + j];
  return out;
}

/** A bias that broadcasts to [out]: a scalar, [out] or [1, out]. */
function biasVector(b: Const, out: number, scale: number): Float32Array {
  const size = prod(b.dims);
  if (!(size === 1 || (size === out && b.dims[b.dims.length - 1] === out))) refuse(`bias ${shapeStr(b.dims)} does not broadcast to [${out}]`);
  const v = new Float32Array(out);
  for (let i = 0; i < out; i++) v[i] = scale * b.data[size === 1 ? 0 : i];
  return v;
}

function gemm(c: Ctx): void {
  const { attrs } = c;
  const x = c.materialise(dynIn(c, 0));
  const b = constIn(c, 1, 'B');
  const bias = constOpt(c, 2, 'C');
  const alpha = attrs.float('alpha', 1), beta = attrs.float('beta', 1);
  const transA = attrs.int('transA', 0), transB = attrs.int('transB', 0);
  if (transA) refuse("attribute 'transA' = 1 is not supported (the input must be [batch, features])");
  if (c.opset < 7) attrs.int('broadcast', 0);
  if (b.dims.length !== 2) refuse(`B is ${shapeStr(b.dims)}, expected 2-D`);
  const [r, k] = b.dims;
  const [out, inF] = transB ? [r, k] : [k, r];
  let w = transB ? Float32Array.from(b.data) : transpose2(b.data, r, k);
  if (alpha !== 1) w = w.map((v) => v * alpha);
  denseLayer(c, x, w, out, inF, bias ? biasVector(bias, out, beta) : null, b);
}

function matmul(c: Ctx): void {
  const { n } = c;
  const x = c.ins[0], w = c.ins[1];
  if (!x || !w || x.kind !== 'dyn' || w.kind !== 'const') refuse('only MatMul(computed value, constant matrix) is supported');
  if (w.dims.length !== 2) refuse(`the constant is ${shapeStr(w.dims)}, expected 2-D`);
  const [inF, out] = w.dims;
  // MatMul followed only by Add of a [out] constant: one Dense with a bias.
  let bias: Float32Array | null = null;
  const next = c.uses(n.outputs[0]) === 1 ? c.consumers(n.outputs[0])[0] : undefined;
  if (next && next.opType === 'Add' && next.domain === '') {
    const otherName = next.inputs[0] === n.outputs[0] ? next.inputs[1] : next.inputs[0];
    const o = c.env.get(otherName);
    if (o?.kind === 'const' && prod(o.dims) === out && o.dims[o.dims.length - 1] === out && !c.gelu.has(next)) {
      bias = biasVector(o, out, 1);
      c.fusedAdd.add(next);
    }
  }
  denseLayer(c, c.materialise(x), transpose2(w.data, inF, out), out, inF, bias, w);
  if (bias) {
    // The Add's output is this Dense's output.
    const y = c.env.get(n.outputs[0])!;
    c.env.set(next!.outputs[0], y);
  }
}

/** ONNX pads [begins..., ends...] for two spatial axes → [top, left, bottom, right]. */
function spatialPads(c: Ctx, x: Dyn, k: number[], s: number[], d: number[]): [number, number, number, number] {
  const { attrs } = c;
  const auto = attrs.string('auto_pad', 'NOTSET');
  const pads = attrs.ints('pads');
  if (auto === 'NOTSET') {
    const p = pads ?? [0, 0, 0, 0];
    if (p.length !== 4 || p.some((v) => v < 0)) refuse(`attribute 'pads' = [${p.join(', ')}]: expected four non-negative values`);
    return [p[0], p[1], p[2], p[3]];
  }
  if (auto === 'VALID') return [0, 0, 0, 0];
  if (auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') refuse(`attribute 'auto_pad' = '${auto}' is not supported`);
  const out: number[] = [];
  for (let a = 0; a < 2; a++) {
    const inS = x.shape[2 + a];
    const total = Math.max((Math.ceil(inS / s[a]) - 1) * s[a] + (k[a] - 1) * d[a] + 1 - inS, 0);
    const small = Math.floor(total / 2), big = total - small;
    out.push(auto === 'SAME_UPPER' ? small : big, auto === 'SAME_UPPER' ? big : small);
  }
  return [out[0], out[2], out[1], out[3]];
}

function pair2(c: Ctx, name: string, fallback: number): [number, number] {
  const v = c.attrs.ints(name);
  if (v === undefined) return [fallback, fallback];
  if (v.length !== 2 || v.some((e) => !Number.isInteger(e) || e < 1)) refuse(`attribute '${name}' = [${v.join(', ')}]: expected two positive values (2-D only)`);
  return [v[0], v[1]];
}

/** Takes over a pending zero Pad on `x` when `accept(total pads)` says the consumer can absorb it. */
function absorbPad(c: Ctx, x: Dyn, pads: [number, number, number, number], accept: (p: [number, number, number, number]) => boolean): { x: Dyn; pads: [number, number, number, number] } {
  if (x.pad && x.pad.value === 0 && c.uses(c.n.inputs[0]) === 1) {
    const [l, r, t, b] = x.pad.pads;
    const total: [number, number, number, number] = [pads[0] + t, pads[1] + l, pads[2] + b, pads[3] + r];
    if (accept(total)) return { x: x.pad.src, pads: total };
  }
  return { x: c.materialise(x), pads };
}

function conv(c: Ctx): void {
  const { attrs } = c;
  const x0 = dynIn(c, 0);
  const w = constIn(c, 1, 'W');
  const b = constOpt(c, 2, 'B');
  if (x0.shape.length !== 4 || w.dims.length !== 4) refuse(`input ${shapeStr(x0.shape)} and weight ${shapeStr(w.dims)}: only 2-D convolution (NCHW) is supported`);
  const group = attrs.int('group', 1);
  const [outC, inPer, kh, kw] = w.dims;
  const ks = attrs.ints('kernel_shape');
  if (ks && (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw)) refuse(`attribute 'kernel_shape' = [${ks.join(', ')}] disagrees with the weight ${shapeStr(w.dims)}`);
  const stride = pair2(c, 'strides', 1), dilation = pair2(c, 'dilations', 1);
  const inC = x0.shape[1];
  if (group < 1 || outC % group !== 0) refuse(`attribute 'group' = ${group} does not divide the ${outC} output channels`);
  if (inC !== inPer * group) refuse(`input has ${inC} channels, the weight ${shapeStr(w.dims)} with group ${group} expects ${inPer * group}`);
  const sym = (p: number[]): boolean => p[0] === p[2] && p[1] === p[3];
  const { x, pads } = absorbPad(c, x0, spatialPads(c, x0, [kh, kw], stride, dilation), sym);
  let src = x;
  let padding: [number, number] = [pads[0], pads[1]];
  if (!sym(pads)) {
    // Asymmetric: the symmetric part in the convolution, the rest as an explicit zero pad.
    const ph = Math.min(pads[0], pads[2]), pw = Math.min(pads[1], pads[3]);
    const extra: [number, number, number, number] = [pads[1] - pw, pads[3] - pw, pads[0] - ph, pads[2] - ph];
    const v = c.emit({ op: 'layer', inputs: [x.v], node: c.n.name, layer: { label: 'ConstantPad2d', make: () => new ConstantPad2d(extra, 0) } });
    src = { kind: 'dyn', shape: [x.shape[0], x.shape[1], x.shape[2] + extra[2] + extra[3], x.shape[3] + extra[0] + extra[1]], v };
    padding = [ph, pw];
  }
  const outH = Math.floor((src.shape[2] + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
  const outW = Math.floor((src.shape[3] + 2 * padding[1] - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
  if (outH < 1 || outW < 1) refuse(`kernel ${kh}×${kw} does not fit the ${src.shape[2]}×${src.shape[3]} input`);
  const weights: Array<[string, ArrayLike<number>]> = [['weight', w.data]];
  if (b) {
    if (prod(b.dims) !== outC) refuse(`bias ${shapeStr(b.dims)} does not match ${outC} output channels`);
    weights.push(['bias', b.data]);
  }
  const opts = { stride, padding, dilation, groups: group, bias: b !== undefined, init: 'zeros' as const };
  const v = c.emit({
    op: 'layer', inputs: [src.v], node: c.n.name, name: layerName(w),
    layer: { label: 'Conv2d', make: () => new Conv2d(inC, outC, [kh, kw], opts), weights },
  });
  c.setOut({ kind: 'dyn', shape: [x.shape[0], outC, outH, outW], v });
}

function pool(c: Ctx): void {
  const { attrs, n } = c;
  const max = n.opType === 'MaxPool';
  const x0 = dynIn(c, 0);
  if (x0.shape.length !== 4) refuse(`input is ${x0.shape.length}-D; only NCHW (4-D) is supported`);
  if (max && n.outputs.length > 1 && n.outputs[1]) refuse('the Indices output is not supported');
  const k = c.attrs.ints('kernel_shape');
  if (!k || k.length !== 2 || k.some((v) => v < 1)) refuse(`attribute 'kernel_shape' must be two positive values (2-D pooling)`);
  const kk: [number, number] = [k[0], k[1]];
  const stride = pair2(c, 'strides', 1);
  const dilation = max ? pair2(c, 'dilations', 1) : [1, 1];
  if (dilation[0] !== 1 || dilation[1] !== 1) refuse(`attribute 'dilations' = [${dilation.join(', ')}] is not supported`);
  if (max) { const so = attrs.int('storage_order', 0); void so; }
  const ceil = attrs.int('ceil_mode', 0) === 1;
  const include = max ? true : attrs.int('count_include_pad', 0) === 1;
  const fits = (p: number[]): boolean => p[0] === p[2] && p[1] === p[3] && 2 * p[0] <= kk[0] && 2 * p[1] <= kk[1];
  // A zero Pad before an AveragePool: PyTorch 1.13's AvgPool2d(padding, count_include_pad=True).
  const padsAttr = spatialPads(c, x0, kk, stride, [1, 1]);
  const { x, pads } = !max && padsAttr.every((p) => p === 0) ? absorbPad(c, x0, padsAttr, fits) : { x: c.materialise(x0), pads: padsAttr };
  const absorbed = x !== x0 && x0.pad !== undefined && x === x0.pad.src;
  let src0 = x;
  let p: [number, number] = [pads[0], pads[1]];
  if (!fits(pads)) {
    // Unequal (or more than half-kernel) pads, as torch.onnx writes ceil_mode at opset 9: for max
    // pooling the part beyond PyTorch's symmetric padding becomes an explicit pad with the lowest
    // float, which never wins a window.
    if (!max) refuse(`attribute 'pads' = [${pads.join(', ')}]: padding must be equal on both sides and at most half the kernel`);
    p = [Math.min(pads[0], pads[2], Math.floor(kk[0] / 2)), Math.min(pads[1], pads[3], Math.floor(kk[1] / 2))];
    const e: [number, number, number, number] = [pads[1] - p[1], pads[3] - p[1], pads[0] - p[0], pads[2] - p[0]];
    src0 = { kind: 'dyn', shape: [x.shape[0], x.shape[1], x.shape[2] + e[2] + e[3], x.shape[3] + e[0] + e[1]], v: -1 };
    checkDynShape(src0.shape);
    src0.v = c.emit({ op: 'layer', inputs: [x.v], node: n.name, layer: { label: 'ConstantPad2d', make: () => new ConstantPad2d(e, LOWEST) } });
  }
  const H = src0.shape[2], W = src0.shape[3];
  // Output size; ceil_mode as PyTorch: the last window must start inside the input or the left padding.
  const size = (inS: number, kS: number, sS: number, pS: number): number => {
    if (!ceil) return Math.floor((inS + 2 * pS - kS) / sS) + 1;
    let o = Math.ceil((inS + 2 * pS - kS) / sS) + 1;
    if ((o - 1) * sS >= inS + pS) o--;
    return o;
  };
  const oh = size(H, kk[0], stride[0], p[0]), ow = size(W, kk[1], stride[1], p[1]);
  if (oh < 1 || ow < 1) refuse(`kernel ${kk[0]}×${kk[1]} does not fit the ${H}×${W} input`);
  // ceil_mode: extra rows/columns at the bottom/right so that floor mode gives the same windows.
  const extraH = (oh - 1) * stride[0] + kk[0] - (H + 2 * p[0]), extraW = (ow - 1) * stride[1] + kk[1] - (W + 2 * p[1]);
  let src = src0;
  checkDynShape([x.shape[0], x.shape[1], oh, ow]);
  if (extraH > 0 || extraW > 0) {
    if (!max && include) refuse("attribute 'ceil_mode' = 1 with count_include_pad = 1 is not supported");
    const e: [number, number, number, number] = [0, Math.max(extraW, 0), 0, Math.max(extraH, 0)];
    const v = c.emit({ op: 'layer', inputs: [src0.v], node: n.name, layer: { label: 'ConstantPad2d', make: () => new ConstantPad2d(e, max ? LOWEST : 0) } });
    src = { kind: 'dyn', shape: [x.shape[0], x.shape[1], H + e[3], W + e[1]], v };
  }
  const opts = { stride, padding: p };
  const make = max ? () => new MaxPool2d(kk, opts) : () => new AvgPool2d(kk, opts);
  let v = c.emit({ op: 'layer', inputs: [src.v], node: n.name, layer: { label: max ? 'MaxPool2d' : 'AvgPool2d', make } });
  const outShape = [x.shape[0], x.shape[1], oh, ow];
  const padded = p[0] > 0 || p[1] > 0 || extraH > 0 || extraW > 0;
  if (!max && !include && !absorbed && padded) {
    // count_include_pad = 0: AvgPool2d divides by the full window; multiply each output position
    // by (window size / cells inside the input), a constant [1, 1, oh, ow].
    const f = new Float32Array(oh * ow);
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const r0 = Math.max(i * stride[0] - p[0], 0), r1 = Math.min(i * stride[0] - p[0] + kk[0], H);
        const c0 = Math.max(j * stride[1] - p[1], 0), c1 = Math.min(j * stride[1] - p[1] + kk[1], W);
        f[i * ow + j] = (kk[0] * kk[1]) / ((r1 - r0) * (c1 - c0));
      }
    }
    v = c.emit({ op: 'layer', inputs: [v], node: n.name, layer: { label: 'Elementwise', make: () => new Elementwise('mul', { shape: [1, 1, oh, ow], values: f }) } });
  }
  c.setOut({ kind: 'dyn', shape: outShape, v });
}

function pad(c: Ctx): void {
  const { attrs, opset } = c;
  const x = c.materialise(dynIn(c, 0));
  const mode = attrs.string('mode', 'constant');
  if (mode !== 'constant') refuse(`attribute 'mode' = '${mode}': only constant padding is supported`);
  const pads = opset >= 11 ? ints(constIn(c, 1, 'pads')) : (attrs.ints('pads') ?? refuse("attribute 'pads' is missing"));
  const value = opset >= 11 ? (c.ins[2] ? constIn(c, 2, 'constant_value').data[0] ?? 0 : 0) : attrs.float('value', 0);
  if (opset >= 18 && c.ins[3]) refuse('the axes input is not supported');
  const r = x.shape.length;
  if (r !== 4 || pads.length !== 8) refuse(`pads [${pads.join(', ')}] on a ${r}-D value: only the last two axes of NCHW can be padded`);
  if (pads[0] || pads[1] || pads[4] || pads[5]) refuse(`pads [${pads.join(', ')}] pad the batch or channel axis`);
  if (pads.some((p) => p < 0)) refuse(`pads [${pads.join(', ')}]: negative pads (cropping) are not supported`);
  if (!Number.isFinite(value)) refuse(`constant_value ${value} is not finite`);
  const p4: [number, number, number, number] = [pads[3], pads[7], pads[2], pads[6]]; // left, right, top, bottom
  const shape = [x.shape[0], x.shape[1], x.shape[2] + p4[2] + p4[3], x.shape[3] + p4[0] + p4[1]];
  c.setOut({ kind: 'dyn', shape, v: -1, pad: { pads: p4, value, src: x, node: c.n.name } });
}

function binary(c: Ctx): void {
  const { n } = c;
  if (c.fusedAdd.has(n)) return; // the bias of the MatMul before it
  const [a, b] = c.ins;
  if (!a || !b) refuse('an input is missing');
  const op = n.opType.toLowerCase() as ElementwiseOp;
  if (a.kind === 'dyn' && b.kind === 'dyn') {
    const x = c.materialise(a), y = c.materialise(b);
    // Broadcasting between two computed values (an SE block's x · sigmoid(pool(x))), batch axes equal.
    const shape = broadcastDims(x.shape, y.shape);
    if (!shape || x.shape.length !== y.shape.length || x.shape[0] !== y.shape[0]) refuse(`shapes ${shapeStr(x.shape)} and ${shapeStr(y.shape)} do not broadcast with equal batch axes`);
    const v = c.emit({ op, inputs: [x.v, y.v], node: n.name });
    c.setOut({ kind: 'dyn', shape, v });
    return;
  }
  const reverse = a.kind === 'const';
  const x = c.materialise((reverse ? b : a) as Dyn);
  const k = (reverse ? a : b) as Const;
  if (reverse && op === 'div') refuse('constant / computed value is not supported');
  const bd = broadcastDims(x.shape, k.dims);
  if (!bd || bd.join() !== x.shape.join() || (k.dims.length === x.shape.length && k.dims[0] !== 1)) {
    refuse(`the constant ${shapeStr(k.dims)} does not broadcast over ${shapeStr(x.shape)} without growing it or touching its batch axis`);
  }
  const values = Float32Array.from(k.data);
  if (!values.every(Number.isFinite) || (op === 'div' && values.some((e) => e === 0))) refuse('the constant must be finite (and non-zero for Div)');
  const shape = k.dims.length ? k.dims.slice() : [1];
  const v = c.emit({ op: 'layer', inputs: [x.v], node: n.name, layer: { label: 'Elementwise', make: () => new Elementwise(op, { shape, values }, { reverse }) } });
  c.setOut({ kind: 'dyn', shape: x.shape, v });
}

// ---------------------------------------------------------------------------------------------

function checkModel(m: OnnxModel): { opset: number; problems: string[] } {
  const problems: string[] = [];
  const def = m.opsets.filter((o) => o.domain === '' || o.domain === 'ai.onnx');
  const opset = def.length ? def[0].version : 0;
  if (!def.length) problems.push('the model imports no default-domain opset');
  else if (opset < MIN_OPSET || opset > MAX_OPSET) problems.push(`opset ${opset} is outside the supported ${MIN_OPSET}–${MAX_OPSET}`);
  if (m.functions) problems.push(`${m.functions} model-local function(s) are not supported`);
  if (m.graph.sparseInitializers) problems.push('sparse initializers are not supported');
  return { opset, problems };
}

function sampleShape(m: OnnxModel, options: FromOnnxOptions): { sample: number[]; problems: string[] } {
  const g = m.graph;
  const problems: string[] = [];
  const inits = new Set(g.initializers.map((t) => t.name));
  const inputs = g.inputs.filter((v) => !inits.has(v.name));
  if (inputs.length !== 1) problems.push(`the graph has ${inputs.length} inputs (${inputs.map((v) => `'${v.name}'`).join(', ')}); exactly one is supported`);
  if (g.outputs.length !== 1) problems.push(`the graph has ${g.outputs.length} outputs; exactly one is supported`);
  if (inputs.length !== 1) return { sample: [], problems };
  const inp = inputs[0];
  if (inp.elemType !== DT.FLOAT) problems.push(`graph input '${inp.name}' has type ${DT_NAMES[inp.elemType] ?? inp.elemType}; only FLOAT is supported`);
  if (options.inputShape !== undefined) {
    const s = options.inputShape;
    if (!Array.isArray(s) || s.length === 0 || s.some((d) => !Number.isInteger(d) || d < 1 || d > 2 ** 30)) {
      throw new Error(`${OP}: inputShape must be the shape of one sample (positive integers, without the batch axis), got ${Array.isArray(s) ? shapeStr(s) : describeValue(s)}`);
    }
    if (inp.shape && inp.shape.length !== s.length + 1) problems.push(`options.inputShape ${shapeStr(s)} has ${s.length} axes, the graph input '${inp.name}' has ${inp.shape.length - 1} besides the batch`);
    return { sample: s.slice(), problems };
  }
  if (!inp.shape || inp.shape.length < 2) {
    problems.push(`graph input '${inp.name}' has no shape with a batch axis; pass options.inputShape`);
    return { sample: [], problems };
  }
  const sample = inp.shape.slice(1);
  if (sample.some((d) => typeof d !== 'number' || d < 1 || d > 2 ** 30)) {
    problems.push(`graph input '${inp.name}' has shape [${inp.shape.map(String).join(', ')}]: every axis but the batch must be a fixed size; pass options.inputShape`);
  }
  return { sample: sample as number[], problems };
}

/** The Reshape target for a step from the shapes seen with batch 2 (a) and batch 3 (b). */
function reshapeTarget(a: { from: number[]; to: number[] }, b: { from: number[]; to: number[] }, node: string): number[] | string {
  if (a.from[0] === b.from[0] || a.to[0] === b.to[0]) return `node '${node}' (Reshape): the batch axis does not stay first`;
  const rest = a.to.slice(1);
  for (let i = 1; i < a.to.length; i++) if (a.to[i] !== b.to[i]) return `node '${node}' (Reshape): dimension ${i} depends on the batch size`;
  return [0, ...rest];
}

/**
 * An ONNX model (the bytes of a .onnx file) as an nn.Module: an nn.Sequential when the graph is a
 * chain of layers, an nn.Graph when it branches. Weights become parameters (named after the
 * file's initializers where it names them as PyTorch does); the module trains, saves, exports
 * (toOnnx) like one built with nn. Throws one Error listing every node that cannot be imported
 * (its name, op type and the attribute at fault) before allocating anything.
 */
export function fromOnnx(bytes: Uint8Array | ArrayBuffer, options?: FromOnnxOptions): Module {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new Error(`${OP}: expected the bytes of an .onnx file (Uint8Array or ArrayBuffer), got ${describeValue(bytes)}`);
  options = checkOptions<FromOnnxOptions>(OP, options, ['inputShape']);
  const model = decodeOnnx(bytes, OP);
  const { opset, problems } = checkModel(model);
  const { sample, problems: ioProblems } = sampleShape(model, options);
  problems.push(...ioProblems);
  if (problems.length) throw listError(problems);
  const consts = new Map<OnnxTensor, ArrayLike<number>>();
  const cap = Math.max(bytes.length, 1 << 16);
  const a = plan(model, 2, sample, opset, consts, cap);
  if (a.problems.length) throw listError(a.problems);
  const b = plan(model, 3, sample, opset, consts, cap);
  if (b.problems.length || b.steps.length !== a.steps.length) throw listError(b.problems.length ? b.problems : ['the graph changes with the batch size']);
  const targets = new Map<number, number[]>();
  for (let i = 0; i < a.steps.length; i++) {
    const sa = a.steps[i], sb = b.steps[i];
    if (sa.reshape && sb.reshape) {
      const t = reshapeTarget(sa.reshape, sb.reshape, sa.node);
      if (typeof t === 'string') problems.push(t);
      else targets.set(i, t);
    }
  }
  if (problems.length) throw listError(problems);
  return build(a.steps, targets);
}

function listError(problems: string[]): Error {
  const shown = problems.slice(0, 50);
  const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
  return new Error(`${OP}: cannot import this model (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${shown.join('\n  ')}${more}`);
}

/** Phase 3: modules and weights. */
function build(steps: Step[], targets: Map<number, number[]>): Module {
  const made: Module[] = [];
  try {
    const modules = steps.map((s, i) => {
      if (!s.layer) return undefined;
      const t = targets.get(i);
      const m = t ? new Reshape(t) : s.layer.make();
      made.push(m);
      for (const [name, data] of s.layer.weights ?? []) {
        const p = (m as unknown as Record<string, { ptr: number; size: number }>)[name];
        heapF32().set(data instanceof Float32Array ? data : Float32Array.from(data), p.ptr >>> 2);
      }
      return m;
    });
    const chain = steps.every((s, i) => s.op === 'layer' && s.inputs[0] === i);
    if (chain) return new Sequential(...(modules as Module[]));
    const used = new Set<string>();
    const counts = new Map<string, number>();
    const nodes: GraphNode[] = steps.map((s, i) => {
      let name = s.name;
      if (!name || used.has(name)) {
        const base = (s.layer?.label ?? s.op).toLowerCase();
        const k = counts.get(base) ?? 0;
        counts.set(base, k + 1);
        name = `${base}_${k}`;
        while (used.has(name)) name += '_';
      }
      used.add(name);
      return { name, op: s.op, inputs: s.inputs.slice(), module: modules[i], ...(s.op === 'concat' ? { axis: s.axis } : {}) };
    });
    return new Graph(nodes);
  } catch (err) {
    for (const m of made) m.dispose();
    throw err;
  }
}
