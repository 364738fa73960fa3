// Float32 tensors as handles into the compute core's linear memory, the registry of live tensors
// that memory() reports, and the scopes that tidy() opens.
//
// A Tensor owns one block of linear memory (`ptr`, `size` floats, row-major `shape`). It is freed
// by dispose(), by the tidy() scope that made it, by reset(), or — as a safety net for tensors a
// program simply dropped — when the JS object is garbage-collected (FinalizationRegistry, where the
// engine has one). Views of the heap are re-derived at every access (heapF32()), never cached
// across a call that may grow memory.

import { wasm, heapF32, allocBytes, freeBytes, onInit, endThreads } from './runtime.js';
import { normal, uniform } from './random.js';
import type { GradNode } from './autograd.js';
import { formatTensor } from './format.js';
import { options } from './options.js';

export type Shape = readonly number[];

/** Largest single block the allocator hands out (AssemblyScript's TLSF: 1 GiB less its header). */
const MAX_TENSOR_BYTES = (1 << 30) - 64;

/** Bumped by every init() and reset(): tensors of an earlier generation point into memory that is gone. */
let generation = 0;

/**
 * Live tensors' blocks by pointer (what memory() counts and reset() frees). The record, not the
 * tensor: a WeakRef per tensor would cost ~1.5 µs an op in a synchronous loop (V8 keeps every
 * WeakRef's target alive until the job ends, so a loop of ops promotes all its results to the old
 * generation: relu on 64×1000 through the op, 16.0 → 14.6 µs a call, min of 60 side by side).
 */
interface Held { ptr: number; gen: number; bytes: number }
const live = new Map<number, Held>();
let liveBytes = 0;

const hasWeak = typeof WeakRef === 'function' && typeof FinalizationRegistry === 'function';
const finalizer = hasWeak
  ? new FinalizationRegistry<Held>((held) => {
      // A tensor nobody disposed became unreachable: give its memory back.
      if (held.gen !== generation || live.get(held.ptr) !== held) return;
      live.delete(held.ptr);
      liveBytes -= held.bytes;
      freeBytes(held.ptr);
    })
  : null;

// Memory derived from a tensor's values (a convolution's transformed weights, see derivedMemory):
// freed with the tensor by dispose() or reset(), or here when a tensor nobody disposed is
// collected. Few tensors have any (one per weight), so reset() finds their owners through WeakRefs.
interface Derived { ptr: number; bytes: number; gen: number }
const derivedOwners = new Map<Derived, WeakRef<Tensor> | Tensor>();
const derivedFinalizer = hasWeak
  ? new FinalizationRegistry<{ ptr: number; gen: number; block: Derived }>((held) => {
      derivedOwners.delete(held.block);
      if (held.gen === generation) freeBytes(held.ptr);
    })
  : null;

/** A tidy() scope: the tensors made while it was the innermost open scope. */
interface Scope { tensors: Tensor[]; parent: Scope | null; open: boolean }
const scopes: Scope[] = [];

export function shapeStr(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** `'<op>: <problem>; shapes [a,b] and [c,d]'` (or `shape [a,b]` for one). */
export function shapeError(op: string, problem: string, ...shapes: Shape[]): Error {
  if (shapes.length === 0) return new Error(`${op}: ${problem}`);
  const list = shapes.map(shapeStr);
  const tail = list.length === 1 ? `shape ${list[0]}` : `shapes ${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
  return new Error(`${op}: ${problem}; ${tail}`);
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Tensor {
  /** Byte offset of element 0 in linear memory; 0 once disposed. For code that calls kernels directly. */
  ptr: number;
  /** Number of elements. */
  readonly size: number;
  /** @internal The shape, shared: never hand it out, never mutate it. */
  readonly _shape: Shape;
  /** True for parameters (set by the user or nn) and for results of ops on such tensors. */
  requiresGrad = false;
  /** The accumulated gradient of a leaf that requires grad (kept alive, owned by this tensor). */
  grad: Tensor | null = null;
  /** @internal How this tensor was computed, while its graph is alive. */
  _node: GradNode | null = null;
  /** @internal The gradient flowing into a non-leaf during backward(). */
  _g: Tensor | null = null;
  /** @internal Its graph was freed by backward(). */
  _released = false;
  /** @internal Never disposed by a tidy() scope (parameters, gradients, optimiser state). */
  _kept = false;
  /** @internal Scratch derived from the values (see derivedMemory), freed with this tensor. */
  _derived: Derived | null = null;
  /** @internal Set by nn for module parameters. */
  _param = false;
  /** @internal */
  _gen: number;

  /** @internal Use tensor(), zeros(), ones(), randn() or rand(). */
  constructor(ptr: number, shape: Shape, size: number) {
    this.ptr = ptr;
    this._shape = shape;
    this.size = size;
    this._gen = generation;
  }

  /** The shape (a copy). */
  get shape(): number[] {
    return this._shape.slice();
  }

  get rank(): number {
    return this._shape.length;
  }

  /** Bytes of linear memory this tensor holds. */
  get bytes(): number {
    return this.size * 4;
  }

  get isDisposed(): boolean {
    return this.ptr === 0 || this._gen !== generation;
  }

  /** A leaf is a tensor not computed by a recorded op (data, parameters). */
  get isLeaf(): boolean {
    return this._node === null && !this._released;
  }

  /** A copy of the elements, row-major. */
  data(): Float32Array {
    assertLive(this, 'data');
    const p = this.ptr >>> 2;
    // The constructor copies faster than slice() (Node 20, 784×256 floats: 33 vs 47 µs from a plain
    // memory, 42 vs 70 µs from a shared one); small tensors the same.
    return new Float32Array(heapF32().subarray(p, p + this.size));
  }

  /** The value of a one-element tensor. */
  item(): number {
    assertLive(this, 'item');
    if (this.size !== 1) throw shapeError('item', `needs a tensor with one element, this one has ${this.size}`, this._shape);
    return heapF32()[this.ptr >>> 2];
  }

  /** The elements as nested arrays (for printing and tests). */
  toArray(): any {
    const d = this.data();
    const shape = this._shape;
    if (shape.length === 0) return d[0];
    let at = 0;
    const build = (dim: number): any => {
      const out: any[] = [];
      for (let i = 0; i < shape[dim]; i++) out.push(dim === shape.length - 1 ? d[at++] : build(dim + 1));
      return out;
    };
    return build(0);
  }

  /** Protects this tensor from every tidy() scope; only dispose() or reset() free it. */
  keep(): this {
    assertLive(this, 'keep');
    this._kept = true;
    return this;
  }

  /** Frees the memory (and the gradient and any buffers its graph holds). Safe to call twice. */
  dispose(): void {
    if (this.ptr === 0) return;
    if (this._gen === generation) {
      live.delete(this.ptr);
      liveBytes -= this.size * 4;
      if (finalizer) finalizer.unregister(this);
      freeBytes(this.ptr);
      freeDerived(this);
    }
    this._derived = null;
    this.ptr = 0;
    const node = this._node;
    this._node = null;
    if (node?.owned) for (const t of node.owned) t.dispose();
    if (this.grad) { this.grad.dispose(); this.grad = null; }
    if (this._g) { this._g.dispose(); this._g = null; }
  }

  /**
   * The values as PyTorch prints them, `tensor([[0.1000, 0.2000], …], shape=[2,2])`, elided above
   * 1000 elements, with `requiresGrad=true` on parameters and the op that made a recorded result.
   */
  toString(): string {
    if (this.isDisposed) return `tensor(<disposed>, shape=${shapeStr(this._shape)})`;
    const suffix = this._node ? `, gradFn=${this._node.op}` : this.requiresGrad ? ', requiresGrad=true' : '';
    return formatTensor(this.data(), this._shape, suffix);
  }

  /** Node's util.inspect (console.log) prints the values, not the handle's internals. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

// `using t = …` (explicit resource management) where the engine has Symbol.dispose. Assigned here,
// not declared in the class, so the published types need no lib beyond ES2020 + DOM; TypeScript
// users of `using` add `declare module 'simdnet' { interface Tensor { [Symbol.dispose](): void } }`.
if (typeof (Symbol as { dispose?: symbol }).dispose === 'symbol') {
  Object.defineProperty(Tensor.prototype, (Symbol as unknown as { dispose: symbol }).dispose, {
    value(this: Tensor) { this.dispose(); }, writable: true, configurable: true,
  });
}

/** Throws an Error naming `op` when `t` is not a live tensor of the current runtime. */
export function assertLive(t: Tensor, op: string): void {
  if (!(t instanceof Tensor)) {
    throw new Error(`${op}: expected a Tensor, got ${describe(t)}`);
  }
  if (t.ptr === 0) throw shapeError(op, 'tensor was used after dispose() (or after the tidy() that made it ended)', t._shape);
  if (t._gen !== generation) throw shapeError(op, 'tensor was made before the last init() or reset() and is no longer valid', t._shape);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return (v as object).constructor?.name ?? 'object';
}

function checkShape(shape: unknown, op: string): number {
  if (!Array.isArray(shape)) throw new Error(`${op}: shape must be an array of integers, got ${describe(shape)}`);
  let size = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw shapeError(op, `shape must hold non-negative integers, got ${String(d)}`, shape as number[]);
    }
    size *= d;
  }
  if (size === 0) throw shapeError(op, 'zero-size tensors are not supported', shape as number[]);
  return size;
}

/**
 * @internal Allocates an uninitialised tensor. `scoped` = false keeps it out of tidy() scopes
 * (internal buffers whose owner frees them). Checks the shape and the allocator's limits first.
 */
export function empty(shape: Shape, op: string, scoped = true): Tensor {
  const size = checkShape(shape, op);
  wasm(op); // before init(): the runtime's own "call `await init()` first" Error
  const bytes = size * 4;
  if (bytes > MAX_TENSOR_BYTES) {
    throw shapeError(op, `out of memory: ${bytes} bytes is more than the largest block WebAssembly memory can hold (1 GiB)`, shape);
  }
  let ptr: number;
  try {
    ptr = allocBytes(bytes, op);
  } catch (err) {
    const msg = (err as Error).message;
    throw shapeError(op, msg.startsWith(`${op}: `) ? msg.slice(op.length + 2) : msg, shape);
  }
  const t = new Tensor(ptr, shape, size);
  const held: Held = { ptr, gen: generation, bytes };
  live.set(ptr, held);
  if (finalizer) finalizer.register(t, held, t);
  liveBytes += bytes;
  if (scoped && scopes.length > 0) scopes[scopes.length - 1].tensors.push(t);
  return t;
}

/** @internal Puts an unscoped tensor into the innermost open tidy() scope (if any). */
export function track(t: Tensor): Tensor {
  if (scopes.length > 0 && !t._kept) scopes[scopes.length - 1].tensors.push(t);
  return t;
}

/** @internal An uninitialised tensor for an op result. */
export function output(shape: Shape, op: string): Tensor {
  return empty(shape, op, true);
}

// ---------------------------------------------------------------------------------------------
// Making tensors

export type TensorData = Float32Array | number | number[] | number[][] | number[][][] | number[][][][];

function flatten(data: unknown[], op: string): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const values: number[] = [];
  const walk = (v: unknown, dim: number): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') throw new Error(`${op}: data must hold numbers, found ${describe(v)} (nested arrays must be rectangular)`);
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new Error(`${op}: nested arrays must be rectangular: expected ${shape[dim]} entries at depth ${dim}, found ${Array.isArray(v) ? v.length : describe(v)}; shape so far ${shapeStr(shape)}`);
    }
    for (const x of v) walk(x, dim + 1);
  };
  walk(data, 0);
  return { values, shape };
}

/**
 * A float32 tensor holding a copy of `data`. `data` is a Float32Array (shape defaults to
 * [length]), a number, or nested number arrays (shape inferred). Rejects other typed arrays,
 * zero-size shapes, a shape that does not match the data, and NaN/Infinity.
 */
export function tensor(data: TensorData, shape?: number[]): Tensor {
  const op = 'tensor';
  let values: ArrayLike<number>;
  let inferred: number[];
  if (data instanceof Float32Array) {
    values = data;
    inferred = [data.length];
  } else if (ArrayBuffer.isView(data)) {
    throw new Error(`${op}: data must be a Float32Array, number[] or number[][], got ${describe(data)} (convert it with Float32Array.from(...))`);
  } else if (Array.isArray(data)) {
    const flat = flatten(data, op);
    values = flat.values;
    inferred = flat.shape;
  } else if (typeof data === 'number') {
    values = [data];
    inferred = [];
  } else {
    throw new Error(`${op}: data must be a Float32Array, number[] or number[][], got ${describe(data)}`);
  }
  const finalShape = shape === undefined ? inferred : shape;
  const size = checkShape(finalShape, op);
  if (values.length === 0) throw shapeError(op, 'zero-size tensors are not supported', inferred);
  if (size !== values.length) {
    throw new Error(`${op}: shape ${shapeStr(finalShape)} needs ${size} values but data has ${values.length}; shapes ${shapeStr(finalShape)} and ${shapeStr(inferred)}`);
  }
  const t = empty(finalShape.slice(), op);
  heapF32().set(values, t.ptr >>> 2);
  assertFinite(t, op, () => t.dispose());
  return t;
}

/**
 * @internal Throws when `t` holds NaN or Infinity (counted by the countNonFinite kernel); runs
 * `cleanup` first. The message names `op`, the shape, the count and the first bad index.
 */
export function assertFinite(t: Tensor, op: string, cleanup?: () => void, what = 'data'): void {
  const bad = wasm(op).countNonFinite(t.ptr, t.size) as number;
  if (bad === 0) return;
  const heap = heapF32(), p = t.ptr >>> 2;
  let first = 0;
  while (first < t.size && Number.isFinite(heap[p + first])) first++;
  const value = heap[p + first];
  const shape = t._shape;
  cleanup?.();
  throw shapeError(op, `${what} contains ${bad} non-finite value${bad === 1 ? '' : 's'} (first: ${value} at index ${first})`, shape);
}

function filled(shape: number[], value: number, op: string): Tensor {
  const t = empty(checkedCopy(shape, op), op);
  wasm(op).fill(t.ptr, value, t.size);
  return t;
}

function checkedCopy(shape: unknown, op: string): number[] {
  checkShape(shape, op);
  return (shape as number[]).slice();
}

/** A tensor of zeros. */
export function zeros(shape: number[]): Tensor {
  return filled(shape, 0, 'zeros');
}

/** A tensor of ones. */
export function ones(shape: number[]): Tensor {
  return filled(shape, 1, 'ones');
}

/** A tensor filled with `value`. */
export function full(shape: number[], value: number): Tensor {
  checkShape(shape, 'full');
  if (!Number.isFinite(value)) throw shapeError('full', `value must be finite, got ${value}`, shape);
  return filled(shape, value, 'full');
}

function fromGenerator(shape: number[], op: string, gen: () => number): Tensor {
  const s = checkedCopy(shape, op);
  let size = 1;
  for (const d of s) size *= d;
  if (size * 4 > MAX_TENSOR_BYTES) return empty(s, op); // throws the out-of-memory error
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = gen();
  const t = empty(s, op);
  heapF32().set(values, t.ptr >>> 2);
  return t;
}

function checkFiniteOption(op: string, values: Record<string, unknown>): void {
  for (const [name, v] of Object.entries(values)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${name} must be a finite number, got ${describe(v) === 'number' ? v : describe(v)}`);
  }
}

/** Normal samples (seeded: see seed()). */
export function randn(shape: number[], opts: { mean?: number; std?: number } = {}): Tensor {
  const { mean = 0, std = 1 } = options<{ mean?: number; std?: number }>('randn', opts, ['mean', 'std']);
  checkFiniteOption('randn', { mean, std });
  return fromGenerator(shape, 'randn', () => mean + std * normal());
}

/** Uniform samples in [low, high) (seeded: see seed()). */
export function rand(shape: number[], opts: { low?: number; high?: number } = {}): Tensor {
  const { low = 0, high = 1 } = options<{ low?: number; high?: number }>('rand', opts, ['low', 'high']);
  checkFiniteOption('rand', { low, high });
  return fromGenerator(shape, 'rand', () => low + (high - low) * uniform());
}

function finiteArg(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${name} must be a finite number, got ${typeof v === 'number' ? v : describe(v)}`);
  return v;
}

function fromValues(op: string, n: number, at: (i: number) => number): Tensor {
  if (n * 4 > MAX_TENSOR_BYTES) return empty([n], op); // throws the out-of-memory error
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = at(i);
  const t = empty([n], op);
  heapF32().set(values, t.ptr >>> 2);
  return t;
}

/**
 * start, start + step, … up to but excluding end (torch.arange): arange(end) counts from 0.
 * Values are computed in double precision, then rounded to float32.
 */
export function arange(start: number, end?: number, step = 1): Tensor {
  const op = 'arange';
  if (end === undefined) { end = start; start = 0; }
  finiteArg(op, 'start', start); finiteArg(op, 'end', end); finiteArg(op, 'step', step);
  if (step === 0) throw new Error(`${op}: step must not be 0`);
  const n = Math.ceil((end - start) / step);
  if (!(n > 0)) throw new Error(`${op}: the range from ${start} to ${end} with step ${step} is empty (simdnet has no zero-size tensors)`);
  return fromValues(op, n, (i) => start + i * step);
}

/** `steps` evenly spaced values from start to end, both included (torch.linspace). */
export function linspace(start: number, end: number, steps: number): Tensor {
  const op = 'linspace';
  finiteArg(op, 'start', start); finiteArg(op, 'end', end);
  if (!Number.isInteger(steps) || steps <= 0) throw new Error(`${op}: steps must be a positive integer, got ${String(steps)}`);
  if (steps === 1) return fromValues(op, 1, () => start);
  const step = (end - start) / (steps - 1);
  // from both ends, as PyTorch, so that the last value is exactly `end`
  return fromValues(op, steps, (i) => (i < steps / 2 ? start + i * step : end - (steps - 1 - i) * step));
}

// ---------------------------------------------------------------------------------------------
// Memory: registry, tidy, reset

export interface MemoryInfo {
  /** Live tensors (including parameters, gradients and optimiser state). */
  tensors: number;
  /** Bytes those tensors hold. */
  bytes: number;
  /** Size of the WebAssembly memory (it grows, never shrinks). */
  wasmBytes: number;
  /** Scratch space the kernels keep for packing. */
  workspaceBytes: number;
}

function freeDerived(t: Tensor): void {
  const d = t._derived;
  if (d === null || d.gen !== generation) return;
  if (derivedFinalizer) derivedFinalizer.unregister(d);
  derivedOwners.delete(d);
  freeBytes(d.ptr);
  t._derived = null;
}

/**
 * @internal `bytes` of linear memory tied to t's lifetime, for something computed from its values
 * (a layer's transformed weights): the same block on every call while the size stays, freed by
 * t's dispose() (or its collection); null when memory is short (the caller then does without).
 * `fresh`: newly allocated, its contents undefined. `op`: the op asking, which stays the name a
 * failing kernel after this is reported under.
 */
export function derivedMemory(t: Tensor, bytes: number, op: string): { ptr: number; fresh: boolean } | null {
  const d = t._derived;
  if (d !== null && d.gen === generation && d.bytes === bytes) return { ptr: d.ptr, fresh: false };
  freeDerived(t);
  let ptr: number;
  try {
    ptr = allocBytes(bytes, op);
  } catch {
    return null;
  }
  const block: Derived = { ptr, bytes, gen: generation };
  t._derived = block;
  derivedOwners.set(block, hasWeak ? new WeakRef(t) : t);
  if (derivedFinalizer) derivedFinalizer.register(t, { ptr, gen: generation, block }, block);
  return { ptr, fresh: true };
}

export function memory(): MemoryInfo {
  const k = wasm('memory');
  return {
    tensors: live.size,
    bytes: liveBytes,
    wasmBytes: k.memory.buffer.byteLength,
    workspaceBytes: typeof k.workspaceBytes === 'function' ? Number(k.workspaceBytes()) : 0,
  };
}

// The leak guard. A training loop without tidy() keeps every intermediate alive: the
// FinalizationRegistry cannot help, since its callbacks run only when the loop yields to the
// event loop (measured in ARCHITECTURE.md). backward() reports each step here; when the count of
// live tensors has grown at each of LEAK_CHECKS checkpoints LEAK_EVERY unscoped steps apart, warn
// once, naming tidy() and how to switch the warning off.
const LEAK_EVERY = 50, LEAK_CHECKS = 4;
let leakWarning = true, leakWarned = false, unscopedSteps = 0, lastCount = -1, growing = 0;

/**
 * Turns the warning about live tensors growing across backward() calls made outside tidy() on
 * or off (on by default; turning it on re-arms it).
 */
export function setLeakWarning(enabled: boolean): void {
  if (typeof enabled !== 'boolean') throw new Error(`setLeakWarning: expected true or false, got ${describe(enabled)}`);
  leakWarning = enabled;
  if (enabled) leakWarned = false;
  unscopedSteps = 0; lastCount = -1; growing = 0;
}

/** @internal Called by backward(): one training step happened. */
export function noteStep(): void {
  if (!leakWarning || leakWarned) return;
  if (scopes.length > 0) { unscopedSteps = 0; lastCount = -1; growing = 0; return; }
  if (++unscopedSteps % LEAK_EVERY !== 0) return;
  const count = live.size;
  growing = lastCount >= 0 && count > lastCount ? growing + 1 : 0;
  lastCount = count;
  if (growing < LEAK_CHECKS) return;
  leakWarned = true;
  console.warn(
    `simdnet: ${count} live tensors, and the count grew over the last ${LEAK_EVERY * LEAK_CHECKS} backward() calls made outside tidy(). ` +
    'Every op result stays in WebAssembly memory until disposed: wrap each training step in tidy(() => { ... }) ' +
    '(fit() does), or dispose() what you no longer need. Silence this warning with setLeakWarning(false).',
  );
}

/**
 * Frees every live tensor, parameters and optimiser state included, closes all scopes, and ends
 * the worker threads (the kernels then run on the calling thread until the next init()).
 */
export function reset(): void {
  wasm('reset');
  endThreads();
  for (const [, owner] of derivedOwners) {
    const t = owner instanceof Tensor ? owner : owner.deref();
    if (t) freeDerived(t);
  }
  derivedOwners.clear();
  for (const ptr of live.keys()) freeBytes(ptr);
  live.clear();
  liveBytes = 0;
  // every tensor made so far now fails assertLive and isDisposed, and its dispose() and its
  // finalizer leave the allocator alone
  generation++;
  for (const s of scopes) s.open = false;
  scopes.length = 0;
}

onInit.push(() => {
  generation++;
  derivedOwners.clear();
  live.clear();
  liveBytes = 0;
  for (const s of scopes) s.open = false;
  scopes.length = 0;
});

/** Every Tensor reachable through arrays and plain objects (what a tidy() returns). */
function collect(value: unknown, out: Set<Tensor>, seen: Set<object>): void {
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, seen);
    return;
  }
  if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, seen);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) for (const v of Object.values(value)) collect(v, out, seen);
}

function closeScope(scope: Scope, result: unknown): void {
  if (!scope.open) return; // reset() or init() closed it already
  scope.open = false;
  const at = scopes.lastIndexOf(scope);
  if (at >= 0) scopes.splice(at, 1);
  const keep = new Set<Tensor>();
  if (result !== undefined) collect(result, keep, new Set());
  let parent = scope.parent;
  while (parent && !parent.open) parent = parent.parent;
  for (const t of scope.tensors) {
    if (t.ptr === 0) continue;
    if (keep.has(t)) {
      if (parent) parent.tensors.push(t);
    } else if (!t._kept) {
      t.dispose();
    }
  }
  scope.tensors.length = 0;
}

/**
 * Runs `fn` and disposes every tensor made during it, except the tensors it returns (a Tensor,
 * or arrays / plain objects holding Tensors; those move to the enclosing scope) and kept tensors
 * (parameters, their gradients, optimiser state, anything .keep() marked). Throwing disposes
 * everything the scope made.
 *
 * `fn` may be async: the scope then stays open until the promise settles. JavaScript has no way
 * to know which async task made a tensor, so while an async tidy is pending every tensor made
 * anywhere goes to the innermost open scope — concurrent async tidies (or other work that runs
 * while one awaits) interleave, and a tensor made by one may be disposed when another ends.
 * Await one tidy before starting the next, or keep() what must survive.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new Error(`tidy: expected a function, got ${describe(fn)}`);
  const scope: Scope = { tensors: [], parent: scopes.length ? scopes[scopes.length - 1] : null, open: true };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    closeScope(scope, undefined);
    throw err;
  }
  if (result !== null && typeof result === 'object' && typeof (result as any).then === 'function') {
    return (result as any).then(
      (value: unknown) => { closeScope(scope, value); return value; },
      (err: unknown) => { closeScope(scope, undefined); throw err; },
    ) as T;
  }
  closeScope(scope, result);
  return result;
}
