// The optimiser protocol (ConvNetJS's shape): it sees only the list of parameters and their
// .grad, and updates them in place with one wasm kernel per parameter. Its state (momentum,
// Adam moments) lives in kept tensors, so no tidy() frees it.

import { Tensor, zeros, assertLive, shapeError } from '../tensor.js';

export function checkNumber(op: string, name: string, v: unknown, min = 0, max = Infinity, openMax = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (openMax ? v >= max : v > max)) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}${openMax ? ')' : ']'}`;
    throw new Error(`${op}: ${name} must be a finite number ${range}, got ${String(v)}`);
  }
  return v;
}

export abstract class Optimizer {
  readonly params: Tensor[];
  protected _lr: number;
  protected readonly name: string;

  constructor(name: string, params: readonly Tensor[], lr: number) {
    this.name = name;
    if (!Array.isArray(params) || params.length === 0) {
      throw new Error(`${name}: expected a non-empty array of parameters (model.parameters()), got ${Array.isArray(params) ? 'an empty array' : String(params)}`);
    }
    params.forEach((p, i) => {
      assertLive(p, name);
      if (!p.requiresGrad || !p.isLeaf) throw shapeError(name, `parameter ${i} is not a leaf tensor that requires grad`, p._shape);
    });
    this.params = [...new Set(params)];
    this._lr = checkNumber(name, 'lr', lr);
  }

  /** The learning rate (schedules write it). */
  get lr(): number {
    return this._lr;
  }

  set lr(v: number) {
    this._lr = checkNumber(this.name, 'lr', v);
  }

  /** Disposes every parameter's gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** Updates every parameter that has a gradient. */
  abstract step(): void;

  /** Copies of the state tensors by name (for checkpoints and tests). */
  abstract stateDict(): Record<string, Float32Array | number>;

  /** Frees the state tensors. */
  abstract dispose(): void;

  /** @internal The hyperparameters besides lr that a checkpoint stores, by option name. */
  hyperparameters(): Record<string, number | boolean> {
    return {};
  }

  /**
   * @internal Checks hyperparameters read from a checkpoint (the keys of hyperparameters()),
   * throwing an Error that starts with `where`; returns the function that sets them.
   */
  checkHyperparameters(_values: Record<string, unknown>, _where: string): () => void {
    return () => {};
  }

  /**
   * Replaces the state with a stateDict() (of an optimiser of the same kind over the same
   * parameters). Checks every entry first and allocates before writing, so a bad state dict or
   * running out of memory changes nothing. Parameters without an entry start afresh.
   */
  loadStateDict(_state: Record<string, Float32Array | number[] | number>): void {
    throw new Error(`${this.name}.loadStateDict: this optimiser cannot load state`);
  }

  /**
   * @internal Checks a state dict whose entries are '<i>.<field>' (i a parameter index, fields
   * as given: 'tensor' entries hold one value per parameter element ('tensor?': and may be
   * missing), 'count' entries a non-negative integer). Returns the entries per parameter index.
   */
  protected checkState(state: unknown, fields: Record<string, 'tensor' | 'count' | 'tensor?'>): Map<number, Record<string, Float32Array | number>> {
    const op = `${this.name}.loadStateDict`;
    if (state === null || typeof state !== 'object') throw new Error(`${op}: expected an object from stateDict(), got ${state === null ? 'null' : typeof state}`);
    const out = new Map<number, Record<string, Float32Array | number>>();
    const names = Object.keys(fields);
    for (const [key, v] of Object.entries(state)) {
      const m = /^(0|[1-9][0-9]{0,8})\.([A-Za-z]+)$/.exec(key);
      const i = m ? Number(m[1]) : -1;
      if (!m || i >= this.params.length || !(m[2] in fields)) {
        throw new Error(`${op}: unknown entry '${key}' (expected ${names.map((f) => `'<i>.${f}'`).join(', ')} for parameter i < ${this.params.length})`);
      }
      const p = this.params[i];
      let value: Float32Array | number;
      if (fields[m[2]] === 'count') {
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${op}: '${key}' must be a non-negative integer, got ${String(v)}`);
        value = v;
      } else {
        if (!(v instanceof Float32Array) && !Array.isArray(v)) throw shapeError(op, `'${key}' must be a Float32Array, got ${typeof v}`, p._shape);
        if (v.length !== p.size) throw shapeError(op, `'${key}' has ${v.length} values, parameter ${i} has ${p.size}`, p._shape, [v.length]);
        for (let j = 0; j < v.length; j++) {
          if (typeof v[j] !== 'number' || !Number.isFinite(v[j])) throw shapeError(op, `'${key}' holds ${String(v[j])} at index ${j}`, p._shape);
        }
        value = v instanceof Float32Array ? v : Float32Array.from(v);
      }
      let entry = out.get(i);
      if (!entry) out.set(i, (entry = {}));
      entry[m[2]] = value;
    }
    for (const [i, entry] of out) {
      for (const f of names) if (!(f in entry) && fields[f] !== 'tensor?') throw new Error(`${op}: parameter ${i} has ${Object.keys(entry).map((k) => `'${i}.${k}'`).join(', ')} but no '${i}.${f}'`);
    }
    return out;
  }

  /**
   * @internal Makes kept zero state tensors for the parameters in `indices` that `has` lacks, all
   * or none: on out-of-memory it frees what it made and throws.
   */
  protected allocState(indices: Iterable<number>, has: (p: Tensor) => boolean, count: number): Map<Tensor, Tensor[]> {
    const made = new Map<Tensor, Tensor[]>();
    try {
      for (const i of indices) {
        const p = this.params[i];
        if (has(p)) continue;
        const ts: Tensor[] = [];
        made.set(p, ts);
        for (let k = 0; k < count; k++) ts.push(this.stateLike(p));
      }
    } catch (err) {
      for (const ts of made.values()) for (const t of ts) t.dispose();
      throw err;
    }
    return made;
  }

  /** Checks every parameter and gradient before the first kernel runs (so a bad one changes nothing). */
  protected checkBeforeStep(): void {
    for (const p of this.params) {
      assertLive(p, `${this.name}.step`);
      if (p.grad && p.grad.isDisposed) p.grad = null;
      if (p.grad && p.grad.size !== p.size) throw shapeError(`${this.name}.step`, 'gradient and parameter shapes differ', p._shape, p.grad._shape);
    }
  }

  /** A kept zero tensor shaped like `p`. */
  protected stateLike(p: Tensor): Tensor {
    return zeros(p.shape).keep();
  }
}
