// The benchmark suite: `npm run bench [-- --filter gemm]`.
// Prints a table of medians (with spread) and ratios, and writes bench/results/<date>.json.
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';

const groups = ['gemm', 'conv', 'pool', 'train'];
const args = process.argv.slice(2);
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? args[filterAt + 1] : undefined;

const { supportedVariants } = await import('../dist/index.js');
const variants = supportedVariants();
if (!variants.includes('relaxed')) {
  console.warn('note: this engine does not validate relaxed SIMD; run with --experimental-wasm-relaxed-simd (npm run bench does)');
}

const env = {
  date: new Date().toISOString(),
  node: process.version,
  v8: process.versions.v8,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  variants,
};
console.log(`simdnet bench — ${env.date}\nnode ${env.node} (V8 ${env.v8}), ${env.cpu}, one thread\n`);

const rows = [];
for (const name of groups) {
  if (filter && !name.includes(filter)) continue;
  const group = await import(`./${name}.mjs`);
  const out = await group.run({ variants });
  printGroup(name, out);
  rows.push(...out);
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/${env.date.slice(0, 10)}.json`, import.meta.url);
writeFileSync(file, JSON.stringify({ env, rows }, null, 2) + '\n');
console.log(`\nraw figures: bench/results/${env.date.slice(0, 10)}.json`);

function fmt(x) {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function printGroup(name, out) {
  if (!out.length) return;
  const impls = [...new Set(out.flatMap((r) => Object.keys(r.results)))];
  const head = ['case', 'unit', ...impls, ...(out[0].ratios ? Object.keys(out[0].ratios) : [])];
  const lines = out.map((r) => [
    r.case, r.unit,
    ...impls.map((i) => {
      const v = r.results[i];
      if (!v) return '—';
      if (v.unsupported) return `unsupported`;
      return `${fmt(v.median)} (${fmt(v.min)}–${fmt(v.max)})`;
    }),
    ...(r.ratios ? Object.values(r.ratios).map((x) => (x == null ? '—' : `${x.toFixed(2)}×`)) : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(`## ${name}`);
  console.log(line(head));
  console.log('| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |');
  lines.forEach((l) => console.log(line(l)));
  console.log('');
}
