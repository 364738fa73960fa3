// Option-bag checks for the layers and losses of issue 12 (BatchNorm, LayerNorm, GELU, the new
// losses) until the shared option-validation helper lands; then these call sites move to it.

/** Returns `options` after refusing a non-object or a key outside `allowed`, naming `op`. */
export function checkOptions<T extends object>(op: string, options: T | undefined | null, allowed: readonly string[]): T {
  if (options === undefined || options === null) return {} as T;
  if (typeof options !== 'object' || Array.isArray(options)) throw new Error(`${op}: options must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new Error(`${op}: unknown option '${key}' (it takes ${allowed.length ? allowed.join(', ') : 'none'})`);
  }
  return options;
}
