// The pool's spin budgets (bindings/threads/protocol.ts SPIN_MICROS, CALM_SPIN_MICROS), compared
// side by side in one process at 2 threads (run under vite-node: it sets them through Pool's hook):
//   node --experimental-wasm-relaxed-simd node_modules/vite-node/vite-node.mjs bench/threads-spin.mjs
//     [--spins 30/30,30/1000] [--rounds 60] [--reps 4] [--variant simd]
// --spins: contended/calm budget pairs, µs (30/30: every thread always spins 30 µs, as before
// 2026-11-30 evening). Rounds cycle through the pairs (order flipped every round), REPS timed calls
// of each case per pair, plus the same build whole on the calling thread (Pool.chunksPerThread(0)).
// Prints each case's median ms per pair and its speed relative to the first pair, and how often a
// thread marked the machine contended (protocol.ts CONTENDED_UNTIL_F64). On Linux it re-runs
// itself with glibc's malloc settings (malloc.mjs MALLOC_ENV). To see the cost on a busy machine,
// start busy processes beside it (node -e 'for(;;){}').
import * as lib from '../bindings/index.ts';
import { threadPool } from '../bindings/runtime.ts';
import { CONTENDED_UNTIL_F64 } from '../bindings/threads/protocol.ts';
import { SPLIT_MIN } from '../bindings/threads/kernels.ts';
import { threadsUp, median } from './lib.mjs';
import { withMallocSettings } from './malloc.mjs';
import { threadUnits } from './threads-units.mjs';
await withMallocSettings([], import.meta.url); // for the result copies' sake (malloc.mjs)
const { init, runtimeInfo } = lib;
const argv = process.argv.slice(2);
const opt = (n, d) => { const i = argv.indexOf(n); return i >= 0 ? argv[i + 1] : d; };
const SPINS = opt('--spins', '30/30,30/300,30/1000').split(',').map((c) => c.split('/').map(Number)); // contended/calm budgets; 30/30 = before
// Instead of --spins, at the default budgets: --chunks k,k (Pool.chunksPerThread), --homes (home runs
// on, then off: Pool.homes), or --split µs,µs (SPLIT_MIN.calmMicros of kernels.ts).
const CHUNKS = opt('--chunks', null)?.split(',').map(Number);
const HOMES = argv.includes('--homes');
const SPLITS = opt('--split', null)?.split(',').map(Number);
const REPS = Number(opt('--reps', 4)), ROUNDS = Number(opt('--rounds', 60));
const variant = opt('--variant', 'simd');
const CALM_MICROS = SPLIT_MIN.calmMicros;
await init({ variant, threads: 2 });
await threadsUp(runtimeInfo);
const pool = threadPool();
const units = threadUnits(lib);
const cases = Object.fromEntries(['mlp', 'cnn', 'infer', 'atb'].map((name) => [name, units[name]().run]));
const configs = [...(SPLITS ? SPLITS.map((us) => ({ name: `split ≥ ${us} µs`, spin: [30, 1000], k: 3, split: us })) : HOMES ? [true, false].map((on) => ({ name: `home runs ${on ? 'on' : 'off'}`, spin: [30, 1000], k: 3, homes: on })) : CHUNKS ? CHUNKS.map((k) => ({ name: `${k} chunks per thread`, spin: [30, 1000], k })) : SPINS.map((s) => ({ name: `${s[0]}/${s[1]}`, spin: s, k: 3 }))), { name: '1 thread (same build)', spin: [30, 30], k: 0 }];
let marks = 0, lastMark = 0;
for (const [name, run] of Object.entries(cases)) {
  for (let i = 0; i < 5; i++) run();
  const t = configs.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const order = configs.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const c of order) {
      pool.spinMicros(...configs[c].spin);
      pool.chunksPerThread(configs[c].k);
      pool.homes(configs[c].homes ?? true);
      SPLIT_MIN.calmMicros = configs[c].split ?? CALM_MICROS;
      run();
      for (let i = 0; i < REPS; i++) {
        if (pool.f64[CONTENDED_UNTIL_F64] !== lastMark) { marks++; lastMark = pool.f64[CONTENDED_UNTIL_F64]; }
        const t0 = performance.now();
        run();
        t[c].push(performance.now() - t0);
      }
    }
  }
  const one = median(t[0]);
  console.log(`${name} (contended marks so far: ${marks}): ` + configs.map((c, i) => `${c.name} ${median(t[i]).toFixed(3)} ms (${(one / median(t[i])).toFixed(2)}× the first)`).join(', '));
}
process.exit(0);
