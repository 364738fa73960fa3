// The training loop the Worker runs, written against the public API only (and runnable in Node
// for a quick check): one minibatch per step(), accuracy and loss on both splits, the decision
// field over a grid for 2-D data, class probabilities for a drawn digit, and the model in and out.
import { seed as seedRng, tensor, tidy, noGrad, loss as losses, save, load, toOnnx } from 'simdnet';
import { buildModel, makeOptimiser } from './model.js';
import { rng } from './data.js';

const argmax = (row) => {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
  return best;
};

/** Softmax of each row of scores, in place. */
function softmaxRows(scores, k) {
  for (let i = 0; i < scores.length; i += k) {
    let max = -Infinity, sum = 0;
    for (let c = 0; c < k; c++) max = Math.max(max, scores[i + c]);
    for (let c = 0; c < k; c++) sum += (scores[i + c] = Math.exp(scores[i + c] - max));
    for (let c = 0; c < k; c++) scores[i + c] /= sum;
  }
  return scores;
}

export class Trainer {
  /**
   * data: { train: { x, y, n }, val: { x, y, n }, k, shape }; settings: { layers, loss ('softmax' |
   * 'svm'), optimiser, lr, l2, batchSize, seed }.
   */
  constructor(data, settings) {
    this.data = data;
    this.settings = { ...settings };
    this.features = data.shape.reduce((a, b) => a * b, 1);
    this.reset(settings.seed ?? 1);
  }

  /** Fresh weights (from `seed`), a fresh optimiser, step and epoch counters at zero. */
  reset(seed) {
    this.dispose();
    seedRng(seed);
    this.model = buildModel(this.settings.layers, { inputShape: this.data.shape, classes: this.data.k });
    // L2 on weight matrices and filters, as the notes: not on biases or BatchNorm's scales.
    this.weights = this.model.namedParameters().filter(([name, p]) => name.endsWith('weight') && p.shape.length >= 2).map(([, p]) => p);
    this.optimiser = makeOptimiser(this.settings.optimiser, this.model.parameters(), this.settings.lr);
    this.steps = 0;
    this.samples = 0;
    this.epoch = 0;
    this.cursor = 0;
    this.shuffle = rng(seed * 7919 + 1);
    this.order = this.permutation();
    this.recent = []; // [correct, count] of the last minibatches (large sets)
  }

  /** Changes that keep the weights: learning rate, L2, loss, optimiser (its state restarts), batch size. */
  update(settings) {
    const before = this.settings;
    this.settings = { ...before, ...settings };
    if (settings.optimiser !== undefined && settings.optimiser !== before.optimiser) {
      this.optimiser.dispose();
      this.optimiser = makeOptimiser(this.settings.optimiser, this.model.parameters(), this.settings.lr);
    } else if (settings.lr !== undefined) {
      this.optimiser.lr = this.settings.lr;
    }
  }

  permutation() {
    const n = this.data.train.n;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.shuffle.uniform() * (i + 1));
      const t = order[i]; order[i] = order[j]; order[j] = t;
    }
    return order;
  }

  lossOf(scores, labels) {
    return this.settings.loss === 'svm' ? losses.svm(scores, labels) : losses.softmaxCrossEntropy(scores, labels);
  }

  /** One minibatch of SGD-style training. Returns { loss, correct, count, epochEnded }. */
  step() {
    const { train } = this.data;
    const f = this.features;
    const b = Math.min(this.settings.batchSize, train.n - this.cursor);
    const xb = new Float32Array(b * f);
    const yb = new Int32Array(b);
    for (let i = 0; i < b; i++) {
      const src = this.order[this.cursor + i];
      xb.set(train.x.subarray(src * f, src * f + f), i * f);
      yb[i] = train.y[src];
    }
    this.model.train();
    const { value, scores } = tidy(() => {
      const out = this.model.forward(tensor(xb, [b, ...this.data.shape]));
      let l = this.lossOf(out, yb);
      if (this.settings.l2 > 0) l = l.add(losses.l2(this.weights, this.settings.l2));
      this.optimiser.zeroGrad();
      l.backward();
      this.optimiser.step();
      return { value: l.item(), scores: out.data() };
    });
    let correct = 0;
    for (let i = 0; i < b; i++) if (argmax(scores.subarray(i * this.data.k, (i + 1) * this.data.k)) === yb[i]) correct++;
    this.recent.push([correct, b]);
    while (this.recent.length > 1 && this.recent.reduce((s, r) => s + r[1], 0) - this.recent[0][1] >= 2000) this.recent.shift();
    this.steps++;
    this.samples += b;
    this.cursor += b;
    let epochEnded = false;
    if (this.cursor >= train.n) {
      this.cursor = 0;
      this.epoch++;
      this.order = this.permutation();
      epochEnded = true;
    }
    return { loss: value, correct, count: b, epochEnded };
  }

  /** Scores (softmax probabilities) for n samples of x, in batches, without recording. */
  probabilities(x, n, batch = 500) {
    const k = this.data.k, f = this.features;
    const out = new Float32Array(n * k);
    this.model.eval();
    noGrad(() => {
      for (let i = 0; i < n; i += batch) {
        const m = Math.min(batch, n - i);
        out.set(tidy(() => this.model.forward(tensor(x.subarray(i * f, (i + m) * f), [m, ...this.data.shape])).data()), i * k);
      }
    });
    return softmaxRows(out, k);
  }

  /** { loss, accuracy } of a split (the data loss, without L2), or null when it is empty. */
  evaluate(set) {
    if (set.n === 0) return null;
    const { lossSum, correct } = this.scoreRange(set, 0, set.n);
    return { loss: lossSum / set.n, accuracy: correct / set.n };
  }

  /** Summed loss and correct count over samples [from, to) of a split, in eval mode, unrecorded. */
  scoreRange(set, from, to) {
    const k = this.data.k, f = this.features;
    let lossSum = 0, correct = 0;
    this.model.eval();
    noGrad(() => {
      for (let i = from; i < to; i += 500) {
        const m = Math.min(500, to - i);
        const labels = set.y.subarray(i, i + m);
        tidy(() => {
          const scores = this.model.forward(tensor(set.x.subarray(i * f, (i + m) * f), [m, ...this.data.shape]));
          lossSum += this.lossOf(scores, labels).item() * m;
          const s = scores.data();
          for (let j = 0; j < m; j++) if (argmax(s.subarray(j * k, (j + 1) * k)) === labels[j]) correct++;
        });
      }
    });
    return { lossSum, correct };
  }

  /** Training accuracy: the whole split when small, else the last ~2,000 samples' minibatches. */
  trainAccuracy() {
    if (this.data.train.n <= 2000) return this.evaluate(this.data.train).accuracy;
    const [c, n] = this.recent.reduce((s, r) => [s[0] + r[0], s[1] + r[1]], [0, 0]);
    return n === 0 ? null : c / n;
  }

  /** The predicted class and its probability at each cell of a g × g grid over [lo, hi]². */
  field(g, lo = -1.1, hi = 1.1) {
    const pts = new Float32Array(g * g * 2);
    for (let r = 0; r < g; r++) {
      for (let c = 0; c < g; c++) {
        pts[2 * (r * g + c)] = lo + ((c + 0.5) / g) * (hi - lo);
        pts[2 * (r * g + c) + 1] = hi - ((r + 0.5) / g) * (hi - lo); // row 0 at the top
      }
    }
    return this.probabilities(pts, g * g, 4096);
  }

  /** The first conv layer's weights [out, in, kh, kw], or null. */
  firstFilters() {
    for (const [name, p] of this.model.namedParameters()) {
      if (name.endsWith('weight') && p.shape.length === 4) return { shape: p.shape, data: p.data() };
    }
    return null;
  }

  saveSafetensors() {
    return save(this.model, { metadata: { 'simdnet.playground': JSON.stringify({ layers: this.settings.layers, shape: this.data.shape, k: this.data.k }) } });
  }

  saveOnnx() {
    return toOnnx(this.model, { inputShape: this.data.shape, softmax: true });
  }

  /** Loads weights saved from the same architecture; the library checks every name and shape. */
  loadSafetensors(bytes) {
    load(this.model, bytes);
  }

  dispose() {
    this.optimiser?.dispose();
    this.model?.dispose();
    this.model = null;
  }
}
