// Looking at a model: model.toString() (the layer tree, as PyTorch prints it), model.summary(
// inputShape) (a Keras-style table of layers, output shapes and parameter counts) and
// paramCount(model).

import { Tensor, zeros, tidy, describe } from '../tensor.js';
import { noGrad } from '../autograd.js';
import { Module } from './module.js';

/** Number of parameter elements of a model (each shared parameter once), or of a list of tensors. */
export function paramCount(model: Module | readonly Tensor[]): number {
  const params = model instanceof Module ? model.parameters() : model;
  if (!Array.isArray(params)) throw new Error(`paramCount: expected an nn.Module or an array of Tensors, got ${describe(model)}`);
  let n = 0;
  for (const p of new Set(params)) {
    if (!(p instanceof Tensor)) throw new Error(`paramCount: expected Tensors, got ${describe(p)}`);
    n += p.size;
  }
  return n;
}

/** The type name and own options of a module, from toJSON() when it can describe itself. */
function header(m: Module): string {
  let json: Record<string, unknown> | null = null;
  try { json = m.toJSON() as Record<string, unknown>; } catch { json = null; }
  const name = (json?.type as string | undefined) ?? m.constructor.name;
  if (!json) return name;
  const own = Object.entries(json).filter(([k, v]) => k !== 'type' && !(Array.isArray(v) && v.some((e) => e !== null && typeof e === 'object')) && !(v !== null && typeof v === 'object' && !Array.isArray(v)));
  return `${name}(${own.map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`).join(', ')})`;
}

function tree(m: Module, indent: string): string {
  const children = m.namedChildren();
  const head = header(m);
  if (children.length === 0) return head.includes('(') ? head : `${head}()`;
  const name = head.replace(/\(.*$/, '');
  const lines = children.map(([key, child]) => `${indent}  (${key}): ${tree(child, indent + '  ')}`);
  return `${name}(\n${lines.join('\n')}\n${indent})`;
}

interface Row { name: string; type: string; shape: string; params: number }

/**
 * A table of every layer (modules without children, in the order forward() calls them) with
 * its output shape for an input of `inputShape` (without the batch dimension; a batch of one
 * runs in eval mode under noGrad, then every mode is restored) and its parameter count, with
 * totals. Returns the text.
 */
function summary(model: Module, inputShape: number[]): string {
  const op = 'summary';
  if (!Array.isArray(inputShape) || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`${op}: inputShape must be an array of positive integers without the batch dimension (e.g. [784] or [1, 28, 28]), got ${Array.isArray(inputShape) ? `[${inputShape.join(',')}]` : describe(inputShape)}`);
  }
  const modules: Array<[string, Module]> = [];
  const walk = (m: Module, prefix: string): void => {
    const children = m.namedChildren();
    if (children.length === 0 || m.namedOwnParameters().length > 0) modules.push([prefix || '(model)', m]);
    for (const [k, c] of children) walk(c, prefix ? `${prefix}.${k}` : k);
  };
  walk(model, '');
  const modes = new Map<Module, boolean>();
  const visit = (m: Module): void => { modes.set(m, m.training); m.namedChildren().forEach(([, c]) => visit(c)); };
  visit(model);
  const rows: Row[] = [];
  const own = (m: Module) => m.namedOwnParameters().reduce((s, [, p]) => s + p.size, 0);
  // Record each layer's output as forward() reaches it (PyTorch's forward hooks), with
  // Sequential's fused paths (layer + activation, and + pool) off so that every layer runs on its own.
  for (const [name, m] of modules) {
    for (const fused of ['forwardFused', 'forwardFusedPool']) {
      if (typeof (m as unknown as Record<string, unknown>)[fused] === 'function') {
        Object.defineProperty(m, fused, { configurable: true, writable: true, enumerable: false, value: () => null });
      }
    }
    const forward = m.forward;
    Object.defineProperty(m, 'forward', {
      configurable: true, writable: true, enumerable: false,
      value: (x: Tensor) => {
        const y = forward.call(m, x);
        rows.push({ name, type: header(m).replace(/\(.*$/, ''), shape: `[-1, ${y.shape.slice(1).join(', ')}]`.replace(', ]', ']'), params: own(m) });
        return y;
      },
    });
  }
  try {
    model.eval();
    tidy(() => noGrad(() => { model.forward(zeros([1, ...inputShape])); }));
  } catch (err) {
    throw new Error(`${op}: the model's forward failed on an input of shape [1,${inputShape.join(',')}]: ${(err as Error).message}`);
  } finally {
    for (const [, m] of modules) {
      delete (m as unknown as Record<string, unknown>).forward;
      delete (m as unknown as Record<string, unknown>).forwardFused;
      delete (m as unknown as Record<string, unknown>).forwardFusedPool;
    }
    for (const [m, mode] of modes) m.training = mode;
  }
  const total = paramCount(model);
  const trainable = paramCount(model.parameters().filter((p) => p.requiresGrad));
  const table = [['Layer (type)', 'Output shape', 'Param #'], ...rows.map((r) => [`${r.name} (${r.type})`, r.shape, r.params.toLocaleString('en-US')])];
  const w = [0, 1, 2].map((c) => Math.max(...table.map((r) => r[c].length)));
  const line = (r: string[]) => `${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`;
  const rule = (ch: string) => ch.repeat(w[0] + w[1] + w[2] + 4);
  return [
    line(table[0]), rule('='), ...table.slice(1).map(line), rule('='),
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`,
  ].join('\n');
}

declare module './module.js' {
  interface Module {
    /** The layer tree, as PyTorch prints a model. */
    toString(): string;
    /** A Keras-style table (layer, output shape, parameter count, totals) for an input of `inputShape` (no batch dimension). */
    summary(inputShape: number[]): string;
  }
}

Module.prototype.toString = function (this: Module): string { return tree(this, ''); };
Module.prototype.summary = function (this: Module, inputShape: number[]): string { return summary(this, inputShape); };
