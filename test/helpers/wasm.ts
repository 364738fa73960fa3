// Raw access to each build of the compute core, for kernel tests against float64 references.
// Kernel tests call exports directly (no tensors), so a kernel bug cannot hide behind the binding.
import { readFileSync } from 'node:fs';
import { supportedVariants, type Variant } from '../../bindings/runtime';
import { rng as uniform01 } from './fuzz';

export interface RawCore {
  variant: Variant;
  exports: Record<string, any> & { memory: WebAssembly.Memory; alloc(n: number): number; free(p: number): void };
  /** Copies `data` into fresh linear memory and returns the pointer. */
  put(data: ArrayLike<number>, type?: 'f32' | 'i32'): number;
  /** Allocates n floats (zeroed). */
  zeros(n: number): number;
  /** Copies n floats at ptr out into a Float32Array. */
  get(ptr: number, n: number): Float32Array;
  getI32(ptr: number, n: number): Int32Array;
}

/**
 * One instance of a build. `threads`: the shared-memory build of the variant (relaxed and simd
 * only), on a fresh shared memory, started as the runtime starts the first instance.
 */
export function loadCore(variant: Variant, threads = false): RawCore {
  const file = threads ? `simdnet-${variant}-threads.wasm` : `simdnet-${variant}.wasm`;
  const bytes = readFileSync(new URL(`../../dist/${file}`, import.meta.url));
  const env: Record<string, unknown> = { abort: () => { throw new Error(`abort in ${file}`); } };
  if (threads) env.memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: env as WebAssembly.ModuleImports });
  if (threads) (instance.exports._start as () => void)();
  const exports = { ...instance.exports, memory: (env.memory ?? instance.exports.memory) } as RawCore['exports'];
  const f32 = () => new Float32Array(exports.memory.buffer);
  const core: RawCore = {
    variant,
    exports,
    put(data, type = 'f32') {
      const ptr = exports.alloc(Math.max(16, data.length * 4));
      if (type === 'f32') f32().set(data, ptr >> 2);
      else new Int32Array(exports.memory.buffer).set(data, ptr >> 2);
      return ptr;
    },
    zeros(n) {
      const ptr = exports.alloc(Math.max(16, n * 4));
      f32().fill(0, ptr >> 2, (ptr >> 2) + n);
      return ptr;
    },
    get(ptr, n) {
      return f32().slice(ptr >> 2, (ptr >> 2) + n);
    },
    getI32(ptr, n) {
      return new Int32Array(exports.memory.buffer).slice(ptr >> 2, (ptr >> 2) + n);
    },
  };
  return core;
}

/** Every build this Node can run: simd and scalar always, relaxed when the engine validates it. */
export const variants: Variant[] = supportedVariants();

/** The variants that also come as threads builds. */
export const threadVariants: Variant[] = variants.filter((v) => v !== 'scalar');

/** A deterministic uniform(-1, 1) generator for test data (mulberry32). */
export function rng(seed: number): () => number {
  const u = uniform01(seed);
  return () => u() * 2 - 1;
}

export function randomArray(n: number, random: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = random() * scale;
  return out;
}

/** max |a - b| / (atol + rtol |b|) <= 1 elementwise, with the worst index in the message. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, label = ''): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length} != ${expected.length}`);
  let worst = 0, at = -1;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]), tol = atol + rtol * Math.abs(expected[i]);
    const err = diff === 0 ? 0 : diff / tol; // NaN when either side is NaN
    if (Number.isNaN(err) || err > worst) { worst = err; at = i; }
    if (Number.isNaN(err)) break;
  }
  if (!(worst <= 1)) {
    throw new Error(`${label}: element ${at} is ${actual[at]}, expected ${expected[at]} (atol ${atol}, rtol ${rtol})`);
  }
}
