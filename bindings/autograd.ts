// The tape. An op whose inputs need gradients records on its output how it was computed:
// { op, inputs, backward }. backward() on a result walks the recorded graph in reverse
// topological order; each op's backward adds its vector-Jacobian products into its inputs'
// gradients, so a tensor used twice receives the sum ("gradients add at branches"). Leaves
// (parameters) accumulate into .grad across backward() calls until zeroGrad(); the gradients of
// intermediate tensors are freed as soon as they have been passed on, and the graph (with any
// buffers an op saved for its backward) is freed when backward() finishes.

import { Tensor, empty, assertLive, shapeError, sameShape, shapeStr, describe, noteStep } from './tensor.js';
import { wasm, heapF32, runningOp } from './runtime.js';
import { options as checkOptions } from './options.js';

export interface GradNode {
  /** The op's name, for error messages. */
  op: string;
  /** The tensors the op read (the ones that need gradients get them). */
  inputs: readonly Tensor[];
  /** Adds the vector-Jacobian product for upstream gradient `g` into the inputs' gradients. */
  backward(g: Tensor): void;
  /** Buffers the op saved for backward (probabilities, labels, argmax), freed with the graph. */
  owned: Tensor[] | null;
}

let disabled = 0;

/** True unless inside noGrad(). */
export function isGradEnabled(): boolean {
  return disabled === 0;
}

/** Whether an op on these inputs must record itself. */
export function needsGrad(a: Tensor, b?: Tensor | null): boolean {
  return disabled === 0 && (a.requiresGrad || (b != null && b.requiresGrad));
}

/** Whether any of these needs a gradient (for ops over lists, e.g. penalties). */
export function anyNeedsGrad(ts: readonly Tensor[]): boolean {
  if (disabled !== 0) return false;
  for (const t of ts) if (t.requiresGrad) return true;
  return false;
}

/**
 * Runs `fn` without recording: results of ops do not require grad and save nothing for
 * backward (what evaluate() and inference use). An async `fn` keeps recording off until its
 * promise settles — for everything that runs meanwhile, as with tidy().
 */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new Error(`noGrad: expected a function, got ${describe(fn)}`);
  disabled++;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    disabled--;
    throw err;
  }
  if (result !== null && typeof result === 'object' && typeof (result as any).then === 'function') {
    return (result as any).then(
      (v: unknown) => { disabled--; return v; },
      (e: unknown) => { disabled--; throw e; },
    ) as T;
  }
  disabled--;
  return result;
}

/**
 * Records on `out` that it was computed by `op` from `inputs`; `backward(g)` must add the
 * vector-Jacobian products into the inputs (with addGrad / setGrad). `owned` buffers live until
 * the graph is freed. Call only when needsGrad() said so.
 */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: (g: Tensor) => void, owned: Tensor[] | null = null): Tensor {
  out.requiresGrad = true;
  out._node = { op, inputs, backward, owned };
  return out;
}

function gradientOf(t: Tensor): Tensor | null {
  if (t._node === null && !t._released) {
    if (t.grad && t.grad.ptr === 0) t.grad = null; // the user disposed it
    return t.grad;
  }
  return t._g;
}

function newGradient(t: Tensor): Tensor {
  if (t._node === null && !t._released) {
    // A leaf: its gradient belongs to it and outlives every tidy().
    const g = empty(t._shape, 'backward', false);
    g._kept = true;
    t.grad = g;
    return g;
  }
  return (t._g = empty(t._shape, 'backward', false));
}

/**
 * Adds a gradient contribution into `t` with a kernel that can either overwrite or accumulate:
 * `write(dst, accumulate)` must set dst = v when accumulate is 0 and dst += v when it is 1.
 * Does nothing when `t` needs no gradient.
 */
export function addGrad(t: Tensor, write: (dst: number, accumulate: number) => void): void {
  if (!t.requiresGrad) return;
  const g = gradientOf(t);
  if (g) write(g.ptr, 1);
  else write(newGradient(t).ptr, 0);
}

/**
 * Adds a gradient contribution into `t` with a kernel that can only overwrite: `write(dst)`
 * sets dst = v. When `t` already has a gradient (a branch), v goes through a scratch buffer
 * and is added with axpy.
 */
export function setGrad(t: Tensor, write: (dst: number) => void): void {
  if (!t.requiresGrad) return;
  const g = gradientOf(t);
  if (!g) {
    write(newGradient(t).ptr);
    return;
  }
  const tmp = empty(t._shape, 'backward', false);
  try {
    write(tmp.ptr);
    wasm('backward').axpy(tmp.ptr, g.ptr, 1, t.size);
  } finally {
    tmp.dispose();
  }
}

/** Adds alpha·g into t's gradient (pass-through ops: add, sub, scale, reshape). */
export function addScaled(t: Tensor, g: Tensor, alpha = 1): void {
  addGrad(t, (dst, acc) => {
    const k = wasm('backward');
    if (acc) k.axpy(g.ptr, dst, alpha, g.size);
    else if (alpha === 1) heapF32().copyWithin(dst >>> 2, g.ptr >>> 2, (g.ptr >>> 2) + g.size);
    else k.scale(g.ptr, alpha, dst, g.size);
  });
}

/** The value of a one-element gradient (sum, mean and the losses scale by it). */
export function scalarOf(g: Tensor): number {
  return heapF32()[g.ptr >>> 2];
}

export interface BackwardOptions {
  /** Keep the graph for another backward() (default false: it is freed). */
  retainGraph?: boolean;
}

/** Tensors of the graph below `root` that need gradients, in topological order (inputs first). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: Array<[Tensor, number]> = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const node = t._node;
    if (node && i < node.inputs.length) {
      top[1]++;
      const input = node.inputs[i];
      if (!input.requiresGrad || seen.has(input)) continue;
      if (input.isDisposed) {
        throw shapeError('backward', `the ${node.op} in the graph reads a tensor that was disposed before backward() (by dispose() or by the tidy() that made it); run forward, backward() and step() in one tidy`, input._shape);
      }
      if (input._released) {
        throw shapeError('backward', `the graph through a tensor made by ${node.op} was already freed by an earlier backward(); run the forward pass again (or pass { retainGraph: true })`, input._shape);
      }
      seen.add(input);
      stack.push([input, 0]);
    } else {
      if (node?.owned) for (const o of node.owned) if (o.ptr === 0) throw shapeError('backward', `a buffer ${node.op} saved for backward was disposed`, t._shape);
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

/**
 * Backpropagates from `root`: a one-element tensor (seeded with 1) or any tensor with an
 * explicit `gradient` of its shape. Leaves' gradients accumulate in their .grad.
 */
export function backward(root: Tensor, gradientArg?: Tensor | BackwardOptions, optionsArg?: BackwardOptions): void {
  assertLive(root, 'backward');
  // loss.backward({ retainGraph: true }), as PyTorch's loss.backward(retain_graph=True): options in the gradient's place.
  const optionsFirst = gradientArg !== null && typeof gradientArg === 'object' && !(gradientArg instanceof Tensor) && optionsArg === undefined;
  const gradient = optionsFirst ? undefined : (gradientArg as Tensor | undefined);
  const options = checkOptions<BackwardOptions>('backward', optionsFirst ? gradientArg : optionsArg, ['retainGraph']);
  if (root._released) throw shapeError('backward', 'the graph of this tensor was already freed by an earlier backward(); run the forward pass again (or pass { retainGraph: true })', root._shape);
  if (!root.requiresGrad) {
    throw shapeError('backward', 'this tensor does not require grad (no input of the ops that made it requires grad, or it was computed under noGrad())', root._shape);
  }
  if (gradient === undefined) {
    if (root.size !== 1) throw shapeError('backward', 'needs an explicit gradient for a tensor with more than one element', root._shape);
  } else {
    assertLive(gradient, 'backward');
    if (!sameShape(gradient._shape, root._shape)) throw shapeError('backward', 'the gradient must have the shape of the tensor', root._shape, gradient._shape);
  }
  const order = topoOrder(root);
  noteStep();
  const k = wasm('backward');
  // Seed the root's gradient (a leaf root accumulates into its .grad directly).
  if (gradient === undefined) addGrad(root, (dst, acc) => (acc ? k.addScalar(dst, 1, dst, 1) : k.fill(dst, 1, 1)));
  else addGrad(root, (dst, acc) => (acc ? k.axpy(gradient.ptr, dst, 1, root.size) : heapF32().copyWithin(dst >>> 2, gradient.ptr >>> 2, (gradient.ptr >>> 2) + root.size)));
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const node = t._node, g = t._g;
      if (!node || !g) continue;
      runningOp(`${node.op} backward`); // a worker thread's failure names the op
      node.backward(g);
      g.dispose();
      t._g = null;
    }
  } finally {
    runningOp(null);
    for (const t of order) {
      if (t._g) { t._g.dispose(); t._g = null; }
      if (!options.retainGraph && t._node) {
        const owned = t._node.owned;
        t._node = null;
        t._released = true;
        if (owned) for (const o of owned) o.dispose();
      }
    }
  }
}

declare module './tensor.js' {
  interface Tensor {
    /**
     * Backpropagates from this tensor (one element, or pass `gradient` of its shape). Adds into
     * the .grad of every leaf that requires grad; frees the graph unless { retainGraph: true }
     * (which may also come first: `loss.backward({ retainGraph: true })`).
     */
    backward(gradient?: Tensor | BackwardOptions, options?: BackwardOptions): void;
    /** Disposes this leaf's gradient (the next backward() starts from zero). */
    zeroGrad(): void;
    /** Marks this leaf as needing gradients (parameters); returns it. */
    requireGrad(flag?: boolean): Tensor;
  }
}

Tensor.prototype.backward = function (this: Tensor, gradient?: Tensor | BackwardOptions, options?: BackwardOptions): void {
  backward(this, gradient, options);
};

Tensor.prototype.zeroGrad = function (this: Tensor): void {
  if (this.grad) { this.grad.dispose(); this.grad = null; }
};

Tensor.prototype.requireGrad = function (this: Tensor, flag = true): Tensor {
  assertLive(this, 'requireGrad');
  if (!this.isLeaf) throw new Error(`requireGrad: only leaf tensors (data, parameters) can be marked; this one was computed by ${this._node?.op ?? 'an op'}; shape ${shapeStr(this._shape)}`);
  this.requiresGrad = flag;
  return this;
};
