// Thread scaling (issue 10), the cases: the same cases at 1 thread and at N threads (N = this machine's
// cores, recorded in the JSON), for simdnet and the peers that have threads, side by side in one
// run. Each (library set, thread count) runs in a fresh process (Node) or a fresh cross-origin
// isolated page (Chromium), because ONNX Runtime and TensorFlow.js fix their thread count the first
// time they load and cannot change it afterwards; inside one configuration every library runs the
// case one after another, as in the other groups.
//   Node:     simdnet (relaxed, simd) and onnxruntime-web (numThreads = T).
//   Chromium: the same plus tfjs-wasm (setThreadsCount(T)). tfjs-wasm 4.22 caps its pool at
//             navigator.hardwareConcurrency / 2, so the page reports 2·N cores to it (an init
//             script); without that it would run one thread on a 2-core machine.
// Also measured: pool start-up, init({ threads: N }) minus init({ threads: 1 }) in the same
// process (median of 7, after a reset() each).
//
// This file is measure(), the part that runs inside one configuration (a Node process started by
// bench/threads.mjs through threads-child.mjs, or a Chromium page); bench/threads.mjs spawns the
// configurations and merges their rows: column `<library> ×<T>`.
import { measureCase } from './harness.mjs';
import { rate, randomData, timeSamples, timeSamplesAsync } from './lib.mjs';
import { gemmJs, outSize, convJs, convBackwardJs } from './reference.mjs';
import { mlp, cnn, initialParams, batchData, referenceStep, referenceLogits } from './models.mjs';
import { envVar, simdnetEntry, crossCoreRoundTrip } from './platform.mjs';

const GEMMS = [
  ['512x512x512', 512, 512, 512, false, false],
  ['64x784 · 784x256 (A·B)', 64, 256, 784, false, false],
  ['784x64ᵀ · 64x256 (Aᵀ·B)', 784, 256, 64, true, false],
  ['64x256 · 784x256ᵀ (A·Bᵀ)', 64, 784, 256, false, true],
];
const CONV = ['32×32×13×13 → 64, 3×3 (MNIST conv2)', 32, 32, 13, 13, 64, 3, 1, 0];
// the columns of this group: simdnet's SIMD builds and the threaded peers
const COLUMNS = ['simdnet-relaxed', 'simdnet-simd', 'ort-web', 'tfjs-wasm'];

/**
 * The cases: each a row, an adapter kind, its spec and (lazily: the float64 references take
 * seconds) measureCase's options. The ceiling children (ceiling() below) time the same list.
 */
function caseList() {
  const list = [];
  const add = (row, kind, spec, opts = () => ({})) => list.push({ row: { group: 'threads', ...row }, kind, spec, opts });
  for (const [label, m, n, k, tA, tB] of GEMMS) {
    const a = randomData(m * k, 1), b = randomData(k * n, 2);
    add({ case: `GEMM ${label}`, unit: 'GFLOP/s', higherIsBetter: true, tags: { threads: m === 512 ? 'gemm512' : 'gemm' } },
      'gemm', { m, n, k, tA, tB, a, b, api: true },
      () => ({ expected: { c: [gemmJs(a, b, new Float64Array(m * n), m, n, k, tA, tB), 1e-4] }, toUnit: (t) => rate(t, 2 * m * n * k, 1e6) }));
  }
  {
    const [label, n, cIn, h, w, cOut, k, s, p] = CONV;
    const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
    const nx = n * cIn * h * w, nw = cOut * cIn * k * k, ny = n * cOut * oh * ow;
    const x = randomData(nx, 1), weight = randomData(nw, 2), bias = randomData(cOut, 3), dy = randomData(ny, 4);
    const spec = { n, cIn, h, w, cOut, k, s, p, x, weight, bias, dy };
    add({ case: `conv ${label} forward`, unit: 'GFLOP/s', higherIsBetter: true, tags: { threads: 'conv' } }, 'convForward', spec, () => ({
      expected: { y: [convJs(x, weight, bias, new Float64Array(ny), n, cIn, h, w, cOut, k, s, p), 1e-4] },
      toUnit: (t) => rate(t, 2 * ny * cIn * k * k, 1e6),
    }));
    add({ case: `conv ${label} fwd+bwd`, unit: 'ms', higherIsBetter: false, tags: { threads: 'conv' } }, 'convBackward', spec, () => {
      const dx = new Float64Array(nx), dw = new Float64Array(nw), db = new Float64Array(cOut);
      convBackwardJs(x, weight, dy, dx, dw, db, n, cIn, h, w, cOut, k, s, p);
      const sumTol = 1e-4 * Math.sqrt(ny / cOut);
      return { expected: { dx: [dx, 1e-4], dw: [dw, sumTol], db: [db, sumTol] } };
    });
  }
  for (const model of [mlp, cnn]) {
    const params = initialParams(model), { x, labels } = batchData(model);
    const spec = { model, params, x, labels, lr: 0.01, momentum: 0.9, dropout: true };
    add({ case: `${model.name} training step, batch ${model.batch}`, unit: 'ms/step', higherIsBetter: false, tags: { threads: model === mlp ? 'mlp' : 'cnn-step' } },
      'train', spec, () => {
        const ref = referenceStep(model, params, x, labels, { lr: 0.01 });
        const expected = { loss: [Float64Array.of(ref.loss), 1e-5] };
        for (const [name, q] of Object.entries(ref.params)) expected[name] = [q, 1e-5];
        return { expected, checkSpec: { ...spec, dropout: false } };
      });
  }
  {
    const params = initialParams(cnn), { x } = batchData(cnn);
    add({ case: `${cnn.name} inference, batch ${cnn.batch}`, unit: 'images/s', higherIsBetter: true, tags: { threads: 'cnn-infer' } },
      'infer', { model: cnn, params, x }, () => ({
        expected: { logits: [referenceLogits(cnn, params, x), 1e-4] },
        toUnit: (t) => ({ median: cnn.batch / t.median * 1e3, min: cnn.batch / t.max * 1e3, max: cnn.batch / t.min * 1e3 }),
      }));
  }
  return list;
}

/** The cases, inside one configuration (BENCH_THREADS = T set by run()). */
export async function measure({ variants }) {
  const only = (name) => COLUMNS.includes(name);
  const rows = [];
  for (const c of caseList()) {
    await measureCase(c.row, c.kind, c.spec, { variants, only, ...c.opts() });
    rows.push(c.row);
  }
  if (threadCount() > 1) rows.push(...(await poolStartup()));
  return rows;
}

/**
 * One process of the machine's ceiling (bench/threads.mjs): the same cases on one thread, simdnet
 * only, each timed for a window when the parent says so. The parent runs N of these processes and
 * lets one time alone, then all N side by side, case by case, so both figures come from the same
 * minute. Protocol (lines): child → 'ready' after preparing and warming a case; parent → 'time'
 * or 'skip'; child → the median ms per call of its window as JSON (or 'skipped'); twice per case.
 */
export async function ceiling({ variants, windowMs, lines, say }) {
  const { simdnet } = await import('./peers/simdnet.mjs');
  const impls = variants.map((v) => simdnet(v));
  for (const c of caseList()) {
    for (const impl of impls) {
      const p = await impl.cases[c.kind](c.spec);
      for (let i = 0; i < 2; i++) await p.run(); // warm: compiled, workspaces grown
      for (let phase = 0; phase < 2; phase++) {
        say('ready');
        if ((await lines()) !== 'time') { say('skipped'); continue; }
        const ms = [];
        const t0 = performance.now();
        while (ms.length < 3 || performance.now() - t0 < windowMs) {
          const s = performance.now();
          await p.run();
          ms.push(performance.now() - s);
        }
        ms.sort((x, y) => x - y);
        say(JSON.stringify({ case: c.row.case, column: impl.name, ms: ms[ms.length >> 1], calls: ms.length }));
      }
      await p.dispose();
    }
  }
  say('done');
}

/**
 * simdnet's scaling in one process (the figure issue 10's floors are read from): rounds that
 * alternate init({ threads: 1 }) and init({ threads: N }) (order flipped every round), per build.
 * After each init() every case runs untimed for warmMs / cases (a new pool runs the MLP step 6-19%
 * slower for its first 0.7 s than later: peers/simdnet.mjs start()), then each case in turn is
 * prepared afresh, warmed and timed for a window (median per call), on that same runtime. Host
 * speed drifts by 25% and more over the minutes between the separate configuration processes (the
 * machine column read above 2× on two cores), and alternating in one process cancels it; taking
 * every case in each round spreads a case's rounds over the whole run, so a slow spell of the host
 * lands in one of its rounds rather than in all of them. Per case and build: each round pair's
 * ratio (1 thread's median ÷ N threads'), their median (the figure), and each thread count's median
 * over the rounds; and before each round, how far apart the host had put the two vCPUs
 * (crossCoreRoundTrip, ns), the same for every case.
 */
export async function scaling({ variants, N, rounds, windowMs, warmMs, say }) {
  const { simdnet } = await import('./peers/simdnet.mjs');
  const cases = caseList();
  const ms = new Map(); // `${case}|${build}` -> { 1: [medians], N: [medians] }
  const timed = async (impl, c, opts) => {
    const p = await impl.cases[c.kind](c.spec); // init() here when the build or thread count changed
    try {
      globalThis.gc?.();
      return p.async ? await timeSamplesAsync(p.run, opts) : timeSamples(p.run, opts);
    } finally {
      await p.dispose();
    }
  };
  const roundTripNs = [];
  for (let r = 0; r < rounds; r++) {
    roundTripNs.push(await crossCoreRoundTrip());
    for (const variant of variants) {
      const impl = simdnet(variant);
      for (const T of r % 2 ? [N, 1] : [1, N]) {
        process.env.BENCH_THREADS = String(T);
        for (const c of cases) await timed(impl, c, { budgetMs: warmMs / cases.length, warmupMs: 0, minSamples: 1, maxSamples: 1e9 });
        for (const c of cases) {
          const t = await timed(impl, c, { budgetMs: windowMs, minSamples: 5, maxSamples: 15 });
          const key = `${c.row.case}|${impl.name}`;
          if (!ms.has(key)) ms.set(key, { case: c.row.case, column: impl.name, 1: [], [N]: [] });
          ms.get(key)[T].push(median(t.ms));
        }
      }
    }
  }
  for (const m of ms.values()) {
    const pairs = m[1].map((t, i) => t / m[N][i]);
    say(JSON.stringify({ case: m.case, column: m.column, ratio: median(pairs), ms1: median(m[1]), msN: median(m[N]), rounds: pairs, roundTripNs }));
  }
  process.env.BENCH_THREADS = String(N);
}

/** The middle value (the mean of the two middle ones for an even count). */
const median = (a) => { const s = [...a].sort((x, y) => x - y), h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };

/**
 * Pool start-up, ms (simdnet only), two rows: init({ threads: T }) − init({ threads: 1 }) (what
 * starting the pool adds before ops can run: in Node init() does not wait for the workers' boot),
 * and the time from init()'s start until every worker is up (runtimeInfo().threadsStarting gone:
 * from then on every op runs on all T threads), minus init({ threads: 1 }).
 */
async function poolStartup() {
  const T = threadCount();
  const tags = { threads: 'startup' };
  const rows = [
    { group: 'threads', case: 'pool start-up: init({ threads: N }) − init({ threads: 1 })', unit: 'ms', higherIsBetter: false, tags, results: {} },
    { group: 'threads', case: 'pool start-up: every worker up − init({ threads: 1 })', unit: 'ms', higherIsBetter: false, tags: { threads: 'startup-up' }, results: {} },
  ];
  const { init, reset, runtimeInfo } = await import(/* @vite-ignore */ simdnetEntry);
  const once = async (threads) => {
    reset();
    const t0 = performance.now();
    await init({ variant: 'simd', threads });
    const ready = performance.now() - t0;
    while (runtimeInfo().threadsStarting) await new Promise((r) => setTimeout(r, 0.5));
    return [ready, performance.now() - t0];
  };
  const diffs = [[], []];
  await once(T); // the first init also compiles; not counted
  for (let i = 0; i < 7; i++) {
    const [ready, up] = await once(T), [alone] = await once(1);
    diffs[0].push(ready - alone);
    diffs[1].push(up - alone);
  }
  rows.forEach((row, r) => {
    const d = diffs[r].sort((a, b) => a - b);
    row.results['simdnet-simd'] = { median: d[3], min: d[0], max: d[6], samples: 7, reps: 1 };
  });
  reset();
  return rows;
}

/** The thread count of this configuration (run() sets it). */
export function threadCount() {
  return Number(envVar('BENCH_THREADS') ?? 1);
}

