// Where the threads group's cases spend their time, at 1 and at N threads, side by side in one
// process (run under vite-node: it wraps the kernels object of bindings/runtime.ts):
//   node --experimental-wasm-relaxed-simd node_modules/vite-node/vite-node.mjs bench/threads-profile.mjs
//     [--quick] [--rounds R] [--reps N] [--case atb,abt,ab,mlp,cnn,infer] [--variant simd] [--spin µs] [--jobs]
//     [--compare-thresholds]: at N threads only, each unit alternating between the split thresholds
//     of before 2026-11-30 (every map at 2^18 elements, unweighted) and today's (kernels.ts)
//     [--compare-ns name=ns,…]: the same, "before" being today's NS_PER_ELEMENT with those entries changed
// (BENCH_THREADS = N, 2 by default; on Linux it re-runs itself with glibc's malloc settings, malloc.mjs MALLOC_ENV.)
// Rounds alternate 1 thread and N threads (init() each time); in each, every case runs warm
// untimed, then timed (whole units, the threads group's work: the result read out), then 5 more
// with every kernel call timed and counted (split: a job the workers ran a part of; its timeline
// from Pool.timeJobs). Prints per case the medians and the N÷1 ratio, per kernel ms per unit at 1
// and N threads, so the serial parts (kernels that do not split, time outside kernels) show, and
// for the split kernels where the call's time went: the workers' wake-up, each part, and when the
// calling thread began its own part after publishing the job (--jobs: every job's call:that, µs).
import * as lib from '../bindings/index.ts';
import { wasm, threadPool } from '../bindings/runtime.ts';
import { SPLIT_MIN, NS_PER_ELEMENT } from '../bindings/threads/kernels.ts';
import { threadsUp, median } from './lib.mjs';
import { withMallocSettings } from './malloc.mjs';
import { threadUnits } from './threads-units.mjs';
await withMallocSettings([], import.meta.url); // for the result copies' sake (malloc.mjs)

const { init, reset, runtimeInfo } = lib;
const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const quick = argv.includes('--quick');
const N = Number(process.env.BENCH_THREADS ?? 2);
const ROUNDS = Number(opt('--rounds', quick ? 4 : 8)), REPS = Number(opt('--reps', quick ? 15 : 30));
const variant = opt('--variant', 'relaxed');
const only = opt('--case', null);

const CASES = threadUnits(lib);

/** Wraps every kernel of the running kernels object: per name, ms, calls, split calls. */
function instrument() {
  const K = wasm('profile'), pool = threadPool();
  const stats = new Map(), saved = new Map();
  for (const [name, f] of Object.entries(K)) {
    if (typeof f !== 'function' || name.endsWith('Workspace') || ['alloc', 'free', 'workspace', 'workspaceBytes'].includes(name)) continue;
    saved.set(name, f);
    K[name] = (...args) => {
      const before = pool ? pool.jobsRun()[1] : 0;
      const t0 = performance.now();
      const r = f(...args);
      const t1 = performance.now(), dt = t1 - t0;
      const s = stats.get(name) ?? { ms: 0, calls: 0, split: 0, jobs: [] };
      s.ms += dt; s.calls++;
      if (pool && pool.jobsRun()[1] !== before) {
        s.split++;
        const j = pool.lastJob();
        const joined = j.threads.filter((t) => t.joined); // a worker that woke after the last chunk was taken skipped the job: NaN times
        s.jobs.push({ call: dt, wake: j.threads[1].woke - j.published, parts: j.threads.map((t) => (t.joined ? t.end - t.start : 0)), tail: j.done - Math.max(...joined.map((t) => t.end)), before: j.published - (performance.timeOrigin + t0), after: performance.timeOrigin + t1 - j.done, ownStart: j.threads[0].start - j.published });
      }
      stats.set(name, s);
      return r;
    };
  }
  return { stats, restore() { for (const [n, f] of saved) K[n] = f; } };
}

if (argv.includes('--compare-thresholds') || argv.includes('--compare-ns')) {
  // --compare-thresholds: "before" splits every kernel by elements at 2^18 of them, whatever it
  // costs per element; --compare-ns name=ns,…: "before" is today's cost model with those entries
  // changed (e.g. sgdStep=0.05: the update no longer splits below 400K elements while calm)
  const now = { ...NS_PER_ELEMENT }, flat = (SPLIT_MIN.micros * 1000) / (1 << 18);
  const changed = Object.fromEntries((opt('--compare-ns', '') || '').split(',').filter(Boolean).map((kv) => { const [k, v] = kv.split('='); return [k, Number(v)]; }));
  const before = argv.includes('--compare-thresholds') ? Object.fromEntries(Object.keys(now).map((k) => [k, flat])) : { ...now, ...changed };
  const set = (b) => { for (const k of Object.keys(before)) NS_PER_ELEMENT[k] = b ? before[k] : now[k]; };
  await init({ variant, threads: N });
  await threadsUp(runtimeInfo);
  for (const name of Object.keys(CASES).filter((c) => !only || only.split(',').includes(c))) {
    const c = CASES[name]();
    const t = { true: [], false: [] };
    for (let i = 0; i < 3; i++) { set(true); c.run(); set(false); c.run(); }
    for (let i = 0; i < ROUNDS * REPS; i++) {
      for (const before of i % 2 ? [true, false] : [false, true]) {
        set(before);
        const t0 = performance.now();
        c.run();
        t[before].push(performance.now() - t0);
      }
    }
    set(false);
    c.dispose();
    const b = median(t.true), a = median(t.false);
    console.log(`${name} (${variant}, ${N} threads, ${t.true.length} alternating pairs): before ${b.toFixed(3)} ms, now ${a.toFixed(3)} ms, before ÷ now ${(b / a).toFixed(3)}`);
  }
  process.exit(0);
}

const results = {}; // case -> T -> { ms: [], kernels: [Map] }
const names = Object.keys(CASES).filter((c) => !only || only.split(',').includes(c));
for (let round = 0; round < ROUNDS; round++) {
  for (const T of round % 2 ? [N, 1] : [1, N]) {
    await init({ variant, threads: T });
    await threadsUp(runtimeInfo);
    if (opt('--spin', null) !== null) threadPool()?.spinMicros(Number(opt('--spin', null)));
    for (const name of names) {
      const c = CASES[name]();
      for (let i = 0; i < 3; i++) c.run();
      const ms = [];
      for (let i = 0; i < REPS; i++) { const t0 = performance.now(); c.run(); ms.push(performance.now() - t0); }
      const prof = instrument();
      threadPool()?.timeJobs(true);
      const per = [];
      for (let i = 0; i < 5; i++) { const t0 = performance.now(); c.run(); per.push(performance.now() - t0); }
      prof.restore();
      threadPool()?.timeJobs(false);
      c.dispose();
      const r = ((results[name] ??= {})[T] ??= { ms: [], kernels: [], profiled: [] });
      r.ms.push(median(ms));
      r.profiled.push(median(per));
      r.kernels.push(new Map([...prof.stats].map(([k, s]) => [k, { ms: s.ms / 5, calls: s.calls / 5, split: s.split / 5, jobs: s.jobs }])));
    }
    reset();
  }
}

for (const name of names) {
  const r = results[name];
  const m1 = median(r[1].ms), mN = median(r[N].ms);
  console.log(`\n## ${name} (${variant}): 1 thread ${m1.toFixed(3)} ms, ${N} threads ${mN.toFixed(3)} ms, ${N}÷1 ${(m1 / mN).toFixed(2)}×  (per-round ratios ${r[1].ms.map((x, i) => (x / r[N].ms[i]).toFixed(2)).join(' ')})`);
  const kn = new Set([...r[1].kernels, ...r[N].kernels].flatMap((m) => [...m.keys()]));
  const row = (T, k, f) => median(r[T].kernels.map((m) => f(m.get(k) ?? { ms: 0, calls: 0, split: 0 })));
  const lines = [...kn].map((k) => ({ k, a: row(1, k, (s) => s.ms), b: row(N, k, (s) => s.ms), calls: row(1, k, (s) => s.calls), split: row(N, k, (s) => s.split) }));
  lines.sort((x, y) => y.a - x.a);
  let sumA = 0, sumB = 0;
  console.log(`kernel                            ms×1     ms×${N}   ratio  calls  split×${N}`);
  for (const l of lines) {
    sumA += l.a; sumB += l.b;
    console.log(`${l.k.padEnd(32)} ${l.a.toFixed(3).padStart(7)} ${l.b.toFixed(3).padStart(8)} ${(l.a / l.b).toFixed(2).padStart(6)} ${String(l.calls).padStart(6)} ${String(l.split).padStart(6)}`);
  }
  for (const l of lines.filter((q) => q.split > 0)) {
    const jobs = r[N].kernels.flatMap((m) => m.get(l.k)?.jobs ?? []);
    const f = (g) => (median(jobs.map(g).filter((v) => !Number.isNaN(v))) * 1e3).toFixed(0);
    if (argv.includes('--jobs')) console.log(jobs.map((j) => `${(j.call * 1e3).toFixed(0)}:${(j.ownStart * 1e3).toFixed(0)}`).join(' '));
    console.log(`  ${l.k}, its jobs at ${N} threads (medians, µs): call ${f((j) => j.call)}; before publishing ${f((j) => j.before)}; `
      + `the calling thread starts its part ${f((j) => j.ownStart)} after publishing, workers wake ${f((j) => j.wake)} after; `
      + `parts ${Array.from({ length: N }, (_, t) => f((j) => j.parts[t])).join(' / ')}; last part to done ${f((j) => j.tail)}; done to return ${f((j) => j.after)}`);
  }
  const p1 = median(r[1].profiled), pN = median(r[N].profiled);
  console.log(`${'(kernels)'.padEnd(32)} ${sumA.toFixed(3).padStart(7)} ${sumB.toFixed(3).padStart(8)}`);
  console.log(`${'(outside kernels, profiled run)'.padEnd(32)} ${(p1 - sumA).toFixed(3).padStart(7)} ${(pN - sumB).toFixed(3).padStart(8)}`);
}
process.exit(0);
