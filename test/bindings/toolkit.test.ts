// The tensor toolkit through the public API: every op against a float64 reference, through
// gradcheck, and with bad input (a named Error before any kernel runs, no tensor leaked).
import { describe, it, expect, beforeAll } from 'vitest';
import { init, tensor, ops, gradcheck, memory, tidy, noGrad, arange, linspace, seed, nn, optim, type Tensor } from '../../bindings/index';
import { awayFromZero, uniformTensor, expectGradOk, expectAllClose } from './helpers';
import * as ref from '../reference/toolkit';

beforeAll(async () => {
  await init();
});

/** Reference reduction of a row-major array of `shape` over sorted `dims` (keepdim shape). */
function reduceAll(x: ArrayLike<number>, shape: number[], dims: number[], f: (v: number[]) => number): { values: number[]; shape: number[] } {
  const outShape = shape.map((d, i) => (dims.includes(i) ? 1 : d));
  const n = outShape.reduce((a, b) => a * b, 1);
  const groups: number[][] = Array.from({ length: n }, () => []);
  const idx = shape.map(() => 0);
  for (let k = 0; k < x.length; k++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) o = o * outShape[d] + (dims.includes(d) ? 0 : idx[d]);
    groups[o].push(x[k]);
    for (let d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
  }
  return { values: groups.map(f), shape: outShape };
}

/** Expects fn to throw an Error matching `pattern` and to leave no tensor behind. */
function expectRefused(fn: () => unknown, pattern: RegExp): void {
  const before = memory().tensors;
  expect(fn).toThrow(pattern);
  expect(memory().tensors).toBe(before);
}

const reductions: Array<[string, (x: Tensor, dim?: any, o?: any) => Tensor, (v: number[]) => number]> = [
  ['sum', ops.sum, ref.sumOf], ['mean', ops.mean, ref.meanOf], ['max', ops.max, ref.maxOf], ['min', ops.min, ref.minOf],
  ['logsumexp', ops.logsumexp, ref.logsumexpOf], ['var', ops.var, (v) => ref.varOf(v, 1)], ['std', ops.std, (v) => Math.sqrt(ref.varOf(v, 1))],
];
const dimCases: Array<number | number[] | undefined> = [undefined, 0, 1, 2, -1, [0, 2], [1, 2], [0, 1, 2], [-3, -1]];

describe('reductions along dims', () => {
  it('every reduction, every dim form, keepdim or not, matches float64', () => {
    const shape = [3, 4, 5];
    const x = uniformTensor(shape, 1, 2);
    const xd = x.data();
    for (const [name, fn, f] of reductions) {
      for (const dim of dimCases) {
        const dims = dim === undefined ? [0, 1, 2] : (Array.isArray(dim) ? dim : [dim]).map((d) => (d + 3) % 3).sort();
        const want = reduceAll(xd, shape, dims, f);
        for (const keepdim of [false, true]) {
          const y = fn(x, dim, keepdim);
          const label = `${name}(${JSON.stringify(dim)}, keepdim ${keepdim})`;
          expect(y.shape, label).toEqual(keepdim ? want.shape : want.shape.filter((_, i) => !dims.includes(i)));
          expectAllClose(y.data(), want.values, 2e-6);
        }
      }
    }
  });

  it('argmax / argmin along a dim and over the flattened tensor', () => {
    const x = tensor([[1, 7, 7, 2], [9, 0, 3, 9], [4, 4, 8, 1]]);
    expect(ops.argmax(x, 1).toArray()).toEqual([1, 0, 2]);
    expect(ops.argmin(x, 0).toArray()).toEqual([0, 1, 1, 2]);
    expect(x.argmax(-1, true).shape).toEqual([3, 1]);
    expect(x.argmax().item()).toBe(4);
    expect(x.argmin().item()).toBe(5);
    expect(x.argmax(null, { keepdim: true }).shape).toEqual([1, 1]);
    const big = uniformTensor([6, 37], 2);
    const d = big.data();
    const want = Array.from({ length: 6 }, (_, r) => ref.argOf(Array.from(d.subarray(r * 37, r * 37 + 37)), false));
    expect(big.argmax(1).toArray()).toEqual(want);
  });

  it('var / std take correction (PyTorch\'s unbiased = False is correction 0)', () => {
    const x = tensor([[1, 2, 3, 4], [2, 2, 2, 10]]);
    expectAllClose(x.var(1, { correction: 0 }).data(), [1.25, 12], 1e-6);
    expectAllClose(x.std(1).data(), [Math.sqrt(5 / 3), 4], 1e-6);
  });

  it('gradients of every reduction, over one dim, several, non-adjacent and all', () => {
    const x = awayFromZero([3, 4, 5], 3, 0.1, 1.5);
    // max/min: values 0.05 apart, so the ±1e-2 steps of gradcheck never change the winner
    const distinct = tensor(Array.from({ length: 60 }, (_, i) => ((i * 37) % 60) * 0.05 - 1.5), [3, 4, 5]);
    for (const [name, fn] of reductions) {
      const input = name === 'max' || name === 'min' ? distinct : x;
      for (const dim of [undefined, 1, -1, [0, 2], [0, 1]]) {
        tidy(() => expectGradOk((t) => fn(t, dim), [input.requireGrad()]));
      }
    }
  });

  it('max/min with a Tensor argument are the elementwise maximum/minimum (torch.max(a, b))', () => {
    const a = tensor([1, 5, 3]), b = tensor([4, 2, 3]);
    expect(ops.max(a, b).toArray()).toEqual([4, 5, 3]);
    expect(a.min(b).toArray()).toEqual([1, 2, 3]);
  });

  it('refuses bad dims and options with named Errors, leaking nothing', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expectRefused(() => x.sum(2), /sum: dim 2 is out of range for a tensor of rank 2 \(expected -2 … 1\); shape \[2,2\]/);
    expectRefused(() => x.mean(-3), /mean: dim -3 is out of range/);
    expectRefused(() => x.max([0, 0]), /max: dim \[0,0\] names a dimension twice/);
    expectRefused(() => x.sum(0.5), /sum: dim must be an integer, got 0.5/);
    expectRefused(() => x.sum('1' as any), /sum: dim must be an integer, got string/);
    expectRefused(() => x.argmax([0, 1] as any), /argmax: dim must be one dimension/);
    expectRefused(() => x.sum(0, { keepDim: true } as any), /sum: unknown option 'keepDim'/);
    expectRefused(() => x.var(0, { correction: -1 }), /var: correction must be a non-negative integer/);
    expectRefused(() => x.var(0, { keepdim: 1 } as any), /var: keepdim must be a boolean/);
  });
});

describe('elementwise maps', () => {
  let x: Tensor, pos: Tensor;
  beforeAll(() => {
    x = awayFromZero([4, 6], 4, 0.2, 2).keep();
    pos = uniformTensor([4, 6], 5, 1).add(1.5).keep();
  });
  const maps: Array<[string, (t: Tensor) => Tensor, (v: number) => number, () => Tensor, number]> = [
    ['exp', (t) => t.exp(), Math.exp, () => x, 2e-7],
    ['log', (t) => t.log(), Math.log, () => pos, 2e-7],
    ['sqrt', (t) => t.sqrt(), Math.sqrt, () => pos, 1e-7],
    ['rsqrt', (t) => t.rsqrt(), (v) => 1 / Math.sqrt(v), () => pos, 2e-7],
    ['abs', (t) => t.abs(), Math.abs, () => x, 0],
    ['neg', (t) => t.neg(), (v) => -v, () => x, 0],
    ['pow 2', (t) => t.pow(2), (v) => v * v, () => x, 1e-7],
    ['pow 3', (t) => t.pow(3), (v) => v ** 3, () => x, 1e-6],
    ['pow -1.5', (t) => ops.pow(t, -1.5), (v) => v ** -1.5, () => pos, 1e-6],
    ['pow 0.5', (t) => t.pow(0.5), Math.sqrt, () => pos, 1e-7],
    ['pow 1', (t) => t.pow(1), (v) => v, () => x, 0],
    ['pow -1', (t) => t.pow(-1), (v) => 1 / v, () => x, 1e-7],
    ['clamp', (t) => t.clamp(-0.7, 0.9), (v) => Math.min(Math.max(v, Math.fround(-0.7)), Math.fround(0.9)), () => x, 0],
    ['clamp min', (t) => ops.clamp(t, 0.5), (v) => Math.max(v, 0.5), () => x, 0],
    ['clamp max', (t) => ops.clamp(t, null, 0.5), (v) => Math.min(v, 0.5), () => x, 0],
  ];
  it('match float64 and pass gradcheck', () => {
    for (const [name, fn, f, get, tol] of maps) {
      const input = get();
      expectAllClose(fn(input).data(), Array.from(input.data(), f), tol + 1e-7);
      expect(gradcheck(fn, [input.requireGrad()]).ok, name).toBe(true);
    }
  });
  it('pow(0, 0) = 1 with a zero gradient, and pow with a tensor exponent', () => {
    const z = tensor([0, 2]).requireGrad();
    const y = z.pow(0);
    expect(y.toArray()).toEqual([1, 1]);
    y.sum().backward();
    expect(z.grad!.toArray()).toEqual([0, 0]);
    expectAllClose(ops.pow(2, tensor([0, 1, 3])).data(), [1, 2, 8], 1e-6);
    expectGradOk((a, b) => a.pow(b), [pos.requireGrad(), uniformTensor([6], 6).requireGrad()]);
  });
  it('refuses bad arguments', () => {
    const t = tensor([1, 2]);
    expectRefused(() => t.pow(NaN), /pow: the exponent must be a finite number or a Tensor, got NaN/);
    expectRefused(() => t.pow('2' as any), /pow: the exponent must be a finite number or a Tensor, got string/);
    expectRefused(() => ops.clamp(t), /clamp: needs min or max/);
    expectRefused(() => ops.clamp(t, 'a' as any), /clamp: min must be a number/);
    expectRefused(() => ops.exp([1, 2] as any), /exp: expected a Tensor, got Array/);
  });
});

describe('broadcasting binary ops', () => {
  const shapePairs: Array<[number[], number[]]> = [
    [[3, 4], [3, 4]], [[3, 4], [4]], [[4], [3, 4]], [[3, 4], [3, 1]], [[3, 1], [1, 4]], [[2, 3, 4], [3, 1]],
    [[2, 1, 4], [1, 3, 1]], [[2, 3, 4], []], [[], [2, 3]], [[5, 1, 3], [5, 2, 3]],
  ];
  const binaries: Array<[string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number]> = [
    ['add', (a, b) => a.add(b), (a, b) => a + b], ['sub', (a, b) => a.sub(b), (a, b) => a - b],
    ['mul', (a, b) => a.mul(b), (a, b) => a * b], ['div', (a, b) => a.div(b), (a, b) => a / b],
    ['maximum', (a, b) => ops.maximum(a, b), Math.max], ['minimum', (a, b) => ops.minimum(a, b), Math.min],
    ['pow', (a, b) => ops.pow(a, b), Math.pow],
  ];
  it('every op and shape pair matches a float64 reference and passes gradcheck', () => {
    let seedValue = 10;
    for (const [sa, sb] of shapePairs) {
      const a = uniformTensor(sa, seedValue++, 1).add(2), b = awayFromZero(sb, seedValue++, 0.3, 1.5);
      const out = ops.add(a, b).shape;
      const str = (s: number[]) => { const own: number[] = []; let acc = 1; for (let i = s.length - 1; i >= 0; i--) { own[i] = acc; acc *= s[i]; } return out.map((_, k) => { const j = k - (out.length - s.length); return j < 0 || s[j] === 1 ? 0 : own[j]; }); };
      for (const [name, fn, f] of binaries) {
        const want = ref.stridedRef(out, a.data(), str(sa), b.data(), str(sb), f);
        expectAllClose(fn(a, b).data(), want, name === 'pow' ? 2e-6 : 1e-6);
        const ga = a.requireGrad(), gb = b.requireGrad();
        const r = gradcheck(fn, [ga, gb]);
        if (!r.ok) throw new Error(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}: ${JSON.stringify(r)}`);
      }
    }
  });
  it('numbers on either side, and maximum splits ties like PyTorch', () => {
    const a = tensor([[1, 2], [3, 4]]);
    expect(ops.div(a, 2).toArray()).toEqual([[0.5, 1], [1.5, 2]]);
    expect(ops.div(12, a).toArray()).toEqual([[12, 6], [4, 3]]);
    expect(ops.sub(tensor([10, 20]), a).toArray()).toEqual([[9, 18], [7, 16]]);
    const p = tensor([1, 3]).requireGrad(), q = tensor([1, 2]).requireGrad();
    ops.maximum(p, q).sum().backward();
    expect(p.grad!.toArray()).toEqual([0.5, 1]);
    expect(q.grad!.toArray()).toEqual([0.5, 0]);
  });
  it('shapes that do not broadcast are a named Error', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]), b = tensor([1, 2]);
    expectRefused(() => a.add(b), /add: shapes do not broadcast \(dimension -1 is 3 in one and 2 in another\); shapes \[2,3\] and \[2\]/);
    expectRefused(() => a.mul(b), /mul: shapes do not broadcast/);
    expectRefused(() => a.div(b), /div: shapes do not broadcast/);
    const col = tensor([[1], [2], [3]]);
    expectRefused(() => ops.maximum(a, col), /maximum: shapes do not broadcast/);
    expectRefused(() => ops.div(1, 2 as any), /div: needs at least one Tensor/);
    expectRefused(() => a.div('x' as any), /div: expected a Tensor or a number, got string/);
  });
  it('where broadcasts cond, a and b, and routes the gradient', () => {
    const c = tensor([[1], [0]]);
    const a = tensor([[1, 2, 3], [4, 5, 6]]).requireGrad(), b = tensor([-1, -2, -3]).requireGrad();
    const y = ops.where(c, a, b);
    expect(y.toArray()).toEqual([[1, 2, 3], [-1, -2, -3]]);
    y.sum().backward();
    expect(a.grad!.toArray()).toEqual([[1, 1, 1], [0, 0, 0]]);
    expect(b.grad!.toArray()).toEqual([1, 1, 1]);
    expect(a.where(c, 0).toArray()).toEqual([[1, 2, 3], [0, 0, 0]]);
    expectGradOk((u, v) => ops.where(c, u, v), [uniformTensor([2, 3], 1).requireGrad(), uniformTensor([3], 2).requireGrad()]);
    const pair = tensor([1, 0]);
    expectRefused(() => ops.where(pair, a, b), /where: shapes do not broadcast/);
    expectRefused(() => ops.where([1, 0] as any, a, b), /where: cond must be a Tensor/);
  });
});

describe('shape, joining and indexing ops', () => {
  it('view / flatten / squeeze / unsqueeze', () => {
    const x = arange(24).reshape([2, 3, 4]);
    expect(x.view([4, -1]).shape).toEqual([4, 6]);
    expect(x.flatten().shape).toEqual([24]);
    expect(x.flatten(1).shape).toEqual([2, 12]);
    expect(x.flatten(0, 1).shape).toEqual([6, 4]);
    expect(x.unsqueeze(1).shape).toEqual([2, 1, 3, 4]);
    expect(x.unsqueeze(-1).shape).toEqual([2, 3, 4, 1]);
    expect(x.unsqueeze(0).unsqueeze(2).squeeze().shape).toEqual([2, 3, 4]);
    expect(x.unsqueeze(0).squeeze(0).shape).toEqual([2, 3, 4]);
    expect(x.squeeze(1).shape).toEqual([2, 3, 4]);
    expectRefused(() => x.flatten(2, 1), /flatten: startDim 2 comes after endDim 1/);
    expectRefused(() => x.unsqueeze(4), /unsqueeze: dim 4 is out of range \(expected -4 … 3 to insert into a tensor of rank 3\)/);
    expectRefused(() => x.squeeze(3), /squeeze: dim 3 is out of range/);
  });

  it('permute / transpose match index arithmetic and pass gradcheck', () => {
    const shape = [2, 3, 4, 5];
    const x = uniformTensor(shape, 7);
    const d = x.data();
    for (const perm of [[0, 1, 3, 2], [3, 2, 1, 0], [1, 0, 2, 3], [0, 2, 1, 3], [2, 0, 3, 1], [0, 1, 2, 3]]) {
      const y = x.permute(perm);
      const ys = perm.map((p) => shape[p]);
      expect(y.shape).toEqual(ys);
      const yd = y.data();
      const strides = [60, 20, 5, 1];
      let k = 0;
      for (let a = 0; a < ys[0]; a++) for (let b = 0; b < ys[1]; b++) for (let c = 0; c < ys[2]; c++) for (let e = 0; e < ys[3]; e++) {
        const idx = [a, b, c, e];
        let src = 0;
        perm.forEach((p, i) => { src += idx[i] * strides[p]; });
        if (yd[k++] !== d[src]) throw new Error(`permute ${perm}: element ${k - 1}`);
      }
    }
    expect(tensor([[1, 2, 3], [4, 5, 6]]).transpose().toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(x.transpose(0, 2).shape).toEqual([4, 3, 2, 5]);
    expectGradOk((t) => t.permute([2, 0, 3, 1]), [uniformTensor([2, 3, 2, 3], 8).requireGrad()]);
    expectGradOk((t) => t.transpose(), [uniformTensor([3, 5], 9).requireGrad()]);
    expectRefused(() => x.permute([0, 1, 2]), /permute: dims \[0,1,2\] must name each of the 4 dimensions once/);
    expectRefused(() => x.permute([0, 1, 2, 2]), /permute: dims \[0,1,2,2\] name a dimension twice/);
    expectRefused(() => x.transpose(0, 4), /transpose: dim1 4 is out of range/);
  });

  it('slice with start/end/step per dim (Python rules), narrow, split', () => {
    const x = arange(30).reshape([5, 6]);
    expect(x.slice([[1, 4], [0, 6, 2]]).toArray()).toEqual([[6, 8, 10], [12, 14, 16], [18, 20, 22]]);
    expect(x.slice([[-2], { start: -3, step: 2 }]).toArray()).toEqual([[21, 23], [27, 29]]);
    expect(x.slice([null, [4, 100]]).toArray()).toEqual([[4, 5], [10, 11], [16, 17], [22, 23], [28, 29]]);
    expect(x.slice([[0, 5, 3]]).shape).toEqual([2, 6]);
    expect(x.narrow(1, 2, 3).toArray()[0]).toEqual([2, 3, 4]);
    const parts = x.split(2);
    expect(parts.map((p) => p.shape)).toEqual([[2, 6], [2, 6], [1, 6]]);
    expect(ops.split(x, [1, 5], 1).map((p) => p.shape)).toEqual([[5, 1], [5, 5]]);
    expectGradOk((t) => t.slice([[1, 3], [0, 4, 3]]), [uniformTensor([4, 5], 11).requireGrad()]);
    expectGradOk((t) => { const [a, b] = t.split([2, 3], 1); return a.sum().add(b.mul(b).sum()); }, [uniformTensor([3, 5], 12).requireGrad()]);
    expectRefused(() => x.slice([[3, 3]]), /slice: the range for dimension 0 selects no elements \(start 3, end 3\)/);
    expectRefused(() => x.slice([[0, 4, 0]]), /slice: step of dimension 0 must be positive, got 0/);
    expectRefused(() => x.slice([null, null, null]), /slice: 3 ranges for a tensor of rank 2/);
    expectRefused(() => x.slice([[0.5]]), /slice: start of dimension 0 must be an integer/);
    // a misspelt key in a range object is refused, not ignored (Python's `stop` is `end` here)
    expectRefused(() => x.slice([{ start: 1, stop: 3 }]), /slice \(dimension 0\): unknown option 'stop'; use end/);
    expectRefused(() => x.narrow(0, 4, 2), /narrow: start 4 and length 2 do not fit in dimension 0 of size 5/);
    expectRefused(() => x.split([2, 2]), /split: sections \[2,2\] must be positive integers adding up to 5/);
  });

  it('concat / stack, with gradients', () => {
    const a = tensor([[1, 2], [3, 4]]), b = tensor([[5, 6]]);
    expect(ops.concat([a, b]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(ops.cat([a, a], -1).toArray()).toEqual([[1, 2, 1, 2], [3, 4, 3, 4]]);
    expect(ops.stack([a, a], 1).toArray()).toEqual([[[1, 2], [1, 2]], [[3, 4], [3, 4]]]);
    expect(ops.stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2]);
    expectGradOk((u, v) => ops.concat([u, v, u], 1), [uniformTensor([2, 3], 13).requireGrad(), uniformTensor([2, 1], 14).requireGrad()]);
    expectGradOk((u, v) => ops.stack([u, v], 2), [uniformTensor([2, 3], 15).requireGrad(), uniformTensor([2, 3], 16).requireGrad()]);
    expectRefused(() => ops.concat([a, b], 1), /concat: tensors must match except in dimension 1; tensor 1 differs; shapes \[2,2\] and \[1,2\]/);
    expectRefused(() => ops.stack([a, b]), /stack: every tensor must have the same shape/);
    expectRefused(() => ops.concat([]), /concat: expected a non-empty array of Tensors/);
    expectRefused(() => ops.concat([a], 2), /concat: dim 2 is out of range/);
  });

  it('gather / indexSelect / oneHot', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.gather(1, tensor([[2, 0], [1, 1]])).toArray()).toEqual([[3, 1], [5, 5]]);
    expect(x.gather(0, [[1, 0, 1]]).toArray()).toEqual([[4, 2, 6]]);
    expect(x.indexSelect(1, Int32Array.from([2, 0])).toArray()).toEqual([[3, 1], [6, 4]]);
    expect(x.indexSelect(0, tensor([1])).toArray()).toEqual([[4, 5, 6]]);
    expect(ops.oneHot([2, 0], 4).toArray()).toEqual([[0, 0, 1, 0], [1, 0, 0, 0]]);
    expect(ops.oneHot(tensor([[1], [0]])).shape).toEqual([2, 1, 2]);
    expectGradOk((t) => t.gather(1, [[0, 0, 2], [1, 2, 1]]), [uniformTensor([2, 3], 17).requireGrad()]);
    expectGradOk((t) => t.indexSelect(0, [2, 0, 2]), [uniformTensor([3, 2], 18).requireGrad()]);
    expectRefused(() => x.gather(1, [[3], [0]]), /gather: index 3 is out of range for dimension 1 of size 3/);
    expectRefused(() => x.gather(1, [[1]]), /gather: index must have the input's rank and sizes except in dimension 1/);
    expectRefused(() => x.gather(1, [[0.5], [1]]), /gather: index 0 is 0.5, not an integer/);
    expectRefused(() => x.indexSelect(0, [-1]), /indexSelect: index -1 is out of range for dimension 0 of size 2/);
    expectRefused(() => x.indexSelect(0, [[0]]), /indexSelect: index must be one-dimensional/);
    expectRefused(() => ops.oneHot([3], 3), /oneHot: index 3 is out of range for 3 classes/);
    expectRefused(() => ops.oneHot([1], 0), /oneHot: numClasses must be a positive integer/);
  });

  it('arange / linspace / zeros / ones / full / rand / randn (seeded)', () => {
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(ops.arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(ops.arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(linspace(-1, 1, 5).toArray()).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(ops.linspace(0, 1, 1).toArray()).toEqual([0]);
    expect(ops.full([2], 7).toArray()).toEqual([7, 7]);
    expect(ops.zeros([2]).toArray()).toEqual([0, 0]);
    expect(ops.ones([1, 2]).toArray()).toEqual([[1, 1]]);
    seed(3); const r1 = ops.randn([4]).toArray(); seed(3);
    expect(ops.randn([4]).toArray()).toEqual(r1);
    seed(4); const u = ops.rand([1000]).data();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expectRefused(() => arange(0), /arange: the range from 0 to 0 with step 1 is empty/);
    expectRefused(() => arange(0, 1, 0), /arange: step must not be 0/);
    expectRefused(() => linspace(0, 1, 0), /linspace: steps must be a positive integer, got 0/);
    expectRefused(() => arange(NaN), /arange: end must be a finite number, got NaN/);
  });
});

describe('a user\'s custom loss', () => {
  /** Focal loss (Lin et al.): −mean((1 − p_t)^γ · log p_t), p_t the softmax probability of the label. */
  function focalLoss(logits: Tensor, labels: number[], gamma = 2): Tensor {
    const logp = logits.sub(logits.logsumexp(1, true)); // log-softmax
    const logpt = logp.gather(1, labels.map((l) => [l])); // [N, 1]
    const pt = logpt.exp();
    return pt.neg().add(1).pow(gamma).mul(logpt).neg().mean(0).sum();
  }

  it('gradcheck passes on focal loss written with exp, log, pow, gather and mean(dim)', () => {
    const labels = [0, 2, 1, 2];
    expectGradOk((z) => focalLoss(z, labels), [uniformTensor([4, 3], 21, 2).requireGrad()]);
    // the log form: log of softmax probabilities, through log instead of logsumexp
    expectGradOk((z) => {
      const p = z.exp().div(z.exp().sum(1, true));
      const pt = p.gather(1, labels.map((l) => [l]));
      return pt.neg().add(1).pow(2).mul(pt.log()).neg().mean();
    }, [uniformTensor([4, 3], 22, 2).requireGrad()]);
  });

  it('a small network trains with it (the loss falls by more than half, memory stays flat)', () => {
    seed(5);
    const n = 60;
    const xs: number[][] = [], ys: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = i % 3, a = (2 * Math.PI * c) / 3;
      xs.push([Math.cos(a) + 0.3 * Math.sin(i * 1.7), Math.sin(a) + 0.3 * Math.cos(i * 2.3)]);
      ys.push(c);
    }
    const x = tensor(xs);
    const model = new nn.Sequential(new nn.Dense(2, 16), new nn.ReLU(), new nn.Dense(16, 3));
    const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
    const losses: number[] = [];
    let live = 0;
    for (let step = 0; step < 60; step++) {
      tidy(() => {
        opt.zeroGrad();
        const loss = focalLoss(model.forward(x), ys);
        loss.backward();
        opt.step();
        losses.push(loss.item());
      });
      if (step === 1) live = memory().tensors;
    }
    expect(losses[59]).toBeLessThan(losses[0] / 2);
    expect(memory().tensors).toBe(live);
    const accuracy = noGrad(() => model.forward(x).argmax(1).data().filter((p, i) => p === ys[i]).length / n);
    expect(accuracy).toBeGreaterThan(0.9);
  });
});
