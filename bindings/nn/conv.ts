// Convolutional layers: Conv2d, MaxPool2d, AvgPool2d and Dropout, thin modules over their ops.
// Input and output are NCHW ([batch, channels, height, width]), as PyTorch and ONNX. Each spatial
// output size floors, as PyTorch's:
//   out = floor((in + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1
// so input rows and columns that the last window does not reach are dropped (the course notes'
// "must be an integer" becomes: what does not fit is ignored); an output < 1 is an Error.

import { Tensor } from '../tensor.js';
import { Module, type ModuleJSON } from './module.js';
import { initParameter, zeroParameter, type Init } from './init.js';
import { conv2d, conv2dFused, checkGroups, type Conv2dOptions } from '../ops/conv2d.js';
import { fusesUnderTape, type FusedActivation } from '../ops/fused.js';
import { needsGrad } from '../autograd.js';
import { globalAvgPool2d } from '../ops/globalAvgPool2d.js';
import { maxPool2d } from '../ops/maxPool2d.js';
import { avgPool2d } from '../ops/avgPool2d.js';
import { dropout, checkDropP } from '../ops/dropout.js';
import { pair, poolParams, flag, poolOptionKeys, type Size2 } from '../ops/window.js';
import { options } from '../options.js';

function checkChannels(op: string, values: Record<string, unknown>): void {
  for (const [name, v] of Object.entries(values)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${String(v)}`);
  }
}

export interface Conv2dLayerOptions {
  /** Step between windows (default 1): a number or [h, w]. */
  stride?: Size2;
  /** Zeros added on each side (default 0), or 'same' (stride 1): the output keeps the input's size, as PyTorch. */
  padding?: Size2 | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups (default 1), dividing both channel counts; groups = inChannels is depthwise. */
  groups?: number;
  /** Add a learned bias per output channel (default true). */
  bias?: boolean;
  /** Weight initialisation (default 'he', fan-in in/groups·kh·kw, fan-out out·kh·kw as PyTorch); the bias starts at zero. */
  init?: Init;
}

const CONV_KEYS = ['stride', 'padding', 'dilation', 'groups', 'bias', 'init'];

/**
 * A 2-D convolution layer: [batch, inChannels, H, W] → [batch, outChannels, outH, outW] with
 * outH = floor((H + 2·padding − dilation·(kh − 1) − 1) / stride) + 1 (likewise outW; input rows
 * the last window does not reach are dropped, as PyTorch). Parameters `weight`
 * [outChannels, inChannels/groups, kh, kw] and `bias` [outChannels]: PyTorch's state_dict layout.
 */
/** A Conv2d's options, as conv2d takes them. */
function convOptions(c: Conv2d): Conv2dOptions {
  return { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
}

/** Whether x or a Conv2d's parameters need a gradient (then only some fusions apply). */
function layerNeedsGrad(c: Conv2d, x: Tensor): boolean {
  return needsGrad(x, c.weight) || (c.bias !== null && needsGrad(c.bias));
}

export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  /** [h, w], or 'same' (PyTorch's split: see ops/conv2d.ts samePadding). */
  readonly padding: [number, number] | 'same';
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, opts: Conv2dLayerOptions = {}) {
    super();
    const op = 'Conv2d';
    const { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, init = 'he' } = options<Conv2dLayerOptions>(op, opts, CONV_KEYS);
    checkChannels(op, { inChannels, outChannels });
    this.kernelSize = pair(op, 'kernelSize', kernelSize, 1);
    this.stride = pair(op, 'stride', stride, 1);
    this.dilation = pair(op, 'dilation', dilation, 1);
    if (padding === 'same') {
      if (this.stride[0] !== 1 || this.stride[1] !== 1) throw new Error(`${op}: padding 'same' needs stride 1 (as PyTorch), got stride ${this.stride[0]},${this.stride[1]}`);
      this.padding = 'same';
    } else {
      this.padding = pair(op, 'padding', padding, 0);
    }
    this.groups = checkGroups(op, groups, inChannels, outChannels);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    const [kh, kw] = this.kernelSize, perGroup = inChannels / this.groups;
    this.weight = initParameter(op, [outChannels, perGroup, kh, kw], init, perGroup * kh * kw, outChannels * kh * kw);
    this.bias = bias ? zeroParameter(op, [outChannels], this.weight) : null;
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, convOptions(this));
  }

  override forwardFusedPool(x: Tensor, act: FusedActivation, pool: Module): Tensor | null {
    // a MaxPool2d of its exact class with kernel 2, stride 2, no padding or dilation, floor mode
    if (!(x instanceof Tensor) || !(pool instanceof MaxPool2d) || pool.constructor !== MaxPool2d) return null;
    const mp = pool as MaxPool2d;
    const is = (v: readonly number[], a: number) => v[0] === a && v[1] === a;
    if (!is(mp.kernelSize, 2) || !is(mp.stride, 2) || !is(mp.padding, 0) || !is(mp.dilation, 1) || mp.ceilMode) return null;
    // under a tape as forwardFused; conv2dFused says which of those it pools in the same kernel (ReLU)
    if (!fusesUnderTape(act) && layerNeedsGrad(this, x)) return null;
    return conv2dFused(x, this.weight, this.bias, convOptions(this), act, true);
  }

  override forwardFused(x: Tensor, act: FusedActivation): Tensor | null {
    // anything but a tensor goes to forward(), which names the problem
    if (!(x instanceof Tensor)) return null;
    if (!fusesUnderTape(act) && layerNeedsGrad(this, x)) return null;
    return conv2dFused(x, this.weight, this.bias, convOptions(this), act);
  }

  override toJSON(): ModuleJSON {
    return {
      type: 'Conv2d', inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: [...this.kernelSize],
      stride: [...this.stride], padding: this.padding === 'same' ? 'same' : [...this.padding], dilation: [...this.dilation],
      ...(this.groups !== 1 ? { groups: this.groups } : {}), bias: this.bias !== null,
    };
  }
}


export interface Pool2dLayerOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Size2;
  /** Implicit padding on each side, at most half the kernel (default 0). */
  padding?: Size2;
  /** PyTorch's ceil_mode (default false): round the output size up (see ops.maxPool2d). */
  ceilMode?: boolean;
}

export interface MaxPool2dLayerOptions extends Pool2dLayerOptions {
  /** Spacing between the window's taps (default 1). */
  dilation?: Size2;
}

export interface AvgPool2dLayerOptions extends Pool2dLayerOptions {
  /** PyTorch's count_include_pad (default true): padded cells count in the divisor. */
  countIncludePad?: boolean;
}

/** The layer's checked options; unknown keys throw (`{ dilation }` on AvgPool2d, a misspelling, …). */
function poolLayerParams(name: 'MaxPool2d' | 'AvgPool2d', kernelSize: Size2, opts: unknown) {
  const known = poolOptionKeys[name === 'MaxPool2d' ? 'max' : 'avg'].filter((key) => key !== 'kernelSize');
  const o = options<MaxPool2dLayerOptions & AvgPool2dLayerOptions>(name, opts, known);
  return {
    ...poolParams(name, kernelSize, o.stride, o.padding ?? 0, o.dilation ?? 1),
    ceilMode: flag(name, 'ceilMode', o.ceilMode, false),
    countIncludePad: flag(name, 'countIncludePad', o.countIncludePad, true),
  };
}

/**
 * Max pooling over kernelSize windows (padded cells never win): [batch, C, H, W] →
 * [batch, C, outH, outW], outH = floor((H + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1
 * (input rows the last window does not reach are dropped, as PyTorch), rounded up in ceilMode.
 */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;

  constructor(kernelSize: Size2, opts: MaxPool2dLayerOptions = {}) {
    super();
    const o = poolLayerParams('MaxPool2d', kernelSize, opts);
    ({ k: this.kernelSize, s: this.stride, p: this.padding, d: this.dilation, ceilMode: this.ceilMode } = o);
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }

  override toJSON(): ModuleJSON {
    return {
      type: 'MaxPool2d', kernelSize: [...this.kernelSize], stride: [...this.stride], padding: [...this.padding],
      dilation: [...this.dilation], ceilMode: this.ceilMode,
    };
  }
}

/**
 * Average pooling over kernelSize windows, padded cells counting as zeros in the divisor unless
 * countIncludePad is false (PyTorch's count_include_pad): output size as MaxPool2d without dilation.
 */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(kernelSize: Size2, opts: AvgPool2dLayerOptions = {}) {
    super();
    const o = poolLayerParams('AvgPool2d', kernelSize, opts);
    ({ k: this.kernelSize, s: this.stride, p: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad } = o);
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad,
    });
  }

  override toJSON(): ModuleJSON {
    return {
      type: 'AvgPool2d', kernelSize: [...this.kernelSize], stride: [...this.stride], padding: [...this.padding],
      ceilMode: this.ceilMode, countIncludePad: this.countIncludePad,
    };
  }
}

/**
 * Global average pooling: [batch, C, H, W] → [batch, C, 1, 1], the mean of each channel's plane
 * (PyTorch's AdaptiveAvgPool2d(1); follow it with Flatten for a [batch, C] head).
 */
export class GlobalAvgPool2d extends Module {
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }

  override toJSON(): ModuleJSON {
    return { type: 'GlobalAvgPool2d' };
  }
}

/**
 * Inverted dropout: in train() mode each element is zeroed with probability p and the rest are
 * scaled by 1/(1 − p); in eval() mode the input passes through unchanged. The masks follow the
 * seeded generator (seed(n) repeats them).
 */
export class Dropout extends Module {
  readonly p: number;

  constructor(p = 0.5) {
    super();
    this.p = checkDropP('Dropout', p);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training });
  }

  override toJSON(): ModuleJSON {
    return { type: 'Dropout', p: this.p };
  }
}
