import { describe, it, expect, beforeAll } from 'vitest';
import { init, tensor, zeros, ones, randn, rand, seed, tidy, memory, reset, Tensor, runtimeInfo } from '../../bindings/index';

beforeAll(async () => {
  await init();
});

describe('tensor', () => {
  it('loads the best build the engine validates', () => {
    expect(['relaxed', 'simd', 'scalar']).toContain(runtimeInfo().variant);
  });

  it('holds a copy of Float32Array, number[] and number[][] data', () => {
    const src = new Float32Array([1, 2, 3, 4, 5, 6]);
    const a = tensor(src, [2, 3]);
    src[0] = 99;
    expect(a.shape).toEqual([2, 3]);
    expect(a.size).toBe(6);
    expect(Array.from(a.data())).toEqual([1, 2, 3, 4, 5, 6]);
    const d = a.data();
    d[1] = 42;
    expect(a.data()[1]).toBe(2); // data() is a copy
    const s = a.shape;
    s[0] = 7;
    expect(a.shape).toEqual([2, 3]); // shape is a copy
    expect(tensor([1, 2, 3]).shape).toEqual([3]);
    const m = tensor([[1, 2], [3, 4], [5, 6]]);
    expect(m.shape).toEqual([3, 2]);
    expect(m.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(tensor(new Float32Array(4)).shape).toEqual([4]);
    expect(tensor(2.5).item()).toBe(2.5);
    expect(tensor([7]).item()).toBe(7);
  });

  it('zeros, ones, randn and rand', () => {
    expect(Array.from(zeros([2, 2]).data())).toEqual([0, 0, 0, 0]);
    expect(Array.from(ones([3]).data())).toEqual([1, 1, 1]);
    seed(3);
    const a = randn([1000]).data();
    seed(3);
    const b = randn([1000]).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(sd - 1)).toBeLessThan(0.1);
    const u = rand([1000], { low: 2, high: 3 }).data();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThan(3);
  });

  it('dispose frees memory; use after dispose throws an Error naming the op', () => {
    const before = memory();
    const t = zeros([10, 10]);
    expect(memory().tensors).toBe(before.tensors + 1);
    expect(memory().bytes).toBe(before.bytes + 400);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    t.dispose(); // twice is fine
    expect(() => t.data()).toThrow(/^data: .*dispose.*; shape \[10,10\]/);
    expect(() => t.item()).toThrow(/^item: /);
    expect(() => t.add(t)).toThrow(/^add: .*dispose/);
    expect(() => t.relu()).toThrow(/^relu: .*dispose/);
  });

  it('Symbol.dispose frees at the end of a using-style block', () => {
    const before = memory().tensors;
    const t = ones([4]);
    (t as unknown as Disposable)[Symbol.dispose]();
    expect(t.isDisposed).toBe(true);
    expect(memory().tensors).toBe(before);
  });

  it('views survive memory growth (heap re-derived after allocation)', () => {
    const a = tensor([1, 2, 3]);
    const grow = memory().wasmBytes;
    const big = zeros([Math.ceil(grow / 4) + 1024 * 1024]); // forces memory.grow
    expect(memory().wasmBytes).toBeGreaterThan(grow);
    expect(Array.from(a.data())).toEqual([1, 2, 3]);
    const b = a.add(a);
    expect(Array.from(b.data())).toEqual([2, 4, 6]);
    big.dispose(); a.dispose(); b.dispose();
  });
});

describe('tidy', () => {
  it('disposes what fn made, except what it returns', () => {
    const before = memory();
    const outer = ones([2]);
    const [kept, obj] = tidy(() => {
      const a = ones([3]);
      const b = a.add(a);
      const c = b.mul(b);
      zeros([5]);
      outer.add(outer);
      return [c, { nested: [b] }] as const;
    });
    expect(memory().tensors).toBe(before.tensors + 3);
    expect(Array.from(kept.data())).toEqual([4, 4, 4]);
    expect(obj.nested[0].isDisposed).toBe(false);
    kept.dispose(); obj.nested[0].dispose(); outer.dispose();
    expect(memory()).toEqual(before);
  });

  it('nested tidy hands returned tensors to the enclosing scope', () => {
    const before = memory().tensors;
    let inner: Tensor | null = null;
    tidy(() => {
      inner = tidy(() => ones([2]).scale(3));
      expect(inner!.isDisposed).toBe(false);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(memory().tensors).toBe(before);
  });

  it('disposes everything when fn throws', () => {
    const before = memory().tensors;
    expect(() => tidy(() => { ones([3]); throw new Error('boom'); })).toThrow('boom');
    expect(memory().tensors).toBe(before);
  });

  it('keep() and parameters survive', () => {
    const before = memory().tensors;
    const k = tidy(() => { const t = ones([2]).keep(); ones([2]); return null; });
    expect(k).toBe(null);
    expect(memory().tensors).toBe(before + 1);
  });

  it('works with async fn: the scope closes when the promise settles', async () => {
    const before = memory().tensors;
    let seen: Tensor | null = null;
    const result = await tidy(async () => {
      const a = ones([4]);
      await new Promise((r) => setTimeout(r, 5));
      const b = a.scale(2); // made after an await: still this scope's
      seen = b;
      await null;
      return b.add(1);
    });
    expect(seen!.isDisposed).toBe(true);
    expect(Array.from(result.data())).toEqual([3, 3, 3, 3]);
    result.dispose();
    expect(memory().tensors).toBe(before);
    await expect(tidy(async () => { ones([2]); await null; throw new Error('late'); })).rejects.toThrow('late');
    expect(memory().tensors).toBe(before);
  });
});

describe('bad input to tensor()', () => {
  it('rejects NaN and Infinity, naming the op and shape', () => {
    const before = memory();
    expect(() => tensor([1, NaN, 3])).toThrow(/^tensor: data contains 1 non-finite value \(first: NaN at index 1\); shape \[3\]/);
    expect(() => tensor(new Float32Array([1, 2, Infinity, -Infinity]), [2, 2])).toThrow(/^tensor: data contains 2 non-finite values \(first: Infinity at index 2\); shape \[2,2\]/);
    expect(memory()).toEqual(before);
  });

  it('rejects wrong dtypes', () => {
    expect(() => tensor(new Float64Array(4) as any)).toThrow(/^tensor: .*got Float64Array/);
    expect(() => tensor(new Int32Array(4) as any, [4])).toThrow(/^tensor: .*got Int32Array/);
    expect(() => tensor(['a', 'b'] as any)).toThrow(/^tensor: data must hold numbers, found string/);
    expect(() => tensor('abc' as any)).toThrow(/^tensor: /);
  });

  it('rejects zero-size tensors', () => {
    expect(() => tensor(new Float32Array(0))).toThrow(/^tensor: zero-size .*; shape \[0\]/);
    expect(() => tensor([])).toThrow(/^tensor: zero-size/);
    expect(() => zeros([3, 0])).toThrow(/^zeros: zero-size tensors are not supported; shape \[3,0\]/);
    expect(() => ones([0])).toThrow(/^ones: zero-size/);
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => tensor([1, 2, 3, 4, 5], [2, 3])).toThrow(/^tensor: shape \[2,3\] needs 6 values but data has 5; shapes \[2,3\] and \[5\]/);
    expect(() => tensor([[1, 2], [3]])).toThrow(/^tensor: nested arrays must be rectangular/);
    expect(() => zeros([2.5])).toThrow(/^zeros: shape must hold non-negative integers/);
    expect(() => zeros([-1, 2])).toThrow(/^zeros: /);
  });

  it('reports out-of-memory with the op and shape, and stays usable', () => {
    const before = memory();
    expect(() => zeros([100000, 100000])).toThrow(/^zeros: out of memory.*; shape \[100000,100000\]/);
    expect(() => randn([100000, 100000])).toThrow(/^randn: out of memory.*; shape \[100000,100000\]/);
    expect(memory().tensors).toBe(before.tensors);
    const a = ones([2]);
    expect(Array.from(a.add(a).data())).toEqual([2, 2]);
  });
});

describe('reset and init', () => {
  it('reset() frees every tensor, kept ones included', () => {
    ones([3]).keep();
    zeros([4]);
    expect(memory().tensors).toBeGreaterThan(0);
    const t = ones([2]);
    reset();
    expect(memory().tensors).toBe(0);
    expect(memory().bytes).toBe(0);
    expect(() => t.data()).toThrow(/^data: /);
    expect(t.isDisposed).toBe(true);
    // a tensor from before reset() is stale: disposing it (or its collection) leaves alone the
    // block a newer tensor may now hold at the same address
    const u = tensor([5, 6]);
    t.dispose();
    expect(Array.from(u.data())).toEqual([5, 6]);
    expect(memory().tensors).toBe(1);
    u.dispose();
  });

  it('a tensor nobody disposed is freed once it is collected', async () => {
    const { setFlagsFromString } = await import('node:v8');
    const { runInNewContext } = await import('node:vm');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const before = memory().tensors;
    (() => { for (let i = 0; i < 50; i++) zeros([64]); })(); // dropped, outside any tidy()
    expect(memory().tensors).toBe(before + 50);
    for (let i = 0; i < 20 && memory().tensors > before; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10)); // finalizers run when the event loop turns
    }
    expect(memory().tensors).toBe(before);
  });

  it('init() again invalidates earlier tensors', async () => {
    const t = ones([2]);
    await init();
    expect(t.isDisposed).toBe(true);
    expect(() => t.data()).toThrow(/^data: .*init\(\)/);
    expect(memory().tensors).toBe(0);
  });
});
