// The threads tools' timed units (threads-profile.mjs, threads-spin.mjs), built on the API they are
// given (bindings/ under vite-node): each { run, dispose }, run() doing one whole unit as the threads
// group does (the result read out).
import { randomData } from './lib.mjs';
import { mlp, cnn, initialParams, batchData, sequential } from './models.mjs';

/** The units by name: the threads group's three 784-sized GEMMs, the MLP and CNN steps, CNN inference. */
export function threadUnits({ seed, tensor, nn, ops, loss, optim, tidy, noGrad }) {
  function gemm(m, n, k, tA, tB) {
    const at = tensor(randomData(m * k, 1), tA ? [k, m] : [m, k]), bt = tensor(randomData(k * n, 2), tB ? [n, k] : [k, n]);
    const product = () => (tB ? ops.linear(at, bt) : ops.matmul(at, bt, { transposeA: tA }));
    return { run: () => noGrad(() => tidy(() => product().data())), dispose() { at.dispose(); bt.dispose(); } };
  }
  function train(model) {
    seed(1);
    const net = sequential(nn, model, true);
    net.loadStateDict(initialParams(model));
    const o = new optim.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
    const { x, labels } = batchData(model);
    const xt = tensor(x, [model.batch, ...model.input]);
    return {
      run: () => tidy(() => { o.zeroGrad(); const l = loss.softmaxCrossEntropy(net.forward(xt), labels); l.backward(); o.step(); return l.item(); }),
      dispose() { o.zeroGrad(); net.dispose(); o.dispose?.(); xt.dispose(); },
    };
  }
  function infer(model) {
    const net = sequential(nn, model, false);
    net.loadStateDict(initialParams(model));
    net.eval();
    const xt = tensor(batchData(model).x, [model.batch, ...model.input]);
    return { run: () => noGrad(() => tidy(() => net.forward(xt).data())), dispose() { net.dispose(); xt.dispose(); } };
  }
  return {
    atb: () => gemm(784, 256, 64, true, false),
    abt: () => gemm(64, 784, 256, false, true),
    ab: () => gemm(64, 256, 784, false, false),
    mlp: () => train(mlp),
    cnn: () => train(cnn),
    infer: () => infer(cnn),
  };
}
