// Option objects, checked the same way everywhere. Most users of a JS library write JS, where a
// misspelt key (`momentun`, `batchsize`) would otherwise be ignored and the default silently
// used; so every constructor, op, fit/evaluate/predict, init and io function passes its options
// through options() first, which refuses a key it does not know (naming the closest known one,
// or a hint for names other libraries use) and a missing required one, before anything runs.

/**
 * Names other libraries use, and what to write here instead: [the key this hint is about (it
 * applies only where that key is known), the advice]. Checked before "did you mean".
 */
const HINTS: Record<string, [string, string]> = {
  beta1: ['betas', 'betas: [beta1, beta2]'],
  beta2: ['betas', 'betas: [beta1, beta2]'],
  beta_1: ['betas', 'betas: [beta1, beta2]'],
  beta_2: ['betas', 'betas: [beta1, beta2]'],
  learningRate: ['lr', 'lr'],
  learning_rate: ['lr', 'lr'],
  epsilon: ['eps', 'eps'],
  weight_decay: ['weightDecay', 'weightDecay'],
  decay: ['weightDecay', 'weightDecay'],
  batch_size: ['batchSize', 'batchSize'],
  step_size: ['stepSize', 'stepSize'],
  T_max: ['tMax', 'tMax'],
  eta_min: ['etaMin', 'etaMin'],
  kernel_size: ['kernelSize', 'kernelSize'],
  ceil_mode: ['ceilMode', 'ceilMode'],
  count_include_pad: ['countIncludePad', 'countIncludePad'],
  useBias: ['bias', 'bias'],
  use_bias: ['bias', 'bias'],
  kernelInitializer: ['init', 'init'],
  activation: ['init', 'a separate activation layer, e.g. new nn.Sequential(new nn.Dense(2, 3), new nn.ReLU())'],
  validation_data: ['validation', 'validation: { x, y }'],
  validationData: ['validation', 'validation: { x, y }'],
  validation_split: ['validationSplit', 'validationSplit'],
  callback: ['callbacks', 'callbacks: [...]'],
  stop: ['end', 'end (Python\'s slice stop)'],
  filepath: ['path', 'path'],
  transA: ['transposeA', 'transposeA (ONNX Gemm\'s transA)'],
  transB: ['transposeB', 'transposeB (ONNX Gemm\'s transB)'],
};

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return (v as object).constructor?.name ?? 'object';
}

/** Edit distance with adjacent transpositions (optimal string alignment), case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase(); b = b.toLowerCase();
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known key closest to `key`, if it is close enough to be a likely typo. */
export function closest(key: string, known: readonly string[]): string | null {
  let best: string | null = null, bestD = Infinity;
  // A shortened name (`train` for `training`) is as likely a slip as a typo.
  const lower = key.toLowerCase();
  if (lower.length >= 3) {
    const prefixed = known.find((k) => k.toLowerCase().startsWith(lower));
    if (prefixed !== undefined) return prefixed;
  }
  for (const k of known) {
    const dist = distance(key, k);
    if (dist < bestD) { best = k; bestD = dist; }
  }
  // A third of the longer name, at least 1 and at most 3 edits: `momentun`, `batchsize`, `strides`.
  const limit = best === null ? 0 : Math.min(3, Math.max(1, Math.floor(Math.max(key.length, best.length) / 3)));
  return best !== null && bestD <= limit ? best : null;
}

export interface OptionRules {
  /** Keys that must be present (not undefined). */
  required?: readonly string[];
  /** An example of the whole object for the "missing" message, e.g. '{ epochs: 10, optimizer }'. */
  example?: string;
}

/**
 * Checks an options argument of `op`: undefined is {} (when nothing is required); anything other
 * than a plain object, a key outside `known`, or a missing `required` key throws an Error naming
 * `op` and the key. Returns the object (typed as the caller's options interface).
 */
export function options<T extends object>(op: string, value: unknown, known: readonly string[], rules: OptionRules = {}): T {
  const required = rules.required ?? [];
  const example = rules.example ?? `{ ${known.join(', ')} }`;
  if (value === undefined) {
    if (required.length) throw new Error(`${op}: missing required option${required.length > 1 ? 's' : ''} ${required.map((k) => `'${k}'`).join(', ')}: pass ${example}`);
    return {} as T;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new Error(`${op}: options must be an object ${example}, got ${Array.isArray(value) ? 'an array' : describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const list = known.length ? `it takes ${known.join(', ')}` : 'it takes no options';
    let hint = '';
    const special = Object.prototype.hasOwnProperty.call(HINTS, key) ? HINTS[key] : null;
    if (special !== null && known.includes(special[0])) hint = `; use ${special[1]}`;
    if (!hint) {
      const near = closest(key, known);
      if (near !== null) hint = `; did you mean '${near}'?`;
    }
    throw new Error(`${op}: unknown option '${key}'${hint} (${list})`);
  }
  for (const key of required) {
    if ((value as Record<string, unknown>)[key] === undefined) throw new Error(`${op}: missing required option '${key}': pass ${example}`);
  }
  return value as T;
}
