// ONNX export: the model as an ONNX graph (opset 13) that ONNX Runtime — and through it the rest of
// the ecosystem — can serve. The protobuf is written by hand: a varint / length-delimited writer
// and the few messages ONNX needs (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
// ValueInfoProto), with the field numbers of onnx/onnx.proto; the codec (onnx-proto.ts) is shared
// with the importer.
//
// Layer by layer (the graph is the model in eval mode):
//   Dense      Gemm(x, W, b, transB = 1)         W [out, in] as stored (PyTorch's layout)
//   Maxout     Gemm → Reshape [N, out, k] → ReduceMax(axes = [2], keepdims = 0)
//   Conv2d     Conv(x, W, b)                      pads [top, left, bottom, right] ('same': PyTorch's
//                                                 split), strides, dilations, group
//   GlobalAvgPool2d  GlobalAveragePool
//   MaxPool2d  MaxPool(dilations, ceil_mode)      padded cells never win, as PyTorch
//   AvgPool2d  AveragePool(ceil_mode, count_include_pad) padded zeros count in the divisor unless
//              countIncludePad is false, as PyTorch
//   ReLU, LeakyReLU(alpha), ELU(alpha), Sigmoid, Tanh, Flatten(axis = 1); Dropout is left out
//   Graph      its nodes in order; merges as Add / Sub / Mul / Div / Concat(axis)
//   Reshape    Reshape(x, shape) (0 copies a dimension)   ConstantPad2d  Pad(x, pads, value)
//   Softmax    Softmax(axis = -1)                 Elementwise  Add/Sub/Mul/Div with the constant
//   BatchNorm1d/2d  BatchNormalization(x, weight, bias, running_mean, running_var, epsilon) (ones and
//              zeros for weight/bias without affine; needs the running statistics)
//   LayerNorm  opset 13 has no LayerNormalization: ReduceMean → Sub → Mul → ReduceMean → Add(eps) →
//              Sqrt → Div, then Mul(weight) and Add(bias), over the trailing axes
//   Residual   body(x) and shortcut(x) (or x), then Add
//   GELU       0.5·x·(1 + Erf(x/√2)), or 0.5·x·(1 + Tanh(√(2/π)·(x + 0.044715·x³))) for 'tanh'
//   SiLU       Mul(x, Sigmoid(x))   ReLU6, Hardtanh  Clip(x, min, max)   LogSoftmax(axis = -1)
//   softmax: true appends Softmax(axis = 1) on a [batch, classes] output.

import { Tensor, tidy, zeros, shapeStr, describe } from '../tensor.js';
import { noGrad } from '../autograd.js';
import { Module } from '../nn/module.js';
import { Dense, Maxout, ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Flatten, Sequential } from '../nn/layers.js';
import { Conv2d, MaxPool2d, AvgPool2d, GlobalAvgPool2d, Dropout } from '../nn/conv.js';
import { Graph, Reshape, ConstantPad2d, Softmax, Elementwise } from '../nn/graph.js';
import { samePadding } from '../ops/conv2d.js';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from '../nn/norm.js';
import { Residual } from '../nn/residual.js';
import { GELU, ReLU6, SiLU, Hardtanh, LogSoftmax } from '../nn/activations.js';
import { heapF32 } from '../runtime.js';
import { options as checkOptions } from '../options.js';
import { ProtoWriter as Proto, DT, AT } from './onnx-proto.js';

const FLOAT = DT.FLOAT, INT64 = DT.INT64;
const ATTR_FLOAT = AT.FLOAT, ATTR_INT = AT.INT, ATTR_INTS = AT.INTS;

type Attr = [name: string, value: number | number[], kind?: 'float' | 'int'];

function attribute([name, value, kind]: Attr): Proto {
  const a = new Proto().string(1, name);
  if (Array.isArray(value)) return a.int(20, ATTR_INTS).packedInts(8, value);
  if (kind === 'float') return a.int(20, ATTR_FLOAT).float(2, value);
  return a.int(20, ATTR_INT).int(3, value);
}

interface NodeRec { opType: string; name: string; inputs: string[]; outputs: string[]; attrs: Attr[] }

function node(opType: string, name: string, inputs: string[], outputs: string[], attrs: Attr[] = []): NodeRec {
  return { opType, name, inputs, outputs, attrs };
}

function encodeNode({ opType, name, inputs, outputs, attrs }: NodeRec): Proto {
  const n = new Proto();
  for (const i of inputs) n.string(1, i);
  for (const o of outputs) n.string(2, o);
  n.string(3, name).string(4, opType);
  for (const a of attrs) n.message(5, attribute(a));
  return n;
}

function floatTensor(name: string, t: Tensor): Proto {
  const raw = new Uint8Array(t.size * 4);
  raw.set(new Uint8Array(heapF32().buffer, t.ptr, t.size * 4)); // little-endian, as ONNX's raw_data
  return new Proto().packedInts(1, t.shape).int(2, FLOAT).string(8, name).bytes(9, raw);
}

function constantTensor(name: string, dims: readonly number[], values: Float32Array): Proto {
  return new Proto().packedInts(1, dims).int(2, FLOAT).string(8, name).bytes(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

function int64Tensor(name: string, values: number[]): Proto {
  return new Proto().packedInts(1, [values.length]).int(2, INT64).packedInts(7, values).string(8, name);
}

function valueInfo(name: string, dims: Array<number | string>): Proto {
  const shape = new Proto();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new Proto().int(1, d) : new Proto().string(2, d));
  const tensorType = new Proto().int(1, FLOAT).message(2, shape);
  return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
}

// ---------------------------------------------------------------------------------------------

export interface OnnxOptions {
  /** The shape of one sample, without the batch dimension: [784], or [1, 28, 28] for a CNN. */
  inputShape: number[];
  /** A fixed batch size; by default the batch dimension is symbolic ('batch'). */
  batchSize?: number;
  /** Append a Softmax over the classes of a [batch, classes] output (default false). */
  softmax?: boolean;
  /** Graph input and output names (default 'input' and 'output'). */
  inputName?: string;
  outputName?: string;
}

interface OnnxGraph {
  nodes: NodeRec[];
  initializers: Proto[];
  count: number;
}

function unsupported(m: Module, path: string): never {
  const what = m.constructor.name;
  throw new Error(`toOnnx: cannot export ${path || 'the model'} (${what}): ONNX export covers Sequential, Dense, Maxout, Conv2d, MaxPool2d, AvgPool2d, GlobalAvgPool2d, Flatten, Dropout, BatchNorm1d/2d, LayerNorm, Residual and the activations, not custom modules`);
}

/** Adds the nodes for module m reading tensor `x`; returns the name of its output. */
function emit(m: Module, x: string, path: string, g: OnnxGraph, params: Map<Tensor, string>): string {
  const name = (op: string): string => `/${path ? `${path.replace(/\./g, '/')}/` : ''}${op}`;
  const out = (op: string): string => `${name(op)}_output_${g.count++}`;
  const param = (t: Tensor): string => {
    let n = params.get(t);
    if (n === undefined) {
      n = `${path}${path ? '.' : ''}${t === (m as Dense).weight ? 'weight' : 'bias'}`;
      params.set(t, n);
      g.initializers.push(floatTensor(n, t));
    }
    return n;
  };
  const simple = (op: string, attrs: Attr[] = []): string => {
    const y = out(op);
    g.nodes.push(node(op, name(op), [x], [y], attrs));
    return y;
  };
  if (m instanceof Sequential) {
    let h = x;
    m.layers.forEach((l, i) => { h = emit(l, h, path ? `${path}.${i}` : String(i), g, params); });
    return h;
  }
  if (m instanceof Graph) {
    // Value 0 is x; node k's output is value k + 1.
    const values = [x];
    for (const n of m.nodes) {
      const at = path ? `${path}.${n.name}` : n.name;
      const ins = n.inputs.map((v) => values[v]);
      if (n.op === 'layer') {
        values.push(emit(n.module!, ins[0], at, g, params));
        continue;
      }
      const op = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', concat: 'Concat' }[n.op];
      const nodeName = `/${at.replace(/\./g, '/')}/${op}`;
      const y = `${nodeName}_output_${g.count++}`;
      g.nodes.push(node(op, nodeName, ins, [y], n.op === 'concat' ? [['axis', n.axis as number]] : []));
      values.push(y);
    }
    return values[values.length - 1];
  }
  if (m instanceof Reshape) {
    const shapeName = `${name('Reshape')}_shape`;
    g.initializers.push(int64Tensor(shapeName, m.shape));
    const y = out('Reshape');
    g.nodes.push(node('Reshape', name('Reshape'), [x, shapeName], [y]));
    return y;
  }
  if (m instanceof ConstantPad2d) {
    const [l, r, t, b] = m.padding;
    const padsName = `${name('Pad')}_pads`, valueName = `${name('Pad')}_value`;
    g.initializers.push(int64Tensor(padsName, [0, 0, t, l, 0, 0, b, r]), constantTensor(valueName, [], Float32Array.of(m.value)));
    const y = out('Pad');
    g.nodes.push(node('Pad', name('Pad'), [x, padsName, valueName], [y])); // mode 'constant' is the default
    return y;
  }
  if (m instanceof Softmax) return simple('Softmax', [['axis', -1]]);
  if (m instanceof Elementwise) {
    const op = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div' }[m.op];
    const constName = `${name(op)}_constant`;
    g.initializers.push(constantTensor(constName, m.shape, m.values));
    const y = out(op);
    g.nodes.push(node(op, name(op), m.reverse ? [constName, x] : [x, constName], [y]));
    return y;
  }
  const blocks = emitBlocks(m, x, path, g, params, name, out);
  if (blocks !== null) return blocks;
  if (m instanceof Dense || m instanceof Maxout) {
    const inputs = [x, param(m.weight)];
    if (m.bias) inputs.push(param(m.bias));
    const y = out('Gemm');
    g.nodes.push(node('Gemm', name('Gemm'), inputs, [y], [['transB', 1]]));
    if (m instanceof Dense) return y;
    const units = m.weight._shape[0] / m.k;
    const shapeName = `${name('Reshape')}_shape`;
    g.initializers.push(int64Tensor(shapeName, [0, units, m.k]));
    const r = out('Reshape');
    g.nodes.push(node('Reshape', name('Reshape'), [y, shapeName], [r]));
    const z = out('ReduceMax');
    g.nodes.push(node('ReduceMax', name('ReduceMax'), [r], [z], [['axes', [2]], ['keepdims', 0]]));
    return z;
  }
  if (m instanceof Conv2d) {
    const inputs = [x, param(m.weight)];
    if (m.bias) inputs.push(param(m.bias));
    const y = out('Conv');
    const { lead, trail } = m.padding === 'same' ? samePadding(m.kernelSize, m.dilation) : { lead: m.padding, trail: m.padding };
    g.nodes.push(node('Conv', name('Conv'), inputs, [y], [
      ['kernel_shape', [...m.kernelSize]], ['pads', [lead[0], lead[1], trail[0], trail[1]]], ['strides', [...m.stride]],
      ['dilations', [...m.dilation]], ['group', m.groups],
    ]));
    return y;
  }
  if (m instanceof MaxPool2d || m instanceof AvgPool2d) {
    const [ph, pw] = m.padding;
    const attrs: Attr[] = [
      ['kernel_shape', [...m.kernelSize]], ['pads', [ph, pw, ph, pw]], ['strides', [...m.stride]], ['ceil_mode', m.ceilMode ? 1 : 0],
    ];
    if (m instanceof AvgPool2d) return simple('AveragePool', [...attrs, ['count_include_pad', m.countIncludePad ? 1 : 0]]);
    return simple('MaxPool', [...attrs, ['dilations', [...m.dilation]]]);
  }
  if (m instanceof GlobalAvgPool2d) return simple('GlobalAveragePool');
  if (m instanceof ReLU) return simple('Relu');
  if (m instanceof LeakyReLU) return simple('LeakyRelu', [['alpha', m.slope, 'float']]);
  if (m instanceof ELU) return simple('Elu', [['alpha', m.alpha, 'float']]);
  if (m instanceof Sigmoid) return simple('Sigmoid');
  if (m instanceof Tanh) return simple('Tanh');
  if (m instanceof Flatten) return simple('Flatten', [['axis', 1]]);
  if (m instanceof Dropout) return x; // identity in eval mode
  return unsupported(m, path);
}

/**
 * The layers of issue 12 (BatchNorm, LayerNorm, Residual, GELU, SiLU, ReLU6, Hardtanh,
 * LogSoftmax), in opset-13 ops; null for any other module.
 */
function emitBlocks(m: Module, x: string, path: string, g: OnnxGraph, params: Map<Tensor, string>,
                    name: (op: string) => string, out: (op: string) => string): string | null {
  /** An initializer for a parameter or buffer, named as in the state_dict. */
  const state = (t: Tensor, field: string): string => {
    let n = params.get(t);
    if (n === undefined) {
      n = `${path}${path ? '.' : ''}${field}`;
      params.set(t, n);
      g.initializers.push(floatTensor(n, t));
    }
    return n;
  };
  /** A constant initializer of the given shape. */
  const constant = (suffix: string, dims: number[], values: Float32Array): string => {
    const n = `${name(suffix)}_${g.count++}`;
    g.initializers.push(constantTensor(n, dims, values));
    return n;
  };
  const scalar = (v: number): string => constant('const', [], Float32Array.of(v));
  const op = (type: string, inputs: string[], attrs: Attr[] = []): string => {
    const y = out(type);
    g.nodes.push(node(type, `${name(type)}_${g.count}`, inputs, [y], attrs));
    return y;
  };
  if (m instanceof BatchNorm1d || m instanceof BatchNorm2d) {
    if (!m.running_mean || !m.running_var) {
      throw new Error(`toOnnx: cannot export ${path || 'the model'} (${m.constructor.name} with trackRunningStats: false): ONNX's BatchNormalization needs running statistics`);
    }
    const c = m.numFeatures;
    const w = m.weight ? state(m.weight, 'weight') : constant('scale', [c], new Float32Array(c).fill(1));
    const b = m.bias ? state(m.bias, 'bias') : constant('B', [c], new Float32Array(c));
    return op('BatchNormalization', [x, w, b, state(m.running_mean, 'running_mean'), state(m.running_var, 'running_var')], [['epsilon', m.eps, 'float']]);
  }
  if (m instanceof LayerNorm) {
    const k = m.normalizedShape.length;
    const axes: Attr = ['axes', Array.from({ length: k }, (_, i) => i - k)];
    const mean = op('ReduceMean', [x], [axes, ['keepdims', 1]]);
    const d = op('Sub', [x, mean]);
    const v = op('ReduceMean', [op('Mul', [d, d])], [axes, ['keepdims', 1]]);
    let y = op('Div', [d, op('Sqrt', [op('Add', [v, scalar(m.eps)])])]);
    if (m.weight) y = op('Mul', [y, state(m.weight, 'weight')]);
    if (m.bias) y = op('Add', [y, state(m.bias, 'bias')]);
    return y;
  }
  if (m instanceof Residual) {
    const body = emit(m.body, x, path ? `${path}.body` : 'body', g, params);
    const short = m.shortcut ? emit(m.shortcut, x, path ? `${path}.shortcut` : 'shortcut', g, params) : x;
    return op('Add', [body, short]);
  }
  if (m instanceof GELU) {
    let inner: string;
    if (m.approximate === 'none') {
      inner = op('Erf', [op('Div', [x, scalar(Math.SQRT2)])]);
    } else {
      const cube = op('Mul', [op('Mul', [x, x]), x]);
      inner = op('Tanh', [op('Mul', [scalar(Math.sqrt(2 / Math.PI)), op('Add', [x, op('Mul', [scalar(0.044715), cube])])])]);
    }
    return op('Mul', [op('Mul', [x, op('Add', [inner, scalar(1)])]), scalar(0.5)]);
  }
  if (m instanceof SiLU) return op('Mul', [x, op('Sigmoid', [x])]);
  if (m instanceof ReLU6) return op('Clip', [x, scalar(0), scalar(6)]);
  if (m instanceof Hardtanh) return op('Clip', [x, scalar(m.min), scalar(m.max)]);
  if (m instanceof LogSoftmax) return op('LogSoftmax', [x], [['axis', -1]]);
  return null;
}

/**
 * The model as an ONNX file (ModelProto bytes, opset 13), for ONNX Runtime and other ONNX tools.
 * The graph is the model in eval mode (Dropout left out); its input is [batch, ...inputShape].
 */
export function toOnnx(model: Module, options: OnnxOptions): Uint8Array {
  const op = 'toOnnx';
  if (!(model instanceof Module)) throw new Error(`${op}: expected an nn.Module, got ${describe(model)}`);
  const { inputShape, batchSize, softmax = false, inputName = 'input', outputName = 'output' } = checkOptions<OnnxOptions>(op, options,
    ['inputShape', 'batchSize', 'softmax', 'inputName', 'outputName'], { required: ['inputShape'], example: '{ inputShape: [784] }' });
  if (!Array.isArray(inputShape) || inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`${op}: inputShape must be the shape of one sample (positive integers, without the batch dimension), got ${Array.isArray(inputShape) ? shapeStr(inputShape) : describe(inputShape)}`);
  }
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) throw new Error(`${op}: batchSize must be a positive integer, got ${String(batchSize)}`);
  if (typeof inputName !== 'string' || typeof outputName !== 'string' || !inputName || !outputName || inputName === outputName) {
    throw new Error(`${op}: inputName and outputName must be two different non-empty strings`);
  }
  // Run the model once on zeros (eval mode, no gradients): checks that it accepts inputShape and
  // gives the output's shape.
  const wasTraining = model.training;
  model.eval();
  let outShape: number[];
  try {
    outShape = noGrad(() => tidy(() => model.forward(zeros([1, ...inputShape])).shape));
  } catch (err) {
    throw new Error(`${op}: the model does not run on inputShape ${shapeStr(inputShape)}: ${(err as Error).message}`);
  } finally {
    model.train(wasTraining);
  }
  if (softmax && outShape.length !== 2) throw new Error(`${op}: softmax needs a [batch, classes] output; this model gives ${shapeStr(['batch' as unknown as number, ...outShape.slice(1)])}`);

  const g: OnnxGraph = { nodes: [], initializers: [], count: 0 };
  let y = emit(model, inputName, '', g, new Map());
  if (softmax) {
    const s = `/Softmax_output_${g.count++}`;
    g.nodes.push(node('Softmax', '/Softmax', [y], [s], [['axis', 1]]));
    y = s;
  }
  // Name the last value `outputName` (an Identity when the graph is empty or ends in Dropout).
  if (y === inputName) {
    g.nodes.push(node('Identity', '/Identity', [y], [outputName]));
  } else {
    const last = g.nodes[g.nodes.length - 1];
    last.outputs = last.outputs.map((o) => (o === y ? outputName : o));
  }
  const batch: number | string = batchSize ?? 'batch';
  const graph = new Proto();
  for (const n of g.nodes) graph.message(1, encodeNode(n));
  graph.string(2, 'simdnet');
  for (const t of g.initializers) graph.message(5, t);
  graph.message(11, valueInfo(inputName, [batch, ...inputShape]));
  graph.message(12, valueInfo(outputName, [batch, ...outShape.slice(1)]));
  return new Proto()
    .int(1, 7) // IR version 7 (the one of opset 13)
    .string(2, 'simdnet')
    .string(3, '0.1.0')
    .message(7, graph)
    .message(8, new Proto().string(1, '').int(2, 13))
    .finish();
}
