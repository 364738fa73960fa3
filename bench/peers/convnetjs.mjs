// ConvNetJS 0.3: plain JavaScript (Float64Array volumes), one example (Vol, laid out [y][x][depth])
// at a time. Its layers are used directly (FullyConnLayer, ConvLayer, PoolLayer, ReluLayer,
// SigmoidLayer, TanhLayer, SoftmaxLayer) for the kernel rows, a batch being a loop over examples;
// the training rows use its Net and Trainer ({ method: 'sgd', momentum, batch_size }), which
// averages the gradient over the batch and then takes the momentum step, as PyTorch's SGD does.
import { describe, flattenPerm, followsFlatten } from '../models.mjs';
import { outSize, toNHWC, toNCHW } from '../reference.mjs';
import { packageVersion } from '../platform.mjs';

let cnj;

const adapter = { name: 'convnetjs', role: 'peer', version: '' };
adapter.load = async () => {
  const mod = await import('convnetjs');
  cnj = mod.default ?? mod;
  adapter.version = `convnetjs ${packageVersion('convnetjs')}`;
};

/** One Vol per example from NCHW data (or [rows, features] as 1×1×features volumes). */
function vols(data, n, c, h, w) {
  const hwc = h === 1 && w === 1 ? data : toNHWC(data, n, c, h, w), size = c * h * w;
  return Array.from({ length: n }, (_, b) => {
    const v = new cnj.Vol(w, h, c, 0.0);
    v.w.set(hwc.subarray(b * size, (b + 1) * size));
    return v;
  });
}

/** Gathers per-example arrays ([y][x][depth] each) into one NCHW Float32Array. */
function gather(parts, c, h, w) {
  const size = c * h * w, out = new Float32Array(parts.length * size);
  parts.forEach((p, b) => out.set(p, b * size));
  return h === 1 && w === 1 ? out : toNCHW(out, parts.length, c, h, w);
}

function setConvFilters(layer, weight, bias, cOut, cIn, k) {
  for (let o = 0; o < cOut; o++) {
    const f = layer.filters[o];
    for (let ci = 0; ci < cIn; ci++) for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) f.w[(u * k + v) * cIn + ci] = weight[((o * cIn + ci) * k + u) * k + v];
    layer.biases.w[o] = bias[o];
  }
}

function getConvFilters(layer, which, cOut, cIn, k) {
  const out = new Float32Array(cOut * cIn * k * k);
  for (let o = 0; o < cOut; o++) {
    const f = layer.filters[o][which];
    for (let ci = 0; ci < cIn; ci++) for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) out[((o * cIn + ci) * k + u) * k + v] = f[(u * k + v) * cIn + ci];
  }
  return out;
}

adapter.cases = {
  gemm: 'no matrix product: ConvNetJS works one example (Vol) at a time; its fully connected layer is a matrix-vector product (see the Dense row)',

  dense({ rows, inF, outF, x, w, b }) {
    const fc = new cnj.FullyConnLayer({ num_neurons: outF, in_sx: 1, in_sy: 1, in_depth: inF });
    const relu = new cnj.ReluLayer({ in_sx: 1, in_sy: 1, in_depth: outF });
    for (let o = 0; o < outF; o++) fc.filters[o].w.set(w.subarray(o * inF, (o + 1) * inF));
    fc.biases.w.set(b);
    const xs = vols(x, rows, inF, 1, 1);
    const y = new Float32Array(rows * outF);
    return {
      run() { for (let r = 0; r < rows; r++) y.set(relu.forward(fc.forward(xs[r])).w, r * outF); return y; },
      outputs: () => ({ y }),
      dispose() {},
    };
  },

  activation({ op, rows, cols, x }) {
    const Layer = { relu: cnj.ReluLayer, sigmoid: cnj.SigmoidLayer, tanh: cnj.TanhLayer, softmax: cnj.SoftmaxLayer }[op];
    const layer = new Layer({ in_sx: 1, in_sy: 1, in_depth: cols });
    const xs = vols(x, rows, cols, 1, 1);
    const y = new Float32Array(rows * cols);
    return {
      run() { for (let r = 0; r < rows; r++) y.set(layer.forward(xs[r]).w, r * cols); return y; },
      outputs: () => ({ y }),
      dispose() {},
    };
  },

  convForward({ n, cIn, h, w, cOut, k, s, p, groups = 1, x, weight, bias }) {
    if (groups !== 1) return { unsupported: 'ConvNetJS has no grouped or depthwise convolution' };
    const layer = new cnj.ConvLayer({ in_sx: w, in_sy: h, in_depth: cIn, sx: k, filters: cOut, stride: s, pad: p });
    setConvFilters(layer, weight, bias, cOut, cIn, k);
    const xs = vols(x, n, cIn, h, w), oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
    let ys;
    return {
      run: () => (ys = xs.map((v) => layer.forward(v).w)),
      outputs: () => ({ y: gather(ys, cOut, oh, ow) }),
      dispose() {},
    };
  },

  convBackward({ n, cIn, h, w, cOut, k, s, p, groups = 1, x, weight, bias, dy }) {
    if (groups !== 1) return { unsupported: 'ConvNetJS has no grouped or depthwise convolution' };
    const layer = new cnj.ConvLayer({ in_sx: w, in_sy: h, in_depth: cIn, sx: k, filters: cOut, stride: s, pad: p });
    setConvFilters(layer, weight, bias, cOut, cIn, k);
    const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
    const xs = vols(x, n, cIn, h, w), dys = vols(dy, n, cOut, oh, ow);
    let dxs;
    return {
      run() {
        for (const f of layer.filters) f.dw.fill(0);
        layer.biases.dw.fill(0);
        dxs = xs.map((v, b) => {
          layer.forward(v).dw.set(dys[b].w);
          layer.backward();
          return v.dw;
        });
      },
      outputs: () => ({ dx: gather(dxs, cIn, h, w), dw: getConvFilters(layer, 'dw', cOut, cIn, k), db: Float32Array.from(layer.biases.dw) }),
      dispose() {},
    };
  },

  pool({ op, pass, n, c, h, w, k, s, p, x, dy }) {
    if (op !== 'max') return { unsupported: 'ConvNetJS\'s pool layer is max pooling only' };
    const opts = { in_sx: w, in_sy: h, in_depth: c, sx: k, stride: s, pad: p };
    const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
    const xs = vols(x, n, c, h, w);
    if (pass === 'forward') {
      const layer = new cnj.PoolLayer(opts);
      let ys;
      return { run: () => (ys = xs.map((v) => layer.forward(v).w)), outputs: () => ({ y: gather(ys, c, oh, ow) }), dispose() {} };
    }
    // backward reads the switches of its own forward: one layer per example, forwarded once here
    const dys = vols(dy, n, c, oh, ow);
    const layers = xs.map((v, b) => {
      const layer = new cnj.PoolLayer(opts);
      layer.forward(v).dw.set(dys[b].w);
      return layer;
    });
    let dxs;
    return {
      run: () => (dxs = layers.map((layer) => { layer.backward(); return layer.in_act.dw; })),
      outputs: () => ({ dx: gather(dxs, c, h, w) }),
      dispose() {},
    };
  },

  train({ model, params, x, labels, lr, momentum, dropout }) {
    const net = buildNet(model, params, dropout);
    const trainer = new cnj.Trainer(net.net, { method: 'sgd', learning_rate: lr, momentum, batch_size: model.batch, l2_decay: 0 });
    const xs = inputVols(model, x);
    let first;
    const step = () => {
      let l = 0;
      for (let b = 0; b < model.batch; b++) l += trainer.train(xs[b], labels[b]).loss;
      return l / model.batch;
    };
    return {
      run() {
        const l = step();
        if (!first) first = { loss: Float32Array.of(l), ...net.stateDict() };
        return l;
      },
      outputs: () => first,
      dispose() {},
    };
  },

  infer({ model, params, x }) {
    const { net } = buildNet(model, params, null);
    const xs = inputVols(model, x), logitsLayer = net.layers[net.layers.length - 2];
    const logits = new Float32Array(model.batch * 10);
    return {
      run() {
        for (let b = 0; b < model.batch; b++) { net.forward(xs[b], false); logits.set(logitsLayer.out_act.w, b * 10); }
        return logits;
      },
      outputs: () => ({ logits }),
      dispose() {},
    };
  },
};

function inputVols(model, x) {
  const [c, h, w] = model.input.length === 1 ? [model.input[0], 1, 1] : model.input;
  return vols(x, model.batch, c, h, w);
}

/**
 * The layer list as a ConvNetJS Net; the last Dense layer is the fc its 'softmax' layer adds.
 * dropout: true (the layer's p), false (p = 0, for the check), null (inference: no dropout layer,
 * since ConvNetJS scales by drop_prob at prediction time, which is the identity only for p = 0.5).
 */
function buildNet(model, params, dropout) {
  const layers = describe(model);
  const [c, h, w] = model.input.length === 1 ? [model.input[0], 1, 1] : model.input;
  const defs = [{ type: 'input', out_sx: w, out_sy: h, out_depth: c }];
  const lastDense = layers.filter((l) => l.type === 'dense').pop();
  for (const l of layers) {
    if (l.type === 'conv') defs.push({ type: 'conv', sx: l.k, filters: l.out, stride: 1, pad: 0 });
    else if (l.type === 'relu') defs.push({ type: 'relu' });
    else if (l.type === 'maxpool') defs.push({ type: 'pool', sx: l.k, stride: l.k });
    else if (l.type === 'dropout') { if (dropout !== null) defs.push({ type: 'dropout', drop_prob: dropout ? l.p : 0 }); }
    else if (l.type === 'dense') defs.push(l === lastDense ? { type: 'softmax', num_classes: l.out } : { type: 'fc', num_neurons: l.out });
    else if (l.type !== 'flatten') throw new Error(`convnetjs adapter: no layer for ${l.type}`);
  }
  const net = new cnj.Net();
  net.makeLayers(defs);
  const ours = layers.filter((l) => l.params), theirs = net.layers.filter((l) => l.layer_type === 'conv' || l.layer_type === 'fc');
  const pairs = ours.map((l, i) => [l, theirs[i], followsFlatten(layers, l.index) ? flattenPerm(layers[l.index - 1].inShape) : null]);
  for (const [l, layer, perm] of pairs) {
    const wt = params[l.params.weight], b = params[l.params.bias];
    if (l.type === 'conv') setConvFilters(layer, wt, b, l.out, l.in, l.k);
    else {
      for (let o = 0; o < l.out; o++) for (let j = 0; j < l.in; j++) layer.filters[o].w[j] = wt[o * l.in + (perm ? perm[j] : j)];
      layer.biases.w.set(b);
    }
  }
  const stateDict = () => {
    const out = {};
    for (const [l, layer, perm] of pairs) {
      if (l.type === 'conv') out[l.params.weight] = getConvFilters(layer, 'w', l.out, l.in, l.k);
      else {
        const wt = new Float32Array(l.out * l.in);
        for (let o = 0; o < l.out; o++) for (let j = 0; j < l.in; j++) wt[o * l.in + (perm ? perm[j] : j)] = layer.filters[o].w[j];
        out[l.params.weight] = wt;
      }
      out[l.params.bias] = Float32Array.from(layer.biases.w);
    }
    return out;
  };
  return { net, stateDict };
}

export default adapter;
