// simdnet's builds (relaxed SIMD, SIMD, scalar) as benchmark columns. Through the public API where
// it has the op (Dense, activations, softmax, conv2d with autograd, training steps, inference);
// through the raw compute core (bench/lib.mjs rawCore) for the transposed GEMMs and pooling, whose
// kernels the API reaches only inside backward(). Every timed unit ends with the result copied out
// of linear memory into a JS Float32Array, as the peers' dataSync()/session.run() do.
import { rawCore, threadsUp } from '../lib.mjs';
import { simdnetEntry, packageVersion, envVar } from '../platform.mjs';
import { sequential } from '../models.mjs';
import { outSize } from '../reference.mjs';
import { mnistResnet } from '../../examples/mnist-resnet/model.mjs';

const lib = await import(/* @vite-ignore */ simdnetEntry);
const { init, runtimeInfo, seed, tensor, nn, ops, loss, optim, tidy, noGrad, memory } = lib;
const version = packageVersion('simdnet');

// The threads group (bench/threads.mjs) sets BENCH_THREADS; every other group runs one thread.
// A case calls init() only when the build or the thread count differs from the running one, as a
// program calls it once, and waits until its workers are up (threadsUp). (Until 2026-12-01 every
// case called init(): a new pool, fresh workers and a fresh memory, runs the MLP step at 2 threads
// 6-19% slower for its first 0.7 s than later, while the peers' pools were warm from the cases
// before; at one thread the new runtime is as fast at once. Node, 10 inits, medians of 10 ms
// windows 60-360 ms after init: 0.790-0.892 ms, 700-1500 ms after: 0.745-0.751 ms; without
// re-init 0.731-0.761 in both.)
// The harness runs a case's columns one after another, so the two SIMD builds still take turns, and
// each turn at N threads starts a new pool: a case prepared on a pool younger than POOL_SETTLE_MS
// asks the harness to warm it up until the pool is that old, instead of a fifth of its window.
const POOL_SETTLE_MS = 1000;
let poolStartedAt = -Infinity;
const start = async (variant) => {
  const threads = Number(envVar('BENCH_THREADS') ?? 1);
  let running = null;
  try { running = runtimeInfo(); } catch { /* before init() or after reset() */ }
  if (running?.variant !== variant || running.threads !== threads) {
    await init({ variant, threads });
    poolStartedAt = threads > 1 ? performance.now() : -Infinity; // one thread: no pool to settle
  }
  await threadsUp(runtimeInfo);
};

const cores = new Map();
const core = async (variant) => {
  if (!cores.has(variant)) cores.set(variant, await rawCore(variant));
  return cores.get(variant);
};

export function simdnet(variant) {
  const cases = {
    async gemm({ m, n, k, tA, tB, a, b, api }) {
      if (api) { await start(variant); return apiGemm({ m, n, k, tA, tB, a, b }); }
      const c = await core(variant), e = c.exports;
      const pa = c.put(a), pb = c.put(b), pc = c.put(new Float32Array(m * n));
      let out;
      return {
        run() { e.gemm(pa, pb, pc, m, n, k, tA, tB, 0, 0); return (out = c.get(pc, m * n)); },
        outputs: () => ({ c: out }),
        dispose() { e.free(pa); e.free(pb); e.free(pc); },
      };
    },

    async dense({ rows, inF, outF, x, w, b }) {
      await start(variant);
      const layer = new nn.Dense(inF, outF);
      layer.loadStateDict({ weight: w, bias: b });
      const xt = tensor(x, [rows, inF]);
      let out;
      return {
        run: () => (out = noGrad(() => tidy(() => layer.forward(xt).relu().data()))),
        outputs: () => ({ y: out }),
        dispose() { xt.dispose(); layer.dispose(); },
      };
    },

    async tensorOp({ op, rows, cols, x, b, bShape }) {
      await start(variant);
      const xt = tensor(x, [rows, cols]), bt = b ? tensor(b, bShape) : null;
      const f = {
        sum0: () => ops.sum(xt, 0), sum1: () => ops.sum(xt, 1), mean1: () => ops.mean(xt, 1),
        max0: () => ops.max(xt, 0), max1: () => ops.max(xt, 1), logsumexp1: () => ops.logsumexp(xt, 1),
        var0: () => ops.var(xt, 0, { correction: 0 }),
        addRow: () => ops.add(xt, bt), addCol: () => ops.add(xt, bt), mul: () => ops.mul(xt, bt), divCol: () => ops.div(xt, bt),
        transpose: () => ops.transpose(xt),
      }[op];
      let out;
      return {
        run: () => (out = tidy(() => f().data())),
        outputs: () => ({ y: out }),
        dispose() { xt.dispose(); bt?.dispose(); },
      };
    },

    async activation({ op, rows, cols, x }) {
      await start(variant);
      const xt = tensor(x, [rows, cols]);
      const f = ops[op];
      let out;
      return {
        run: () => (out = tidy(() => f(xt).data())),
        outputs: () => ({ y: out }),
        dispose() { xt.dispose(); },
      };
    },

    async convForward({ n, cIn, h, w, cOut, k, s, p, groups = 1, x, weight, bias }) {
      await start(variant);
      const xt = tensor(x, [n, cIn, h, w]), wt = tensor(weight, [cOut, cIn / groups, k, k]), bt = tensor(bias, [cOut]);
      let out;
      return {
        run: () => (out = tidy(() => ops.conv2d(xt, wt, bt, { stride: s, padding: p, groups }).data())),
        outputs: () => ({ y: out }),
        dispose() { xt.dispose(); wt.dispose(); bt.dispose(); },
      };
    },

    async convBackward({ n, cIn, h, w, cOut, k, s, p, groups = 1, x, weight, bias, dy }) {
      await start(variant);
      const xt = tensor(x, [n, cIn, h, w]).requireGrad(), wt = tensor(weight, [cOut, cIn / groups, k, k]).requireGrad();
      const bt = tensor(bias, [cOut]).requireGrad();
      const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
      const dyt = tensor(dy, [n, cOut, oh, ow]);
      let out;
      return {
        run: () => (out = tidy(() => {
          for (const t of [xt, wt, bt]) t.zeroGrad();
          ops.conv2d(xt, wt, bt, { stride: s, padding: p, groups }).backward(dyt);
          return { dx: xt.grad.data(), dw: wt.grad.data(), db: bt.grad.data() };
        })),
        outputs: () => out,
        dispose() { for (const t of [xt, wt, bt, dyt]) { t.zeroGrad(); t.dispose(); } },
      };
    },

    async batchNorm({ n, c, h, w, x, gamma, beta, dy, eps }) {
      await start(variant);
      const xt = tensor(x, [n, c, h, w]).requireGrad(), gt = tensor(gamma, [c]).requireGrad(), bt = tensor(beta, [c]).requireGrad();
      const dyt = tensor(dy, [n, c, h, w]);
      let out;
      return {
        run: () => (out = tidy(() => {
          for (const t of [xt, gt, bt]) t.zeroGrad();
          const y = ops.batchNorm(xt, null, null, gt, bt, { training: true, eps });
          y.backward(dyt);
          return { y: y.data(), dx: xt.grad.data(), dgamma: gt.grad.data(), dbeta: bt.grad.data() };
        })),
        outputs: () => out,
        dispose() { for (const t of [xt, gt, bt, dyt]) { t.zeroGrad(); t.dispose(); } },
      };
    },

    // examples/mnist-resnet's training step (forward, loss, backward, SGD nesterov), with or without BN
    async resnetStep({ bn, batch, x, labels }) {
      await start(variant);
      seed(1);
      const model = mnistResnet(nn, { bn });
      const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
      const xt = tensor(x, [batch, 1, 28, 28]);
      let value;
      return {
        run: () => (value = tidy(() => {
          const l = loss.softmaxCrossEntropy(model.forward(xt), labels);
          opt.zeroGrad(); l.backward(); opt.step();
          return l.item();
        })),
        outputs: () => ({ finite: Float64Array.of(Number.isFinite(value) ? 1 : 0) }),
        dispose() { model.dispose(); opt.dispose(); xt.dispose(); },
      };
    },

    async pool({ op, pass, n, c, h, w, k, s, p, x, dy }) {
      const cr = await core(variant), e = cr.exports;
      const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p), nx = n * c * h * w, ny = n * c * oh * ow;
      const px = cr.put(x), pdy = cr.put(dy), py = cr.put(new Float32Array(ny)), pa = cr.put(new Float32Array(ny));
      const pdx = cr.put(new Float32Array(nx));
      const dims = [n, c, h, w, k, k, s, s, p, p], avgDims = [...dims, oh, ow, 1];
      if (op === 'max') e.maxPool2dForward(px, py, pa, ...dims, 1, 1, oh, ow); // the argmax backward reads
      const kernel = {
        // the forward as inference runs it (noGrad: no argmax), like the peers' forward
        'max forward': () => e.maxPool2dForward(px, py, 0, ...dims, 1, 1, oh, ow),
        'max backward': () => e.maxPool2dBackward(pdy, pa, pdx, n, c, h, w, oh, ow),
        'avg forward': () => e.avgPool2dForward(px, py, ...avgDims),
        'avg backward': () => e.avgPool2dBackward(pdy, pdx, ...avgDims),
      }[`${op} ${pass}`];
      const [ptr, len, name] = pass === 'forward' ? [py, ny, 'y'] : [pdx, nx, 'dx'];
      let out;
      return {
        run() { kernel(); return (out = cr.get(ptr, len)); },
        outputs: () => ({ [name]: out }),
        dispose() { for (const q of [px, pdy, py, pa, pdx]) e.free(q); },
      };
    },

    async train({ model, params, x, labels, lr, momentum, dropout }) {
      await start(variant);
      seed(1);
      const net = build(model, dropout);
      net.loadStateDict(params);
      const opt = new optim.SGD(net.parameters(), { lr, momentum });
      const xt = tensor(x, [model.batch, ...model.input]);
      let first, tensorsBefore;
      const step = () => tidy(() => {
        opt.zeroGrad();
        const l = loss.softmaxCrossEntropy(net.forward(xt), labels);
        l.backward();
        opt.step();
        return l.item();
      });
      return {
        run() {
          const l = step();
          if (first === undefined) { first = { loss: Float32Array.of(l), ...net.stateDict() }; tensorsBefore = memory().tensors; }
          return l;
        },
        outputs: () => first,
        dispose() {
          const leaked = memory().tensors - tensorsBefore;
          opt.zeroGrad(); net.dispose(); xt.dispose();
          if (leaked) throw new Error(`train ${model.name}: simdnet-${variant} leaked ${leaked} tensors over the timed steps`);
        },
      };
    },

    async infer({ model, params, x }) {
      await start(variant);
      const net = build(model, false);
      net.loadStateDict(params);
      net.eval();
      const xt = tensor(x, [model.batch, ...model.input]);
      let out;
      return {
        run: () => (out = noGrad(() => tidy(() => net.forward(xt).data()))),
        outputs: () => ({ logits: out }),
        dispose() { net.dispose(); xt.dispose(); },
      };
    },
  };
  // a case prepared on a young pool warms up until the pool is POOL_SETTLE_MS old (harness.mjs)
  const settled = Object.fromEntries(Object.entries(cases).map(([kind, prepare]) => [kind, async (spec) => {
    const p = await prepare(spec);
    const young = POOL_SETTLE_MS - (performance.now() - poolStartedAt);
    return young > 0 && !p.unsupported ? { ...p, warmupMs: young } : p;
  }]));
  return { name: `simdnet-${variant}`, role: 'simdnet', version, load() {}, cases: settled };
}

/**
 * GEMM through the public API, which the threads group needs (the raw core has no pool): A·B is
 * ops.matmul, A·Bᵀ is ops.linear (x·Wᵀ), and Aᵀ·B is ops.matmul(ops.transpose(a), b), the
 * transpose's copy of A included in the time.
 */
async function apiGemm({ m, n, k, tA, tB, a, b }) {
  if (tA && tB) throw new Error('simdnet adapter: Aᵀ·Bᵀ is not a case');
  const at = tensor(a, tA ? [k, m] : [m, k]), bt = tensor(b, tB ? [n, k] : [k, n]);
  const product = () => (tB ? ops.linear(at, bt) : ops.matmul(at, bt, { transposeA: tA }));
  let out;
  return {
    run: () => (out = noGrad(() => tidy(() => product().data()))),
    outputs: () => ({ c: out }),
    dispose() { at.dispose(); bt.dispose(); },
    ...(tA ? { note: 'simdnet: ops.matmul(a, b, { transposeA: true }): one GEMM on A as stored (no transpose copy), plus the result tensor and its read-out as in every API row' } : {}),
  };
}

const build = (model, dropout) => sequential(nn, model, dropout);
