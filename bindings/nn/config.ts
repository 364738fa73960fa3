// Model descriptions: `model.toJSON()` gives a plain object such as
//   { type: 'Sequential', layers: [{ type: 'Dense', inFeatures: 4, outFeatures: 3, bias: true }, { type: 'ReLU' }] }
// and fromJSON() builds the same architecture from it. A description may come from a file made by
// a stranger, so fromJSON() checks all of it first — types, keys, values, nesting depth and the
// size of every parameter — and allocates nothing until it is known to be valid.

import { Module, type ModuleJSON } from './module.js';
import { Dense, Maxout, ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Flatten, Sequential } from './layers.js';
import { Conv2d, MaxPool2d, AvgPool2d, GlobalAvgPool2d, Dropout } from './conv.js';
import { pair, poolParams } from '../ops/window.js';
import { checkDropP } from '../ops/dropout.js';
import { checkGroups } from '../ops/conv2d.js';
import { Graph, Reshape, ConstantPad2d, Softmax, Elementwise, type GraphOp } from './graph.js';
import type { Init } from './init.js';
import { options } from '../options.js';
import { BatchNorm1d, BatchNorm2d, LayerNorm, checkBatchNormArgs, checkLayerNormArgs } from './norm.js';
import { GELU, ReLU6, SiLU, Hardtanh, LogSoftmax, checkGeluOptions, checkHardtanh } from './activations.js';
import { Residual } from './residual.js';

export type { ModuleJSON };

type Spec = Record<string, unknown>;
type Planned = Array<[string, number[]]>;

interface LayerKind {
  /** The keys a description may have besides `type`. */
  keys: string[];
  /** Checks the description; returns the parameters (name, shape) the layer will have. */
  plan(spec: Spec, at: string, depth: number): Planned;
  build(spec: Spec, init: Init | undefined, made: Module[]): Module;
}

const MAX_DEPTH = 64;
/** The largest tensor linear memory can hold (1 GiB of float32). */
const MAX_ELEMENTS = ((1 << 30) - 64) / 4;

function fail(at: string, problem: string): never {
  throw new Error(`fromJSON: ${at}: ${problem}`);
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v).slice(1, -1)}'`;
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

function int(spec: Spec, key: string, at: string): number {
  const v = spec[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_ELEMENTS) fail(at, `${key} must be a positive integer, got ${show(v)}`);
  return v as number;
}

function num(spec: Spec, key: string, at: string, fallback: number): number {
  const v = spec[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, `${key} must be a finite number, got ${show(v)}`);
  return v as number;
}

function bool(spec: Spec, key: string, at: string, fallback: boolean): boolean {
  const v = spec[key] ?? fallback;
  if (typeof v !== 'boolean') fail(at, `${key} must be true or false, got ${show(v)}`);
  return v as boolean;
}

/** A size option: a positive (or, min 0, non-negative) integer or an [h, w] pair of them; checked before the layer's own check sees it. */
function size2(spec: Spec, key: string, at: string, min: number, fallback?: number): void {
  const v = spec[key] ?? fallback;
  const ok = (d: unknown): boolean => typeof d === 'number' && Number.isInteger(d) && d >= min && d <= MAX_ELEMENTS;
  if (ok(v) || (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1]))) return;
  fail(at, `${key} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer or an [h, w] pair of them, got ${Array.isArray(v) ? `[${v.map(show).join(', ')}]` : show(v)}`);
}

function param(at: string, name: string, shape: number[]): [string, number[]] {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size > MAX_ELEMENTS) fail(at, `${name} would be [${shape.join(',')}], ${size} values: more than one tensor can hold (1 GiB)`);
  return [name, shape];
}

/** Dense-like: weight [rows, inFeatures] and an optional bias [rows]. */
function linearParams(at: string, rows: number, inFeatures: number, bias: boolean): Planned {
  const out: Planned = [param(at, 'weight', [rows, inFeatures])];
  if (bias) out.push(param(at, 'bias', [rows]));
  return out;
}

const none = (): Planned => [];

/** Runs a layer's own option check (it allocates nothing), its Error re-worded for fromJSON. */
function checked<T>(at: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    return fail(at, (err as Error).message.replace(/^[A-Za-z0-9]+: /, ''));
  }
}

function poolKind(name: 'MaxPool2d' | 'AvgPool2d'): LayerKind {
  const max = name === 'MaxPool2d';
  return {
    keys: max ? ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode'] : ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad'],
    plan: (s, at) => {
      size2(s, 'kernelSize', at, 1);
      if (s.stride !== undefined && s.stride !== null) size2(s, 'stride', at, 1);
      size2(s, 'padding', at, 0, 0);
      if (max) size2(s, 'dilation', at, 1, 1);
      bool(s, 'ceilMode', at, false);
      if (!max) bool(s, 'countIncludePad', at, true);
      checked(at, () => poolParams(name, s.kernelSize, s.stride, s.padding ?? 0, s.dilation ?? 1));
      return [];
    },
    build: (s) => {
      const common = { stride: (s.stride ?? undefined) as number | undefined, padding: (s.padding ?? 0) as number, ceilMode: (s.ceilMode ?? false) as boolean };
      return max
        ? new MaxPool2d(s.kernelSize as number, { ...common, dilation: (s.dilation ?? 1) as number })
        : new AvgPool2d(s.kernelSize as number, { ...common, countIncludePad: (s.countIncludePad ?? true) as boolean });
    },
  };
}

/** BatchNorm1d/2d: weight, bias (affine), then the buffers running_mean, running_var, num_batches_tracked. */
function batchNormKind(name: 'BatchNorm1d' | 'BatchNorm2d', make: typeof BatchNorm1d | typeof BatchNorm2d): LayerKind {
  return {
    keys: ['numFeatures', 'eps', 'momentum', 'affine', 'trackRunningStats'],
    plan: (s, at) => {
      const c = int(s, 'numFeatures', at);
      const { type: _t, numFeatures: _n, ...options } = s;
      const o = checked(at, () => checkBatchNormArgs(name, c, options));
      const out: Planned = [];
      if (o.affine) out.push(param(at, 'weight', [c]), param(at, 'bias', [c]));
      if (o.trackRunningStats) out.push(param(at, 'running_mean', [c]), param(at, 'running_var', [c]), ['num_batches_tracked', []]);
      return out;
    },
    build: (s) => {
      const { type: _t, numFeatures, ...options } = s;
      return new make(numFeatures as number, options);
    },
  };
}

const kinds: Record<string, LayerKind> = {
  Dense: {
    keys: ['inFeatures', 'outFeatures', 'bias'],
    plan: (s, at) => linearParams(at, int(s, 'outFeatures', at), int(s, 'inFeatures', at), bool(s, 'bias', at, true)),
    build: (s, init) => new Dense(s.inFeatures as number, s.outFeatures as number, { bias: (s.bias ?? true) as boolean, init }),
  },
  Maxout: {
    keys: ['inFeatures', 'outFeatures', 'k', 'bias'],
    plan: (s, at) => {
      const rows = int(s, 'outFeatures', at) * int(s, 'k', at);
      return linearParams(at, rows, int(s, 'inFeatures', at), bool(s, 'bias', at, true));
    },
    build: (s, init) => new Maxout(s.inFeatures as number, s.outFeatures as number, s.k as number, { bias: (s.bias ?? true) as boolean, init }),
  },
  ReLU: { keys: [], plan: none, build: () => new ReLU() },
  LeakyReLU: {
    keys: ['slope'],
    plan: (s, at) => { num(s, 'slope', at, 0.01); return []; },
    build: (s) => new LeakyReLU((s.slope ?? 0.01) as number),
  },
  ELU: {
    keys: ['alpha'],
    plan: (s, at) => { num(s, 'alpha', at, 1); return []; },
    build: (s) => new ELU((s.alpha ?? 1) as number),
  },
  Sigmoid: { keys: [], plan: none, build: () => new Sigmoid() },
  Tanh: { keys: [], plan: none, build: () => new Tanh() },
  Flatten: { keys: [], plan: none, build: () => new Flatten() },
  Conv2d: {
    keys: ['inChannels', 'outChannels', 'kernelSize', 'stride', 'padding', 'dilation', 'groups', 'bias'],
    plan: (s, at) => {
      const inC = int(s, 'inChannels', at), outC = int(s, 'outChannels', at);
      size2(s, 'kernelSize', at, 1);
      size2(s, 'stride', at, 1, 1);
      if (s.padding !== 'same') size2(s, 'padding', at, 0, 0);
      size2(s, 'dilation', at, 1, 1);
      const groups = s.groups === undefined ? 1 : int(s, 'groups', at);
      checked(at, () => checkGroups('Conv2d', groups, inC, outC));
      if (s.padding === 'same') {
        const st = pair('Conv2d', 'stride', s.stride ?? 1, 1);
        if (st[0] !== 1 || st[1] !== 1) fail(at, `padding 'same' needs stride 1, got stride ${st[0]},${st[1]}`);
      }
      const [kh, kw] = pair('Conv2d', 'kernelSize', s.kernelSize, 1);
      const out: Planned = [param(at, 'weight', [outC, inC / groups, kh, kw])];
      if (bool(s, 'bias', at, true)) out.push(param(at, 'bias', [outC]));
      return out;
    },
    build: (s, init) => new Conv2d(s.inChannels as number, s.outChannels as number, s.kernelSize as number, {
      stride: (s.stride ?? 1) as number, padding: (s.padding ?? 0) as number | 'same', dilation: (s.dilation ?? 1) as number,
      groups: (s.groups ?? 1) as number, bias: (s.bias ?? true) as boolean, init,
    }),
  },
  MaxPool2d: poolKind('MaxPool2d'),
  AvgPool2d: poolKind('AvgPool2d'),
  GlobalAvgPool2d: { keys: [], plan: none, build: () => new GlobalAvgPool2d() },
  Dropout: {
    keys: ['p'],
    plan: (s, at) => { checked(at, () => checkDropP('Dropout', s.p ?? 0.5)); return []; },
    build: (s) => new Dropout((s.p ?? 0.5) as number),
  },
  Reshape: {
    keys: ['shape'],
    plan: (s, at) => { checked(at, () => new Reshape(s.shape as number[])); return []; },
    build: (s) => new Reshape(s.shape as number[]),
  },
  ConstantPad2d: {
    keys: ['padding', 'value'],
    plan: (s, at) => { num(s, 'value', at, 0); checked(at, () => new ConstantPad2d(s.padding as number, (s.value ?? 0) as number)); return []; },
    build: (s) => new ConstantPad2d(s.padding as number, (s.value ?? 0) as number),
  },
  Softmax: { keys: [], plan: none, build: () => new Softmax() },
  Elementwise: {
    keys: ['op', 'constant', 'reverse'],
    plan: (s, at) => {
      const c = s.constant as { shape?: unknown; values?: unknown } | null;
      if (c === null || typeof c !== 'object' || !Array.isArray(c.shape) || !Array.isArray(c.values)) fail(at, 'constant must be { shape, values } with two arrays');
      if ((c.values as unknown[]).length > MAX_ELEMENTS) fail(at, 'constant has too many values');
      checked(at, () => new Elementwise(s.op as 'add', c as { shape: number[]; values: number[] }, { reverse: bool(s, 'reverse', at, false) }));
      return [];
    },
    build: (s) => new Elementwise(s.op as 'add', s.constant as { shape: number[]; values: number[] }, { reverse: (s.reverse ?? false) as boolean }),
  },
  Graph: {
    keys: ['nodes'],
    plan: (s, at, depth) => {
      const nodes = s.nodes;
      if (!Array.isArray(nodes) || nodes.length === 0) fail(at, `nodes must be a non-empty array, got ${show(nodes)}`);
      const out: Planned = [];
      const names = new Set<string>();
      (nodes as unknown[]).forEach((n, i) => {
        const where = `${at}.nodes[${i}]`;
        if (n === null || typeof n !== 'object' || Array.isArray(n)) fail(where, `expected { name, op, inputs, ... }, got ${show(n)}`);
        const node = n as Spec;
        for (const key of Object.keys(node)) if (!['name', 'op', 'inputs', 'layer', 'axis'].includes(key)) fail(where, `a graph node has no key '${key}' (it takes name, op, inputs, layer, axis)`);
        const { name, op, inputs } = node;
        if (typeof name !== 'string' || !name || names.has(name) || !/^[A-Za-z0-9_.]+$/.test(name)) fail(where, `name must be a unique identifier (letters, digits, _ and .), got ${show(name)}`);
        names.add(name as string);
        if (!['layer', 'add', 'sub', 'mul', 'div', 'concat'].includes(op as string)) fail(where, `op must be 'layer', 'add', 'sub', 'mul', 'div' or 'concat', got ${show(op)}`);
        const arity = op === 'layer' ? 1 : op === 'concat' ? 0 : 2;
        if (!Array.isArray(inputs) || inputs.some((v) => !Number.isInteger(v) || v < 0 || v > i) || (arity ? inputs.length !== arity : inputs.length === 0)) {
          fail(where, `inputs must be ${arity || 'one or more'} value number(s) 0..${i} (the input and earlier nodes), got ${show(inputs)}`);
        }
        if (op === 'concat' && (!Number.isInteger(node.axis) || (node.axis as number) < 1 || (node.axis as number) > 8)) fail(where, `concat needs an axis between 1 and 8, got ${show(node.axis)}`);
        if (op !== 'concat' && node.axis !== undefined) fail(where, `only concat takes an axis`);
        if (op === 'layer') {
          for (const [pname, shape] of planModule(node.layer, `${where}.layer`, depth + 1)) out.push([`${name as string}.${pname}`, shape]);
        } else if (node.layer !== undefined) fail(where, `only a 'layer' node takes a layer`);
      });
      return out;
    },
    build: (s, init, made) => new Graph((s.nodes as Spec[]).map((n) => ({
      name: n.name as string, op: n.op as GraphOp, inputs: n.inputs as number[],
      ...(n.op === 'layer' ? { module: buildModule(n.layer as Spec, init, made) } : {}),
      ...(n.op === 'concat' ? { axis: n.axis as number } : {}),
    }))),
  },
  BatchNorm1d: batchNormKind('BatchNorm1d', BatchNorm1d),
  BatchNorm2d: batchNormKind('BatchNorm2d', BatchNorm2d),
  LayerNorm: {
    keys: ['normalizedShape', 'eps', 'elementwiseAffine'],
    plan: (s, at) => {
      const { type: _t, normalizedShape, ...options } = s;
      if (Array.isArray(normalizedShape)) normalizedShape.forEach((d, i) => { if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MAX_ELEMENTS) fail(at, `normalizedShape[${i}] must be a positive integer, got ${show(d)}`); });
      else int(s, 'normalizedShape', at);
      const o = checked(at, () => checkLayerNormArgs('LayerNorm', normalizedShape, options));
      return o.elementwiseAffine ? [param(at, 'weight', o.shape), param(at, 'bias', o.shape)] : [];
    },
    build: (s) => {
      const { type: _t, normalizedShape, ...options } = s;
      return new LayerNorm(normalizedShape as number[], options);
    },
  },
  GELU: {
    keys: ['approximate'],
    plan: (s, at) => { checked(at, () => checkGeluOptions(s.approximate === undefined ? {} : { approximate: s.approximate })); return []; },
    build: (s) => new GELU(s.approximate === undefined ? {} : { approximate: s.approximate as 'none' | 'tanh' }),
  },
  ReLU6: { keys: [], plan: none, build: () => new ReLU6() },
  SiLU: { keys: [], plan: none, build: () => new SiLU() },
  Hardtanh: {
    keys: ['min', 'max'],
    plan: (s, at) => { checked(at, () => checkHardtanh(num(s, 'min', at, -1), num(s, 'max', at, 1))); return []; },
    build: (s) => new Hardtanh((s.min ?? -1) as number, (s.max ?? 1) as number),
  },
  LogSoftmax: { keys: [], plan: none, build: () => new LogSoftmax() },
  Residual: {
    keys: ['body', 'shortcut'],
    plan: (s, at, depth) => {
      const out: Planned = planModule(s.body, `${at}.body`, depth + 1).map(([n, shape]) => [`body.${n}`, shape]);
      if (s.shortcut !== undefined && s.shortcut !== null) {
        for (const [n, shape] of planModule(s.shortcut, `${at}.shortcut`, depth + 1)) out.push([`shortcut.${n}`, shape]);
      }
      return out;
    },
    build: (s, init, made) => new Residual(buildModule(s.body as Spec, init, made),
      s.shortcut === undefined || s.shortcut === null ? null : buildModule(s.shortcut as Spec, init, made)),
  },
  Sequential: {
    keys: ['layers'],
    plan: (s, at, depth) => {
      const layers = s.layers;
      if (!Array.isArray(layers)) fail(at, `layers must be an array of layer descriptions, got ${show(layers)}`);
      const out: Planned = [];
      (layers as unknown[]).forEach((l, i) => {
        for (const [name, shape] of planModule(l, `${at}.layers[${i}]`, depth + 1)) out.push([`${i}.${name}`, shape]);
      });
      return out;
    },
    build: (s, init, made) => new Sequential(...(s.layers as unknown[]).map((l) => buildModule(l as Spec, init, made))),
  },
};

function planModule(json: unknown, at: string, depth: number): Planned {
  if (depth > MAX_DEPTH) fail(at, `modules nested deeper than ${MAX_DEPTH}`);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(at, `expected a layer description { type, ... }, got ${show(json)}`);
  const spec = json as Spec;
  const type = spec.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(kinds, type)) {
    fail(at, `unknown layer type ${show(type)} (known: ${Object.keys(kinds).join(', ')})`);
  }
  const kind = kinds[type as string];
  for (const key of Object.keys(spec)) {
    if (key !== 'type' && !kind.keys.includes(key)) fail(at, `${type} has no option '${key}' (it takes ${kind.keys.length ? kind.keys.join(', ') : 'none'})`);
  }
  return kind.plan(spec, `${at} (${type})`, depth);
}

function buildModule(spec: Spec, init: Init | undefined, made: Module[]): Module {
  const m = kinds[spec.type as string].build(spec, init, made);
  made.push(m);
  return m;
}

/**
 * The parameters (state_dict names and shapes) the described model will have, after checking the
 * whole description; allocates nothing.
 */
export function describeParameters(json: unknown): Array<[string, number[]]> {
  return planModule(json, 'model', 0);
}

/**
 * Builds the model a description (toJSON()'s object, or its JSON text) describes, with fresh
 * weights drawn by `init` (default each layer's own: He). Checks the whole description first and
 * throws an Error naming the layer and the problem.
 */
export function fromJSON(json: ModuleJSON | string, opts: { init?: Init } = {}): Module {
  const { init } = options<{ init?: Init }>('fromJSON', opts, ['init']);
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new Error(`fromJSON: not valid JSON (${(err as Error).message})`);
    }
  }
  const planned = describeParameters(value);
  const total = planned.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
  if (total * 4 > 4 * 1024 * 1024 * 1024) throw new Error(`fromJSON: the model would have ${total} parameters, more than WebAssembly memory can hold (4 GiB)`);
  const made: Module[] = [];
  try {
    return buildModule(value as Spec, init, made);
  } catch (err) {
    // Out of memory half-way: give back what the layers built so far hold.
    for (const m of made) m.dispose();
    throw err;
  }
}
