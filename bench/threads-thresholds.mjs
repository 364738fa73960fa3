// Where splitting a kernel over the pool starts to pay (bindings/threads/kernels.ts SPLIT_MIN),
// per kernel family and size, on this machine: at N threads, each call alternates between running
// on the calling thread alone (SPLIT_MIN out of reach) and split (SPLIT_MIN 0), in one process,
// medians of many alternating pairs. Prints alone ÷ split per size (> 1: splitting pays).
// Run under vite-node (it reaches bindings/):
//   node --experimental-wasm-relaxed-simd node_modules/vite-node/vite-node.mjs bench/threads-thresholds.mjs [--quick] [--variant simd] [--family map,sgd,pool,gemm,conv]
//   … --costs [--family maps]: one thread, each kernel's time alone per element (the cost model of kernels.ts)
import { init, reset, runtimeInfo } from '../bindings/index.ts';
import { wasm, threadPool, allocBytes, freeBytes } from '../bindings/runtime.ts';
import { threadsUp, median } from './lib.mjs';
import { SPLIT_MIN } from '../bindings/threads/kernels.ts';

const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const quick = argv.includes('--quick');
const N = Number(process.env.BENCH_THREADS ?? 2);
const PAIRS = Number(opt('--pairs', quick ? 60 : 200));
const variant = opt('--variant', 'relaxed');
const families = opt('--family', argv.includes('--costs') ? 'maps' : 'map,sgd,pool,gemm,conv').split(',');
const saved = { ...SPLIT_MIN };

const costs = argv.includes('--costs');
await init({ variant, threads: costs ? 1 : N });
await threadsUp(runtimeInfo);
const K = wasm('thresholds'), pool = threadPool();
if (!pool && !costs) throw new Error(`no pool at ${N} threads`);
const heap = () => new Float32Array(K.memory.buffer);
const buffers = [];
const buffer = (floats) => {
  const p = allocBytes(floats * 4, 'thresholds');
  heap().subarray(p >> 2, (p >> 2) + floats).forEach((_, i, a) => { a[i] = Math.sin(i) * 0.5; });
  buffers.push(p);
  return p;
};

/** alone ÷ split for `call` (one kernel call through the kernels object), and the two medians in µs. */
function compare(call) {
  // calmMicros too: while the pool is calm (its workers spinning) the maps and pools split at it
  const off = () => { SPLIT_MIN.macs = Infinity; SPLIT_MIN.micros = Infinity; SPLIT_MIN.calmMicros = Infinity; };
  const on = () => { SPLIT_MIN.macs = 0; SPLIT_MIN.micros = 0; SPLIT_MIN.calmMicros = 0; };
  // every chunk of a split job is run by some thread; a worker that woke late may have joined none
  const chunks = () => pool.chunksRun().reduce((s, c) => s + c, 0);
  const before = chunks();
  on(); call(); off(); call();
  if (chunks() === before) throw new Error('the call did not split');
  const a = [], s = [];
  for (let i = 0; i < PAIRS; i++) {
    for (const split of i % 2 ? [true, false] : [false, true]) {
      if (split) on(); else off();
      const t0 = performance.now();
      call();
      (split ? s : a).push(performance.now() - t0);
    }
  }
  Object.assign(SPLIT_MIN, saved);
  return { alone: median(a) * 1e3, split: median(s) * 1e3, ratio: median(a) / median(s) };
}

/** --costs: one thread, the call timed alone (median of many), ns per unit: the cost model of kernels.ts. */
function cost(call) {
  for (let i = 0; i < 5; i++) call();
  const t = [];
  for (let i = 0; i < PAIRS; i++) { const t0 = performance.now(); call(); t.push(performance.now() - t0); }
  const m = median(t);
  return { alone: m * 1e3, split: NaN, ratio: NaN };
}
const measure = costs ? cost : compare;

const out = [];
const report = (family, size, unit, r) => {
  out.push({ family, size, unit, ...r });
  if (costs) console.log(`${family.padEnd(26)} ${String(size).padStart(9)} ${unit.padEnd(9)} ${r.alone.toFixed(1).padStart(7)} µs  ${(r.alone * 1e3 / size).toFixed(3)} ns per unit`);
  else console.log(`${family.padEnd(26)} ${String(size).padStart(9)} ${unit.padEnd(9)} alone ${r.alone.toFixed(1).padStart(7)} µs  split ${r.split.toFixed(1).padStart(7)} µs  alone÷split ${r.ratio.toFixed(2)}`);
};

const sizes = (lo, hi) => { const s = []; for (let e = lo; e <= hi; e++) s.push(1 << e); return s; };
const MAX = 1 << 20;
const x = buffer(MAX), y = buffer(MAX), z = buffer(MAX), w = buffer(MAX);

if (families.includes('map')) {
  for (const n of sizes(14, 20)) report('relu', n, 'elements', measure(() => K.relu(x, y, n)));
  for (const n of sizes(14, 20)) report('reluBackward', n, 'elements', measure(() => K.reluBackward(x, y, z, n)));
  for (const n of sizes(14, 20)) report('add', n, 'elements', measure(() => K.add(x, y, z, n)));
}
if (families.includes('sgd')) {
  // momentum SGD: p, g, v; lr small so values stay bounded over the reps
  for (const n of sizes(14, 20)) report('sgdStep (momentum)', n, 'elements', measure(() => K.sgdStep(w, x, z, n, 1e-6, 0.9, 0, 0)));
}
if (families.includes('maps') && costs) {
  // every map kernels.ts splits by elements, at one size: their cost per element
  const n = 1 << 18;
  const calls = {
    add: () => K.add(x, y, z, n), scale: () => K.scale(x, 0.5, z, n), fill: () => K.fill(z, 0, n), axpy: () => K.axpy(x, z, 1e-6, n),
    relu: () => K.relu(x, z, n), reluBackward: () => K.reluBackward(x, y, z, n), leakyReluBackward: () => K.leakyReluBackward(x, y, z, n, 0.01),
    exp: () => K.exp(x, z, n), sigmoid: () => K.sigmoid(x, z, n), tanh: () => K.tanh(x, z, n), elu: () => K.elu(x, z, n, 1),
    sigmoidBackward: () => K.sigmoidBackward(x, y, z, n), eluBackward: () => K.eluBackward(x, y, z, n, 1), mseBackward: () => K.mseBackward(x, y, z, n, 0.5),
    sgdStep: () => K.sgdStep(w, x, z, n, 1e-6, 0.9, 0, 0), adamStep: () => K.adamStep(w, x, y, z, n, 1e-6, 0.9, 0.999, 1e-8, 0, 3, 0),
  };
  for (const [name, f] of Object.entries(calls)) report(name, n, 'elements', measure(f));
  const rows = n / 16;
  const labels = buffer(rows);
  K.fill(labels, 0, rows); // +0.0's bits: label 0 for every row
  report('softmaxCrossEntropyBackward', n, 'elements', measure(() => K.softmaxCrossEntropyBackward(x, labels, z, rows, 16, 1)));
  // pooling: 2×2 stride 2 over 11² planes (MNIST pool2) and 26² (pool1); the inference forward has no argmax
  for (const h of [11, 26]) {
    const planes = Math.floor(n / (h * h)), o = h >> 1, size = planes * h * h;
    report(`maxPool2dForward ${h}² argmax`, size, 'elements', measure(() => K.maxPool2dForward(x, y, z, 1, planes, h, h, 2, 2, 2, 2, 0, 0, 1, 1, o, o)));
    report(`maxPool2dForward ${h}²`, size, 'elements', measure(() => K.maxPool2dForward(x, y, 0, 1, planes, h, h, 2, 2, 2, 2, 0, 0, 1, 1, o, o)));
    K.maxPool2dForward(x, y, z, 1, planes, h, h, 2, 2, 2, 2, 0, 0, 1, 1, o, o);
    report(`maxPool2dBackward ${h}²`, size, 'elements', measure(() => K.maxPool2dBackward(w, z, y, 1, planes, h, h, o, o)));
    report(`avgPool2dForward ${h}²`, size, 'elements', measure(() => K.avgPool2dForward(x, y, 1, planes, h, h, 2, 2, 2, 2, 0, 0, o, o, 1)));
    report(`avgPool2dBackward ${h}²`, size, 'elements', measure(() => K.avgPool2dBackward(w, y, 1, planes, h, h, 2, 2, 2, 2, 0, 0, o, o, 1)));
  }
}
if (families.includes('pool')) {
  // maxPool2d 2×2 stride 2 with argmax (the training forward) and its backward, MNIST pool2's planes (11×11 → 5×5)
  for (const planes of [256, 512, 1024, 2048, 4096, 8192]) {
    const h = 11, o = 5, size = planes * h * h;
    const arg = [x, y, z, 1, planes, h, h, 2, 2, 2, 2, 0, 0, 1, 1, o, o];
    report('maxPool2dForward 11²', size, 'elements', measure(() => K.maxPool2dForward(...arg)));
    report('maxPool2dBackward 11²', size, 'elements', measure(() => K.maxPool2dBackward(w, z, x, 1, planes, h, h, o, o)));
  }
}
if (families.includes('gemm')) {
  // Dense-like products: [64, k]·[k, 256] (the MLP's), k growing; and its backward shapes
  for (const k of [16, 32, 64, 128, 256, 512]) {
    const m = 64, n = 256, macs = m * n * k;
    report('gemm A·B 64×k·k×256', macs, 'MACs', measure(() => K.gemm(x, y, z, m, n, k, 0, 0, 0, 0)));
    report('gemm Aᵀ·B k×256ᵀ·k×64', macs, 'MACs', measure(() => K.gemm(x, y, z, 256, 64, k, 1, 0, 0, 0)));
  }
}
if (families.includes('conv')) {
  // MNIST conv2 (32 → 64, 3×3 on 13×13) at growing batch: forward (Winograd) and both backwards
  for (const n of [1, 2, 4, 8]) {
    const g = [n, 32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 1, 1], macs = n * 121 * 64 * 288;
    report('conv2dForward', macs, 'MACs', measure(() => K.conv2dForward(x, y, 0, z, ...g)));
    report('conv2dBackwardInput', macs, 'MACs', measure(() => K.conv2dBackwardInput(x, y, z, ...g)));
    report('conv2dBackwardWeight', macs, 'MACs', measure(() => K.conv2dBackwardWeight(x, y, z, w, ...g, 0)));
  }
}
if (families.includes('mnist')) {
  // the MNIST CNN's two convolutions at batch 32, as the training step calls them: where each one's scaling stands
  for (const [name, g] of [['conv1', [32, 1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 1, 1]], ['conv2', [32, 32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 1, 1]]]) {
    const macs = g[0] * g[1] * g[4] * (g[2] - 2) * (g[3] - 2) * 9;
    report(`${name} conv2dForward`, macs, 'MACs', measure(() => K.conv2dForward(x, y, 0, z, ...g)));
    if (g[1] > 1) report(`${name} conv2dBackwardInput`, macs, 'MACs', measure(() => K.conv2dBackwardInput(x, y, z, ...g)));
    report(`${name} conv2dBackwardWeight`, macs, 'MACs', measure(() => K.conv2dBackwardWeight(x, y, z, w, ...g, 0)));
  }
}

buffers.forEach(freeBytes);
reset();
if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ variant, threads: N, pairs: PAIRS, rows: out })}\n`);
process.exit(0);
