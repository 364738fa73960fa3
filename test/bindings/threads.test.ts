// The worker pool (issue 10) through the public API: options, runtimeInfo(), every kernel that
// splits giving the one-thread bits at 2, 3 and 5 threads, a 20-step MNIST-CNN-shaped training run
// equal to the bit across thread counts, failures in a worker, and out of memory.
import { describe, it, expect, afterAll } from 'vitest';
import { availableParallelism } from 'node:os';
import {
  init, runtimeInfo, seed, tensor, randn, rand, ops, nn, optim, loss, tidy, noGrad, memory, reset, type Tensor,
} from '../../bindings/index';
import { threadPool, allocBytes, freeBytes } from '../../bindings/runtime';
import { splitElements } from '../../bindings/threads/kernels';
import { Pool } from '../../bindings/threads/pool';

afterAll(async () => {
  await init();
});

const bits = (t: Tensor): Uint32Array => new Uint32Array(Float32Array.from(t.data()).buffer);

function expectSameBits(actual: Uint32Array[], expected: Uint32Array[], label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const at = actual[i].findIndex((v, j) => v !== expected[i][j]);
    if (at >= 0 || actual[i].length !== expected[i].length) {
      throw new Error(`${label}: result ${i} differs at element ${at} (${new Float32Array(actual[i].buffer)[at]} vs ${new Float32Array(expected[i].buffer)[at]})`);
    }
  }
}

describe('init({ threads })', () => {
  it('rejects 0, -1, 1.5, "many", NaN and more than 64 with an Error naming the option', async () => {
    for (const bad of [0, -1, 1.5, 'many', NaN, Infinity, '2']) {
      await expect(init({ threads: bad as never }), String(bad)).rejects.toThrow(/^init: options\.threads must be 'auto' or a whole number >= 1, got /);
    }
    await expect(init({ threads: 65 })).rejects.toThrow(/^init: options\.threads is 65; simdnet runs at most 64 threads/);
  });

  it("'auto' uses every core; a number exactly that many; 1 is the single-thread build", async () => {
    const auto = await init();
    expect(auto.threads).toBe(Math.min(64, availableParallelism()));
    expect(auto.threadsUnavailable).toBeUndefined();
    if (auto.threads > 1) expect(auto.source).toMatch(/simdnet-(relaxed|simd)-threads\.wasm$/);
    const three = await init({ threads: 3 });
    expect(three.threads).toBe(3);
    expect(threadPool()?.threads).toBe(3);
    // Both workers run chunks of products big enough to split. Chunks go to whichever thread takes
    // them first, so one job may leave a late worker none: products until each has run one (a
    // worker that never works fails here after 200). Node's workers boot after init() returns.
    const pool = threadPool()!;
    await pool.ready;
    const before = pool.chunksRun();
    let jobs = 0;
    const ran = () => pool.chunksRun().map((c, t) => c - before[t]);
    while (jobs < 200 && !ran().every((c) => c > 0)) {
      tidy(() => ops.matmul(randn([256, 256]), randn([256, 256])));
      jobs++;
    }
    expect(ran().map((c) => c > 0)).toEqual([true, true, true]);
    const one = await init({ threads: 1 });
    expect(one).toMatchObject({ threads: 1 });
    expect(one.threadsUnavailable).toBeUndefined();
    expect(one.source).toMatch(/simdnet-(relaxed|simd)\.wasm$/);
    expect(threadPool()).toBeNull();
  });

  it('threads N > 1 with a single-thread build throws the reason; auto falls back to one thread with it', async () => {
    await expect(init({ variant: 'scalar', threads: 2 })).rejects.toThrow(/^init: threads: 2 cannot run here: no WebAssembly SIMD, and only the SIMD builds come with threads$/);
    const scalar = await init({ variant: 'scalar' });
    expect(scalar).toMatchObject({ threads: 1, threadsUnavailable: 'no WebAssembly SIMD, and only the SIMD builds come with threads' });
    const bytes = (await import('node:fs')).readFileSync(new URL('../../dist/simdnet-simd.wasm', import.meta.url));
    await expect(init({ bytes, threads: 4 })).rejects.toThrow(/^init: threads: 4 cannot run here: init\(\) was given the single-thread simd build$/);
    expect(await init({ bytes })).toMatchObject({ threads: 1, threadsUnavailable: 'init() was given the single-thread simd build' });
  });

  it('a threads build passed as bytes runs the pool; reset() ends it and the kernels keep working on one thread', async () => {
    const bytes = (await import('node:fs')).readFileSync(new URL('../../dist/simdnet-simd-threads.wasm', import.meta.url));
    expect(await init({ bytes, threads: 2 })).toMatchObject({ threads: 2, variant: 'simd', source: 'bytes' });
    seed(4);
    const a = randn([130, 90]), b = randn([90, 70]);
    const before = bits(ops.matmul(a, b));
    const pool = threadPool()!;
    reset();
    expect(threadPool()).toBeNull();
    expect(runtimeInfo()).toMatchObject({ threads: 1, threadsUnavailable: 'reset() ended the worker pool; init() starts a new one' });
    expect(() => pool.runParts('x', 'gemm', [])).toThrow(/the worker pool was ended/);
    seed(4);
    const a2 = randn([130, 90]), b2 = randn([90, 70]);
    expectSameBits([bits(ops.matmul(a2, b2))], [before], 'after reset');
  });
});

/** Every op whose kernel splits, sized above the split thresholds, forward and backward. */
function everySplitKernel(): Uint32Array[] {
  seed(21);
  const out: Uint32Array[] = [];
  const keep = (...ts: Tensor[]) => ts.forEach((t) => out.push(bits(t)));
  tidy(() => {
    // GEMM: A·B (matmul), A·Bᵀ (linear forward), Aᵀ·B and A·B (their backward), bias fused.
    const a = randn([131, 200]).requireGrad(), b = randn([200, 97]).requireGrad();
    const c = ops.matmul(a, b);
    c.sum().backward();
    keep(c, a.grad!, b.grad!);
    const x = randn([64, 784]).requireGrad(), w = randn([256, 784]).requireGrad(), bias = randn([256]).requireGrad();
    const y = ops.linear(x, w, bias);
    ops.mul(y, y).sum().backward();
    keep(y, x.grad!, w.grad!, bias.grad!);
    // Conv forward, backward input, backward weight (padding, stride, bias), then both pools.
    const img = randn([9, 3, 30, 30]).requireGrad(), k = randn([10, 3, 5, 5]).requireGrad(), kb = randn([10]).requireGrad();
    const conv = ops.conv2d(img, k, kb, { padding: 2, stride: [1, 2] });
    conv.sum().backward();
    keep(conv, img.grad!, k.grad!, kb.grad!);
    // 3×3 stride 1 into 24 channels: backward input by Winograd, W' prepared once per call (conv2dBackwardInputPrepared), 8·11²·24·16·9 = 3.3M
    const x3 = randn([8, 16, 13, 13]).requireGrad(), k3 = randn([24, 16, 3, 3]).requireGrad();
    const conv3 = ops.conv2d(x3, k3);
    ops.mul(conv3, conv3).sum().backward();
    keep(conv3, x3.grad!, k3.grad!);
    // Depthwise 'same' 3×3 (groups = in channels), forward and both gradients, 16·32·28²·9 = 3.6M
    const xd = randn([16, 32, 28, 28]).requireGrad(), kd = randn([32, 1, 3, 3]).requireGrad(), bd = randn([32]).requireGrad();
    const dconv = ops.conv2d(xd, kd, bd, { padding: 1, groups: 32 });
    ops.mul(dconv, dconv).sum().backward();
    keep(dconv, xd.grad!, kd.grad!, bd.grad!);
    const planes = randn([5, 13, 132, 63]).requireGrad(); // enough cells for every pooling kernel to split (splitElements)
    const mp = ops.maxPool2d(ops.relu(planes), { kernelSize: 2 });
    const ap = ops.avgPool2d(planes, { kernelSize: 3, stride: 2, padding: 1 });
    ops.add(mp.sum(), ops.mul(ap, ap).sum()).backward();
    keep(mp, ap, planes.grad!);
    // The inference path (noGrad): Conv2d and Dense with the activation fused into the kernel's store.
    const infer = new nn.Sequential(
      new nn.Conv2d(3, 10, 5, { padding: 2 }), new nn.ELU(0.7), new nn.Conv2d(10, 16, 3), new nn.ReLU(),
      new nn.Flatten(), new nn.Dense(16 * 28 * 28, 96), new nn.ReLU(), new nn.Dense(96, 2560), new nn.LeakyReLU(0.1),
    );
    keep(noGrad(() => infer.forward(img)));
    // A grey first layer + ReLU + 2×2 max pool, inference: one op (conv.ts conv2dForwardActPool), 16·28²·32·9 = 3.6M multiply-adds
    const grey = new nn.Sequential(new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2));
    keep(noGrad(() => grey.forward(randn([16, 1, 28, 28]))));
    // The same on the Winograd path (conv2dForwardPrepared, pooled tiles; its odd 11×11 output drops a row and a column), 8·11²·24·32·9 = 6.7M
    const wino = new nn.Sequential(new nn.Conv2d(32, 24, 3), new nn.ReLU(), new nn.MaxPool2d(2));
    keep(noGrad(() => wino.forward(randn([8, 32, 13, 13]))));
    // Elementwise maps (forward and backward) long enough for each to split (relu, the cheapest, needs the most), with a length that is no multiple of 16.
    const n = splitElements('relu') + 7;
    const e = randn([n]).requireGrad(), f = randn([n]).requireGrad();
    const maps = [ops.relu(e), ops.sigmoid(e), ops.tanh(e), ops.elu(e), ops.leakyRelu(e, 0.1), ops.add(e, f), ops.sub(e, f), ops.mul(e, f), ops.scale(e, 0.3)];
    maps.reduce((s, t) => ops.add(s, t)).sum().backward();
    keep(...maps, e.grad!, f.grad!);
    // Losses: softmax cross-entropy backward over rows, MSE backward.
    const rows = Math.ceil(splitElements('softmaxCrossEntropyBackward') / 10) + 3;
    const logits = randn([rows, 10]).requireGrad();
    const labels = Array.from({ length: rows }, (_, i) => (i * 7) % 10);
    const ce = loss.softmaxCrossEntropy(logits, labels);
    ce.backward();
    const pred = randn([n]).requireGrad(), target = randn([n]);
    const m = loss.mse(pred, target);
    m.backward();
    keep(ce, logits.grad!, m, pred.grad!);
    // Optimiser updates over a parameter larger than the threshold.
    for (const make of [(p: Tensor[]) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 }), (p: Tensor[]) => new optim.Adam(p, { lr: 1e-2 })]) {
      const p = randn([n]).requireGrad();
      const opt = make([p]);
      for (let s = 0; s < 2; s++) {
        opt.zeroGrad();
        ops.mul(p, p).sum().backward();
        opt.step();
      }
      keep(p);
    }
  });
  return out;
}

/** Every kernel the pool splits (bindings/threads/kernels.ts), and so everySplitKernel() must reach. */
const SPLIT = ['gemm', 'gemmAct', 'conv2dForward', 'conv2dForwardAct', 'conv2dForwardActPool', 'conv2dForwardPrepared', 'conv2dBackwardInput', 'conv2dBackwardInputPrepared', 'conv2dBackwardWeight', 'depthwiseConv2dForward', 'depthwiseConv2dBackwardInput', 'depthwiseConv2dBackwardWeight', 'relu', 'reluBackward', 'sigmoid',
  'sigmoidBackward', 'tanh', 'tanhBackward', 'elu', 'eluBackward', 'leakyRelu', 'leakyReluBackward', 'add', 'sub', 'mul',
  'scale', 'maxPool2dForward', 'maxPool2dBackward', 'avgPool2dForward', 'avgPool2dBackward', 'softmaxCrossEntropyBackward',
  'mseBackward', 'sgdStep', 'adamStep'];

describe('every kernel that splits gives the one-thread bits', () => {
  it('at 2, 3 and 5 threads', async () => {
    await init({ threads: 1 });
    const one = everySplitKernel();
    for (const threads of [2, 3, 5]) {
      await init({ threads });
      // Record what the pool runs: a case below its split threshold would pass without splitting.
      const pool = threadPool()!, ran = new Set<string>();
      const parts = pool.runParts.bind(pool), range = pool.runRange.bind(pool);
      pool.runParts = (op, name, args) => { ran.add(name); parts(op, name, args); };
      pool.runRange = (op, name, ...rest) => { ran.add(name); range(op, name, ...rest); };
      expectSameBits(everySplitKernel(), one, `${threads} threads`);
      expect(SPLIT.filter((k) => !ran.has(k)), 'kernels that did not split').toEqual([]);
    }
  });
});

/** 20 steps of the MNIST CNN's shapes (batch 32, 1×28×28, conv-relu-pool twice, dense, dropout, Adam); the final weights. */
async function trainCnn(threads: number): Promise<Uint32Array[]> {
  await init({ threads });
  seed(5);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Dense(64 * 5 * 5, 128), new nn.ReLU(), new nn.Dropout(0.5), new nn.Dense(128, 10),
  );
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  for (let step = 0; step < 20; step++) {
    tidy(() => {
      const x = rand([32, 1, 28, 28]);
      const y = Array.from({ length: 32 }, (_, i) => (i * 3 + step) % 10);
      opt.zeroGrad();
      loss.softmaxCrossEntropy(model.forward(x), y).backward();
      opt.step();
    });
  }
  return model.parameters().map(bits);
}

describe('training', () => {
  it('20 MNIST-CNN steps give the same weights to the bit with 1, 2, 3 and 5 threads', async () => {
    const one = await trainCnn(1);
    for (const threads of [2, 3, 5]) expectSameBits(await trainCnn(threads), one, `${threads} threads`);
  }, 120_000);
});

describe('failures', () => {
  it('an exception in a worker is an Error from the op naming it; the pool keeps working', async () => {
    await init({ threads: 3 });
    seed(8);
    const a = randn([128, 128]), b = randn([128, 128]);
    const good = tidy(() => bits(ops.matmul(a, b)));
    const live = memory().tensors;
    for (const thread of [2, 1, 0]) {
      threadPool()!.injectFault(thread);
      const where = thread === 0 ? 'on the calling thread' : `on worker thread ${thread}`;
      expect(() => tidy(() => ops.matmul(a, b))).toThrow(new RegExp(`^matmul: the gemm kernel failed ${where}: fault injected`));
      expect(memory().tensors).toBe(live);
      expectSameBits([tidy(() => bits(ops.matmul(a, b)))], [good], `after a fault on thread ${thread}`);
    }
    // A Winograd-path convolution with no gradient is conv2d too, on the call that first allocates
    // the transformed weights it keeps with w.
    const x = randn([8, 32, 13, 13]), k = randn([24, 32, 3, 3]);
    threadPool()!.injectFault(1);
    expect(() => noGrad(() => tidy(() => ops.conv2d(x, k)))).toThrow(/^conv2d: the conv2dForwardPrepared kernel failed on worker thread 1: fault injected/);
    // In backward, the op is the node being differentiated.
    const w = randn([128, 128]).requireGrad();
    const y = ops.matmul(a, w);
    threadPool()!.injectFault(1);
    expect(() => y.sum().backward()).toThrow(/^matmul backward: the gemm kernel failed on worker thread 1: fault injected/);
  });

  it('a fault in a max pool that records its winners leaves neither its output nor its argmax behind', async () => {
    await init({ threads: 2 });
    seed(10);
    // maxPool2d under a tape (1M input cells: the kernel splits), then MNIST conv2's shapes through
    // Conv2d + ReLU + MaxPool2d in one kernel (the Winograd path, its weights prepared by a first call)
    const x = randn([8, 32, 64, 64]).requireGrad();
    expect(x.size).toBeGreaterThanOrEqual(splitElements('maxPool2dForward'));
    const block = new nn.Sequential(new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2));
    const image = randn([32, 32, 13, 13]);
    tidy(() => { block.forward(image); });
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['maxPool2d', () => ops.maxPool2d(x, { kernelSize: 2 }), /^maxPool2d: the maxPool2dForward kernel failed on worker thread 1: fault injected/],
      ['Conv2d + ReLU + MaxPool2d', () => block.forward(image), /^conv2d: the conv2dForwardPrepared kernel failed on worker thread 1: fault injected/],
    ];
    for (const [what, run, error] of cases) {
      const live = memory().tensors;
      threadPool()!.injectFault(1);
      expect(() => tidy(run), what).toThrow(error);
      expect(memory().tensors, what).toBe(live);
      expect(() => tidy(() => { run(); }), what).not.toThrow(); // and it runs again
    }
  });

  it('a worker that traps (a kernel asking for more scratch than it was given) fails the op, never hangs', async () => {
    await init({ threads: 2 });
    const K = (await import('../../bindings/runtime')).wasm('test');
    const pool = threadPool()!;
    const m = 64, n = 700, k = 300;
    const pa = allocBytes(m * k * 4, 't'), pb = allocBytes(k * n * 4, 't'), pc = allocBytes(m * n * 4, 't');
    // Workspaces sized for a tiny product: a worker's chunk of this one needs more and traps (the
    // calling thread's own workspace grows on demand). In Node init() returns before the workers
    // have booted, and until then the calling thread runs every chunk: wait for them. A worker may
    // still wake after the calling thread has taken every chunk: jobs until one is left for it.
    await pool.ready;
    pool.workspaces('test', 0);
    // A job must carry the kernel's own arguments: one short would shift (part, parts) on every thread.
    expect(() => pool.runParts('test', 'gemm', [pa, pb, pc, m, n, k, 0, 0, 0])).toThrow(/^gemm: 9 arguments, the kernel takes 10$/);
    expect(() => pool.runRange('test', 'relu', [pa, pb], [4, 4], 2, 1 << 20, 16)).toThrow(/^relu: 2 arguments, the kernel takes 3$/);
    let failure: unknown = null;
    for (let job = 0; job < 200 && failure === null; job++) {
      try {
        pool.runParts('test', 'gemm', [pa, pb, pc, m, n, k, 0, 0, 0, 0]);
      } catch (err) {
        failure = err;
      }
    }
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^test: the gemm kernel failed on worker thread 1: .*aborted/);
    K.gemm(pa, pb, pc, m, n, k, 0, 0, 0, 0); // and the pool still runs jobs
    [pa, pb, pc].forEach(freeBytes);
  });

  it('out of memory for the threads\' scratch is the named Error, before any kernel runs: no weights change', async () => {
    await init({ threads: 2 });
    seed(9);
    const conv = new nn.Conv2d(256, 128, 5);
    const x = randn([1, 256, 8, 8]); // 2^23 multiply-adds: the kernel splits
    const before = conv.parameters().map(bits);
    const opt = new optim.SGD(conv.parameters(), { lr: 0.1 });
    // Fill the memory up to its 4 GiB maximum but ~1 MiB, without touching the pages.
    const fillers: number[] = [];
    for (const chunk of [256 << 20, 16 << 20, 1 << 20]) {
      for (;;) {
        try {
          fillers.push(allocBytes(chunk, 'filler'));
        } catch {
          break;
        }
      }
    }
    try {
      const live = memory().tensors;
      expect(() => tidy(() => {
        opt.zeroGrad();
        conv.forward(x).sum().backward();
        opt.step();
      })).toThrow(/^conv2d: out of memory: cannot allocate \d+ bytes of scratch for each of 2 threads/);
      expect(memory().tensors).toBe(live);
      expectSameBits(conv.parameters().map(bits), before, 'weights after the out-of-memory Error');
    } finally {
      fillers.forEach(freeBytes);
    }
    expect(conv.forward(x).shape).toEqual([1, 128, 4, 4]);
  }, 60_000);
});

describe('dynamic chunks', () => {
  it('a worker that wakes after every chunk was taken skips the job unread; the calling thread never waits for it', async () => {
    await init({ threads: 2 });
    const pool = threadPool()!;
    seed(12);
    const a = randn([256, 256]), b = randn([256, 256]);
    pool.chunksPerThread(0); // the reference: every job whole on the calling thread
    const expected = tidy(() => bits(ops.matmul(a, b)));
    pool.chunksPerThread(3);
    // The worker sleeps 2 s after it wakes for the next job: meanwhile that job and the ones after
    // it run on the calling thread alone (a pool that waited for every worker would hang on it).
    const joinedBefore = pool.jobsRun()[1];
    pool.stallWorker(1, 2000);
    const during = Array.from({ length: 5 }, () => tidy(() => bits(ops.matmul(a, b))));
    expect(pool.jobsRun()[1]).toBe(joinedBefore);
    expectSameBits(during, during.map(() => expected), 'while the worker sleeps');
    // Once awake it joins later jobs again (never the ones it slept through: their args may be overwritten).
    let rounds = 0;
    while (pool.jobsRun()[1] === joinedBefore && rounds++ < 400) {
      await new Promise((r) => setTimeout(r, 10));
      expectSameBits([tidy(() => bits(ops.matmul(a, b)))], [expected], 'after the worker woke');
    }
    expect(pool.jobsRun()[1]).toBeGreaterThan(joinedBefore);
  });
});

describe('start-up (Node)', () => {
  /** A second pool on the running runtime's core and memory (simd threads build), from `url`; `lost` records what it reports. */
  async function earlyPool(url: string) {
    await init({ variant: 'simd', threads: 2 });
    const { readFileSync } = await import('node:fs');
    const module = new WebAssembly.Module(readFileSync(new URL('../../dist/simdnet-simd-threads.wasm', import.meta.url)));
    const core = (await import('../../bindings/runtime')).wasm('test');
    const launch = await Pool.launch(2, url);
    expect(launch.early).toBe(true);
    const lost: string[] = [];
    const pool = await launch.start(core, module, core.memory, (reason) => lost.push(reason));
    return { core, pool, lost };
  }
  const worker = new URL('../../dist/simdnet-worker.js', import.meta.url).href;

  it('the pool is handed out before its workers are up: jobs run without them, and a worker joins the first job after it is', async () => {
    // The worker script loads only after 300 ms: the pool runs jobs before any worker can. (Node
    // runs a worker script as a classic script: no top-level await.)
    const late = `data:text/javascript,${encodeURIComponent(`setTimeout(() => import(${JSON.stringify(worker)}), 300);`)}`;
    const { core, pool, lost } = await earlyPool(late);
    let up = false;
    void pool.ready.then(() => { up = true; });
    const m = 64, n = 256, k = 200;
    const pa = allocBytes(m * k * 4, 't'), pb = allocBytes(k * n * 4, 't'), pc = allocBytes(m * n * 4, 't');
    const heap = () => new Float32Array(core.memory.buffer);
    for (let i = 0; i < m * k; i++) heap()[pa / 4 + i] = Math.sin(i);
    for (let i = 0; i < k * n; i++) heap()[pb / 4 + i] = Math.cos(i);
    const args = [pa, pb, pc, m, n, k, 0, 0, 0, 0];
    core.gemmPart(...args, 0, 1);
    const expected = new Uint32Array(heap().slice(pc / 4, pc / 4 + m * n).buffer);
    const product = () => {
      heap().fill(0, pc / 4, pc / 4 + m * n);
      pool.workspaces('test', core.gemmWorkspace(...args));
      pool.runParts('test', 'gemm', args);
      return new Uint32Array(heap().slice(pc / 4, pc / 4 + m * n).buffer);
    };
    expectSameBits([product(), product()], [expected, expected], 'before the worker is up');
    expect(up).toBe(false);
    expect(pool.jobsRun()[1]).toBe(0);
    expect(pool.starting()).toBe(1);
    await pool.ready;
    expect(pool.starting()).toBe(0);
    let rounds = 0;
    while (pool.jobsRun()[1] === 0 && rounds++ < 400) {
      expectSameBits([product()], [expected], 'once the worker is up');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(pool.jobsRun()[1]).toBeGreaterThan(0);
    expect(lost).toEqual([]);
    pool.terminate();
    [pa, pb, pc].forEach(freeBytes);
  });

  it('a worker that fails to start after the pool was handed out is reported (the runtime then ends the pool); jobs never wait for it', async () => {
    const { core, pool, lost } = await earlyPool(`data:text/javascript;base64,${btoa('throw new Error("no such worker")')}`);
    const pa = allocBytes(128 * 128 * 4, 't'), pc = allocBytes(128 * 128 * 4, 't');
    pool.workspaces('test', core.gemmWorkspace(pa, pa, pc, 128, 128, 128, 0, 0, 0, 0));
    pool.runParts('test', 'gemm', [pa, pa, pc, 128, 128, 128, 0, 0, 0, 0]);
    await pool.ready;
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/no such worker/);
    pool.runParts('test', 'gemm', [pa, pa, pc, 128, 128, 128, 0, 0, 0, 0]);
    pool.terminate();
    [pa, pc].forEach(freeBytes);
  });

  it('runtimeInfo() counts the workers still booting after init() (threadsStarting), and drops the field once they are up', async () => {
    await init({ variant: 'simd', threads: 3 });
    const first = runtimeInfo();
    expect(first.threads).toBe(3);
    if (first.threadsStarting !== undefined) expect(first.threadsStarting).toBeGreaterThanOrEqual(1);
    expect(first.threadsStarting ?? 0).toBeLessThanOrEqual(2);
    await threadPool()!.ready;
    expect(runtimeInfo().threadsStarting).toBeUndefined();
    expect('threadsStarting' in runtimeInfo()).toBe(false);
  });

  it('a worker script that does not exist fails init() before anything is spawned', async () => {
    await expect(Pool.launch(2, new URL('./no-such-worker.js', import.meta.url))).rejects.toThrow(/the worker script .*no-such-worker\.js does not exist/);
  });
});

describe('bench hooks', () => {
  it('timeJobs: every thread records when it woke, started its first chunk and ended its last, in order, on one clock', async () => {
    await init({ threads: 3 });
    const pool = threadPool()!;
    const a = randn([256, 256]), b = randn([256, 256]);
    pool.timeJobs(true);
    const before = performance.timeOrigin + performance.now();
    tidy(() => ops.matmul(a, b));
    const after = performance.timeOrigin + performance.now();
    pool.timeJobs(false);
    const job = pool.lastJob();
    expect(job.threads).toHaveLength(3);
    // More chunks than threads, each run by exactly one thread (a worker that woke after the last
    // chunk was taken did not join the job and has no times).
    expect(job.chunks).toBeGreaterThan(3);
    expect(job.threads.reduce((s, t) => s + t.chunks, 0)).toBe(job.chunks);
    expect(job.threads[0].joined).toBe(true);
    expect(job.published).toBeGreaterThanOrEqual(before);
    expect(job.done).toBeLessThanOrEqual(after);
    // Across threads, within 1 ms: each thread's clock is its own timeOrigin (sampled at its start) plus its now().
    for (const [t, { joined, woke, start, end }] of job.threads.entries()) {
      const label = `thread ${t}`;
      if (!joined) {
        expect([woke, start, end].every(Number.isNaN), label).toBe(true);
        continue;
      }
      expect(woke, label).toBeGreaterThanOrEqual(job.published - 1);
      expect(start, label).toBeGreaterThanOrEqual(woke);
      expect(end, label).toBeGreaterThanOrEqual(start);
      expect(end, label).toBeLessThanOrEqual(job.done + 1);
    }
  });
});

describe('tensor() still works on shared memory', () => {
  it('round-trips data', async () => {
    await init({ threads: 2 });
    expect(Array.from(tensor([1, 2, 3]).data())).toEqual([1, 2, 3]);
  });
});
