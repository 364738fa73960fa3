// ops.matmul(a, b, { transposeA, transposeB }): op(A)·op(B) on the operands as stored. Forward
// values against a float64 reference and to the bit against the product of transpose() copies
// (the same GEMM, the same order of operations), gradients of all four combinations through
// gradcheck, no copy of either operand, the same bits at any thread count, and bad options.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, runtimeInfo, ops, tidy, memory, seed, randn, ones, type Tensor, type Variant } from '../../bindings/index';
import type { MatmulOptions as Options } from '../../bindings/ops/index';
import { uniformTensor, expectGradOk, matmulRef, expectAllClose } from './helpers';

beforeAll(async () => {
  await init();
});

afterAll(async () => {
  await init();
});

const bits = (t: Tensor): Uint32Array => new Uint32Array(Float32Array.from(t.data()).buffer);

function expectSameBits(actual: Tensor, expected: Tensor, label: string): void {
  const x = bits(actual), y = bits(expected);
  expect(actual.shape, label).toEqual(expected.shape);
  const at = x.findIndex((v, i) => v !== y[i]);
  if (at >= 0) throw new Error(`${label}: element ${at} differs (${actual.data()[at]} vs ${expected.data()[at]})`);
}

/** Row-major transpose of a [rows, cols] array, in float64. */
function transposed(v: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = v[r * cols + c];
  return t;
}

const COMBOS: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
const name = (tA: boolean, tB: boolean) => `${tA ? 'Aᵀ' : 'A'}·${tB ? 'Bᵀ' : 'B'}`;

/** Operands stored as the options say for op(A) [m,k], op(B) [k,n]. */
function operands(m: number, k: number, n: number, tA: boolean, tB: boolean, s: number): [Tensor, Tensor] {
  return [uniformTensor(tA ? [k, m] : [m, k], s), uniformTensor(tB ? [n, k] : [k, n], s + 1)];
}

// Sizes off every tile and panel edge (4×8 tiles, KC/MC/NC blocks), and one above the threads' split threshold.
const SIZES: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [9, 17, 13], [37, 300, 29], [131, 200, 97]];

describe('matmul with transposeA / transposeB', () => {
  it('matches a float64 reference, and is bit for bit the product of transpose() copies, on every build', async () => {
    for (const variant of ['relaxed', 'simd', 'scalar'] as Variant[]) {
      await init({ variant });
      expect(runtimeInfo().variant).toBe(variant);
      product(variant);
    }
    await init();
  });

  function product(variant: Variant): void {
    for (const [m, k, n] of SIZES) {
      for (const [tA, tB] of COMBOS) {
        tidy(() => {
          const label = `${variant}: ${name(tA, tB)} ${m}×${k}×${n}`;
          const [a, b] = operands(m, k, n, tA, tB, m + k + n);
          const c = ops.matmul(a, b, { transposeA: tA, transposeB: tB });
          expect(c.shape, label).toEqual([m, n]);
          const ad = tA ? transposed(a.data(), k, m) : a.data(), bd = tB ? transposed(b.data(), n, k) : b.data();
          expectAllClose(c.data(), matmulRef(ad, bd, m, k, n), 1e-5);
          const copied = ops.matmul(tA ? ops.transpose(a) : a, tB ? ops.transpose(b) : b);
          expectSameBits(c, copied, label);
          expectSameBits(a.matmul(b, { transposeA: tA, transposeB: tB }), c, `${label} (Tensor method)`);
        });
      }
    }
  }

  it('false, undefined and {} are the plain product', () => {
    tidy(() => {
      const a = uniformTensor([6, 5], 1), b = uniformTensor([5, 4], 2);
      const plain = ops.matmul(a, b);
      for (const o of [undefined, {}, { transposeA: false, transposeB: false }, { transposeA: undefined }] as (Options | undefined)[]) {
        expectSameBits(ops.matmul(a, b, o), plain, JSON.stringify(o) ?? 'undefined');
      }
    });
  });

  it('allocates only the result: neither operand is copied', () => {
    tidy(() => {
      const a = uniformTensor([64, 48], 3), b = uniformTensor([40, 64], 4);
      for (const o of [{ transposeA: true }, { transposeB: true }, { transposeA: true, transposeB: true }]) {
        const x = o.transposeA ? a : ops.transpose(a), y = o.transposeB ? b : ops.transpose(b);
        const before = memory();
        const c = ops.matmul(x, y, o);
        expect(c.shape).toEqual([48, 40]);
        expect(memory().tensors, JSON.stringify(o)).toBe(before.tensors + 1);
        expect(memory().bytes, JSON.stringify(o)).toBe(before.bytes + 48 * 40 * 4);
        c.dispose();
      }
    });
  });
});

describe('matmul gradients with transposes', () => {
  for (const [tA, tB] of COMBOS) {
    it(`gradcheck ${name(tA, tB)}`, () => {
      const [a, b] = operands(4, 5, 3, tA, tB, 7);
      expectGradOk((x, y) => ops.matmul(x, y, { transposeA: tA, transposeB: tB }), [a, b]);
    });
  }

  it('each gradient equals the one through transpose() copies, against a float64 reference', () => {
    const m = 9, k = 13, n = 11;
    for (const [tA, tB] of COMBOS) {
      tidy(() => {
        const label = name(tA, tB);
        const [a, b] = operands(m, k, n, tA, tB, 11);
        const w = uniformTensor([m, n], 12); // dC = w: loss Σ C⊙w
        a.requireGrad(); b.requireGrad();
        ops.mul(ops.matmul(a, b, { transposeA: tA, transposeB: tB }), w).sum().backward();
        const da = a.grad!.data(), db = b.grad!.data();
        // Reference: dop(A) = dC·op(B)ᵀ [m,k], dop(B) = op(A)ᵀ·dC [k,n], transposed back where the operand is.
        const opA = tA ? transposed(a.data(), k, m) : a.data(), opB = tB ? transposed(b.data(), n, k) : b.data();
        const dopA = matmulRef(w.data(), transposed(opB, k, n), m, n, k), dopB = matmulRef(transposed(opA, m, k), w.data(), k, m, n);
        expectAllClose(da, tA ? transposed(dopA, m, k) : dopA, 1e-5);
        expectAllClose(db, tB ? transposed(dopB, k, n) : dopB, 1e-5);
        expect(a.grad!.shape, label).toEqual(a.shape);
        expect(b.grad!.shape, label).toEqual(b.shape);
        // Gradients add: a second backward doubles them.
        ops.mul(ops.matmul(a, b, { transposeA: tA, transposeB: tB }), w).sum().backward();
        expectAllClose(a.grad!.data(), Array.from(da, (v) => 2 * v), 1e-6);
        expectAllClose(b.grad!.data(), Array.from(db, (v) => 2 * v), 1e-6);
        a.grad!.dispose(); b.grad!.dispose();
      });
    }
  });
});

describe('matmul with transposes across thread counts', () => {
  /** Forward and both gradients of every combination, sized above the GEMM split threshold. */
  function run(): Uint32Array[] {
    seed(5);
    const out: Uint32Array[] = [];
    tidy(() => {
      for (const [tA, tB] of COMBOS) {
        const a = randn(tA ? [200, 131] : [131, 200]).requireGrad(), b = randn(tB ? [97, 200] : [200, 97]).requireGrad();
        const c = ops.matmul(a, b, { transposeA: tA, transposeB: tB });
        ops.mul(c, c).sum().backward();
        out.push(bits(c), bits(a.grad!), bits(b.grad!));
      }
    });
    return out;
  }

  it('gives the one-thread bits at 2 and 3 threads', async () => {
    await init({ threads: 1 });
    const one = run();
    for (const threads of [2, 3]) {
      await init({ threads });
      const many = run();
      many.forEach((r, i) => {
        const at = r.findIndex((v, j) => v !== one[i][j]);
        expect(at, `${threads} threads, result ${i} (${name(...COMBOS[Math.floor(i / 3)])})`).toBe(-1);
      });
    }
  });
});

describe('bad input to matmul: a named Error before any kernel runs', () => {
  it('non-boolean options, unknown keys, non-object options and mismatched shapes', () => {
    const a = ones([2, 3]), b = ones([4, 3]), c = ones([3, 4]), v = ones([2]);
    const before = memory();
    const bad: [() => unknown, RegExp][] = [
      [() => ops.matmul(a, c, { transposeA: 1 } as never), /^matmul: transposeA must be true or false, got 1; shapes \[2,3\] and \[3,4\]$/],
      [() => ops.matmul(a, c, { transposeB: 'yes' } as never), /^matmul: transposeB must be true or false, got string; shapes \[2,3\] and \[3,4\]$/],
      [() => ops.matmul(a, c, { transposeA: null } as never), /^matmul: transposeA must be true or false, got object; shapes \[2,3\] and \[3,4\]$/],
      [() => ops.matmul(a, c, { transposeC: true } as never), /^matmul: unknown option 'transposeC'; did you mean 'transposeA'\? \(it takes transposeA, transposeB\)$/],
      [() => ops.matmul(a, c, { transpose_b: true } as never), /^matmul: unknown option 'transpose_b'; did you mean 'transposeB'\?/],
      [() => ops.matmul(a, c, { transA: true } as never), /^matmul: unknown option 'transA'; use transposeA \(ONNX Gemm's transA\) \(it takes transposeA, transposeB\)$/],
      [() => ops.matmul(a, c, { transB: true } as never), /^matmul: unknown option 'transB'; use transposeB \(ONNX Gemm's transB\)/],
      [() => ops.matmul(a, b, true as never), /^matmul: options must be an object \{ transposeA, transposeB \} \(TensorFlow\.js's positional .* is matmul\(a, b, \{ transposeA: true \}\) here\), got boolean; shapes \[2,3\] and \[4,3\]$/],
      [() => ops.matmul(a, c, 'T' as never), /^matmul: options must be an object \{ transposeA, transposeB \}, got string$/],
      [() => ops.matmul(a, c, [true] as never), /^matmul: options must be an object .*, got an array$/],
      // Shapes that meet only one way round.
      [() => ops.matmul(a, b), /^matmul: inner dimensions differ \(3 vs 4\); shapes \[2,3\] and \[4,3\]$/],
      [() => ops.matmul(a, c, { transposeA: true }), /^matmul: inner dimensions differ \(2 vs 3\) \(transposeA: Aᵀ is \[3,2\]\); shapes \[2,3\] and \[3,4\]$/],
      [() => ops.matmul(a, c, { transposeB: true }), /^matmul: inner dimensions differ \(3 vs 4\) \(transposeB: Bᵀ is \[4,3\]\); shapes \[2,3\] and \[3,4\]$/],
      [() => ops.matmul(a, b, { transposeA: true, transposeB: true }), /^matmul: inner dimensions differ \(2 vs 3\) \(transposeA: Aᵀ is \[3,2\], transposeB: Bᵀ is \[3,4\]\); shapes \[2,3\] and \[4,3\]$/],
      [() => a.matmul(c, { transposeA: true }), /^matmul: inner dimensions differ \(2 vs 3\) \(transposeA: Aᵀ is \[3,2\]\)/],
      [() => ops.matmul(v, c, { transposeA: true }), /^matmul: both operands must be 2-D; shapes \[2\] and \[3,4\]$/],
    ];
    for (const [call, message] of bad) {
      expect(call).toThrow(message);
      expect(memory()).toEqual(before);
    }
    // The same operands where they do meet.
    expect(ops.matmul(a, b, { transposeB: true }).shape).toEqual([2, 4]);
    expect(ops.matmul(a, c).shape).toEqual([2, 4]);
  });
});
