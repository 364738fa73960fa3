import { describe, it, expect, beforeAll } from 'vitest';
import { init, seed, tensor, nn, optim, loss, fit, evaluate, predict, tidy, memory, type Tensor } from '../../bindings/index';
import { blobs } from './helpers';

beforeAll(async () => {
  await init();
});

function mlp(inF: number, hidden: number, out: number): nn.Sequential {
  return new nn.Sequential(new nn.Dense(inF, hidden), new nn.ReLU(), new nn.Dense(hidden, out));
}

describe('fit / evaluate / predict', () => {
  it('trains a classifier on shuffled minibatches and returns the history', async () => {
    seed(1);
    const train = blobs(60, 3, 4, 1), val = blobs(20, 3, 4, 1);
    const model = mlp(4, 16, 3);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const sched = new optim.StepLR(opt, { stepSize: 5, gamma: 0.5 });
    const seen: number[] = [];
    const h = await fit(model, { ...train, shape: [4] }, {
      epochs: 12, batchSize: 16, optimizer: opt, scheduler: sched, validation: { ...val, shape: [4] },
      verbose: false, onEpoch: (logs) => { seen.push(logs.epoch); },
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const k of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr', 'time'] as const) expect(h[k]).toHaveLength(12);
    expect(h.loss[11]).toBeLessThan(h.loss[0]);
    expect(h.accuracy[11]).toBeGreaterThan(0.9);
    expect(h.valAccuracy[11]).toBeGreaterThan(0.9);
    expect(h.lr.slice(0, 6)).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.05]);
    expect(model.training).toBe(true);
    const r = evaluate(model, val);
    expect(r.accuracy).toBeCloseTo(h.valAccuracy[11], 6);
    expect(r.loss).toBeCloseTo(h.valLoss[11], 5);
    const p = predict(model, val.x, { shape: [4], batchSize: 7 });
    expect(p.shape).toEqual([60, 3]);
    const logits = p.data();
    let correct = 0;
    for (let i = 0; i < 60; i++) {
      const row = Array.from(logits.subarray(i * 3, i * 3 + 3));
      if (row.indexOf(Math.max(...row)) === val.y[i]) correct++;
    }
    expect(correct / 60).toBeCloseTo(r.accuracy, 6);
    p.dispose();
  });

  it('is repeatable with seed(), accepts a Tensor x, number[] labels, svm and custom losses, and stops when onEpoch returns false', async () => {
    const { x, y } = blobs(30, 2, 3, 5);
    const runOnce = async (): Promise<number[]> => {
      seed(9);
      const model = mlp(3, 8, 2);
      const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
      const h = await fit(model, { x: tensor(x, [60, 3]), y: Array.from(y) }, { epochs: 3, batchSize: 8, optimizer: opt, loss: 'svm', verbose: false });
      return h.loss;
    };
    const a = await runOnce(), b = await runOnce();
    expect(a).toEqual(b);
    seed(3);
    const model = mlp(3, 8, 2);
    const opt = new optim.SGD(model.parameters(), { lr: 0.05 });
    const h = await fit(model, { x, y, shape: [3] }, {
      epochs: 10, optimizer: opt, verbose: false,
      loss: (out, labels) => loss.softmaxCrossEntropy(out, labels as Int32Array).add(loss.l2(model.parameters(), 1e-3)),
      onEpoch: ({ epoch }) => epoch < 4,
    });
    expect(h.loss).toHaveLength(4);
  });

  it('regression with mse and Float32Array targets', async () => {
    seed(4);
    const n = 64;
    const x = new Float32Array(n * 2), y = new Float32Array(n);
    for (let i = 0; i < n; i++) { x[2 * i] = (i % 8) / 8; x[2 * i + 1] = Math.floor(i / 8) / 8; y[i] = 2 * x[2 * i] - x[2 * i + 1] + 0.5; }
    const model = new nn.Sequential(new nn.Dense(2, 1));
    const h = await fit(model, { x, y, shape: [2] }, { epochs: 200, batchSize: 16, optimizer: new optim.SGD(model.parameters(), { lr: 0.2 }), loss: 'mse', verbose: false });
    expect(h.accuracy).toHaveLength(0);
    expect(h.loss[199]).toBeLessThan(1e-4);
    const w = model.stateDict();
    expect(w['0.weight'][0]).toBeCloseTo(2, 2);
    expect(w['0.weight'][1]).toBeCloseTo(-1, 2);
    expect(w['0.bias'][0]).toBeCloseTo(0.5, 2);
    expect(evaluate(model, { x, y, shape: [2] }, { loss: 'mse' }).loss).toBeLessThan(1e-4);
  });
});

describe('progress output', () => {
  it('draws one progress line on a TTY, prints a line per epoch when stdout is not a TTY (Keras verbose 2), and is silent with verbose false', async () => {
    const { x, y } = blobs(10, 2, 2, 6);
    const out = process.stdout as any;
    const wasTTY = out.isTTY, write = out.write, log = console.log;
    const written: string[] = [], logged: string[] = [];
    out.write = (s: string) => { written.push(String(s)); return true; };
    console.log = (...a: unknown[]) => { logged.push(a.join(' ')); };
    const run = (verbose?: boolean) => {
      seed(1);
      const model = mlp(2, 4, 2);
      return fit(model, { x, y, shape: [2] }, { epochs: 2, batchSize: 5, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), ...(verbose === undefined ? {} : { verbose }) });
    };
    try {
      out.isTTY = true;
      await run();
      out.isTTY = false;
      await run();
      await run(true);
      out.isTTY = true;
      await run(false);
    } finally {
      out.isTTY = wasTTY; out.write = write; console.log = log;
    }
    // TTY: carriage-return redraws, one finished line per epoch.
    expect(written.length).toBeGreaterThanOrEqual(4);
    expect(written.every((w) => w.startsWith('\r'))).toBe(true);
    expect(written.filter((w) => w.endsWith('\n'))).toHaveLength(2);
    expect(written.some((w) => /epoch 1\/2 \d+\/4 loss \d\.\d{4} accuracy/.test(w))).toBe(true);
    // Not a TTY: a line per epoch, by default and with verbose: true (issue 15: fit was silent in CI logs).
    expect(logged).toHaveLength(4);
    expect(logged[0]).toBe(logged[2].replace(/\(\d+\.\d\d s\)$/, logged[0].slice(logged[0].lastIndexOf('('))));
    expect(logged[1]).toMatch(/^epoch 2\/2 loss \d\.\d{4} accuracy \d\.\d{4} \(\d+\.\d\d s\)$/);
  });
});

describe('memory stays flat over 1,000 training steps', () => {
  it('through fit()', async () => {
    seed(2);
    const { x, y } = blobs(64, 2, 5, 8); // 128 samples, batch 16: 8 steps per epoch
    const model = mlp(5, 12, 2);
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    await fit(model, { x, y, shape: [5] }, { epochs: 1, batchSize: 16, optimizer: opt, verbose: false });
    const before = memory();
    await fit(model, { x, y, shape: [5] }, { epochs: 125, batchSize: 16, optimizer: opt, verbose: false });
    expect(memory()).toEqual(before);
  });

  it('through a hand-written loop in tidy()', () => {
    seed(3);
    const { x, y } = blobs(16, 3, 4, 9);
    const model = mlp(4, 10, 3);
    const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
    const xt = tensor(x, [48, 4]);
    const step = (): number => tidy(() => {
      const l = loss.softmaxCrossEntropy(model.forward(xt), y).add(loss.elasticNet(model.parameters(), { l1: 1e-4, l2: 1e-4 }));
      opt.zeroGrad(); l.backward(); opt.step();
      return l.item();
    });
    const first = step();
    const before = memory();
    let last = first;
    for (let i = 1; i < 1000; i++) last = step();
    expect(memory()).toEqual(before);
    expect(last).toBeLessThan(first);
  });
});

describe('predict streams any number of samples in batches (issue 11)', () => {
  // MNIST-sized samples (784 features): a CNN and an MLP, results bit for bit those of one big forward.
  const sample = (n: number, offset = 0): Float32Array => {
    const x = new Float32Array(n * 784);
    for (let i = 0; i < x.length; i++) x[i] = (Math.imul(i + offset, 2654435761) >>> 0) / 2 ** 32 - 0.5;
    return x;
  };

  it('equals one big forward, bit for bit, for batch sizes that do and do not divide n (MLP and CNN)', () => {
    seed(11);
    const cnn = new nn.Sequential(
      new nn.Conv2d(1, 4, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(4, 6, 3), new nn.Tanh(),
      new nn.AvgPool2d(2, { ceilMode: true }), new nn.Flatten(), new nn.Dense(6 * 6 * 6, 10),
    );
    const mlpModel = mlp(784, 32, 10);
    const n = 301, x = sample(n);
    for (const [model, shape] of [[mlpModel, [784]], [cnn, [1, 28, 28]]] as const) {
      const whole = tidy(() => {
        model.eval();
        const out = model.forward(tensor(x, [n, ...shape])).data();
        model.train();
        return out;
      });
      for (const batchSize of [1, 64, 100, 301, 1000]) {
        const before = memory().tensors;
        const p = predict(model, x, { shape: [...shape], batchSize });
        expect(p.shape).toEqual([n, 10]);
        expect(new Uint32Array(p.data().buffer), `batchSize ${batchSize}`).toEqual(new Uint32Array(whole.buffer));
        p.dispose();
        expect(memory().tensors).toBe(before);
      }
      model.dispose();
    }
  });

  it('100,000 MNIST-sized samples: WebAssembly memory grows by the output only, not the input', () => {
    seed(12);
    const model = mlp(784, 32, 10);
    const n = 100_000, x = sample(n, 7);
    const liveBefore = memory().bytes, tensorsBefore = memory().tensors;
    predict(model, x.subarray(0, 784 * 1000), { shape: [784], batchSize: 500 }).dispose(); // reach the high-water mark
    const wasmBefore = memory().wasmBytes;
    const p = predict(model, x, { shape: [784], batchSize: 500 });
    expect(p.shape).toEqual([n, 10]);
    // the batches reuse the blocks the first 1,000 samples freed; only the result is new (4 MB, not the 313 MB input)
    expect(memory().wasmBytes - wasmBefore).toBeLessThanOrEqual(n * 10 * 4 + 2 * 1024 * 1024);
    const last = tidy(() => {
      model.eval();
      const out = model.forward(tensor(x.subarray((n - 3) * 784), [3, 784])).data();
      model.train();
      return out;
    });
    expect(Array.from(p.data().subarray((n - 3) * 10))).toEqual(Array.from(last));
    p.dispose();
    expect(memory().tensors).toBe(tensorsBefore);
    expect(memory().bytes).toBe(liveBefore);
    model.dispose();
  }, 120_000);
});
