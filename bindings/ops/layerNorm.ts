// Layer normalisation over the trailing dimensions (PyTorch's F.layer_norm): each row of
// d = Π normalizedShape values becomes (x − mean)/√(var + eps)·weight + bias with the row's own
// mean and biased variance. Fused kernels (assembly/norm.ts); the forward keeps each row's mean and
// 1/√(var + eps).

import { Tensor, output, empty, assertLive, shapeError, shapeStr, sameShape } from '../tensor.js';
import { needsGrad, record, setGrad, addGrad } from '../autograd.js';
import { wasm } from '../runtime.js';

export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  assertLive(x, op);
  if (!Array.isArray(normalizedShape) || normalizedShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw shapeError(op, `normalizedShape must be an array of positive integers (the trailing dimensions), got ${Array.isArray(normalizedShape) ? `[${normalizedShape.join(',')}]` : String(normalizedShape)}`, x._shape);
  }
  const k = normalizedShape.length;
  if (k === 0 || x.rank < k || !sameShape(x._shape.slice(x.rank - k), normalizedShape)) {
    throw shapeError(op, `the input's trailing dimensions must be ${shapeStr(normalizedShape)}`, x._shape, normalizedShape);
  }
  const d = normalizedShape.reduce((a, b) => a * b, 1), rows = x.size / d;
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t === null) continue;
    assertLive(t, op);
    if (!sameShape(t._shape, normalizedShape)) throw shapeError(op, `${name} must be ${shapeStr(normalizedShape)}, got ${shapeStr(t._shape)}`, x._shape, t._shape);
  }
  if (!(typeof eps === 'number' && eps > 0 && Number.isFinite(eps))) throw shapeError(op, `eps must be a positive number, got ${String(eps)}`, x._shape);
  const K = wasm(op);
  const y = output(x._shape, op);
  let stats: Tensor;
  try {
    stats = empty([2, rows], op, false);
  } catch (err) {
    y.dispose();
    throw err;
  }
  const mean = stats.ptr, invstd = stats.ptr + rows * 4;
  K.layerNormForward(x.ptr, y.ptr, weight?.ptr ?? 0, bias?.ptr ?? 0, mean, invstd, rows, d, eps);
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  if (!inputs.some((t) => needsGrad(t))) {
    stats.dispose();
    return y;
  }
  record(y, op, inputs, (dy) => {
    // The kernel accumulates the parameter gradients: hand it theirs (zeroed when new).
    let dg = 0, db = 0;
    if (weight) addGrad(weight, (dst, acc) => { if (!acc) K.fill(dst, 0, d); dg = dst; });
    if (bias) addGrad(bias, (dst, acc) => { if (!acc) K.fill(dst, 0, d); db = dst; });
    const run = (dx: number): void => K.layerNormBackward(x.ptr, dy.ptr, dx, weight?.ptr ?? 0, mean, invstd, dg, db, rows, d);
    if (x.requiresGrad) setGrad(x, run);
    else run(0);
  }, [stats]);
  return y;
}
