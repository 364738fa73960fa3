// Where an N-thread GEMM 512³ loses against N× (bench/threads.mjs runs this in its own process
// under vite-node: it reaches the pool's bench hooks in bindings/, which the package does not
// export). Per job, every thread times the span of the chunks it took (Pool.timeJobs: its first
// chunk's start to its last chunk's end); the whole product is then timed alone on the calling
// thread, in the same process. Threads' summed busy time in the job above the product alone is the
// machine not delivering N cores' SIMD throughput (compare the ceiling column, N single-thread
// processes side by side) plus what cutting the job into chunks costs (each GEMM chunk packs its
// own share of A); the rest of the call beyond the longest busy span, and the workers' wake-up,
// are the pool's own cost.
import { init, reset, runtimeInfo } from '../bindings/index.ts';
import { wasm, threadPool, allocBytes, freeBytes } from '../bindings/runtime.ts';
import { threadsUp, median } from './lib.mjs';

const N = Number(process.env.BENCH_THREADS ?? 2);
const quick = process.argv.includes('--quick');
const REPS = quick ? 15 : 40, ROUNDS = quick ? 2 : 5;
const time = (f, reps) => { f(); const ts = []; for (let i = 0; i < reps; i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); } return median(ts); };

const rows = {
  inJob: { case: `GEMM 512³, ${N} threads: threads' summed busy time in the job ÷ the product alone`, unit: '×', higherIsBetter: false },
  wake: { case: `GEMM 512³, ${N} threads: workers' wake-up after the job is published`, unit: 'µs', higherIsBetter: false },
  overhead: { case: `GEMM 512³, ${N} threads: pooled call − the longest busy span in the job`, unit: 'µs', higherIsBetter: false },
};
for (const r of Object.values(rows)) Object.assign(r, { group: 'threads', where: 'node', threads: N, tags: { threads: 'anatomy' }, results: {}, notes: {} });

const { supportedVariants } = await import('../bindings/runtime.ts');
for (const variant of supportedVariants().filter((v) => v !== 'scalar')) {
  await init({ variant, threads: N });
  await threadsUp(runtimeInfo);
  const K = wasm('bench'), pool = threadPool();
  const M = 512;
  const a = allocBytes(M * M * 4, 'a'), b = allocBytes(M * M * 4, 'b'), c = allocBytes(M * M * 4, 'c');
  const heap = new Float32Array(K.memory.buffer);
  for (let i = 0; i < M * M; i++) { heap[a / 4 + i] = Math.sin(i) * 0.5; heap[b / 4 + i] = Math.cos(i) * 0.5; }
  const args = [a, b, c, M, M, M, 0, 0, 0, 0];
  K.workspace(K.gemmWorkspace(...args));
  const ratio = [], wake = [], over = [];
  for (let round = 0; round < ROUNDS; round++) {
    const alone = time(() => K.gemmPart(...args, 0, 1), REPS);
    pool.timeJobs(true);
    const jobs = [];
    for (let i = 0; i <= REPS; i++) {
      const t0 = performance.now();
      K.gemm(...args);
      const call = performance.now() - t0;
      if (i > 0) jobs.push({ call, ...pool.lastJob() });
    }
    pool.timeJobs(false);
    const busy = (t) => (t.joined ? t.end - t.start : 0); // a worker that woke after the last chunk was taken did not join
    ratio.push(median(jobs.map((j) => j.threads.reduce((s, t) => s + busy(t), 0) / alone)));
    const woke = jobs.filter((j) => j.threads.slice(1).every((t) => t.joined));
    wake.push(median(woke.map((j) => Math.max(...j.threads.slice(1).map((t) => t.woke - j.published)))) * 1e3);
    over.push(median(jobs.map((j) => j.call - Math.max(...j.threads.map(busy)))) * 1e3);
  }
  const put = (row, v) => {
    row.results[`simdnet-${variant} ×${N}`] = { median: median(v), min: Math.min(...v), max: Math.max(...v), samples: v.length, reps: REPS };
  };
  put(rows.inJob, ratio);
  put(rows.wake, wake);
  put(rows.overhead, over);
  [a, b, c].forEach(freeBytes);
  reset();
}
process.stdout.write(`${JSON.stringify(Object.values(rows))}\n`);
process.exit(0);
