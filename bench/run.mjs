// The benchmark suite: `npm run bench [-- --filter gemm] [-- --quick] [-- --out <dir>]`.
// Every case runs simdnet's builds, the plain-JS baseline and every peer side by side in this one
// process (one thread each), checks each output against a float64 reference, then times it. Prints
// medians with their spread and simdnet ÷ peer speed ratios, checks the issue's targets, and writes
// <out>/<date>.json (raw figures, environment, versions) and <out>/<date>.svg (the ratio chart).
//   --filter <s>  only the groups whose name contains s (gemm, elementwise, tensor, conv, pool, norm,
//                 train, infer, threads, onnx, size)
//   threads       1 and N threads side by side, in Node and in cross-origin-isolated Chromium
//                 (bench/threads.mjs); every other group runs one thread per library
//   onnx          fromOnnx: imported vs nn-built MNIST CNN inference, import time of a 10 MB model
//   --quick       short timing budget per measurement, for development (figures are noisier)
//   --out <dir>   where the JSON and SVG go (default bench/results)
//   --chromium    also run the groups (not size) in headless Chromium (bench/browser/) and record both
//   --strict      a peer whose output disagrees with the reference stops the run (by default its cell
//                 says WRONG and it is not timed; simdnet's or plain JS's disagreement always stops it)
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { budget } from './lib.mjs';
import { withMallocSettings, MALLOC_ENV } from './malloc.mjs';
import { implementations } from './peers/index.mjs';
import { chartSvg } from './chart.mjs';

// glibc's defaults make every timed unit's fresh result array pay for its pages again: run with
// the settings that keep freed memory, on a heap grown to its working size (lib.mjs
// withMallocSettings, which says why). The child also gets --expose-gc: the harness collects the
// previous column's garbage before timing the next (bench/harness.mjs).
await withMallocSettings(['--expose-gc']);

const started = performance.now();
const groups = ['gemm', 'elementwise', 'tensor', 'conv', 'pool', 'norm', 'train', 'infer', 'threads', 'onnx', 'size'];
const args = process.argv.slice(2);
const opt = (name) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const filter = opt('--filter');
const outDir = path.resolve(opt('--out') ?? new URL('./results/', import.meta.url).pathname);

const { supportedVariants } = await import('../dist/index.js');
const variants = supportedVariants();
if (!variants.includes('relaxed')) {
  console.warn('note: this engine does not validate relaxed SIMD; run with --experimental-wasm-relaxed-simd (npm run bench does)');
}
const impls = await implementations(variants);
const BASES = ['simdnet-simd', 'simdnet-relaxed'].filter((b) => impls.some((i) => i.name === b));

const env = {
  date: new Date().toISOString(),
  node: process.version,
  v8: process.versions.v8,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  loadavg: os.loadavg(),
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  variants,
  threads: 1,
  budgetMs: budget.ms,
  malloc: Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${process.env[k] ?? 'unset'}`).join(' '),
  versions: Object.fromEntries(impls.map((i) => [i.name, i.version])),
};
console.log(`simdnet bench — ${env.date}`);
console.log(`node ${env.node} (V8 ${env.v8}), ${env.cpu}, ${env.cores} cores, load ${env.loadavg.map((l) => l.toFixed(2)).join(' ')}; one thread per library`);
for (const i of impls.filter((i) => i.role !== 'simdnet')) console.log(`  ${i.name.padEnd(18)} ${i.version}`);
console.log(`timing: adaptive, ~${budget.ms} ms per measurement after warm-up; cells are median ±half-range of the samples\n`);

const rows = [];
const groupTargets = [];
for (const name of groups) {
  if (filter && !name.includes(filter)) continue;
  const t0 = performance.now();
  const group = await import(`./${name}.mjs`);
  const out = await group.run({ variants, args });
  if (group.report) {
    env.cores = out[0]?.threads ?? env.cores;
    groupTargets.push(...group.report(out, { fmt, table }));
  } else {
    for (const r of out) r.ratios = ratios(r);
    if (name === 'size') printSize(out); else printGroup(name, out);
  }
  console.log(`(${name}: ${((performance.now() - t0) / 1e3).toFixed(1)} s)\n`);
  rows.push(...out);
}

const targets = [...checkTargets(rows.filter((r) => r.group !== 'threads')), ...regroup(groupTargets)];
if (targets.length) printTargets(targets);

let chromium;
if (args.includes('--chromium')) {
  const t0 = performance.now();
  console.log('# Chromium (headless, same suite in a page)\n');
  try {
    const { runChromium } = await import('./browser/run.mjs');
    chromium = await runChromium({ args, verbose: Boolean(process.env.BENCH_VERBOSE) });
    console.log(`Chromium ${chromium.env.browser} (${chromium.env.userAgent}); simdnet builds ${chromium.env.variants.join(', ')}`);
    for (const [name, version] of Object.entries(chromium.env.versions)) if (!name.startsWith('simdnet')) console.log(`  ${name.padEnd(18)} ${version}`);
    console.log('');
    const byGroup = new Map();
    for (const r of chromium.rows) {
      r.ratios = ratios(r);
      byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
    }
    for (const [name, out] of byGroup) printGroup(`${name} (Chromium)`, out);
    chromium.targets = checkTargets(chromium.rows);
    if (chromium.targets.length) printTargets(chromium.targets, 'Chromium');
  } catch (err) {
    chromium = { error: err.message };
    console.log(`the Chromium run could not complete: ${err.message}\n`);
  }
  console.log(`(chromium: ${((performance.now() - t0) / 1e3).toFixed(1)} s)\n`);
}
const disagreements = rows.flatMap((r) => Object.entries(r.results).filter(([, v]) => v.wrong).map(([name, v]) => `${r.group}: ${r.case} — ${name}: ${v.wrong}`));
if (disagreements.length) {
  console.log('## outputs that disagree with the float64 reference (not timed)');
  disagreements.forEach((d) => console.log(`- ${d}`));
  console.log('');
}

env.seconds = (performance.now() - started) / 1e3;
mkdirSync(outDir, { recursive: true });
const stem = path.join(outDir, env.date.slice(0, 10) + (filter ? `-${filter}` : ''));
writeFileSync(`${stem}.json`, JSON.stringify({ env, rows, targets, ...(chromium ? { chromium } : {}) }, null, 2) + '\n');
writeFileSync(`${stem}.svg`, chartSvg(rows, { title: `simdnet bench ${env.date.slice(0, 10)} — node ${env.node}, ${env.cpu}, one thread` }));
const threadRows = rows.filter((r) => r.group === 'threads' && r.ratios);
if (threadRows.length) writeFileSync(`${stem}-threads.svg`, chartSvg(threadRows, { title: `simdnet bench ${env.date.slice(0, 10)} — ${env.cores} threads, simdnet and peers at the same count`, base: `simdnet-simd ×${env.cores}` }));
if (chromium?.rows) writeFileSync(`${stem}-chromium.svg`, chartSvg(chromium.rows, { title: `simdnet bench ${env.date.slice(0, 10)} — ${chromium.env.browser}, ${env.cpu}, one thread` }));
console.log(`raw figures: ${path.relative(process.cwd(), stem)}.json, chart: ${path.relative(process.cwd(), stem)}.svg (${env.seconds.toFixed(0)} s in all)`);

/** For each simdnet build: its speed ÷ every other column's (> 1: simdnet faster). */
function ratios(row) {
  if (row.group === 'size') {
    const s = row.results.simdnet?.minGzip;
    return { simdnet: Object.fromEntries(Object.entries(row.results).filter(([k, v]) => k !== 'simdnet' && v.minGzip).map(([k, v]) => [k, v.minGzip / s])) };
  }
  const out = {};
  for (const base of BASES) {
    const b = row.results[base];
    if (!b?.median) continue;
    out[base] = {};
    for (const [name, r] of Object.entries(row.results)) {
      if (name === base || !r.median) continue;
      out[base][name] = row.higherIsBetter ? b.median / r.median : r.median / b.median;
    }
  }
  return out;
}

function fmt(x) {
  return x >= 1000 ? x.toFixed(0) : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2);
}

function table(head, lines) {
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(head));
  console.log('| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |');
  lines.forEach((l) => console.log(line(l)));
}

function printGroup(name, out) {
  if (!out.length) return;
  const cols = [...new Set(out.flatMap((r) => Object.keys(r.results)))];
  const footnotes = [];
  const mark = (text) => {
    let at = footnotes.indexOf(text);
    if (at < 0) { footnotes.push(text); at = footnotes.length - 1; }
    return `[${at + 1}]`;
  };
  console.log(`## ${name}`);
  table(['case', 'unit', ...cols], out.map((r) => [r.note ? `${r.case} ${mark(r.note)}` : r.case, r.unit, ...cols.map((c) => {
    const v = r.results[c];
    if (!v) return '—';
    if (v.unsupported) return `n/a ${mark(`${c}: ${v.unsupported}`)}`;
    if (v.wrong) return `WRONG ${mark(`${c}: output disagrees with the float64 reference, not timed (${v.wrong})${r.notes?.[c] ? `; ${r.notes[c]}` : ''}`)}`;
    const spread = ((v.max - v.min) / 2 / v.median) * 100;
    let cell = `${fmt(v.median)} ±${spread < 10 ? spread.toFixed(1) : spread.toFixed(0)}%`;
    if (v.samples === 1) cell += ` ${mark('one timed call (a call takes over twice the budget); the spread is not measured')}`;
    if (r.notes?.[c]) cell += ` ${mark(`${c}: ${r.notes[c]}`)}`;
    if (v.semantics === 'excludePad') cell += ` ${mark(`${c}: its average pooling leaves padding out of the divisor (TensorFlow's semantics); checked against that reference`)}`;
    return cell;
  })]));
  console.log('');
  const peers = cols.filter((c) => !BASES.includes(c));
  console.log(`simdnet ÷ column, speed ratio (>1: simdnet faster) — ${BASES.join(' / ')}:`);
  table(['case', ...peers], out.map((r) => [r.case, ...peers.map((p) => {
    const cells = BASES.map((b) => r.ratios[b]?.[p]);
    if (cells.every((c) => c == null)) return '—';
    return cells.map((c) => (c == null ? '—' : `${fmt(c)}×`)).join(' / ');
  })]));
  footnotes.forEach((f, i) => console.log(`[${i + 1}] ${f}`));
  const kernel = out.filter((r) => r.kernelOnly);
  if (kernel.length) {
    const vs = Object.keys(kernel[0].kernelOnly);
    console.log(`\nsimdnet's kernel alone (the result left in linear memory, not copied to JS), ${kernel[0].unit}:`);
    table(['case', ...vs], kernel.map((r) => [r.case, ...vs.map((v) => `${fmt(r.kernelOnly[v].median)} ±${(((r.kernelOnly[v].max - r.kernelOnly[v].min) / 2 / r.kernelOnly[v].median) * 100).toFixed(1)}%`)]));
  }
  console.log('');
}

function printSize(out) {
  const r = out[0];
  console.log('## size (what a browser downloads for the WebAssembly path)');
  table(['library', 'files', 'raw bytes', 'gzip bytes', 'min + gzip bytes', 'peer ÷ simdnet (min + gzip)'],
    Object.entries(r.results).map(([name, v]) => v.unsupported ? [name, v.unsupported, '—', '—', '—', '—'] : [
      name, v.files.map((f) => path.basename(f.file)).join(' + '), v.raw, v.gzip, v.minGzip,
      name === 'simdnet' ? '1×' : `${fmt(r.ratios.simdnet[name])}×`,
    ]));
  console.log('');
}

/** The issue's targets, each against the rows it names; simdnet's SIMD and relaxed builds both shown. */
function checkTargets(rows) {
  const list = [
    ['every GEMM row ≥ 1.1× tfjs-wasm', (r) => r.tags?.gemm, 'tfjs-wasm', 1.1],
    ['transposed GEMM rows ≥ 15× tfjs-wasm', (r) => r.tags?.transposed, 'tfjs-wasm', 15],
    ['every conv forward row ≥ 1.0× tfjs-wasm', (r) => r.tags?.conv === 'forward', 'tfjs-wasm', 1.0],
    ['depthwise 3×3 conv fwd+bwd ≥ 2× tfjs-wasm', (r) => r.tags?.depthwise && r.tags.conv === 'fwd+bwd', 'tfjs-wasm', 2],
    ['BatchNorm2d fwd+bwd ≥ 2× tfjs-wasm', (r) => r.tags?.norm === 'batchnorm', 'tfjs-wasm', 2],
    ['BatchNorm adds ≤ 15% to the MNIST-ResNet step (with ÷ without)', (r) => r.tags?.norm === 'resnet-bn', 'overhead', 1.15],
    ['MLP training step ≥ 4× tfjs-wasm', (r) => r.tags?.train === 'mlp', 'tfjs-wasm', 4],
    ['CNN training step ≥ 4× tfjs-wasm', (r) => r.tags?.train === 'cnn', 'tfjs-wasm', 4],
    ['every training row ≥ 30× ConvNetJS', (r) => r.tags?.train, 'convnetjs', 30],
    ['relaxed-SIMD GEMM kernel ≥ 42 GFLOP/s', (r) => r.tags?.gemm, null, 42],
    ['tensor-toolkit rows within 1.5× of tfjs-wasm (speed ratio ≥ 0.67)', (r) => r.tags?.toolkit, 'tfjs-wasm', 1 / 1.5],
    ['relu, sigmoid, tanh, softmax 64×1000 ≥ 1.2× tfjs-wasm (issue 11)', (r) => r.tags?.activation, 'tfjs-wasm', 1.2],
    ['relu, sigmoid, tanh, softmax 64×1000 ≥ 1.2× ORT Web (issue 11)', (r) => r.tags?.activation, 'ort-web', 1.2],
    // issue 11 (plain SIMD build unless said)
    ['MNIST-CNN inference, batch 32 ≥ 1.3× tfjs-wasm', (r) => r.tags?.infer && r.tags.batch === 32, 'tfjs-wasm', 1.3],
    ['MNIST-CNN inference, batch 32 ≥ 1.6× ORT Web', (r) => r.tags?.infer && r.tags.batch === 32, 'ort-web', 1.6],
    ['MNIST-CNN inference, batch 32, relaxed build ≥ 1.6× tfjs-wasm', (r) => r.tags?.infer && r.tags.batch === 32, 'tfjs-wasm', 1.6],
    ['MNIST-CNN inference, batch 1 (latency) ≥ 1.3× tfjs-wasm', (r) => r.tags?.infer && r.tags.batch === 1, 'tfjs-wasm', 1.3],
    ['every max/avg-pool forward row ≥ 1.2× tfjs-wasm', (r) => /forward$/.test(r.tags?.pool ?? ''), 'tfjs-wasm', 1.2],
    ['every max/avg-pool forward row ≥ 1.2× ORT Web', (r) => /forward$/.test(r.tags?.pool ?? ''), 'ort-web', 1.2],
  ];
  const out = [];
  for (const [what, pick, peer, min] of list) {
    const picked = rows.filter(pick);
    if (!picked.length) continue;
    const cases = picked.map((r) => {
      // 'overhead': a ratio of two simdnet rows that must stay at most `min`
      const values = peer === 'overhead'
        ? Object.fromEntries(BASES.map((b) => [b, r.overhead?.[b] ?? null]))
        : peer
          ? Object.fromEntries(BASES.map((b) => [b, r.ratios[b]?.[peer] ?? null]))
          : { 'simdnet-relaxed': (r.kernelOnly ?? r.results)['simdnet-relaxed']?.median ?? null };
      const ok = (v) => v != null && (peer === 'overhead' ? v <= min : v >= min);
      return { case: r.case, values, met: Object.fromEntries(Object.entries(values).map(([b, v]) => [b, ok(v)])) };
    });
    out.push({ target: what, min, peer, cases });
  }
  return out;
}

/** A group's own targets (one entry per case) in checkTargets' form (cases under one target). */
function regroup(list) {
  const out = new Map();
  for (const t of list) {
    const e = out.get(t.target) ?? { target: t.target, min: t.min, peer: t.ratio ? 'ratio' : null, cases: [] };
    e.cases.push({ case: t.case, values: t.values, met: t.met });
    out.set(t.target, e);
  }
  return [...out.values()];
}

function printTargets(targets, where = '') {
  console.log(`## targets (issues 5, 10, 11 and 12)${where ? ` — ${where}` : ''}`);
  const lines = [];
  for (const t of targets) for (const c of t.cases) {
    lines.push([t.target, c.case, ...Object.entries(c.values).map(([b, v]) => `${b.replace('simdnet-', '')}: ${v == null ? 'n/a' : fmt(v) + (t.peer ? '×' : '')} ${v == null ? '' : c.met[b] ? 'met' : 'SHORT'}`)]);
  }
  const width = Math.max(...lines.map((l) => l.length));
  table(['target', 'case', ...Array.from({ length: width - 2 }, (_, i) => (i ? '' : 'measured'))], lines.map((l) => [...l, ...Array(width - l.length).fill('')]));
  console.log('');
}
