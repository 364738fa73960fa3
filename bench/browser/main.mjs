// The page's entry (bundled by bench/browser/run.mjs): runs the same groups, harness and adapters
// as Node, then leaves { env, rows } (or { error }) in window.results for the Node side to print.
import { implementations } from '../peers/index.mjs';
import { args, simdnetEntry } from '../platform.mjs';
import { budget } from '../lib.mjs';
import * as gemm from '../gemm.mjs';
import * as elementwise from '../elementwise.mjs';
import * as tensor from '../tensor.mjs';
import * as conv from '../conv.mjs';
import * as pool from '../pool.mjs';
import * as train from '../train.mjs';
import * as infer from '../infer.mjs';
import { measure as threads } from '../threads-cases.mjs';

// threads runs only when asked for (bench/threads.mjs opens one isolated page per thread count)
const groups = { gemm, elementwise, tensor, conv, pool, train, infer, threads: { run: threads } };

async function main() {
  const filter = args.includes('--filter') ? args[args.indexOf('--filter') + 1] : undefined;
  const { supportedVariants } = await import(/* @vite-ignore */ simdnetEntry);
  const variants = supportedVariants();
  const impls = await implementations(variants);
  const env = {
    userAgent: navigator.userAgent,
    variants,
    budgetMs: budget.ms,
    crossOriginIsolated: globalThis.crossOriginIsolated ?? false,
    versions: Object.fromEntries(impls.map((i) => [i.name, i.version])),
  };
  const rows = [];
  for (const [name, group] of Object.entries(groups)) {
    if (filter ? !name.includes(filter) : name === 'threads') continue;
    const t0 = performance.now();
    const out = await group.run({ variants });
    rows.push(...out);
    console.log(`chromium: ${name} done in ${((performance.now() - t0) / 1e3).toFixed(1)} s`);
  }
  return { env, rows };
}

main().then((r) => { window.results = r; }, (err) => { window.results = { error: String(err?.stack ?? err) }; });
