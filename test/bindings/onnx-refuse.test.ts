// fromOnnx on hand-written ONNX graphs: what PyTorch's fixtures do not cover is checked against
// onnxruntime-node (asymmetric and auto pads, ceil_mode, count_include_pad = 0, MatMul + Add,
// shape arithmetic, merges), and what the import cannot do is refused in one Error that names every
// offending node, its op type and attribute, before anything is allocated.
import { describe, it, expect, beforeAll } from 'vitest';
import * as ort from 'onnxruntime-node';
import { init, nn, fromOnnx, tensor, tidy, noGrad, memory } from '../../bindings/index';
import { ProtoWriter, AT, DT } from '../../bindings/io/onnx-proto';
import { rng } from '../helpers/fuzz';

beforeAll(async () => { await init(); });

type AttrV = number | number[] | string | { floats: number[] } | { f: number } | { t: ProtoWriter };
type NodeSpec = [op: string, name: string, inputs: string[], outputs: string[], attrs?: Record<string, AttrV>, domain?: string];

function floatTensor(name: string, dims: number[], values: ArrayLike<number>): ProtoWriter {
  const raw = new Uint8Array(Float32Array.from(values).buffer);
  return new ProtoWriter().packedInts(1, dims).int(2, DT.FLOAT).string(8, name).bytes(9, raw);
}
function intTensor(name: string, values: number[]): ProtoWriter {
  return new ProtoWriter().packedInts(1, [values.length]).int(2, DT.INT64).packedInts(7, values).string(8, name);
}
function attr(name: string, v: AttrV): ProtoWriter {
  const a = new ProtoWriter().string(1, name);
  if (typeof v === 'number') return a.int(20, AT.INT).int(3, v);
  if (typeof v === 'string') return a.int(20, AT.STRING).string(4, v);
  if (Array.isArray(v)) return a.int(20, AT.INTS).packedInts(8, v);
  if ('floats' in v) return a.int(20, AT.FLOATS).packedFloats(7, v.floats);
  if ('f' in v) return a.int(20, AT.FLOAT).float(2, v.f);
  return a.int(20, AT.TENSOR).message(5, v.t);
}
function valueInfo(name: string, dims: Array<number | string> | null, elem: number = DT.FLOAT): ProtoWriter {
  const type = new ProtoWriter().int(1, elem);
  if (dims) {
    const shape = new ProtoWriter();
    for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
    type.message(2, shape);
  }
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, type));
}
function model(o: { nodes: NodeSpec[]; inits?: ProtoWriter[]; input: Array<number | string>; inputs?: ProtoWriter[]; opset?: number; elem?: number; functions?: number }): Uint8Array {
  const g = new ProtoWriter();
  for (const [op, name, ins, outs, attrs = {}, domain] of o.nodes) {
    const n = new ProtoWriter();
    for (const i of ins) n.string(1, i);
    for (const x of outs) n.string(2, x);
    n.string(3, name).string(4, op);
    if (domain) n.string(7, domain);
    for (const [k, v] of Object.entries(attrs)) n.message(5, attr(k, v));
    g.message(1, n);
  }
  g.string(2, 'test');
  for (const t of o.inits ?? []) g.message(5, t);
  g.message(11, valueInfo('x', o.input, o.elem));
  for (const extra of o.inputs ?? []) g.message(11, extra);
  g.message(12, valueInfo('y', null)); // shape left to inference
  const m = new ProtoWriter().int(1, 8).string(2, 'test').message(7, g).message(8, new ProtoWriter().string(1, '').int(2, o.opset ?? 13));
  for (let i = 0; i < (o.functions ?? 0); i++) m.message(25, new ProtoWriter().string(1, 'f'));
  return m.finish();
}

const random = (n: number, seed: number): Float32Array => { const r = rng(seed); return Float32Array.from({ length: n }, () => r() * 2 - 1); };

async function agree(bytes: Uint8Array, shape: number[], expectType?: unknown): Promise<void> {
  const x = random(shape.reduce((a, b) => a * b, 1), 7);
  const session = await ort.InferenceSession.create(bytes);
  const want = (await session.run({ x: new ort.Tensor('float32', x, shape) })).y;
  const m = fromOnnx(bytes);
  if (expectType) expect(m).toBeInstanceOf(expectType);
  const got = noGrad(() => tidy(() => { const y = m.eval().forward(tensor(x, shape)); return { shape: y.shape, data: y.data() }; }));
  m.dispose();
  expect(got.shape).toEqual([...want.dims]);
  const w = want.data as Float32Array;
  let err = 0, scale = 0;
  for (let i = 0; i < w.length; i++) { err = Math.max(err, Math.abs(got.data[i] - w[i])); scale = Math.max(scale, Math.abs(w[i])); }
  expect(err / scale).toBeLessThan(1e-5);
}

describe('fromOnnx against onnxruntime-node', () => {
  const W = floatTensor('conv.weight', [3, 2, 3, 3], random(54, 1));
  const B = floatTensor('conv.bias', [3], random(3, 2));
  it('Conv with asymmetric pads', () => agree(model({ input: ['N', 2, 6, 7], inits: [W, B], nodes: [['Conv', 'conv', ['x', 'conv.weight', 'conv.bias'], ['y'], { pads: [0, 1, 2, 1], kernel_shape: [3, 3] }]] }), [2, 2, 6, 7]));
  for (const auto of ['SAME_UPPER', 'SAME_LOWER']) {
    it(`Conv with auto_pad ${auto}, stride 2`, () => agree(model({ input: ['N', 2, 6, 7], inits: [W, B], nodes: [['Conv', 'conv', ['x', 'conv.weight', 'conv.bias'], ['y'], { auto_pad: auto, strides: [2, 2] }]] }), [2, 2, 6, 7]));
  }
  it('MaxPool with ceil_mode and pads; AveragePool with count_include_pad = 0, ceil_mode and pads', () => agree(model({
    input: ['N', 2, 7, 8],
    nodes: [
      ['MaxPool', 'mp', ['x'], ['a'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }],
      ['AveragePool', 'ap', ['a'], ['y'], { kernel_shape: [2, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }],
    ],
  }), [2, 2, 7, 8]));
  it('MatMul + Add (bias first), a folded Shape → Gather → Unsqueeze → Concat → Reshape, Transpose of a constant, Squeeze/Unsqueeze', () => agree(model({
    input: ['N', 2, 3],
    inits: [floatTensor('wt', [4, 6], random(24, 3)), floatTensor('b', [4], random(4, 4)), intTensor('zero', [0]), intTensor('minus1', [-1]), intTensor('ax', [1])],
    nodes: [
      ['Shape', 's', ['x'], ['s0']],
      ['Gather', 'g', ['s0', 'zero'], ['g0'], { axis: 0 }],
      ['Concat', 'c', ['g0', 'minus1'], ['target'], { axis: 0 }],
      ['Reshape', 'r', ['x', 'target'], ['flat']],
      ['Transpose', 't', ['wt'], ['w'], { perm: [1, 0] }],
      ['MatMul', 'mm', ['flat', 'w'], ['h']],
      ['Add', 'add', ['b', 'h'], ['h2']],
      ['Unsqueeze', 'u', ['h2', 'ax'], ['h3']],
      ['Squeeze', 'q', ['h3', 'ax'], ['h4']],
      ['Relu', 'relu', ['h4'], ['y']],
    ],
  }), [3, 2, 3], nn.Sequential));
  it('a branching graph (Sub of two branches, Mul, Concat on the feature axis) becomes an nn.Graph', () => agree(model({
    input: ['N', 5],
    inits: [floatTensor('fa.weight', [4, 5], random(20, 5)), floatTensor('fb.weight', [4, 5], random(20, 6))],
    nodes: [
      ['Gemm', 'fa', ['x', 'fa.weight'], ['a'], { transB: 1 }],
      ['Gemm', 'fb', ['x', 'fb.weight'], ['b'], { transB: 1, alpha: { f: 0.5 } }],
      ['Sub', 'sub', ['a', 'b'], ['d']],
      ['Sigmoid', 'sig', ['b'], ['e']],
      ['Mul', 'mul', ['d', 'e'], ['m']],
      ['Concat', 'cat', ['m', 'a'], ['y'], { axis: 1 }],
    ],
  }), [3, 5], nn.Graph));
  it('broadcasting between two computed values (a squeeze-excitation gate) and Div of two branches', () => agree(model({
    input: ['N', 3, 5, 4],
    nodes: [
      ['GlobalAveragePool', 'gap', ['x'], ['g']],
      ['Sigmoid', 'gate', ['g'], ['s']],
      ['Mul', 'scale', ['x', 's'], ['m']],
      ['Sigmoid', 'sx', ['x'], ['t']],
      ['Div', 'div', ['m', 't'], ['y']],
    ],
  }), [2, 3, 5, 4], nn.Graph));
});

describe('fromOnnx refuses, listing every offending node, before allocating', () => {
  const check = (bytes: Uint8Array, lines: RegExp[], count?: number): void => {
    const before = memory();
    let message = '';
    try { fromOnnx(bytes); } catch (err) { message = (err as Error).message; }
    expect(message).toMatch(/^fromOnnx: /);
    for (const l of lines) expect(message).toMatch(l);
    if (count !== undefined) expect(message).toMatch(new RegExp(`\\(${count} problems?\\)`));
    const after = memory();
    expect([after.tensors, after.bytes, after.wasmBytes]).toEqual([before.tensors, before.bytes, before.wasmBytes]);
  };

  it('unsupported operators, attributes and attribute values, on every path through the graph', () => check(model({
    input: ['N', 4],
    inits: [floatTensor('fc.weight', [4, 4], random(16, 1)), floatTensor('fc2.weight', [4, 4], random(16, 2))],
    nodes: [
      ['Gemm', 'fc', ['x', 'fc.weight'], ['a'], { transA: 1 }],
      ['Selu', 'selu', ['a'], ['b']],
      ['Relu', 'relu', ['b'], ['c'], { slope: 2 }],
      ['Gemm', 'fc2', ['x', 'fc2.weight'], ['d'], { transB: 1, foo: 1 }],
      ['Softmax', 'sm', ['d'], ['e'], { axis: 0 }],
      ['Add', 'add', ['c', 'e'], ['y']],
    ],
  }), [
    /node 'fc' \(Gemm\): attribute 'transA' = 1 is not supported/,
    /node 'selu' \(Selu\): operator Selu is not supported/,
    /node 'relu' \(Relu\): attribute 'slope' is not supported/,
    /node 'fc2' \(Gemm\): attribute 'foo' is not supported/,
  ], 4));

  it('a Pad mode, a MaxPool dilation, an LSTM and a custom domain', () => check(model({
    input: ['N', 2, 6, 6],
    inits: [intTensor('pads', [0, 0, 1, 1, 0, 0, 1, 1])],
    nodes: [
      ['Pad', 'pad', ['x', 'pads'], ['a'], { mode: 'reflect' }],
      ['MaxPool', 'pool', ['a'], ['b'], { kernel_shape: [2, 2], dilations: [2, 2] }],
      ['FusedConv', 'fused', ['b'], ['c'], {}, 'com.microsoft'],
      ['LSTM', 'lstm', ['c'], ['y']],
    ],
  }), [
    /node 'pad' \(Pad\): attribute 'mode' = 'reflect': only constant padding is supported/,
    /node 'fused' \(FusedConv\): operator domain 'com.microsoft' is not supported/,
    /node 'lstm' \(LSTM\): operator LSTM is not supported/,
  ]));

  it('opsets outside 9–17, two graph inputs, an integer input, model-local functions, symbolic sizes', () => {
    const relu: NodeSpec[] = [['Relu', 'r', ['x'], ['y']]];
    check(model({ input: ['N', 3], nodes: relu, opset: 18 }), [/opset 18 is outside the supported 9–17/]);
    check(model({ input: ['N', 3], nodes: relu, opset: 8 }), [/opset 8 is outside/]);
    check(model({ input: ['N', 3], nodes: relu, inputs: [valueInfo('x2', ['N', 3])] }), [/the graph has 2 inputs \('x', 'x2'\)/]);
    check(model({ input: ['N', 3], nodes: relu, elem: DT.INT64 }), [/graph input 'x' has type INT64; only FLOAT is supported/]);
    check(model({ input: ['N', 3], nodes: relu, functions: 1 }), [/1 model-local function\(s\) are not supported/]);
    check(model({ input: ['N', 'C'], nodes: relu }), [/every axis but the batch must be a fixed size; pass options.inputShape/]);
    const m = fromOnnx(model({ input: ['N', 'C'], nodes: relu }), { inputShape: [3] });
    expect(m.toJSON()).toEqual({ type: 'Sequential', layers: [{ type: 'ReLU' }] });
  });

  it('a constant that folds to more than the file can hold, and a reshape that depends on the batch', () => {
    check(model({
      input: ['N', 3],
      inits: [intTensor('big', [1 << 20, 1 << 10])],
      nodes: [['ConstantOfShape', 'cos', ['big'], ['z']], ['Add', 'add', ['x', 'z'], ['y']]],
    }), [/node 'cos' \(ConstantOfShape\): folding would make a constant of 1073741824 elements/]);
    check(model({
      input: ['N', 4],
      inits: [intTensor('shape', [-1, 2])],
      nodes: [['Reshape', 'r', ['x', 'shape'], ['y']]],
    }), [/node 'r' \(Reshape\): changes the batch axis/]);
  });

  it('bad arguments: not bytes, unknown options', () => {
    expect(() => fromOnnx('model.onnx' as unknown as Uint8Array)).toThrow(/^fromOnnx: expected the bytes of an .onnx file/);
    expect(() => fromOnnx(new Uint8Array(0), { inputshape: [3] } as never)).toThrow(/^fromOnnx: unknown option 'inputshape'; did you mean 'inputShape'\?/);
    expect(() => fromOnnx(model({ input: ['N', 3], nodes: [['Relu', 'r', ['x'], ['y']]] }), { inputShape: [0] })).toThrow(/^fromOnnx: inputShape must be the shape of one sample/);
  });
});
