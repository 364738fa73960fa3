// Seeded randomness for initialisation, randn/rand and shuffling: mulberry32 for uniforms,
// Box–Muller for normals. seed(n) makes every run repeatable; without it the generator starts
// from Math.random().

let state = (Math.random() * 4294967296) >>> 0;
let spare: number | null = null;

/** Makes every later random draw (weights, randn/rand, fit's shuffling) repeatable. */
export function seed(n: number): void {
  if (!Number.isFinite(n)) throw new Error(`seed: expected a finite number, got ${n}`);
  state = (Math.trunc(n) >>> 0) ^ 0x9e3779b9;
  spare = null;
}

/** Uniform in [0, 1) (mulberry32). */
export function uniform(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
export function normal(): number {
  if (spare !== null) {
    const s = spare;
    spare = null;
    return s;
  }
  let u = 0;
  while (u === 0) u = uniform();
  const v = uniform();
  const r = Math.sqrt(-2 * Math.log(u));
  spare = r * Math.sin(2 * Math.PI * v);
  return r * Math.cos(2 * Math.PI * v);
}

/** A random permutation of 0..n-1 (Fisher–Yates), written into `out` when given. */
export function permutation(n: number, out: Int32Array = new Int32Array(n)): Int32Array {
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    const t = out[i]; out[i] = out[j]; out[j] = t;
  }
  return out;
}
