// Issue 15 item 2: every engine error a user can reach from the public API is the library's own
// Error. This sweeps every exported function, constructor and public method (namespaces included,
// so ops, layers and helpers added later are swept too) with wrong types and odd values, one
// argument position at a time and all at once, and counts what escapes as something other than a
// plain Error: a TypeError/RangeError from JavaScript, a WebAssembly.RuntimeError, an abort of the
// compute core. The count must be zero; a failure lists the calls.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as simdnet from '../../bindings/index';
import { init, tensor, nn, optim, reset, Tensor } from '../../bindings/index';

const dir = join(tmpdir(), `simdnet-sweep-${process.pid}`);

/** Functions whose every call changes global state the rest of the sweep needs, or waits on the network. */
const SKIP = new Set(['init', 'reset']);

/** Protected helpers of Optimizer for its subclasses (TypeScript hides them; not user API). */
const INTERNAL = new Set(['checkState', 'allocState', 'stateLike', 'checkBeforeStep']);

beforeAll(async () => {
  await init();
  mkdirSync(dir, { recursive: true });
  return () => rmSync(dir, { recursive: true, force: true });
});

/** Wrong or odd values; tensors are made fresh for each call (a call may dispose them). */
function values(): unknown[] {
  const disposed = tensor([1, 2]);
  disposed.dispose();
  return [
    undefined, null, 0, -1, 1.5, NaN, Infinity, 2 ** 40, '', join(dir, 'x'), true, {}, [], [[1, 2], [3]], [-1], [2, 3], ['a'],
    () => 1, new Int8Array(2), new Float32Array(6), new Int32Array([0, 1]), disposed,
    tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 2]), new nn.Dense(3, 2), { x: 1, y: 2 }, new Uint8Array([1, 2, 3]),
  ];
}

function label(v: unknown): string {
  if (v instanceof Tensor) return v.isDisposed ? 'disposed Tensor' : `Tensor[${v.shape}]`;
  if (typeof v === 'function') return 'function';
  if (typeof v === 'string') return v.startsWith(dir) ? "'<path>'" : `'${v}'`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  if (v instanceof nn.Module) return v.constructor.name;
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}

interface Target { name: string; call: (args: unknown[]) => unknown; arity: number }

/** Every callable the public API exposes: functions, constructors (with new), and the methods of instances of them. */
function targets(): Target[] {
  const out: Target[] = [];
  const isClass = (f: Function) => /^class[\s{]/.test(Function.prototype.toString.call(f));
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [key, v] of Object.entries(obj)) {
      const name = `${prefix}${key}`;
      if (SKIP.has(name)) continue;
      if (typeof v === 'function') {
        const f = v as (...a: unknown[]) => unknown;
        if (isClass(f)) {
          if (!/^(Module|Optimizer|LRScheduler)$/.test(key)) out.push({ name: `new ${name}`, call: (a) => new (f as any)(...a), arity: f.length });
        } else {
          out.push({ name, call: (a) => f(...a), arity: f.length });
        }
      } else if (v !== null && typeof v === 'object' && !prefix) {
        walk(v as Record<string, unknown>, `${name}.`);
      }
    }
  };
  walk(simdnet as unknown as Record<string, unknown>, '');
  // Public methods of the objects a user holds.
  const instances: Array<[string, () => object]> = [
    ['Tensor', () => tensor([[1, 2, 3], [4, 5, 6]])],
    ['Sequential', () => new nn.Sequential(new nn.Dense(3, 2), new nn.ReLU())],
    ['Conv2d', () => new nn.Conv2d(1, 2, 3)],
    ['SGD', () => new optim.SGD(new nn.Dense(3, 2).parameters(), { lr: 0.1, momentum: 0.9 })],
    ['Adam', () => new optim.Adam(new nn.Dense(3, 2).parameters())],
    ['StepLR', () => new optim.StepLR(new optim.SGD(new nn.Dense(3, 2).parameters(), { lr: 0.1 }), { stepSize: 2 })],
  ];
  for (const [cls, make] of instances) {
    const names = new Set<string>();
    for (let p = Object.getPrototypeOf(make()); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const k of Object.getOwnPropertyNames(p)) {
        const d = Object.getOwnPropertyDescriptor(p, k)!;
        if (k !== 'constructor' && !k.startsWith('_') && !INTERNAL.has(k) && typeof d.value === 'function') names.add(k);
      }
    }
    for (const k of names) {
      out.push({ name: `${cls}.${k}`, call: (a) => (make() as any)[k](...a), arity: (make() as any)[k].length });
    }
  }
  return out;
}

/** A plain Error is the library's; anything else (or the core's abort) escaped from the engine. */
function escaped(err: unknown): string | null {
  if (!(err instanceof Error)) return `threw a non-Error ${typeof err}`;
  if (err.constructor !== Error) return `${err.constructor.name}: ${err.message}`;
  if (/compute core aborted|Cannot read prop|is not a function|is not iterable|undefined \(reading/.test(err.message)) return `Error: ${err.message}`;
  return null;
}

describe('the public API under wrong types', () => {
  it('raises no engine error anywhere', async () => {
    const list = targets();
    expect(list.length).toBeGreaterThan(60);
    // Distinct escapes (by callable and error kind), with the first call that hit each.
    const bad = new Map<string, string>();
    let escapes = 0;
    let calls = 0;
    const run = async (t: Target, args: unknown[]) => {
      calls++;
      try {
        const r = t.call(args);
        if (r && typeof (r as Promise<unknown>).then === 'function') await r;
      } catch (err) {
        const what = escaped(err);
        if (what) {
          escapes++;
          const key = `${t.name} ${what.split(':')[0]} ${what.replace(/[0-9]+/g, '#').slice(0, 60)}`;
          if (!bad.has(key)) bad.set(key, `${t.name}(${args.map(label).join(', ')}) → ${what}`);
        }
      }
    };
    for (const t of list) {
      const n = values().length;
      const arity = Math.max(1, Math.min(t.arity + 1, 4));
      for (let count = 0; count <= arity; count++) {
        for (let pos = 0; pos < count; pos++) {
          for (let i = 0; i < n; i++) {
            // Each other position holds a valid-looking tensor, so the wrong value meets the deeper checks too.
            const vs = values();
            const args = Array.from({ length: count }, (_, j) => (j === pos ? vs[i] : vs[22]));
            await run(t, args);
          }
        }
      }
      for (let i = 0; i < values().length; i++) await run(t, Array.from({ length: arity }, () => values()[i]));
      reset(); // free what the calls made
    }
    expect(calls).toBeGreaterThan(10000);
    expect([...bad.values()], `${escapes} engine errors, ${bad.size} distinct:\n${[...bad.values()].join('\n')}`).toEqual([]);
  }, 600_000);
});
