// The two networks of the training and inference rows, described once as a layer list that every
// library's adapter builds from, plus their float64 reference (forward, and one SGD-momentum step).
// Parameter names and layouts are simdnet's (PyTorch's state_dict): '<layer index>.weight' with
// Dense [out, in] and Conv2d [out, in, kh, kw], '<layer index>.bias'.
import { randomData } from './lib.mjs';
import { outSize as outSizeOf, convJs, convBackwardJs, maxPoolJs, maxPoolBackwardJs } from './reference.mjs';

export const mlp = {
  name: 'MLP 784-256-10',
  batch: 64,
  input: [784],
  layers: [{ type: 'dense', in: 784, out: 256 }, { type: 'relu' }, { type: 'dense', in: 256, out: 10 }],
};

// examples/mnist-cnn's network (bench/train.mjs builds the same one through simdnet's nn).
export const cnn = {
  name: 'MNIST CNN conv32-conv64-128-10',
  batch: 32,
  input: [1, 28, 28],
  layers: [
    { type: 'conv', in: 1, out: 32, k: 3 }, { type: 'relu' }, { type: 'maxpool', k: 2 },
    { type: 'conv', in: 32, out: 64, k: 3 }, { type: 'relu' }, { type: 'maxpool', k: 2 },
    { type: 'flatten' }, { type: 'dense', in: 64 * 5 * 5, out: 128 }, { type: 'relu' }, { type: 'dropout', p: 0.5 },
    { type: 'dense', in: 128, out: 10 },
  ],
};

/** Each layer with its input and output shape (per example) and its parameter names. */
export function describe(model) {
  let shape = model.input;
  return model.layers.map((layer, i) => {
    const inShape = shape;
    if (layer.type === 'dense') shape = [layer.out];
    else if (layer.type === 'conv') shape = [layer.out, outSizeOf(shape[1], layer.k, 1, 0), outSizeOf(shape[2], layer.k, 1, 0)];
    else if (layer.type === 'maxpool') shape = [shape[0], outSizeOf(shape[1], layer.k, layer.k, 0), outSizeOf(shape[2], layer.k, layer.k, 0)];
    else if (layer.type === 'flatten') shape = [shape.reduce((a, b) => a * b, 1)];
    const params = layer.type === 'dense' || layer.type === 'conv' ? { weight: `${i}.weight`, bias: `${i}.bias` } : null;
    return { ...layer, index: i, inShape, outShape: shape, params };
  });
}

/** He-uniform weights and small non-zero biases from fixed seeds: the same start for every library. */
export function initialParams(model, seed = 7) {
  const out = {};
  for (const l of describe(model)) {
    if (!l.params) continue;
    const fanIn = l.type === 'dense' ? l.in : l.in * l.k * l.k;
    const size = l.type === 'dense' ? l.out * l.in : l.out * l.in * l.k * l.k;
    const limit = Math.sqrt(6 / fanIn);
    out[l.params.weight] = randomData(size, seed + 2 * l.index).map((v) => v * limit);
    out[l.params.bias] = randomData(l.out, seed + 2 * l.index + 1).map((v) => v * 0.1);
  }
  return out;
}

/** A batch of inputs in [0, 1) (like MNIST intensities) and labels 0…9. */
export function batchData(model, seed = 11) {
  const features = model.input.reduce((a, b) => a * b, 1);
  const x = randomData(model.batch * features, seed).map((v) => (v + 1) / 2);
  const labels = Int32Array.from(randomData(model.batch, seed + 1), (v) => Math.min(9, Math.floor((v + 1) * 5)));
  return { x, labels };
}

/**
 * For a Dense layer after Flatten of a [c, h, w] map: perm[j] = the NCHW-flattened index of the
 * j-th NHWC-flattened feature. TensorFlow.js and ConvNetJS flatten channels-last, so their copy of
 * that weight has its input features permuted by this.
 */
export function flattenPerm([c, h, w]) {
  const perm = new Int32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) perm[i * c + ch] = ch * h * w + i;
  return perm;
}

/** True when layer i is a Dense layer fed by Flatten of a 3-D map. */
export function followsFlatten(layers, i) {
  return i > 0 && layers[i - 1].type === 'flatten' && layers[i - 1].inShape.length === 3;
}

// float64 reference ------------------------------------------------------------------------------

function forward64(model, params, x) {
  const layers = describe(model), n = model.batch, acts = [Float64Array.from(x)];
  for (const l of layers) {
    const a = acts[acts.length - 1];
    let y;
    if (l.type === 'dense') {
      const w = params[l.params.weight], b = params[l.params.bias];
      y = new Float64Array(n * l.out);
      for (let r = 0; r < n; r++) for (let o = 0; o < l.out; o++) {
        let s = b[o];
        for (let i = 0; i < l.in; i++) s += a[r * l.in + i] * w[o * l.in + i];
        y[r * l.out + o] = s;
      }
    } else if (l.type === 'conv') {
      const [, h, w] = l.inShape;
      y = new Float64Array(n * l.outShape.reduce((p, q) => p * q, 1));
      convJs(a, params[l.params.weight], params[l.params.bias], y, n, l.in, h, w, l.out, l.k, 1, 0);
    } else if (l.type === 'relu') y = a.map((v) => (v > 0 ? v : 0));
    else if (l.type === 'maxpool') {
      const [c, h, w] = l.inShape;
      y = new Float64Array(n * l.outShape.reduce((p, q) => p * q, 1));
      l.argmax = new Int32Array(y.length);
      maxPoolJs(a, y, l.argmax, n * c, h, w, l.k, l.k, 0);
    } else y = a; // flatten, dropout (identity: the check runs with p = 0)
    acts.push(y);
  }
  return { layers, acts };
}

/** Logits [batch, 10] of the network in float64. */
export function referenceLogits(model, params, x) {
  const { acts } = forward64(model, params, x);
  return acts[acts.length - 1];
}

/**
 * One training step in float64: mean softmax cross-entropy, backward, then SGD with momentum from
 * zero velocity (v = g; w ← w − lr·v, the same first step for PyTorch's and ConvNetJS's forms).
 * Returns the loss before the step and every parameter after it.
 */
export function referenceStep(model, params, x, labels, { lr }) {
  const n = model.batch;
  const { layers, acts } = forward64(model, params, x);
  const logits = acts[acts.length - 1], classes = 10;
  let loss = 0;
  let d = new Float64Array(logits.length);
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[r * classes + j]);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(logits[r * classes + j] - max);
    for (let j = 0; j < classes; j++) d[r * classes + j] = Math.exp(logits[r * classes + j] - max) / sum / n;
    loss += (Math.log(sum) + max - logits[r * classes + labels[r]]) / n;
    d[r * classes + labels[r]] -= 1 / n;
  }
  const grads = {};
  for (let li = layers.length - 1; li >= 0; li--) {
    const l = layers[li], a = acts[li], y = acts[li + 1];
    if (l.type === 'dense') {
      const w = params[l.params.weight];
      const dw = new Float64Array(w.length), db = new Float64Array(l.out), dx = new Float64Array(n * l.in);
      for (let r = 0; r < n; r++) for (let o = 0; o < l.out; o++) {
        const g = d[r * l.out + o];
        db[o] += g;
        for (let i = 0; i < l.in; i++) { dw[o * l.in + i] += g * a[r * l.in + i]; dx[r * l.in + i] += g * w[o * l.in + i]; }
      }
      grads[l.params.weight] = dw; grads[l.params.bias] = db; d = dx;
    } else if (l.type === 'conv') {
      const [, h, w] = l.inShape, wt = params[l.params.weight];
      const dx = new Float64Array(a.length), dw = new Float64Array(wt.length), db = new Float64Array(l.out);
      convBackwardJs(a, wt, d, dx, dw, db, n, l.in, h, w, l.out, l.k, 1, 0);
      grads[l.params.weight] = dw; grads[l.params.bias] = db; d = dx;
    } else if (l.type === 'relu') d = d.map((g, i) => (y[i] > 0 ? g : 0));
    else if (l.type === 'maxpool') {
      const [c, h, w] = l.inShape, [, oh, ow] = l.outShape;
      const dx = new Float64Array(a.length);
      maxPoolBackwardJs(d, l.argmax, dx, n * c, h, w, oh, ow);
      d = dx;
    }
  }
  const after = {};
  for (const [name, p] of Object.entries(params)) after[name] = Float64Array.from(p, (v, i) => v - lr * grads[name][i]);
  return { loss, params: after };
}

/**
 * The model as a simdnet nn.Sequential built with `nn` (the caller's copy of simdnet): layer i of
 * the list is child i, so state_dict names match. Dropout keeps its p only when `dropout` is true.
 */
export function sequential(nn, model, dropout) {
  return new nn.Sequential(...describe(model).map((l) => {
    switch (l.type) {
      case 'dense': return new nn.Dense(l.in, l.out);
      case 'conv': return new nn.Conv2d(l.in, l.out, l.k);
      case 'relu': return new nn.ReLU();
      case 'maxpool': return new nn.MaxPool2d(l.k);
      case 'flatten': return new nn.Flatten();
      case 'dropout': return new nn.Dropout(dropout ? l.p : 0);
      default: throw new Error(`no simdnet layer for ${l.type}`);
    }
  }));
}
