// Modules the ONNX importer builds besides the usual layers: nn.Graph (a network that branches:
// residual adds, concatenations) and the small layers ONNX graphs need — Reshape, ConstantPad2d,
// Softmax, Elementwise (a tensor op with a constant). Each describes itself (toJSON) and exports
// (toOnnx) like any built-in layer.

import { Tensor, assertLive, shapeError, shapeStr } from '../tensor.js';
import { Module, type ModuleJSON } from './module.js';
import { options as checkOptions } from '../options.js';
import { reshape } from '../ops/reshape.js';
import { softmax } from '../ops/softmax.js';
import { add } from '../ops/add.js';
import { sub } from '../ops/sub.js';
import { mul } from '../ops/mul.js';
import { div } from '../ops/binary.js';
import { concat } from '../ops/slice.js';
import { pad2d, checkPads, type Pads4 } from '../ops/pad2d.js';
import { constAffine, type AffineLayout } from '../ops/affine.js';

/** The same elements under `shape`, with ONNX Reshape's rules: 0 copies the input's dimension, −1 is inferred. */
export class Reshape extends Module {
  readonly shape: number[];
  constructor(shape: number[]) {
    super();
    if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < -1) || shape.filter((d) => d === -1).length > 1) {
      throw new Error(`Reshape: shape must be integers ≥ 0 with at most one −1, got ${Array.isArray(shape) ? shapeStr(shape) : String(shape)}`);
    }
    this.shape = shape.slice();
  }

  forward(x: Tensor): Tensor {
    const dims = this.shape.map((d, i) => {
      if (d !== 0) return d;
      if (i >= x.rank) throw shapeError('Reshape', `shape ${shapeStr(this.shape)} copies dimension ${i}, which the input lacks`, x._shape);
      return x._shape[i];
    });
    return reshape(x, dims);
  }

  override toJSON(): ModuleJSON { return { type: 'Reshape', shape: this.shape.slice() }; }
}

/** PyTorch's nn.ConstantPad2d: pads an NCHW input by [left, right, top, bottom] with `value`. */
export class ConstantPad2d extends Module {
  readonly padding: Pads4;
  readonly value: number;
  constructor(padding: number | Pads4, value = 0) {
    super();
    const p = typeof padding === 'number' ? [padding, padding, padding, padding] : padding;
    this.padding = checkPads('ConstantPad2d', p);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`ConstantPad2d: value must be a finite number, got ${String(value)}`);
    this.value = value;
  }

  forward(x: Tensor): Tensor { return pad2d(x, this.padding, this.value); }
  override toJSON(): ModuleJSON { return { type: 'ConstantPad2d', padding: [...this.padding], value: this.value }; }
}

/** Softmax over the last axis of a [batch, classes] input (nn.Softmax(dim=1) in PyTorch). */
export class Softmax extends Module {
  forward(x: Tensor): Tensor { return softmax(x); }
  override toJSON(): ModuleJSON { return { type: 'Softmax' }; }
}

export type ElementwiseOp = 'add' | 'sub' | 'mul' | 'div';

/**
 * `x op constant` (or `constant op x` with reverse, for add, sub and mul), the constant broadcasting
 * against x as in ONNX and NumPy, with its own batch axis (if it has one) of size 1: a scalar, a
 * [1, C, 1, 1] normalisation, a per-sample offset. The constant is part of the architecture (in
 * toJSON), not a parameter.
 */
export class Elementwise extends Module {
  readonly op: ElementwiseOp;
  readonly shape: number[];
  readonly values: Float32Array;
  readonly reverse: boolean;
  private cache: { key: string; layout: AffineLayout; scale: Float32Array; shift: Float32Array } | null = null;

  constructor(op: ElementwiseOp, constant: { shape: number[]; values: ArrayLike<number> }, options?: { reverse?: boolean }) {
    super();
    const { reverse = false } = checkOptions<{ reverse?: boolean }>('Elementwise', options, ['reverse']);
    if (typeof reverse !== 'boolean') throw new Error(`Elementwise: reverse must be true or false, got ${String(reverse)}`);
    if (!['add', 'sub', 'mul', 'div'].includes(op)) throw new Error(`Elementwise: op must be 'add', 'sub', 'mul' or 'div', got ${String(op)}`);
    if (reverse && op === 'div') throw new Error('Elementwise: constant / x is not supported (no reciprocal op)');
    const { shape, values } = constant ?? {};
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`Elementwise: constant shape must be positive integers, got ${String(shape)}`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!values || values.length !== size) throw new Error(`Elementwise: constant ${shapeStr(shape)} needs ${size} values, got ${values ? values.length : 'none'}`);
    const v = Float32Array.from(values);
    if (v.some((e) => !Number.isFinite(e) || (op === 'div' && e === 0))) throw new Error(`Elementwise: constant values must be finite${op === 'div' ? ' and non-zero' : ''}`);
    this.op = op;
    this.shape = shape.slice();
    this.values = v;
    this.reverse = reverse;
  }

  /** scale and shift (y = x·scale + shift) in the cheapest layout that fits an input of `xs`. */
  private plan(xs: readonly number[]): { layout: AffineLayout; scale: Float32Array; shift: Float32Array } {
    const key = xs.join(',');
    if (this.cache?.key === key) return this.cache;
    const fail = (): never => { throw shapeError('Elementwise', `constant ${shapeStr(this.shape)} does not broadcast over the input without growing its batch axis`, xs); };
    if (this.shape.length > xs.length) fail();
    const c: number[] = [...new Array<number>(xs.length - this.shape.length).fill(1), ...this.shape];
    for (let i = 0; i < xs.length; i++) if (c[i] !== 1 && c[i] !== xs[i]) fail();
    if (xs.length > 1 && c[0] !== 1) fail();
    let layout: AffineLayout, vals: Float32Array;
    if (this.values.length === 1) {
      layout = 'scalar'; vals = this.values;
    } else if (xs.length >= 2 && c[1] === xs[1] && c.every((d, i) => i === 1 || d === 1)) {
      layout = 'channel'; vals = this.values;
    } else {
      // Tile the constant to one full sample: index of sample element e in the constant.
      layout = 'sample';
      const inner = xs.slice(1), cs = c.slice(1);
      const size = inner.reduce((a, b) => a * b, 1);
      vals = new Float32Array(size);
      for (let e = 0; e < size; e++) {
        let rem = e, ci = 0, cstride = 1;
        for (let a = inner.length - 1; a >= 0; a--) {
          const idx = rem % inner[a];
          rem = Math.floor(rem / inner[a]);
          if (cs[a] !== 1) ci += idx * cstride;
          cstride *= cs[a];
        }
        vals[e] = this.values[ci];
      }
    }
    const scale = new Float32Array(vals.length), shift = new Float32Array(vals.length);
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      switch (this.op) {
        case 'add': scale[i] = 1; shift[i] = v; break;
        case 'sub': scale[i] = this.reverse ? -1 : 1; shift[i] = this.reverse ? v : -v; break;
        case 'mul': scale[i] = v; shift[i] = 0; break;
        case 'div': scale[i] = 1 / v; shift[i] = 0; break;
      }
    }
    this.cache = { key, layout, scale, shift };
    return this.cache;
  }

  forward(x: Tensor): Tensor {
    assertLive(x, 'Elementwise');
    const { layout, scale, shift } = this.plan(x._shape);
    return constAffine(x, layout, scale, shift);
  }

  override toJSON(): ModuleJSON {
    return { type: 'Elementwise', op: this.op, constant: { shape: this.shape.slice(), values: Array.from(this.values) }, reverse: this.reverse };
  }
}

// ---------------------------------------------------------------------------------------------
// Graph

export type GraphOp = 'layer' | 'add' | 'sub' | 'mul' | 'div' | 'concat';

/** One step of a Graph: a layer on one value, or a merge of several values (add/sub/mul/div broadcast as NumPy). */
export interface GraphNode {
  /** The name of the layer (its parameters are `<name>.weight`, ...); unique within the graph. */
  name: string;
  op: GraphOp;
  /** Values read: 0 is the graph's input, k + 1 the output of node k (only earlier nodes). */
  inputs: number[];
  /** For op 'layer'. */
  module?: Module;
  /** For op 'concat'. */
  axis?: number;
}

/**
 * A network as a list of steps over numbered values (a directed acyclic graph): what fromOnnx
 * builds when the ONNX graph branches. The output is the last node's value. Parameters are named
 * by each layer's `name` ('conv1.weight', 'short.0.weight'), as PyTorch's state_dict names them.
 */
export class Graph extends Module {
  readonly nodes: GraphNode[];

  constructor(nodes: GraphNode[]) {
    super();
    if (!Array.isArray(nodes) || nodes.length === 0) throw new Error('Graph: expected a non-empty array of nodes');
    const names = new Set<string>();
    nodes.forEach((n, i) => {
      const at = `Graph: node ${i}`;
      if (n === null || typeof n !== 'object') throw new Error(`${at} is not an object`);
      if (!['layer', 'add', 'sub', 'mul', 'div', 'concat'].includes(n.op)) throw new Error(`${at}: op must be 'layer', 'add', 'sub', 'mul', 'div' or 'concat', got ${String(n.op)}`);
      if (typeof n.name !== 'string' || !/^[A-Za-z0-9_.]+$/.test(n.name) || names.has(n.name)) throw new Error(`${at}: name must be a unique identifier (letters, digits, _ and .), got ${JSON.stringify(n.name)}`);
      names.add(n.name);
      if (!Array.isArray(n.inputs) || n.inputs.some((v) => !Number.isInteger(v) || v < 0 || v > i)) throw new Error(`${at} (${n.name}): inputs must be values 0..${i} (the input and earlier nodes), got ${JSON.stringify(n.inputs)}`);
      const arity = n.op === 'layer' ? 1 : n.op === 'concat' ? -1 : 2;
      if (arity > 0 ? n.inputs.length !== arity : n.inputs.length < 1) throw new Error(`${at} (${n.name}): ${n.op} takes ${arity > 0 ? arity : 'at least one'} input${arity === 1 ? '' : 's'}, got ${n.inputs.length}`);
      if (n.op === 'layer' && !(n.module instanceof Module)) throw new Error(`${at} (${n.name}): a layer node needs a module`);
      if (n.op === 'concat' && (!Number.isInteger(n.axis) || (n.axis as number) < 1)) throw new Error(`${at} (${n.name}): concat needs an axis ≥ 1 (axis 0 is the batch), got ${String(n.axis)}`);
    });
    this.nodes = nodes.map((n) => ({ ...n, inputs: n.inputs.slice() }));
  }

  override namedChildren(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    for (const n of this.nodes) if (n.module) out.push([n.name, n.module]);
    return out;
  }

  forward(x: Tensor): Tensor {
    const values: Tensor[] = [x];
    for (const n of this.nodes) {
      const a = values[n.inputs[0]];
      let y: Tensor;
      switch (n.op) {
        case 'layer': y = n.module!.forward(a); break;
        case 'add': y = add(a, values[n.inputs[1]]); break;
        case 'sub': y = sub(a, values[n.inputs[1]]); break;
        case 'mul': y = mul(a, values[n.inputs[1]]); break;
        case 'div': y = div(a, values[n.inputs[1]]); break;
        case 'concat': y = concat(n.inputs.map((v) => values[v]), n.axis as number); break;
      }
      values.push(y);
    }
    return values[values.length - 1];
  }

  override toJSON(): ModuleJSON {
    return {
      type: 'Graph',
      nodes: this.nodes.map((n) => ({
        name: n.name, op: n.op, inputs: n.inputs.slice(),
        ...(n.module ? { layer: n.module.toJSON() } : {}),
        ...(n.op === 'concat' ? { axis: n.axis } : {}),
      })),
    };
  }
}
