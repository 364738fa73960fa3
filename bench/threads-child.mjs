// One configuration of the threads group (bench/threads.mjs), in its own process: BENCH_THREADS
// threads for every library. Progress goes to stderr; the rows, as one JSON line, to stdout.
// With BENCH_CEILING=<window ms>: one process of the machine's ceiling instead (threads-cases.mjs
// ceiling()), talking to the parent in lines on stdin/stdout. With BENCH_SCALING=<window ms>:
// simdnet's 1 and BENCH_THREADS threads alternating in this one process (scaling(); BENCH_SCALING_ROUNDS
// rounds, BENCH_SCALING_WARM ms of untimed runs after each init()), a JSON line per case.
import { createInterface } from 'node:readline';
import { measure, ceiling, scaling } from './threads-cases.mjs';
import { envVar } from './platform.mjs';
import { withMallocSettings } from './malloc.mjs';

// The parent's glibc settings reach this process through its environment, but the first ~100 MB
// of result copies still land on fresh heap pages (malloc.mjs): the library measured first paid
// for them. simdnet-relaxed ×1 on GEMM 512³ (the first case, 1 MiB copies) read 31-33 GFLOP/s in
// every run of 2026-12-01 against 48 without the read-out. The churn here (withMallocSettings)
// and the harness's gc() before each column (threads.mjs starts this process with --expose-gc)
// both take it away: that column's median read 24-31 without either, 35.7 with the churn alone
// and 48.3 with both (the SIMD column 46.8 / 48.0), one process at a time, 2026-12-01.
await withMallocSettings([], import.meta.url);

const { supportedVariants } = await import('../dist/index.js');
const variants = supportedVariants().filter((v) => v !== 'scalar');
const windowMs = Number(envVar('BENCH_CEILING') ?? 0);
const scalingMs = Number(envVar('BENCH_SCALING') ?? 0);
if (scalingMs > 0) {
  await scaling({
    variants, N: Number(envVar('BENCH_THREADS')), rounds: Number(envVar('BENCH_SCALING_ROUNDS') ?? 6), windowMs: scalingMs,
    warmMs: Number(envVar('BENCH_SCALING_WARM') ?? 1000),
    say: (line) => process.stdout.write(`${line}\n`),
  });
} else if (windowMs > 0) {
  const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const only = envVar('BENCH_CEILING_VARIANTS')?.split(',') ?? variants;
  await ceiling({
    variants: variants.filter((v) => only.includes(v)), windowMs,
    lines: async () => (await input.next()).value,
    say: (line) => process.stdout.write(`${line}\n`),
  });
} else {
  const rows = await measure({ variants });
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}
process.exit(0); // thread pools (ORT's, simdnet's) must not keep the process alive
