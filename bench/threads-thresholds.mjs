// Where splitting a kernel over the pool starts to pay (bindings/threads/kernels.ts SPLIT_MIN),
// per kernel family and size, on this machine: at N threads, each call alternates between running
// on the calling thread alone (SPLIT_MIN out of reach) and split (SPLIT_MIN 0), in one process,
// medians of many alternating pairs. Prints alone ÷ split per size (> 1: splitting pays).
// Run under vite-node (it reaches bindings/):
//   node --experimental-wasm-relaxed-simd node_modules/vite-node/vite-node.mjs bench/threads-thresholds.mjs [--quick] [--variant simd] [--family map,sgd,pool,gemm,conv]
import { init, reset } from '../bindings/index.ts';
import { wasm, threadPool, allocBytes, freeBytes } from '../bindings/runtime.ts';
import { SPLIT_MIN } from '../bindings/threads/kernels.ts';

const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const quick = argv.includes('--quick');
const N = Number(process.env.BENCH_THREADS ?? 2);
const PAIRS = Number(opt('--pairs', quick ? 60 : 200));
const variant = opt('--variant', 'relaxed');
const families = opt('--family', 'map,sgd,pool,gemm,conv').split(',');
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const saved = { ...SPLIT_MIN };

await init({ variant, threads: N });
const K = wasm('thresholds'), pool = threadPool();
if (!pool) throw new Error(`no pool at ${N} threads`);
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
  const off = () => { SPLIT_MIN.macs = Infinity; SPLIT_MIN.elements = Infinity; };
  const on = () => { SPLIT_MIN.macs = 0; SPLIT_MIN.elements = 0; };
  const before = pool.jobsRun()[1];
  on(); call(); off(); call();
  if (pool.jobsRun()[1] === before) throw new Error('the call did not split');
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

const out = [];
const report = (family, size, unit, r) => {
  out.push({ family, size, unit, ...r });
  console.log(`${family.padEnd(22)} ${String(size).padStart(9)} ${unit.padEnd(9)} alone ${r.alone.toFixed(1).padStart(7)} µs  split ${r.split.toFixed(1).padStart(7)} µs  alone÷split ${r.ratio.toFixed(2)}`);
};

const sizes = (lo, hi) => { const s = []; for (let e = lo; e <= hi; e++) s.push(1 << e); return s; };
const MAX = 1 << 20;
const x = buffer(MAX), y = buffer(MAX), z = buffer(MAX), w = buffer(MAX);

if (families.includes('map')) {
  for (const n of sizes(14, 20)) report('relu', n, 'elements', compare(() => K.relu(x, y, n)));
  for (const n of sizes(14, 20)) report('reluBackward', n, 'elements', compare(() => K.reluBackward(x, y, z, n)));
  for (const n of sizes(14, 20)) report('add', n, 'elements', compare(() => K.add(x, y, z, n)));
}
if (families.includes('sgd')) {
  // momentum SGD: p, g, v; lr small so values stay bounded over the reps
  for (const n of sizes(14, 20)) report('sgdStep (momentum)', n, 'elements', compare(() => K.sgdStep(w, x, z, n, 1e-6, 0.9, 0, 0)));
}
if (families.includes('pool')) {
  // maxPool2d 2×2 stride 2 with argmax (the training forward) and its backward, MNIST pool2's planes (11×11 → 5×5)
  for (const planes of [256, 512, 1024, 2048, 4096, 8192]) {
    const h = 11, o = 5, size = planes * h * h;
    const arg = [x, y, z, 1, planes, h, h, 2, 2, 2, 2, 0, 0, 1, 1, o, o];
    report('maxPool2dForward 11²', size, 'elements', compare(() => K.maxPool2dForward(...arg)));
    report('maxPool2dBackward 11²', size, 'elements', compare(() => K.maxPool2dBackward(w, z, x, 1, planes, h, h, o, o)));
  }
}
if (families.includes('gemm')) {
  // Dense-like products: [64, k]·[k, 256] (the MLP's), k growing; and its backward shapes
  for (const k of [16, 32, 64, 128, 256, 512]) {
    const m = 64, n = 256, macs = m * n * k;
    report('gemm A·B 64×k·k×256', macs, 'MACs', compare(() => K.gemm(x, y, z, m, n, k, 0, 0, 0, 0)));
    report('gemm Aᵀ·B k×256ᵀ·k×64', macs, 'MACs', compare(() => K.gemm(x, y, z, 256, 64, k, 1, 0, 0, 0)));
  }
}
if (families.includes('conv')) {
  // MNIST conv2 (32 → 64, 3×3 on 13×13) at growing batch: forward (Winograd) and both backwards
  for (const n of [1, 2, 4, 8]) {
    const g = [n, 32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 1, 1], macs = n * 121 * 64 * 288;
    report('conv2dForward', macs, 'MACs', compare(() => K.conv2dForward(x, y, 0, z, ...g)));
    report('conv2dBackwardInput', macs, 'MACs', compare(() => K.conv2dBackwardInput(x, y, z, ...g)));
    report('conv2dBackwardWeight', macs, 'MACs', compare(() => K.conv2dBackwardWeight(x, y, z, w, ...g, 0)));
  }
}

buffers.forEach(freeBytes);
reset();
if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ variant, threads: N, pairs: PAIRS, rows: out })}\n`);
process.exit(0);
