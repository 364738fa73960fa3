// A convolution on the Winograd path keeps its transformed weights with the weight tensor when no
// gradient is recorded (ops/conv2d.ts preparedWeights). They must follow every change of the
// weights, however it is made, and go with the tensor: after each way of writing the weights, the
// cached (noGrad) forward must give the bits of the recorded forward, which transforms afresh.
import { describe, it, expect } from 'vitest';
import { init, seed, nn, noGrad, tidy, optim, loss, save, load, predict, reset, type Tensor, type Variant } from '../../bindings/index';
import { heapF32 } from '../../bindings/runtime';
import { uniformTensor } from './helpers';
import { variants } from '../helpers/wasm';

const bits = (t: Tensor) => Array.from(new Uint32Array(t.data().buffer));

const model = () => new nn.Sequential(new nn.Conv2d(8, 12, 3, { padding: 1 }), new nn.ReLU(), new nn.Conv2d(12, 5, 3));

describe.each(variants)('cached Winograd weights (%s build)', (variant: Variant) => {
  it('follow every way of writing the weights, and are freed with them', async () => {
    await init({ variant });
    seed(9);
    const net = model();
    const convs = [net.layers[0], net.layers[2]] as nn.Conv2d[];
    const x = uniformTensor([2, 8, 7, 6], 3, 2);
    // recorded forward: the weights transformed by the kernel on this call
    const recorded = () => tidy(() => bits(net.forward(x)));
    const check = (what: string) => {
      const cached = noGrad(() => tidy(() => bits(net.forward(x))));
      for (const c of convs) expect(c.weight._derived, `${what}: the cache is in use`).not.toBeNull();
      expect(cached, `${variant}: after ${what}`).toEqual(recorded());
      return cached;
    };
    const first = check('the first forward');
    expect(check('a second forward (cache kept)')).toEqual(first);

    // an optimiser step
    const opt = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
    tidy(() => { opt.zeroGrad(); loss.mse(net.forward(x), uniformTensor([2, 5, 5, 4], 4)).backward(); opt.step(); });
    expect(check('SGD.step')).not.toEqual(first);
    // loadStateDict
    const other = model();
    net.loadStateDict(other.stateDict());
    check('loadStateDict');
    // load() of saved weights
    const third = model();
    load(net, save(third));
    check('load(save(...))');
    // a write through the tensor's pointer, one bit of one weight
    const w = convs[1].weight, heap = new Uint32Array(heapF32().buffer);
    heap[(w.ptr >>> 2) + 17] ^= 1;
    check('a one-bit change through the pointer');
    // predict takes the same path
    const viaPredict = predict(net, x);
    expect(bits(viaPredict)).toEqual(recorded());
    viaPredict.dispose();

    opt.zeroGrad();
    opt.dispose();
    net.dispose();
    for (const c of convs) expect(c.weight._derived, 'freed with the weights').toBeNull();
    other.dispose();
    third.dispose();
    x.dispose();
  });

  it('reset() frees the cache with the weights; after init() the next model starts its own', async () => {
    await init({ variant });
    const net = model(), x = uniformTensor([1, 8, 5, 5], 5);
    noGrad(() => tidy(() => net.forward(x).data()));
    const w = (net.layers[0] as nn.Conv2d).weight;
    expect(w._derived).not.toBeNull();
    reset();
    expect(w._derived, 'freed by reset()').toBeNull();
    await init({ variant });
    const again = model(), y = uniformTensor([1, 8, 5, 5], 5);
    const cached = noGrad(() => tidy(() => bits(again.forward(y))));
    expect(cached).toEqual(tidy(() => bits(again.forward(y))));
    again.dispose();
    y.dispose();
  });
});
