// Kernel-test buffers at a chosen misalignment, each followed by guard cells, so a test can
// prove a kernel neither wrote outside its output nor relied on 16-byte alignment.
import { expect } from 'vitest';
import type { RawCore } from './wasm';

const GUARD = 5;
const SENTINEL = -12345.25;

export class Buffers {
  private bases: number[] = [];
  /** misalign: how many floats past a 16-byte boundary each buffer starts. */
  constructor(private core: RawCore, private misalign = 0) {}
  /** Copies data in (or fills with sentinels when data is a length) and returns its pointer. */
  put(data: ArrayLike<number> | number, type: 'f32' | 'i32' = 'f32'): number {
    const n = typeof data === 'number' ? data : data.length;
    const base = this.core.exports.alloc((n + this.misalign + GUARD) * 4 + 16);
    this.bases.push(base);
    const ptr = base + this.misalign * 4;
    const f32 = new Float32Array(this.core.exports.memory.buffer);
    f32.fill(SENTINEL, base >> 2, (ptr >> 2) + n + GUARD);
    if (typeof data !== 'number') {
      if (type === 'f32') f32.set(data, ptr >> 2);
      else new Int32Array(this.core.exports.memory.buffer).set(data, ptr >> 2);
    }
    return ptr;
  }
  /** Fails when the cells around [ptr, ptr + n) were written. */
  checkGuards(ptr: number, n: number, label: string): void {
    const f32 = new Float32Array(this.core.exports.memory.buffer);
    for (let i = -this.misalign; i < 0; i++) expect(f32[(ptr >> 2) + i], `${label}: wrote before the output`).toBe(SENTINEL);
    for (let i = n; i < n + GUARD; i++) expect(f32[(ptr >> 2) + i], `${label}: wrote past n`).toBe(SENTINEL);
  }
  free(): void {
    for (const b of this.bases) this.core.exports.free(b);
    this.bases = [];
  }
}
