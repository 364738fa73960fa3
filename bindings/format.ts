// How a tensor prints (toString and Node's util.inspect), the way PyTorch prints one:
//   tensor([[0.1000, 0.2000, 0.3000],
//           [0.4000, 0.5000, 0.6000]], shape=[2,3])
// One number format for the whole tensor, chosen from the values shown: integers as `1.`,
// fixed with 4 decimals, or scientific (`1.0000e-05`) when the magnitudes span more than 1000×
// or leave [1e-4, 1e8); every entry padded to one width. Above 1000 elements each dimension
// longer than 6 shows its first and last 3 entries around `...` (PyTorch's summarisation).

const THRESHOLD = 1000, EDGE = 3;

function special(v: number): string | null {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return null;
}

/** The formatter PyTorch's _Formatter would pick for these values. */
function formatter(values: number[]): (v: number) => string {
  const finite = values.filter(Number.isFinite);
  if (finite.every(Number.isInteger)) return (v) => special(v) ?? `${v.toFixed(0)}.`;
  const mags = finite.map(Math.abs).filter((m) => m > 0);
  const max = mags.length ? Math.max(...mags) : 0, min = mags.length ? Math.min(...mags) : 0;
  const sci = mags.length > 0 && (max / min > 1000 || max >= 1e8 || min < 1e-4);
  return sci ? (v) => special(v) ?? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : (v) => special(v) ?? v.toFixed(4);
}

/** `tensor(…, shape=[…]<suffix>)` for row-major `data` of `shape`. */
export function formatTensor(data: ArrayLike<number>, shape: readonly number[], suffix = ''): string {
  const shapeText = `shape=[${shape.join(',')}]${suffix}`;
  if (shape.length === 0) return `tensor(${formatter([data[0]])(data[0])}, ${shapeText})`;
  const summarise = data.length > THRESHOLD;
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { strides[i] = acc; acc *= shape[i]; }
  /** Indices shown along a dimension (null marks the `...`). */
  const shown = (n: number): Array<number | null> =>
    summarise && n > 2 * EDGE ? [0, 1, 2, null, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i);
  // collect the values shown, to pick one format and width
  const picked: number[] = [];
  const collect = (dim: number, offset: number): void => {
    for (const i of shown(shape[dim])) {
      if (i === null) continue;
      if (dim === shape.length - 1) picked.push(data[offset + i]);
      else collect(dim + 1, offset + i * strides[dim]);
    }
  };
  collect(0, 0);
  const fmt = formatter(picked);
  const width = Math.max(...picked.map((v) => fmt(v).length));
  const indent = 'tensor('.length;
  const render = (dim: number, offset: number): string => {
    const parts = shown(shape[dim]).map((i) => {
      if (i === null) return '...';
      if (dim === shape.length - 1) return fmt(data[offset + i]).padStart(width);
      return render(dim + 1, offset + i * strides[dim]);
    });
    if (dim === shape.length - 1) return `[${parts.join(', ')}]`;
    // rows of a matrix on their own lines; blocks of higher dimensions separated by blank lines
    const sep = ',' + '\n'.repeat(shape.length - 1 - dim) + ' '.repeat(indent + dim + 1);
    return `[${parts.join(sep)}]`;
  };
  return `tensor(${render(0, 0)}, ${shapeText})`;
}
