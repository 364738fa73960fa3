// ONNX Runtime: the code shared by the onnxruntime-web column (wasm execution provider, SIMD,
// numThreads = 1) and the onnxruntime-node 'native reference' column (CPU provider, one intra-op
// thread). Each case is a one-node (or small) ONNX graph written in memory (onnx.mjs), its
// session created once with full graph optimisation; the timed unit is `await session.run(feeds)`
// with feeds created once. Weights of Dense, Conv and the CNN are initializers (so ORT may
// pre-pack them, as it does for any deployed model); both GEMM operands are inputs.
// ONNX Runtime Web runs inference only: training, backward passes and gradients are unsupported.
import { onnxModel, node } from './onnx.mjs';
import { describe } from '../models.mjs';
import { outSize } from '../reference.mjs';

const INFERENCE_ONLY = 'inference only (onnxruntime-web has no training or gradient API)';

/**
 * @param name   column name
 * @param load   async () => ({ ort, version, sessionOptions })
 */
export function ortAdapter(name, role, load, inferenceOnly = INFERENCE_ONLY) {
  let ort, sessionOptions;
  const adapter = { name, role, version: '' };
  adapter.load = async () => {
    ({ ort, version: adapter.version, sessionOptions } = await load());
  };

  /** A session over `graph`; feeds: { name: [Float32Array, dims] }; the output's name is 'y'. */
  async function prepare(graph, feeds, toOutputs) {
    const session = await ort.InferenceSession.create(onnxModel(graph), sessionOptions);
    const tensors = Object.fromEntries(Object.entries(feeds).map(([k, [data, dims]]) => [k, new ort.Tensor('float32', data, dims)]));
    let y;
    return {
      async: true,
      run: async () => (y = (await session.run(tensors)).y.data),
      outputs: () => toOutputs(y),
      dispose: () => session.release(),
    };
  }

  adapter.cases = {
    gemm({ m, n, k, tA, tB, a, b }) {
      const da = tA ? [k, m] : [m, k], db = tB ? [n, k] : [k, n];
      return prepare({
        inputs: [['a', da], ['b', db]], outputs: [['y', [m, n]]],
        nodes: [node('Gemm', ['a', 'b'], ['y'], { transA: tA ? 1 : 0, transB: tB ? 1 : 0 })],
      }, { a: [a, da], b: [b, db] }, (c) => ({ c }));
    },

    dense({ rows, inF, outF, x, w, b }) {
      return prepare({
        inputs: [['x', [rows, inF]]], outputs: [['y', [rows, outF]]],
        initializers: [['w', [outF, inF], w], ['b', [outF], b]],
        nodes: [node('Gemm', ['x', 'w', 'b'], ['z'], { transB: 1 }), node('Relu', ['z'], ['y'])],
      }, { x: [x, [rows, inF]] }, (y) => ({ y }));
    },

    activation({ op, rows, cols, x }) {
      const opType = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' }[op];
      return prepare({
        inputs: [['x', [rows, cols]]], outputs: [['y', [rows, cols]]],
        nodes: [node(opType, ['x'], ['y'], op === 'softmax' ? { axis: 1 } : {})],
      }, { x: [x, [rows, cols]] }, (y) => ({ y }));
    },

    convForward({ n, cIn, h, w, cOut, k, s, p, groups = 1, x, weight, bias }) {
      const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
      return prepare({
        inputs: [['x', [n, cIn, h, w]]], outputs: [['y', [n, cOut, oh, ow]]],
        initializers: [['w', [cOut, cIn / groups, k, k], weight], ['b', [cOut], bias]],
        nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p], group: groups })],
      }, { x: [x, [n, cIn, h, w]] }, (y) => ({ y }));
    },

    convBackward: inferenceOnly,

    pool({ op, pass, n, c, h, w, k, s, p, x }) {
      if (pass === 'backward') return { unsupported: inferenceOnly };
      const oh = outSize(h, k, s, p), ow = outSize(w, k, s, p);
      const attrs = { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p] };
      if (op === 'avg') attrs.count_include_pad = 1; // PyTorch's and simdnet's divisor
      return prepare({
        inputs: [['x', [n, c, h, w]]], outputs: [['y', [n, c, oh, ow]]],
        nodes: [node(op === 'max' ? 'MaxPool' : 'AveragePool', ['x'], ['y'], attrs)],
      }, { x: [x, [n, c, h, w]] }, (y) => ({ y }));
    },

    train: inferenceOnly,

    infer({ model, params, x }) {
      const layers = describe(model), nodes = [], initializers = [];
      let cur = 'x';
      for (const l of layers) {
        const out = `t${l.index}`;
        if (l.type === 'conv') {
          initializers.push([l.params.weight, [l.out, l.in, l.k, l.k], params[l.params.weight]], [l.params.bias, [l.out], params[l.params.bias]]);
          nodes.push(node('Conv', [cur, l.params.weight, l.params.bias], [out], { kernel_shape: [l.k, l.k] }));
        } else if (l.type === 'dense') {
          initializers.push([l.params.weight, [l.out, l.in], params[l.params.weight]], [l.params.bias, [l.out], params[l.params.bias]]);
          nodes.push(node('Gemm', [cur, l.params.weight, l.params.bias], [out], { transB: 1 }));
        } else if (l.type === 'relu') nodes.push(node('Relu', [cur], [out]));
        else if (l.type === 'maxpool') nodes.push(node('MaxPool', [cur], [out], { kernel_shape: [l.k, l.k], strides: [l.k, l.k] }));
        else if (l.type === 'flatten') nodes.push(node('Flatten', [cur], [out], { axis: 1 }));
        else if (l.type === 'dropout') continue; // inference: identity
        else throw new Error(`${name}: no ONNX node for ${l.type}`);
        cur = out;
      }
      nodes[nodes.length - 1].outputs = ['y'];
      const dims = [model.batch, ...model.input];
      return prepare({ inputs: [['x', dims]], outputs: [['y', [model.batch, 10]]], initializers, nodes }, { x: [x, dims] }, (logits) => ({ logits }));
    },
  };
  return adapter;
}
