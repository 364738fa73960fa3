// The plain-JS baseline: the reference loops of bench/reference.mjs on Float32Arrays, one thread,
// no SIMD. What a careful JavaScript programmer writes without a library.
import {
  gemmJs, denseJs, activationsJs, softmaxJs, convJs, convBackwardJs, maxPoolJs, maxPoolBackwardJs,
  avgPoolJs, avgPoolBackwardJs, outSize, batchNormJs,
} from '../reference.mjs';
import { runtimeVersion } from '../platform.mjs';

const cases = {
  gemm({ m, n, k, tA, tB, a, b }) {
    const c = new Float32Array(m * n);
    return { run: () => gemmJs(a, b, c, m, n, k, tA, tB), outputs: () => ({ c }), dispose() {} };
  },
  dense({ rows, inF, outF, x, w, b }) {
    const y = new Float32Array(rows * outF);
    return { run: () => denseJs(x, w, b, y, rows, inF, outF, true), outputs: () => ({ y }), dispose() {} };
  },
  activation({ op, rows, cols, x }) {
    const y = new Float32Array(x.length);
    const f = op === 'softmax' ? () => softmaxJs(x, y, rows, cols) : () => activationsJs[op](x, y);
    return { run: f, outputs: () => ({ y }), dispose() {} };
  },
  convForward({ n, cIn, h, w, cOut, k, s, p, groups = 1, x, weight, bias }) {
    const y = new Float32Array(n * cOut * outSize(h, k, s, p) * outSize(w, k, s, p));
    return { run: () => convJs(x, weight, bias, y, n, cIn, h, w, cOut, k, s, p, groups), outputs: () => ({ y }), dispose() {} };
  },
  convBackward({ n, cIn, h, w, cOut, k, s, p, groups = 1, x, weight, bias, dy }) {
    const y = new Float32Array(dy.length), dx = new Float32Array(x.length), dw = new Float32Array(weight.length), db = new Float32Array(cOut);
    return {
      run() {
        convJs(x, weight, bias, y, n, cIn, h, w, cOut, k, s, p, groups);
        convBackwardJs(x, weight, dy, dx, dw, db, n, cIn, h, w, cOut, k, s, p, groups);
      },
      outputs: () => ({ dx, dw, db }),
      dispose() {},
    };
  },
  batchNorm({ n, c, h, w, x, gamma, beta, dy, eps }) {
    const size = n * c * h * w;
    const out = { y: new Float32Array(size), dx: new Float32Array(size), dgamma: new Float32Array(c), dbeta: new Float32Array(c) };
    return { run: () => batchNormJs(x, gamma, beta, dy, n, c, h * w, eps, out), outputs: () => out, dispose() {} };
  },
  pool({ op, pass, n, c, h, w, k, s, p, x, dy }) {
    const planes = n * c, oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
    const y = new Float32Array(planes * oh * ow), argmax = new Int32Array(y.length), dx = new Float32Array(x.length);
    maxPoolJs(x, y, argmax, planes, h, w, k, s, p);
    const run = {
      'max forward': () => maxPoolJs(x, y, argmax, planes, h, w, k, s, p),
      'max backward': () => maxPoolBackwardJs(dy, argmax, dx, planes, h, w, oh, ow),
      'avg forward': () => avgPoolJs(x, y, planes, h, w, k, s, p),
      'avg backward': () => avgPoolBackwardJs(dy, dx, planes, h, w, k, s, p),
    }[`${op} ${pass}`];
    return { run, outputs: () => (pass === 'forward' ? { y } : { dx }), dispose() {} };
  },
  train: 'no plain-JS training loop in the bench; ConvNetJS is the plain-JS trainer',
  infer: 'no plain-JS network in the bench; ConvNetJS is the plain-JS network',
};

export default { name: 'plain-js', role: 'baseline', version: runtimeVersion, load() {}, cases };
