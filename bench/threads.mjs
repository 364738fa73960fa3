// Thread scaling (issue 10): runs bench/threads-cases.mjs at 1 thread and at N threads (N = this
// machine's cores), each configuration in a fresh Node process (threads-child.mjs) and a fresh
// cross-origin-isolated Chromium page, because ONNX Runtime and TensorFlow.js fix their thread
// count when they first load. Merges the rows (column `<library> ×<T>`), prints the scaling and
// simdnet ÷ peer at the same thread count, and checks the targets.
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

async function child(T, args) {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const script = fileURLToPath(new URL('./threads-child.mjs', import.meta.url));
  const passed = args.filter((a) => a === '--quick' || a === '--strict');
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--experimental-wasm-relaxed-simd', script, ...passed], {
      env: { ...process.env, BENCH_THREADS: String(T) }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`threads child (${T} threads) exited with ${code}`));
      const line = out.trim().split('\n').pop();
      resolve(JSON.parse(line));
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
  console.log(`\nscaling (${N} threads ÷ 1) and simdnet ×${N} ÷ peer ×${N} (relaxed / simd):`);
  const peerCols = ['ort-web', 'tfjs-wasm'];
  table(['case', ...best.map((b) => `${b} ${N}÷1`), 'ort-web ÷1', 'tfjs-wasm ÷1', ...peerCols.map((p) => `÷ ${p} ×${N}`)],
    rows.filter((r) => r.tags?.threads !== 'startup').map((r) => [r.case,
      ...best.map((b) => cell(ratio(r, `${b} ×${N}`, `${b} ×1`))),
      ...peerCols.map((p) => cell(ratio(r, `${p} ×${N}`, `${p} ×1`))),
      ...peerCols.map((p) => best.map((b) => cell(ratio(r, `${b} ×${N}`, `${p} ×${N}`))).join(' / ')),
    ]));
  console.log('');
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
      targets.push(target(`${N} threads ÷ 1 ≥ ${min}×`, r, min, (b) => ratio(r, `${b} ×${N}`, `${b} ×1`)));
    }
  }
  const vsPeer = [['gemm512', 'tfjs-wasm', 1.1], ['gemm512', 'ort-web', 1.1], ['gemm', 'tfjs-wasm', 1.1], ['gemm', 'ort-web', 1.1],
    ['cnn-step', 'tfjs-wasm', 5], ['cnn-infer', 'tfjs-wasm', 1.2], ['cnn-infer', 'ort-web', 1.2]];
  for (const [tag, peer, min] of vsPeer) {
    for (const r of rows.filter((q) => q.tags?.threads === tag && q.results[`${peer} ×${N}`]?.median)) {
      targets.push(target(`×${N} ≥ ${min}× ${peer} ×${N}`, r, min, (b) => ratio(r, `${b} ×${N}`, `${peer} ×${N}`)));
    }
  }
  for (const r of rows.filter((q) => q.tags?.threads === 'startup' && q.where === 'node')) {
    const v = r.results[Object.keys(r.results).find((k) => k.endsWith(`×${N}`))]?.median ?? null;
    targets.push({ target: 'pool start-up ≤ 50 ms (Node)', case: r.case, min: 50, values: { 'simdnet-simd': v }, met: { 'simdnet-simd': v != null && v <= 50 } });
  }
  return targets;

  function target(what, r, min, f) {
    const values = Object.fromEntries(best.map((b) => [b, f(b)]));
    return { target: what, case: r.case, min, ratio: true, values, met: Object.fromEntries(Object.entries(values).map(([b, v]) => [b, v != null && v >= min])) };
  }
}

