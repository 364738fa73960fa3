// Reference for the dropout mask: the same counter-based hash as assembly/dropout.ts, in plain TS.
// Element i is kept when (hash(seed, i) >>> 8) >= floor(p · 2²⁴), with p rounded to f32 as the kernel receives it.

function lowbias32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export function dropoutMaskRef(n: number, p: number, seed: number): Float32Array {
  p = Math.fround(p); // the kernel takes p as f32
  const key = lowbias32(seed >>> 0);
  const threshold = p > 0 ? Math.floor(p * 16777216) : 0;
  const scale = p >= 1 ? 0 : Math.fround(1 / (1 - p));
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const h = lowbias32((lowbias32((i ^ key) >>> 0) + key) >>> 0);
    mask[i] = h >>> 8 >= threshold ? scale : 0;
  }
  return mask;
}
