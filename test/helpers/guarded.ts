// Output buffers for the conv and pool kernel tests: n floats of NaN (so an element the kernel
// forgot to write fails the comparison) followed by guard cells (so a write past the end fails).
import { expect } from 'vitest';
import type { RawCore } from './wasm';

const GUARD = 4, SENTINEL = -777.25;

/** A buffer of n floats (data, or NaN) followed by guard cells; returns its pointer. */
export function buffer(core: RawCore, n: number, data?: ArrayLike<number>): number {
  const ptr = core.exports.alloc((n + GUARD) * 4 + 16);
  const f32 = new Float32Array(core.exports.memory.buffer);
  f32.fill(Number.NaN, ptr >> 2, (ptr >> 2) + n);
  if (data) f32.set(data, ptr >> 2);
  f32.fill(SENTINEL, (ptr >> 2) + n, (ptr >> 2) + n + GUARD);
  return ptr;
}

/** Fails when the guard cells after [ptr, ptr + n) were written. */
export function guardsIntact(core: RawCore, ptr: number, n: number, what: string): void {
  expect(Array.from(core.get(ptr + n * 4, GUARD)), `${what} wrote past its end`).toEqual(new Array(GUARD).fill(SENTINEL));
}
