// TensorFlow.js (tfjs-core 4.x) on one backend: the code shared by the tfjs-wasm and tfjs-cpu
// columns. Each case uses the API a TensorFlow.js user would: tf.matMul (with transposeA/B),
// tf.fused.matMul / tf.fused.conv2d (bias and activation fused), tf.grads, tf.maxPool/avgPool
// and their gradient kernels, optimizer.minimize with tf.train.momentum, inside tf.tidy with
// dataSync() for the result; tensors created once, in TensorFlow's layouts (NHWC images, HWIO
// filters, [in, out] Dense kernels), converted from and back to PyTorch's outside the timed unit.
//
// Loading (tfjs-load.mjs; bench/browser/tfjs-load.mjs in Chromium): tfjs-core's ESM build with
// its register_all_gradients and both backends, bundled as a web app's bundler would. Set-up
// follows the wasm backend's README: setWasmPaths() to the package's dist directory, one thread (setThreadsCount(1); Node never gets
// the threaded build anyway, see WASM_HAS_MULTITHREAD_SUPPORT), the SIMD binary chosen by its own
// feature test, and tf.enableProdMode() (no per-op correctness checks, as in a deployment).
import { describe, flattenPerm, followsFlatten } from '../models.mjs';
import { packageVersion, assetDir, envVar, name as host } from '../platform.mjs';
import { toNHWC, toNCHW, oihwToHwio, hwioToOihw, transpose, outSize } from '../reference.mjs';
import { loadTfjsModule } from './tfjs-load.mjs';

let tf, versions;

export const BACKPROP_FILTER_NOTE =
  'tfjs-wasm has no Conv2DBackpropFilter kernel; the bench registers one built from the backend\'s own Transpose and Conv2D kernels (dW as a dilated convolution of x by dy)';

export async function loadTfjs() {
  if (tf) return { tf, versions };
  const pkg = packageVersion;
  versions = {
    core: pkg('@tensorflow/tfjs-core'), wasm: pkg('@tensorflow/tfjs-backend-wasm'), cpu: pkg('@tensorflow/tfjs-backend-cpu'),
  };
  tf = await loadTfjsModule(versions);
  const wasm = tf.wasm;
  tf.enableProdMode();
  wasm.setWasmPaths(assetDir('@tensorflow/tfjs-backend-wasm'));
  // the threads group (bench/threads.mjs) asks for BENCH_THREADS threads, in a cross-origin
  // isolated page only: Node never gets the threaded build
  const threads = Number(envVar('BENCH_THREADS') ?? 1);
  if (threads > 1 && host === 'node') throw new Error('tfjs-wasm has no threaded build in Node (its threaded rows come from the Chromium pages)');
  wasm.setThreadsCount(threads);
  if (threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  registerBackpropFilterWorkaround();
  registerDepthwiseBackpropWorkaround();
  await tf.setBackend('wasm');
  versions.wasmSimd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  versions.wasmThreads = wasm.getThreadsCount();
  if (versions.wasmThreads !== threads) throw new Error(`tfjs-wasm runs ${versions.wasmThreads} threads, expected ${threads}`);
  return { tf, versions };
}

/**
 * Conv2DBackpropFilter for the wasm backend, composed of its own kernels:
 *   dW[u, v, ci, co] = Σ_{n, i, j} x[n, i·s + u − pt, j·s + v − pl, ci] · dy[n, i, j, co]
 * is a stride-1 convolution of xᵀ [ci, H, W, n] (batch ci, channels n) with dyᵀ [oh, ow, n, co]
 * as the filter dilated by the stride, giving [ci, kh, kw, co], transposed to HWIO.
 */
function registerBackpropFilterWorkaround() {
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc({ inputs: { x, dy }, backend, attrs }) {
      const { strides, pad, dimRoundingMode, filterShape } = attrs;
      const [kh, kw] = filterShape;
      const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
      const { top, left } = info.padInfo;
      const bottom = (info.outHeight - 1) * info.strideHeight + kh - x.shape[1] - top;
      const right = (info.outWidth - 1) * info.strideWidth + kw - x.shape[2] - left;
      if (bottom < 0 || right < 0) throw new Error('Conv2DBackpropFilter workaround: this padding needs a crop, not implemented');
      const kernel = (name) => tf.getKernel(name, 'wasm').kernelFunc;
      const xt = kernel('Transpose')({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
      const dyt = kernel('Transpose')({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      const conv = kernel('Conv2D')({
        inputs: { x: xt, filter: dyt }, backend,
        attrs: { strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth] },
      });
      const dw = kernel('Transpose')({ inputs: { x: conv }, backend, attrs: { perm: [1, 2, 0, 3] } });
      for (const t of [xt, dyt, conv]) backend.disposeData(t.dataId);
      return dw;
    },
  });
}

export const DEPTHWISE_NOTE =
  'tfjs-wasm has no DepthwiseConv2dNativeBackpropInput/Filter kernels; the bench registers them built from the backend\'s own kernels (dx: DepthwiseConv2dNative of dy with the flipped filter; dW: DepthwiseConv2dNative of xᵀ with dyᵀ as the filter, one channel per (image, channel), summed over the images)';

/**
 * The depthwise backprop kernels tfjs-wasm lacks (stride 1, dilation 1, channel multiplier 1, the
 * bench's case), composed of its own DepthwiseConv2dNative, Reverse, Transpose, Reshape and Sum:
 *   dx = dy ⋆ flip(W) with padding k − 1 − p
 *   dW[u, v, c] = Σ_n Σ_{i, j} x[n, i + u − pt, j + v − pl, c] · dy[n, i, j, c]: a depthwise conv of
 *   x as [1, H, W, n·c] with dy as an [oh, ow, n·c, 1] filter, then a sum over n.
 */
function registerDepthwiseBackpropWorkaround() {
  const kernel = (name) => tf.getKernel(name, 'wasm').kernelFunc;
  const check = (strides, dilations, mult) => {
    const one = (v) => v == null || v === 1 || (Array.isArray(v) && v.every((d) => d === 1));
    if (!one(strides) || !one(dilations) || mult !== 1) throw new Error('depthwise backprop workaround: stride 1, dilation 1 and channel multiplier 1 only');
  };
  tf.registerKernel({
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc({ inputs: { dy, filter }, backend, attrs }) {
      const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
      check(strides, dilations, filter.shape[3]);
      const [kh, kw] = filter.shape;
      const { top, bottom, left, right } = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode, true).padInfo;
      const flipped = kernel('Reverse')({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } });
      const dx = kernel('DepthwiseConv2dNative')({
        inputs: { x: dy, filter: flipped }, backend,
        attrs: { strides: 1, dilations: 1, pad: [[0, 0], [kh - 1 - top, kh - 1 - bottom], [kw - 1 - left, kw - 1 - right], [0, 0]] },
      });
      backend.disposeData(flipped.dataId);
      return dx;
    },
  });
  tf.registerKernel({
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'wasm',
    kernelFunc({ inputs: { x, dy }, backend, attrs }) {
      const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
      check(strides, dilations, filterShape[3]);
      const [n, h, w, c] = x.shape, [, oh, ow] = dy.shape, [kh, kw] = filterShape;
      const { top, left } = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, true).padInfo;
      const made = [];
      const run = (name, inputs, a) => { const t = kernel(name)({ inputs, backend, attrs: a }); made.push(t); return t; };
      const xt = run('Reshape', { x: run('Transpose', { x }, { perm: [1, 2, 0, 3] }) }, { shape: [1, h, w, n * c] });
      const dyt = run('Reshape', { x: run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }) }, { shape: [oh, ow, n * c, 1] });
      const conv = run('DepthwiseConv2dNative', { x: xt, filter: dyt },
        { strides: 1, dilations: 1, pad: [[0, 0], [top, kh - 1 + oh - h - top], [left, kw - 1 + ow - w - left], [0, 0]] });
      const summed = run('Sum', { x: run('Reshape', { x: conv }, { shape: [kh, kw, n, c] }) }, { axis: [2], keepDims: false });
      const dw = kernel('Reshape')({ inputs: { x: summed }, backend, attrs: { shape: [kh, kw, c, 1] } });
      for (const t of made) if (t.dataId !== dw.dataId) backend.disposeData(t.dataId);
      return dw;
    },
  });
}

export const PACKED_B_NOTE =
  'tfjs-wasm reuses its packed copy of B while the same B tensor comes back, as in this loop (a new B per call measured ~1.4× slower on 64×784×256; in a training step B changes every step); simdnet packs both operands on every call';

export const MAXPOOLGRAD_NOTE =
  'tfjs-wasm 4.22\'s MaxPoolGrad gives no gradient to a window whose inputs are all negative (the same data shifted positive agrees); max pooling after ReLU, as in the CNN rows, is unaffected';

export const AVGPOOLGRAD_NOTE =
  'TensorFlow.js\'s AvgPoolGrad divides by the full window (count_include_pad, as PyTorch and simdnet) although its forward leaves padding out: checked against the count_include_pad reference';

/** The adapter for one backend ('wasm' or 'cpu'). */
export function tfjsAdapter(backendName) {
  const name = `tfjs-${backendName}`;
  const adapter = { name, role: 'peer', version: '', cases: {} };
  const use = async () => {
    await tf.setBackend(backendName);
    if (tf.getBackend() !== backendName) throw new Error(`${name}: could not select the ${backendName} backend`);
  };
  const note = backendName === 'wasm' ? BACKPROP_FILTER_NOTE : undefined;
  adapter.load = async () => {
    const { versions: v } = await loadTfjs();
    adapter.version = `tfjs-core ${v.core}, backend ${backendName === 'wasm' ? `wasm ${v.wasm} (${v.wasmSimd ? 'SIMD' : 'no SIMD'}, ${v.wasmThreads} thread)` : `cpu ${v.cpu}`}`;
  };
  // every prepared case keeps its tensors here and disposes them at the end
  const prepared = (tensors, run, outputs, extra = {}) => ({
    run, outputs, dispose() { tf.dispose(tensors); }, ...extra,
  });

  /**
   * Depthwise conv (groups = in channels): tf.fused.depthwiseConv2d with the filter as
   * [kh, kw, in, multiplier] (PyTorch's [in·mult, 1, kh, kw] read in that order), forward or
   * forward + tf.grads.
   */
  const depthwise = async (backward, { n, cIn, h, w, cOut, k, s, p, groups = 1, x, weight, bias, dy }) => {
    if (groups !== cIn) return { unsupported: 'TensorFlow.js has no grouped convolution besides depthwise' };
    await use();
    const mult = cOut / cIn, oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
    const xt = tf.tensor4d(toNHWC(x, n, cIn, h, w), [n, h, w, cIn]);
    const ft = tf.tensor4d(oihwToHwio(weight, cOut, 1, k, k), [k, k, cIn, mult]), bt = tf.tensor1d(bias);
    const f = (xv, fv, bv) => tf.fused.depthwiseConv2d({ x: xv, filter: fv, bias: bv, strides: s, pad: p || 'valid' });
    if (!backward) {
      let y;
      return prepared([xt, ft, bt], () => (y = read(() => f(xt, ft, bt))), () => ({ y: toNCHW(y, n, cOut, oh, ow) }));
    }
    const dyt = tf.tensor4d(toNHWC(dy, n, cOut, oh, ow), [n, oh, ow, cOut]);
    const grads = tf.grads(f);
    let g;
    return prepared([xt, ft, bt, dyt], () => (g = read(() => grads([xt, ft, bt], dyt))),
      () => ({ dx: toNCHW(g[0], n, cIn, h, w), dw: hwioToOihw(g[1], cOut, 1, k, k), db: g[2] }),
      backendName === 'wasm' ? { note: DEPTHWISE_NOTE } : {});
  };

  adapter.cases = {
    async gemm({ m, n, k, tA, tB, a, b }) {
      await use();
      const at = tf.tensor2d(a, tA ? [k, m] : [m, k]), bt = tf.tensor2d(b, tB ? [n, k] : [k, n]);
      let c;
      return prepared([at, bt], () => (c = read(() => tf.matMul(at, bt, tA, tB))), () => ({ c }),
        backendName === 'wasm' && !tA && !tB ? { note: PACKED_B_NOTE } : {});
    },

    async dense({ rows, inF, outF, x, w, b }) {
      await use();
      const xt = tf.tensor2d(x, [rows, inF]), wt = tf.tensor2d(transpose(w, outF, inF), [inF, outF]), bt = tf.tensor1d(b);
      let y;
      return prepared([xt, wt, bt], () => (y = read(() => tf.fused.matMul({ a: xt, b: wt, bias: bt, activation: 'relu' }))), () => ({ y }),
        backendName === 'wasm' ? { note: PACKED_B_NOTE } : {});
    },

    async tensorOp({ op, rows, cols, x, b, bShape }) {
      await use();
      const xt = tf.tensor2d(x, [rows, cols]), bt = b ? tf.tensor(b, bShape) : null;
      const f = {
        sum0: () => tf.sum(xt, 0), sum1: () => tf.sum(xt, 1), mean1: () => tf.mean(xt, 1),
        max0: () => tf.max(xt, 0), max1: () => tf.max(xt, 1), logsumexp1: () => tf.logSumExp(xt, 1),
        var0: () => tf.moments(xt, 0).variance,
        addRow: () => tf.add(xt, bt), addCol: () => tf.add(xt, bt), mul: () => tf.mul(xt, bt), divCol: () => tf.div(xt, bt),
        transpose: () => tf.transpose(xt),
      }[op];
      let y;
      return prepared(bt ? [xt, bt] : [xt], () => (y = read(f)), () => ({ y }));
    },

    async activation({ op, rows, cols, x }) {
      await use();
      const xt = tf.tensor2d(x, [rows, cols]);
      const f = { relu: tf.relu, sigmoid: tf.sigmoid, tanh: tf.tanh, softmax: (t) => tf.softmax(t) }[op];
      let y;
      return prepared([xt], () => (y = read(() => f(xt))), () => ({ y }));
    },

    async convForward({ n, cIn, h, w, cOut, k, s, p, groups = 1, x, weight, bias }) {
      if (groups !== 1) return depthwise(false, arguments[0]);
      await use();
      const xt = tf.tensor4d(toNHWC(x, n, cIn, h, w), [n, h, w, cIn]);
      const ft = tf.tensor4d(oihwToHwio(weight, cOut, cIn, k, k), [k, k, cIn, cOut]), bt = tf.tensor1d(bias);
      const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
      let y;
      return prepared([xt, ft, bt],
        () => (y = read(() => tf.fused.conv2d({ x: xt, filter: ft, bias: bt, strides: s, pad: p || 'valid' }))),
        () => ({ y: toNCHW(y, n, cOut, oh, ow) }));
    },

    async convBackward({ n, cIn, h, w, cOut, k, s, p, groups = 1, x, weight, bias, dy }) {
      if (groups !== 1) return depthwise(true, arguments[0]);
      await use();
      const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
      const xt = tf.tensor4d(toNHWC(x, n, cIn, h, w), [n, h, w, cIn]);
      const ft = tf.tensor4d(oihwToHwio(weight, cOut, cIn, k, k), [k, k, cIn, cOut]), bt = tf.tensor1d(bias);
      const dyt = tf.tensor4d(toNHWC(dy, n, cOut, oh, ow), [n, oh, ow, cOut]);
      const grads = tf.grads((xv, fv, bv) => tf.fused.conv2d({ x: xv, filter: fv, bias: bv, strides: s, pad: p || 'valid' }));
      let g;
      return prepared([xt, ft, bt, dyt],
        () => (g = read(() => grads([xt, ft, bt], dyt))),
        () => ({ dx: toNCHW(g[0], n, cIn, h, w), dw: hwioToOihw(g[1], cOut, cIn, k, k), db: g[2] }),
        { note });
    },

    // Train-mode batch norm as a TensorFlow.js user writes it: tf.moments over N, H, W, then
    // tf.batchNorm (the FusedBatchNorm kernel); tf.grads differentiates through both.
    async batchNorm({ n, c, h, w, x, gamma, beta, dy, eps }) {
      await use();
      const xt = tf.tensor4d(toNHWC(x, n, c, h, w), [n, h, w, c]), gt = tf.tensor1d(gamma), bt = tf.tensor1d(beta);
      const dyt = tf.tensor4d(toNHWC(dy, n, c, h, w), [n, h, w, c]);
      const f = (xv, gv, bv) => { const { mean, variance } = tf.moments(xv, [0, 1, 2]); return tf.batchNorm(xv, mean, variance, bv, gv, eps); };
      const grads = tf.grads(f);
      let y, g;
      return prepared([xt, gt, bt, dyt], () => { [y, ...g] = read(() => [f(xt, gt, bt), ...grads([xt, gt, bt], dyt)]); },
        () => ({ y: toNCHW(y, n, c, h, w), dx: toNCHW(g[0], n, c, h, w), dgamma: g[1], dbeta: g[2] }));
    },

    async pool({ op, pass, n, c, h, w, k, s, p, x, dy }) {
      await use();
      const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
      const xt = tf.tensor4d(toNHWC(x, n, c, h, w), [n, h, w, c]);
      const dyt = tf.tensor4d(toNHWC(dy, n, c, oh, ow), [n, oh, ow, c]);
      const pad = p || 'valid';
      const yt = op === 'max' ? tf.maxPool(xt, k, s, pad) : tf.avgPool(xt, k, s, pad);
      const attrs = { filterSize: k, strides: s, pad };
      const run = {
        'max forward': () => tf.maxPool(xt, k, s, pad),
        'avg forward': () => tf.avgPool(xt, k, s, pad),
        'max backward': () => tf.engine().runKernel('MaxPoolGrad', { dy: dyt, input: xt, output: yt }, attrs),
        'avg backward': () => tf.engine().runKernel('AvgPoolGrad', { dy: dyt, input: xt }, attrs),
      }[`${op} ${pass}`];
      let out;
      return prepared([xt, dyt, yt], () => (out = read(run)),
        () => (pass === 'forward' ? { y: toNCHW(out, n, c, oh, ow) } : { dx: toNCHW(out, n, c, h, w) }),
        {
          ...(op === 'avg' && p > 0 && pass === 'forward' ? { semantics: 'excludePad' } : {}),
          ...(op === 'avg' && p > 0 && pass === 'backward' ? { note: AVGPOOLGRAD_NOTE } : {}),
          ...(op === 'max' && pass === 'backward' && backendName === 'wasm' ? { note: MAXPOOLGRAD_NOTE } : {}),
        });
    },

    async train({ model, params, x, labels, lr, momentum, dropout }) {
      await use();
      const net = buildNet(model, params, true);
      const xt = inputTensor(model, x);
      const onehot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), 'float32'));
      const opt = tf.train.momentum(lr, momentum);
      let first;
      const step = () => read(() => opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot, net.forward(xt, dropout)), true, net.vars))[0];
      return {
        run() {
          const l = step();
          if (!first) first = { loss: Float32Array.of(l), ...net.stateDict() };
          return l;
        },
        outputs: () => first,
        dispose() { tf.dispose([xt, onehot, ...net.vars]); opt.dispose(); },
        note: model.layers.some((l) => l.type === 'conv') ? note : undefined,
      };
    },

    async infer({ model, params, x }) {
      await use();
      const net = buildNet(model, params, false);
      const xt = inputTensor(model, x);
      let logits;
      return prepared([xt, ...net.vars], () => (logits = read(() => net.forward(xt, false))), () => ({ logits }));
    },
  };
  return adapter;
}

/**
 * tf.tidy(fn), then dataSync() of its tensor (or of each tensor of its array), then dispose. The
 * read happens outside tidy: tidy walks whatever its function returns looking for tensors, which
 * for a returned typed array means visiting every element.
 */
function read(fn) {
  const out = tf.tidy(fn);
  if (Array.isArray(out)) {
    const data = out.map((t) => t.dataSync());
    tf.dispose(out);
    return data;
  }
  const data = out.dataSync();
  out.dispose();
  return data;
}

function inputTensor(model, x) {
  if (model.input.length === 1) return tf.tensor2d(x, [model.batch, model.input[0]]);
  const [c, h, w] = model.input;
  return tf.tensor4d(toNHWC(x, model.batch, c, h, w), [model.batch, h, w, c]);
}

/**
 * The layer list as TensorFlow.js ops on variables: conv and dense fused with their bias and a
 * following ReLU (tf.fused falls back to separate ops under a gradient tape, as it must).
 */
function buildNet(model, params, trainable) {
  const layers = describe(model), vars = [], forwards = [], back = [];
  for (const l of layers) {
    const fuseRelu = layers[l.index + 1]?.type === 'relu';
    const activation = fuseRelu ? 'relu' : 'linear';
    if (l.type === 'conv') {
      const f = tf.variable(tf.tensor4d(oihwToHwio(params[l.params.weight], l.out, l.in, l.k, l.k), [l.k, l.k, l.in, l.out]), trainable);
      const b = tf.variable(tf.tensor1d(params[l.params.bias]), trainable);
      vars.push(f, b);
      forwards.push((x) => tf.fused.conv2d({ x, filter: f, bias: b, strides: 1, pad: 'valid', activation }));
      back.push([l.params.weight, f, (v) => hwioToOihw(v, l.out, l.in, l.k, l.k)], [l.params.bias, b, (v) => v]);
    } else if (l.type === 'dense') {
      // TensorFlow's kernel is [in, out]; after Flatten its rows follow the NHWC order
      const perm = followsFlatten(layers, l.index) ? flattenPerm(layers[l.index - 1].inShape) : null;
      const wt = params[l.params.weight], kernel = new Float32Array(wt.length);
      for (let j = 0; j < l.in; j++) for (let o = 0; o < l.out; o++) kernel[j * l.out + o] = wt[o * l.in + (perm ? perm[j] : j)];
      const wv = tf.variable(tf.tensor2d(kernel, [l.in, l.out]), trainable), b = tf.variable(tf.tensor1d(params[l.params.bias]), trainable);
      vars.push(wv, b);
      forwards.push((x) => tf.fused.matMul({ a: x, b: wv, bias: b, activation }));
      back.push([l.params.weight, wv, (v) => {
        const out = new Float32Array(v.length);
        for (let j = 0; j < l.in; j++) for (let o = 0; o < l.out; o++) out[o * l.in + (perm ? perm[j] : j)] = v[j * l.out + o];
        return out;
      }], [l.params.bias, b, (v) => v]);
    } else if (l.type === 'relu') {
      if (!['conv', 'dense'].includes(layers[l.index - 1]?.type)) forwards.push((x) => tf.relu(x));
    } else if (l.type === 'maxpool') forwards.push((x) => tf.maxPool(x, l.k, l.k, 'valid'));
    else if (l.type === 'flatten') forwards.push((x) => tf.reshape(x, [x.shape[0], -1]));
    else if (l.type === 'dropout') forwards.push((x, training) => (training && l.p > 0 ? tf.dropout(x, l.p) : x));
    else throw new Error(`tfjs adapter: no layer for ${l.type}`);
  }
  return {
    vars,
    forward: (x, training) => forwards.reduce((a, f) => f(a, training), x),
    stateDict: () => Object.fromEntries(back.map(([n, v, conv]) => [n, conv(v.dataSync())])),
  };
}
