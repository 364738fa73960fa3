// How many chunks per thread the pool should cut a job into (bindings/threads/pool.ts
// CHUNKS_PER_THREAD): N threads ÷ 1 thread for the threads group's GEMMs and the MNIST CNN, every
// configuration in one process, the calls alternating configuration by configuration so that
// host drift and the two vCPUs' unequal speeds hit them all alike. "1 thread" is the same pool
// with every job run whole on the calling thread (Pool.chunksPerThread(0)); "k/thread" cuts each
// job into N·k chunks that the threads take from a counter (k = 1: the static split).
// Run under vite-node (it reaches the pool's bench hooks in bindings/, which the package does not export):
//   node --experimental-wasm-relaxed-simd node_modules/vite-node/vite-node.mjs bench/pool-chunks.mjs [--quick] [--k 1,2,4]
import { init, reset, runtimeInfo, seed, tensor, nn, loss, optim, tidy, noGrad } from '../bindings/index.ts';
import { wasm, threadPool, allocBytes, freeBytes } from '../bindings/runtime.ts';
import { threadsUp, median } from './lib.mjs';
import { sequential, cnn, initialParams, batchData } from './models.mjs';

const N = Number(process.env.BENCH_THREADS ?? 2);
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const REPS = Number(process.env.BENCH_REPS ?? (quick ? 30 : 120));
const at = argv.indexOf('--k');
const KS = at >= 0 ? argv[at + 1].split(',').map(Number) : [1, 2, 3, 4, 8];
const variant = process.env.BENCH_VARIANT ?? 'relaxed';

await init({ variant, threads: N });
await threadsUp(runtimeInfo);
const pool = threadPool();
const K = wasm('bench');

/** Each case: prepare() → { run(), dispose() }. */
const cases = [];
for (const [label, m, n, k, tA, tB] of [
  ['GEMM 512³', 512, 512, 512, 0, 0],
  ['GEMM 64x784·784x256', 64, 256, 784, 0, 0],
  ['GEMM 784x64ᵀ·64x256 (Aᵀ·B)', 784, 256, 64, 1, 0],
  ['GEMM 64x256·784x256ᵀ (A·Bᵀ)', 64, 784, 256, 0, 1],
]) {
  cases.push({
    label,
    prepare() {
      const a = allocBytes(m * k * 4, 'a'), b = allocBytes(k * n * 4, 'b'), c = allocBytes(m * n * 4, 'c');
      const heap = new Float32Array(K.memory.buffer);
      for (let i = 0; i < m * k; i++) heap[a / 4 + i] = Math.sin(i) * 0.5;
      for (let i = 0; i < k * n; i++) heap[b / 4 + i] = Math.cos(i) * 0.5;
      return { run: () => K.gemm(a, b, c, m, n, k, tA, tB, 0, 0), dispose: () => [a, b, c].forEach(freeBytes) };
    },
  });
}
const params = initialParams(cnn), { x, labels } = batchData(cnn);
cases.push({
  label: `${cnn.name} inference, batch ${cnn.batch}`,
  prepare() {
    const net = sequential(nn, cnn, false);
    net.loadStateDict(params);
    net.eval();
    const xt = tensor(x, [cnn.batch, ...cnn.input]);
    return { run: () => noGrad(() => tidy(() => net.forward(xt).data())), dispose: () => { net.dispose(); xt.dispose(); } };
  },
});
cases.push({
  label: `${cnn.name} training step, batch ${cnn.batch}`,
  prepare() {
    seed(1);
    const net = sequential(nn, cnn, true);
    net.loadStateDict(params);
    const opt = new optim.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
    const xt = tensor(x, [cnn.batch, ...cnn.input]);
    const run = () => tidy(() => {
      opt.zeroGrad();
      const l = loss.softmaxCrossEntropy(net.forward(xt), labels);
      l.backward();
      opt.step();
    });
    return { run, dispose: () => { opt.zeroGrad(); net.dispose(); xt.dispose(); } };
  },
});

const configs = [0, ...KS];
const name = (k) => (k === 0 ? '1 thread' : `${k}/thread`);
console.log(`${variant}, ${N} threads, ${REPS} calls per configuration, alternating; ratio = 1 thread ÷ configuration (medians)`);
console.log(['case'.padEnd(46), ...configs.map((k) => name(k).padStart(10))].join(''));
for (const c of cases) {
  const p = c.prepare();
  const ms = configs.map(() => []);
  for (const k of configs) { pool.chunksPerThread(k); p.run(); p.run(); } // warm: workspaces grown
  for (let i = 0; i < REPS; i++) {
    for (let j = 0; j < configs.length; j++) {
      const at = (i + j) % configs.length; // rotate which configuration follows which
      pool.chunksPerThread(configs[at]);
      const t0 = performance.now();
      p.run();
      ms[at].push(performance.now() - t0);
    }
  }
  p.dispose();
  const one = median(ms[0]);
  console.log([c.label.padEnd(46), `${one.toFixed(2)} ms`.padStart(10), ...configs.slice(1).map((_, j) => `${(one / median(ms[j + 1])).toFixed(2)}×`.padStart(10))].join(''));
}
reset();
process.exit(0);
