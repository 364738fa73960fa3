// Shared timing and raw-core helpers for the benchmark groups.
import { readFileSync } from 'node:fs';

/**
 * Runs fn `warmup` times, then takes `samples` timings of `reps` calls each (reps chosen so one
 * sample lasts at least minMs). Returns per-call milliseconds: median and spread (min, max).
 */
export function time(fn, { warmup = 3, samples = 15, minMs = 20 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    if (performance.now() - t0 >= minMs || reps >= 1 << 20) break;
    reps *= 2;
  }
  const ms = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    ms.push((performance.now() - t0) / reps);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[ms.length >> 1], min: ms[0], max: ms[ms.length - 1] };
}

/** A raw instance of one build of the compute core (no tensors), for kernel benchmarks. */
export function rawCore(variant) {
  const bytes = readFileSync(new URL(`../dist/simdnet-${variant}.wasm`, import.meta.url));
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
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
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i]));
    if (!(e <= worst)) worst = e;
  }
  return worst;
}
