// Seeded randomness for initialisation, randn/rand and shuffling: mulberry32 for uniforms,
// Box–Muller for normals. seed(n) makes every run repeatable; without it the generator starts
// from Math.random().

let state = (Math.random() * 4294967296) >>> 0;
let spare: number | null = null;

/** Makes every later random draw (weights, randn/rand, fit's shuffling) repeatable. */
export function seed(n: number): void {
  if (!Number.isFinite(n)) throw new Error(`seed: expected a finite number, got ${n}`);
  state = ((Math.trunc(n) >>> 0) ^ 0x9e3779b9) >>> 0; // XOR gives a signed int32: keep the state unsigned, as setRngState checks
  spare = null;
}

/** The generator's whole state: mulberry32's 32-bit counter and Box–Muller's cached second normal. */
export interface RngState {
  state: number;
  spare: number | null;
}

/** A copy of the generator's state, for checkpoints (JSON-serialisable; restore it with setRngState). */
export function getRngState(): RngState {
  return { state, spare };
}

/** Puts the generator back in a state getRngState() returned: every later draw repeats exactly. */
export function setRngState(s: RngState): void {
  if (s === null || typeof s !== 'object') throw new Error(`setRngState: expected { state, spare } from getRngState(), got ${s === null ? 'null' : typeof s}`);
  const { state: st, spare: sp } = s;
  if (typeof st !== 'number' || !Number.isInteger(st) || st < 0 || st > 0xffffffff) {
    throw new Error(`setRngState: state must be an integer in [0, 2^32), got ${typeof st === 'number' ? st : typeof st}`);
  }
  if (sp !== null && (typeof sp !== 'number' || !Number.isFinite(sp))) {
    throw new Error(`setRngState: spare must be a finite number or null, got ${typeof sp === 'number' ? sp : typeof sp}`);
  }
  state = st >>> 0;
  spare = sp;
}

/** mulberry32's output for an (already advanced) counter. */
function mix(st: number): number {
  let t = st;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Uniform in [0, 1) (mulberry32). */
export function uniform(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  return mix(state);
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

/**
 * A random permutation of 0..n-1 (Fisher–Yates), written into `out` when given, drawn from the
 * global generator or from `rand` (a generator() of its own).
 */
export function permutation(n: number, out: Int32Array = new Int32Array(n), rand: () => number = uniform): Int32Array {
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = out[i]; out[i] = out[j]; out[j] = t;
  }
  return out;
}

/** An independent uniform [0, 1) generator (mulberry32, seeded as seed(n)), for a DataLoader's own shuffling. */
export function generator(n: number): () => number {
  let st = (Math.trunc(n) >>> 0) ^ 0x9e3779b9;
  return () => {
    st = (st + 0x6d2b79f5) >>> 0;
    return mix(st);
  };
}
