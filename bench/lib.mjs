// Shared timing, checking and raw-core helpers for the benchmark groups.
import { args, envVar, wasmBytes } from './platform.mjs';

/**
 * The time one measurement may take, in ms (warm-up excluded). `--quick` (or BENCH_BUDGET_MS)
 * shortens it for development; the published table uses the default.
 */
export const budget = {
  ms: Number(envVar('BENCH_BUDGET_MS')) || (args.includes('--quick') ? 150 : 600),
};

/**
 * Adaptive timing. Warms up (at least 2 calls and budget/5 ms), picks `reps` calls per sample so a
 * sample lasts at least minSampleMs, then takes samples until the budget is spent (at least
 * minSamples, at most maxSamples). Slow calls get fewer: 3 samples when one sample is over a third
 * of the budget, 1 when one call is over twice the budget. priorMs: the duration of a call already
 * made (the correctness check's), which counts as warm-up (it is all of it for a slow call).
 * Returns per-call milliseconds: median, spread (min, max), samples and reps.
 */
export function time(fn, opts = {}) {
  const { ms, reps } = timeSamples(fn, opts);
  return summary(ms, reps);
}

/** time() for functions that return a promise (ONNX Runtime's session.run). */
export async function timeAsync(fn, opts = {}) {
  const { ms, reps } = await timeSamplesAsync(fn, opts);
  return summary(ms, reps);
}

/** time()'s warm-up and samples, unsummarised: { ms: per-call ms of each sample, reps }. */
export function timeSamples(fn, opts = {}) {
  const o = options(opts);
  const w0 = performance.now();
  let calls = 0;
  while (warming(calls, w0, o)) { fn(); calls++; }
  const ms = [];
  const reps = repetitions(calls, w0, o);
  const t0 = performance.now();
  while (more(ms, t0, reps, o)) {
    const s = performance.now();
    for (let i = 0; i < reps; i++) fn();
    ms.push((performance.now() - s) / reps);
  }
  return { ms, reps };
}

export async function timeSamplesAsync(fn, opts = {}) {
  const o = options(opts);
  const w0 = performance.now();
  let calls = 0;
  while (warming(calls, w0, o)) { await fn(); calls++; }
  const ms = [];
  const reps = repetitions(calls, w0, o);
  const t0 = performance.now();
  while (more(ms, t0, reps, o)) {
    const s = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    ms.push((performance.now() - s) / reps);
  }
  return { ms, reps };
}

function options({ budgetMs = budget.ms, minSamples = 7, maxSamples = 31, minSampleMs = 10, warmupMs, priorMs = 0 } = {}) {
  return { budgetMs, minSamples, maxSamples, minSampleMs, warmupMs: warmupMs ?? budgetMs / 5, priorMs };
}

function warming(calls, w0, o) {
  const minCalls = o.priorMs > 2 * o.budgetMs ? 0 : o.priorMs ? 1 : 2;
  if (calls < minCalls) return true;
  return o.priorMs < o.warmupMs && performance.now() - w0 < o.warmupMs;
}

function repetitions(calls, w0, o) {
  o.perCall = calls ? (performance.now() - w0) / calls : o.priorMs;
  return Math.max(1, Math.ceil(o.minSampleMs / o.perCall));
}

function more(ms, t0, reps, o) {
  if (ms.length >= o.maxSamples) return false;
  const elapsed = performance.now() - t0;
  const perSample = ms.length ? elapsed / ms.length : o.perCall * reps;
  const need = o.perCall > 2 * o.budgetMs ? 1 : perSample * o.minSamples > 3 * o.budgetMs ? 3 : o.minSamples;
  return ms.length < need || elapsed < o.budgetMs;
}

/** Median and spread (min, max) of per-call samples in ms. */
export function summary(ms, reps) {
  ms.sort((a, b) => a - b);
  return { median: ms[ms.length >> 1], min: ms[0], max: ms[ms.length - 1], samples: ms.length, reps };
}

/** Converts per-call ms into a rate (work per call / ms → GFLOP/s, GB/s, items/s ...), keeping the spread. */
export function rate(t, workPerCall, scale) {
  return { median: workPerCall / t.median / scale, min: workPerCall / t.max / scale, max: workPerCall / t.min / scale, samples: t.samples, reps: t.reps, ms: t.median };
}

/**
 * After init({ threads: N }): resolves once every worker of the pool is up. In Node init() returns
 * before the workers have booted (~50 ms), and until they are up the ops run on fewer threads: a
 * case timed at once would measure that (a GEMM's first ~60 calls ran on the calling thread alone).
 */
export async function threadsUp(runtimeInfo, timeoutMs = 5000) {
  const until = performance.now() + timeoutMs;
  while (runtimeInfo().threadsStarting) {
    if (performance.now() > until) throw new Error(`the pool's workers were not up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** The middle of `values` once sorted; for an even count the upper of the two middle ones. */
export function median(values) {
  const s = [...values].sort((x, y) => x - y);
  return s[s.length >> 1];
}

/** A raw instance of one build of the compute core (no tensors), for kernel benchmarks. */
export async function rawCore(variant) {
  const bytes = await wasmBytes(variant);
  const { instance: { exports } } = await WebAssembly.instantiate(bytes, {
    env: { abort() { throw new Error(`abort in ${variant} build`); } },
  });
  return {
    exports,
    put(data) {
      const ptr = exports.alloc(data.length * 4);
      new Float32Array(exports.memory.buffer).set(data, ptr >> 2);
      return ptr;
    },
    get(ptr, n) {
      return new Float32Array(exports.memory.buffer).slice(ptr >> 2, (ptr >> 2) + n);
    },
  };
}

/** Deterministic uniform(-1, 1) data. */
export function randomData(n, seed = 1) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** max |a − b| / (1 + |b|): the agreement check every case runs before it is timed. */
export function maxError(actual, expected) {
  if (!actual || actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i]));
    if (Number.isNaN(e)) return Infinity; // a NaN must not be overwritten by a later finite error
    if (e > worst) worst = e;
  }
  return worst;
}

/**
 * Throws unless every output agrees with its float64 reference: checks is a list of
 * [what, actual, expected, tolerance]. The message names the case, the library and the output.
 */
export function check(caseLabel, impl, checks) {
  for (const [what, actual, expected, tol] of checks) {
    const err = maxError(actual, expected);
    if (!(err <= tol)) {
      const got = actual ? `${actual.length} values` : 'nothing';
      const e = new Error(`${caseLabel}: ${impl} ${what} disagrees with the float64 reference (max error ${err.toPrecision(3)}, tolerance ${tol}; ${got}, expected ${expected.length})`);
      e.disagreement = `${what}: max error ${err.toPrecision(3)} > tolerance ${tol}`;
      throw e;
    }
  }
}

/** A result cell for an implementation that cannot run a case. */
export function unsupported(reason) {
  return { unsupported: reason };
}
