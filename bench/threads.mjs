// Thread scaling (issue 10): runs bench/threads-cases.mjs at 1 thread and at N threads (N = this
// machine's cores), each configuration in a fresh Node process (threads-child.mjs) and a fresh
// cross-origin-isolated Chromium page, because ONNX Runtime and TensorFlow.js fix their thread
// count when they first load. Merges the rows (column `<library> ×<T>`), prints the scaling and
// simdnet ÷ peer at the same thread count, and checks the targets. Beside each scaling
// ratio, the machine's ceiling measured in the same run (N one-thread processes side by side ÷ one
// alone: a 2-vCPU VM need not give twice the SIMD throughput), and for GEMM 512³ where the N-thread
// call loses time (bench/threads-anatomy.mjs: parts timed inside the job against alone, wake-up).
import { cores } from './platform.mjs';

/** Node: every configuration in its own process and page; rows merged, columns `<name> ×<T>`. */
export async function run({ args = [] } = {}) {
  const N = cores();
  const configs = [1, N];
  const merged = new Map();
  const absorb = (rows, T, where) => {
    for (const r of rows) {
      const key = `${where}|${r.case}`;
      const row = merged.get(key) ?? { ...r, case: where === 'node' ? r.case : `${r.case} (Chromium)`, where, threads: N, results: {}, notes: {} };
      for (const [name, v] of Object.entries(r.results)) row.results[`${name} ×${T}`] = v;
      for (const [name, v] of Object.entries(r.notes ?? {})) row.notes[`${name} ×${T}`] = v;
      merged.set(key, row);
    }
  };
  for (const T of configs) absorb(await child(T, args), T, 'node');
  if (N > 1) {
    // simdnet's scaling from one process, 1 and N threads alternating (threads-cases.mjs scaling())
    for (const s of await inProcess(N, args)) {
      const row = merged.get(`node|${s.case}`);
      if (row) (row.scaling ??= {})[s.column] = s;
    }
    // What the machine gives: N one-thread processes side by side against one alone, same cases.
    for (const [key, c] of await machineCeiling(N, args)) {
      const row = merged.get(`node|${key.split('|')[0]}`);
      if (row) (row.ceiling ??= {})[key.split('|')[1]] = c;
    }
    for (const r of await anatomy(N, args)) merged.set(`node|${r.case}`, r);
  }
  try {
    const { runChromium } = await import('./browser/run.mjs');
    for (const T of configs) {
      const page = await runChromium({ args: ['--filter', 'threads', ...args.filter((a) => a === '--quick')], isolated: true, query: { BENCH_THREADS: String(T) }, reportCores: 2 * N });
      if (!page.env.crossOriginIsolated) throw new Error('the page is not cross-origin isolated');
      absorb(page.rows, T, 'chromium');
    }
  } catch (err) {
    console.log(`threads: the Chromium configurations could not run: ${err.message}`);
  }
  return [...merged.values()];
}

/** threads-child.mjs (node `flags`, script `args`) with `env` added to this process's: the lines it writes to stdout (progress goes to stderr). */
async function runChild(env, { flags = [], args = [] }, what) {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const script = fileURLToPath(new URL('./threads-child.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--experimental-wasm-relaxed-simd', ...flags, script, ...args], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${what} exited with ${code}`));
      resolve(out.trim().split('\n').filter(Boolean));
    });
  });
}

/** One configuration: every library at T threads, its rows. */
async function child(T, args) {
  const passed = args.filter((a) => a === '--quick' || a === '--strict');
  // --expose-gc as run.mjs's own process: the harness collects before each column, so none pays for
  // the garbage of the one before (threads-child.mjs says what it cost the first column without)
  const lines = await runChild({ BENCH_THREADS: String(T) }, { flags: ['--expose-gc'], args: passed }, `threads child (${T} threads)`);
  return JSON.parse(lines.pop());
}

/** threads-child.mjs with BENCH_SCALING: simdnet at 1 and N threads alternating in one process, a record per case and variant. */
async function inProcess(N, args) {
  const quick = args.includes('--quick');
  const env = { BENCH_THREADS: String(N), BENCH_SCALING: String(quick ? 120 : 300), BENCH_SCALING_ROUNDS: String(quick ? 4 : 8), BENCH_SCALING_WARM: String(quick ? 300 : 1000) };
  return (await runChild(env, { flags: ['--expose-gc'] }, 'the in-process scaling child')).map((l) => JSON.parse(l));
}

/**
 * The machine's ceiling for each case: N single-thread processes (threads-child.mjs with
 * BENCH_CEILING) prepare the case; one times it alone for a window, then all N at once, case by
 * case, so both figures come from the same minute. ratio = throughput of the N side by side ÷ that
 * of one alone (N when the cores are independent): the most an N-thread split could gain here.
 */
async function machineCeiling(N, args) {
  const { spawn } = await import('node:child_process');
  const { createInterface } = await import('node:readline');
  const { fileURLToPath } = await import('node:url');
  const quick = args.includes('--quick');
  const script = fileURLToPath(new URL('./threads-child.mjs', import.meta.url));
  const env = { ...process.env, BENCH_THREADS: '1', BENCH_CEILING: String(quick ? 250 : 800), ...(quick ? { BENCH_CEILING_VARIANTS: 'simd' } : {}) };
  const kids = Array.from({ length: N }, () => spawn(process.execPath, ['--experimental-wasm-relaxed-simd', script], { env, stdio: ['pipe', 'pipe', 'inherit'] }));
  const lines = kids.map((k) => createInterface({ input: k.stdout })[Symbol.asyncIterator]());
  const next = async (i) => {
    const r = await lines[i].next();
    if (r.done) throw new Error('a ceiling process ended early');
    return r.value;
  };
  const all = () => Promise.all(kids.map((_, i) => next(i)));
  const out = new Map();
  try {
    for (;;) {
      const first = await all();
      if (first.every((l) => l === 'done')) break;
      if (!first.every((l) => l === 'ready')) throw new Error(`ceiling processes out of step: ${first.join(', ')}`);
      kids.forEach((k, i) => k.stdin.write(i === 0 ? 'time\n' : 'skip\n'));
      const solo = JSON.parse((await all())[0]);
      await all(); // ready again
      kids.forEach((k) => k.stdin.write('time\n'));
      const each = (await all()).map((l) => JSON.parse(l).ms);
      const ratio = solo.ms * each.reduce((sum, ms) => sum + 1 / ms, 0);
      out.set(`${solo.case}|${solo.column}`, { ratio, aloneMs: solo.ms, sideBySideMs: each, processes: N });
    }
  } finally {
    kids.forEach((k) => k.kill());
  }
  return out;
}

/** bench/threads-anatomy.mjs (under vite-node: it uses the pool's hooks in bindings/), its rows. */
async function anatomy(N, args) {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const vn = fileURLToPath(new URL('../node_modules/vite-node/vite-node.mjs', import.meta.url));
  const script = fileURLToPath(new URL('./threads-anatomy.mjs', import.meta.url));
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--experimental-wasm-relaxed-simd', vn, script, ...args.filter((a) => a === '--quick')], {
      env: { ...process.env, BENCH_THREADS: String(N) }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    p.stdout.on('data', (d) => { text += d; });
    p.on('exit', (code) => {
      if (code === 0) return resolve(JSON.parse(text.trim().split('\n').pop()));
      console.log(`threads: the anatomy run exited with ${code}`);
      resolve([]);
    });
  });
}

/** Scaling (T = N ÷ 1) and simdnet ÷ peer at the same thread count, and the targets. */
export function report(rows, { fmt, table }) {
  if (!rows.length) return [];
  const N = rows[0].threads;
  const speed = (r, col) => {
    const v = r.results[col];
    if (!v?.median) return null;
    return r.higherIsBetter ? v.median : 1 / v.median;
  };
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r.results)))];
  console.log(`## threads (1 and ${N} threads; Node processes and cross-origin-isolated Chromium pages)`);
  table(['case', 'unit', ...cols], rows.map((r) => [r.case, r.unit, ...cols.map((c) => {
    const v = r.results[c];
    if (!v) return '—';
    if (v.unsupported) return 'n/a';
    if (v.wrong) return 'WRONG';
    return `${fmt(v.median)} ±${(((v.max - v.min) / 2 / Math.abs(v.median)) * 100).toFixed(0)}%`;
  })]));
  const best = ['simdnet-relaxed', 'simdnet-simd'];
  const ratio = (r, a, b) => { const x = speed(r, a), y = speed(r, b); return x != null && y != null ? x / y : null; };
  // simdnet's N ÷ 1: from the one process that alternates them where it ran (Node), else from the two configurations' processes
  const scale = (r, b) => r.scaling?.[b]?.ratio ?? ratio(r, `${b} ×${N}`, `${b} ×1`);
  console.log(`\nscaling (${N} threads ÷ 1; simdnet's in one process, 1 and ${N} threads alternating, where it ran) and simdnet ×${N} ÷ peer ×${N} (relaxed / simd):`);
  const peerCols = ['ort-web', 'tfjs-wasm'];
  const ceiling = (r) => (r.ceiling ? best.map((b) => cell(r.ceiling[b]?.ratio ?? null)).join(' / ') : '—');
  table(['case', ...best.map((b) => `${b} ${N}÷1`), `${N}÷1 (separate processes)`, `machine: ${N} processes ÷ 1`, 'ort-web ÷1', 'tfjs-wasm ÷1', ...peerCols.map((p) => `÷ ${p} ×${N}`)],
    rows.filter((r) => !['startup', 'startup-up', 'anatomy'].includes(r.tags?.threads)).map((r) => [r.case,
      ...best.map((b) => cell(scale(r, b))), r.scaling ? best.map((b) => cell(ratio(r, `${b} ×${N}`, `${b} ×1`))).join(' / ') : '—', ceiling(r),
      ...peerCols.map((p) => cell(ratio(r, `${p} ×${N}`, `${p} ×1`))),
      ...peerCols.map((p) => best.map((b) => cell(ratio(r, `${b} ×${N}`, `${p} ×${N}`))).join(' / ')),
    ]));
  console.log('');
  // each round's ratios beside how far apart the host had put the vCPUs then (platform.mjs crossCoreRoundTrip)
  const inProcessRows = rows.filter((r) => r.scaling);
  const trips = inProcessRows[0]?.scaling[best[0]]?.roundTripNs;
  if (trips) {
    console.log(`the one process's rounds: cross-core round trip before each, ns: ${trips.map((t) => (t == null ? '—' : t.toFixed(0))).join(' ')}; each round's ${N}÷1:`);
    table(['case', ...best], inProcessRows.map((r) => [r.case, ...best.map((b) => r.scaling[b]?.rounds.map((x) => x.toFixed(2)).join(' ') ?? '—')]));
    console.log('');
  }
  function cell(x) { return x == null ? '—' : `${fmt(x)}×`; }
  // for the chart (bench/chart.mjs): simdnet-simd ×N ÷ each peer ×N
  for (const r of rows) {
    r.ratios = { [`simdnet-simd ×${N}`]: Object.fromEntries(peerCols.map((p) => [p, ratio(r, `simdnet-simd ×${N}`, `${p} ×${N}`)]).filter(([, v]) => v != null)) };
  }

  // issue 10's targets; scaling read from the Node rows, peers from the rows where they run
  const targets = [];
  const scaling = [['gemm512', 1.85], ['gemm', 1.6], ['cnn-step', 1.75], ['mlp', 1.4], ['cnn-infer', 1.8]];
  for (const [tag, min] of scaling) {
    for (const r of rows.filter((q) => q.tags?.threads === tag && q.where === 'node')) {
      targets.push(target(`${N} threads ÷ 1 ≥ ${min}× (one process)`, r, min, (b) => scale(r, b)));
    }
  }
  const vsPeer = [['gemm512', 'tfjs-wasm', 1.1], ['gemm512', 'ort-web', 1.1], ['gemm', 'tfjs-wasm', 1.1], ['gemm', 'ort-web', 1.1],
    ['cnn-step', 'tfjs-wasm', 5], ['cnn-infer', 'tfjs-wasm', 1.2], ['cnn-infer', 'ort-web', 1.2]];
  for (const [tag, peer, min] of vsPeer) {
    for (const r of rows.filter((q) => q.tags?.threads === tag && q.results[`${peer} ×${N}`]?.median)) {
      targets.push(target(`×${N} ≥ ${min}× ${peer} ×${N}`, r, min, (b) => ratio(r, `${b} ×${N}`, `${peer} ×${N}`)));
    }
  }
  // both readings of start-up: until ops can run (init() returns) and until they run on every thread
  for (const r of rows.filter((q) => ['startup', 'startup-up'].includes(q.tags?.threads) && q.where === 'node')) {
    const v = r.results[Object.keys(r.results).find((k) => k.endsWith(`×${N}`))]?.median ?? null;
    const what = r.tags.threads === 'startup' ? 'init() returns' : 'every worker up';
    targets.push({ target: `pool start-up ≤ 50 ms (Node; ${what})`, case: r.case, min: 50, values: { 'simdnet-simd': v }, met: { 'simdnet-simd': v != null && v <= 50 } });
  }
  return targets;

  function target(what, r, min, f) {
    const values = Object.fromEntries(best.map((b) => [b, f(b)]));
    return { target: what, case: r.case, min, ratio: true, values, met: Object.fromEntries(Object.entries(values).map(([b, v]) => [b, v != null && v >= min])) };
  }
}

