// The state handling shared by RMSprop, Adagrad and Adadelta: per parameter, a step count and
// named state tensors (PyTorch's state names in camelCase: squareAvg, momentumBuffer, ...), made
// on a parameter's first step with a gradient; stateDict() entries '<i>.<name>' and '<i>.step'.
// Which tensors a parameter needs can depend on the hyperparameters (RMSprop's momentumBuffer
// only with momentum > 0), so a missing one is made at the step that first needs it.

import { Tensor } from '../tensor.js';
import { wasm, heapF32 } from '../runtime.js';
import { Optimizer, checkNumber } from './optimizer.js';
import { options } from '../options.js';

interface State { t: Record<string, Tensor>; step: number }

/** A hyperparameter's rule: [default, min, max, openMax] for numbers, or a boolean default. */
export type Rule = [number, number, number, boolean] | boolean;

export abstract class BufferedOptimizer extends Optimizer {
  private readonly state = new Map<Tensor, State>();
  private readonly rules: Record<string, Rule>;
  /** Every state tensor name this optimiser can have. */
  private readonly allFields: string[];

  constructor(name: string, params: readonly Tensor[], raw: unknown, lrDefault: number, rules: Record<string, Rule>, allFields: string[]) {
    const opts = options<Record<string, unknown>>(name, raw, ['lr', ...Object.keys(rules)]);
    super(name, params, (opts.lr ?? lrDefault) as number);
    this.rules = rules;
    this.allFields = allFields;
    Object.assign(this, this.checked(opts, name));
  }

  /** The hyperparameters in `values` (undefined: the default), checked against the rules. */
  private checked(values: Record<string, unknown>, where: string): Record<string, number | boolean> {
    const out: Record<string, number | boolean> = {};
    for (const [key, rule] of Object.entries(this.rules)) {
      const v = values[key];
      if (typeof rule === 'boolean') {
        if (v !== undefined && typeof v !== 'boolean') throw new Error(`${where}: ${key} must be true or false, got ${String(v)}`);
        out[key] = (v ?? rule) as boolean;
      } else {
        out[key] = checkNumber(where, key, v ?? rule[0], rule[1], rule[2], rule[3]);
      }
    }
    return out;
  }

  override hyperparameters(): Record<string, number | boolean> {
    const self = this as unknown as Record<string, number | boolean>;
    return Object.fromEntries(Object.keys(this.rules).map((k) => [k, self[k]]));
  }

  override checkHyperparameters(values: Record<string, unknown>, where: string): () => void {
    for (const key of Object.keys(this.rules)) if (values[key] === undefined) throw new Error(`${where} has no '${key}'`);
    const v = this.checked(values, where);
    return () => { Object.assign(this, v); };
  }

  /** The state tensors a parameter needs with the current hyperparameters. */
  protected abstract fields(): string[];

  /** A state tensor's starting value (0 unless overridden: Adagrad's initialAccumulatorValue). */
  protected initial(_field: string): number {
    return 0;
  }

  /** One update of p with gradient g; `step` counts this parameter's steps from 1. */
  protected abstract update(p: Tensor, g: Tensor, t: Record<string, Tensor>, step: number): void;

  /** A kept tensor shaped like p holding `field`'s starting value. */
  private fresh(p: Tensor, field: string): Tensor {
    const t = this.stateLike(p);
    const v = this.initial(field);
    if (v !== 0) wasm(`${this.name}.step`).fill(t.ptr, v, t.size);
    return t;
  }

  /** Makes the missing state tensors named in `need`, all or none (on out-of-memory). */
  private allocate(need: Iterable<[Tensor, string[]]>): void {
    const made: Array<[Tensor, string, Tensor]> = [];
    try {
      for (const [p, fields] of need) {
        const s = this.state.get(p);
        for (const f of fields) if (!s || !s.t[f]) made.push([p, f, this.fresh(p, f)]);
      }
    } catch (err) {
      for (const [, , t] of made) t.dispose();
      throw err;
    }
    for (const [p, f, t] of made) {
      let s = this.state.get(p);
      if (!s) this.state.set(p, (s = { t: {}, step: 0 }));
      s.t[f] = t;
    }
  }

  step(): void {
    this.checkBeforeStep();
    const live = this.params.filter((p) => p.grad);
    const fields = this.fields();
    this.allocate(live.map((p) => [p, fields]));
    for (const p of live) {
      const s = this.state.get(p)!;
      s.step++;
      this.update(p, p.grad!, s.t, s.step);
    }
  }

  stateDict(): Record<string, Float32Array | number> {
    const out: Record<string, Float32Array | number> = {};
    this.params.forEach((p, i) => {
      const s = this.state.get(p);
      if (!s) return;
      out[`${i}.step`] = s.step;
      for (const [f, t] of Object.entries(s.t)) out[`${i}.${f}`] = t.data();
    });
    return out;
  }

  override loadStateDict(state: Record<string, Float32Array | number[] | number>): void {
    const spec: Record<string, 'tensor?' | 'count'> = { step: 'count' };
    for (const f of this.allFields) spec[f] = 'tensor?';
    const entries = this.checkState(state, spec);
    // Allocate everything the entries need first, so running out of memory changes nothing.
    this.allocate([...entries].map(([i, e]): [Tensor, string[]] => [this.params[i], this.allFields.filter((f) => f in e)]));
    this.params.forEach((p, i) => {
      const s = this.state.get(p);
      if (!s) return;
      const e = entries.get(i);
      for (const [f, t] of Object.entries(s.t)) {
        if (e && f in e) heapF32().set(e[f] as Float32Array, t.ptr >>> 2);
        else { t.dispose(); delete s.t[f]; }
      }
      if (e) s.step = e.step as number;
      else this.state.delete(p);
    });
  }

  dispose(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.t)) t.dispose();
    this.state.clear();
  }
}
