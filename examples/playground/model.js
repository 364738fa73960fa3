// The network builder's description → an nn.Sequential, through the public API only. Which
// activations and optimisers exist is read from the library itself, so layers and optimisers
// added to simdnet later appear in the page without changing it.
import { nn, optim } from 'simdnet';

const ACTIVATIONS = ['ReLU', 'LeakyReLU', 'ELU', 'GELU', 'SiLU', 'ReLU6', 'Hardtanh', 'Sigmoid', 'Tanh'];
const OPTIMISERS = { SGD: { momentum: 0.9 }, Adam: {}, AdamW: {}, RMSprop: {}, Adagrad: {}, Adadelta: {} };

export const available = () => ({
  activations: ACTIVATIONS.filter((a) => typeof nn[a] === 'function'),
  optimisers: Object.keys(OPTIMISERS).filter((o) => typeof optim[o] === 'function'),
  batchNorm: typeof nn.BatchNorm1d === 'function' && typeof nn.BatchNorm2d === 'function',
});

/**
 * layers: [{ type: 'dense', units, activation, dropout?, batchNorm? } | { type: 'conv', filters,
 * kernel, activation, batchNorm? } | { type: 'pool', size }]; a Flatten goes in before the first
 * dense layer after images, and a Dense to `classes` scores ends the network.
 */
export function buildModel(layers, { inputShape, classes }) {
  const mods = [];
  let shape = [...inputShape]; // [features] or [channels, h, w]
  const act = (name) => {
    if (!ACTIVATIONS.includes(name) || typeof nn[name] !== 'function') throw new Error(`unknown activation '${name}'`);
    return new nn[name]();
  };
  for (const [i, l] of layers.entries()) {
    const where = `layer ${i + 1}`;
    if (l.type === 'conv' || l.type === 'pool') {
      if (shape.length !== 3) throw new Error(`${where}: ${l.type} layers need images (a dense layer came before it, or the data is 2-D points)`);
      const [c, h, w] = shape;
      if (l.type === 'conv') {
        const pad = Math.floor(l.kernel / 2); // 'same' size, as ConvNetJS's MNIST demo
        mods.push(new nn.Conv2d(c, l.filters, l.kernel, { padding: pad }));
        shape = [l.filters, h + 2 * pad - l.kernel + 1, w + 2 * pad - l.kernel + 1];
        if (l.batchNorm && typeof nn.BatchNorm2d === 'function') mods.push(new nn.BatchNorm2d(l.filters));
        mods.push(act(l.activation));
      } else {
        if (h < l.size || w < l.size) throw new Error(`${where}: a ${l.size}×${l.size} pool does not fit ${h}×${w}`);
        mods.push(new nn.MaxPool2d(l.size));
        shape = [c, Math.floor(h / l.size), Math.floor(w / l.size)];
      }
    } else if (l.type === 'dense') {
      if (shape.length === 3) { mods.push(new nn.Flatten()); shape = [shape[0] * shape[1] * shape[2]]; }
      mods.push(new nn.Dense(shape[0], l.units));
      if (l.batchNorm && typeof nn.BatchNorm1d === 'function') mods.push(new nn.BatchNorm1d(l.units));
      mods.push(act(l.activation));
      if (l.dropout > 0) mods.push(new nn.Dropout(l.dropout));
      shape = [l.units];
    } else {
      throw new Error(`${where}: unknown layer type '${l.type}'`);
    }
  }
  if (shape.length === 3) { mods.push(new nn.Flatten()); shape = [shape[0] * shape[1] * shape[2]]; }
  mods.push(new nn.Dense(shape[0], classes));
  return new nn.Sequential(...mods);
}

export function makeOptimiser(name, params, lr) {
  if (!(name in OPTIMISERS) || typeof optim[name] !== 'function') throw new Error(`unknown optimiser '${name}'`);
  return new optim[name](params, { ...OPTIMISERS[name], lr });
}
