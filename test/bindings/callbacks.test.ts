// fit's training conveniences (issue 15 item 6 and the fit parts of item 5): EarlyStopping and
// ModelCheckpoint exactly as the issue defines them, onBatch, validationSplit, DataLoader, verbose.
import { describe, it, expect, beforeAll, vi } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, seed, tensor, nn, optim, fit, load, callbacks, data, memory, type EpochLogs } from '../../bindings/index';
import { blobs } from './helpers';

beforeAll(async () => {
  await init();
});

const ctxFor = (model: nn.Module, logKeys: string[]) => ({ model, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), logKeys });
const logs = (epoch: number, v: Partial<EpochLogs>): EpochLogs => ({ epoch, loss: NaN, lr: 0.1, time: 0, ...v });
const net = () => new nn.Sequential(new nn.Dense(4, 8), new nn.ReLU(), new nn.Dense(8, 3));
const weights = (m: nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, Array.from(v)]));

describe('callbacks.EarlyStopping', () => {
  it('improves only by more than minDelta (lower for losses) and stops after patience epochs in a row without', () => {
    const es = new callbacks.EarlyStopping({ monitor: 'loss', patience: 2, minDelta: 0.1 });
    const m = new nn.Dense(2, 2);
    es.onTrainBegin(ctxFor(m, ['loss']));
    // 1.0 best; 0.95 not < 0.9; 0.85 < 0.9 best; 0.8 not < 0.75 (1 in a row); 0.78 (2 in a row): stop.
    const out = [1.0, 0.95, 0.85, 0.8, 0.78].map((loss, i) => es.onEpoch(logs(i + 1, { loss })));
    expect(out).toEqual([true, true, true, true, false]);
    expect(es.stoppedEpoch).toBe(5);
    expect(es.bestEpoch).toBe(3);
    expect(es.best).toBe(0.85);
  });

  it('higher is better for accuracies; patience 0 stops at the first epoch without improvement', () => {
    const es = new callbacks.EarlyStopping({ monitor: 'valAccuracy' });
    es.onTrainBegin(ctxFor(new nn.Dense(2, 2), ['loss', 'valLoss', 'valAccuracy']));
    expect(es.onEpoch(logs(1, { valAccuracy: 0.5 }))).toBe(true);
    expect(es.onEpoch(logs(2, { valAccuracy: 0.6 }))).toBe(true);
    expect(es.onEpoch(logs(3, { valAccuracy: 0.6 }))).toBe(false); // equal is not better
    expect(es.bestEpoch).toBe(2);
  });

  it('names a monitor fit does not log, and bad options', async () => {
    const m = net();
    const d = blobs(5, 3, 4);
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    await expect(fit(m, d, { epochs: 2, optimizer: opt, verbose: false, callbacks: [new callbacks.EarlyStopping()] }))
      .rejects.toThrow(/^EarlyStopping: monitor 'valLoss' is not in fit's epoch logs \(they have loss, accuracy\); pass validation or validationSplit/);
    expect(() => new callbacks.EarlyStopping({ monitor: 'val_loss' as 'valLoss' })).toThrow(/monitor must be one of loss, accuracy, valLoss, valAccuracy/);
    expect(() => new callbacks.EarlyStopping({ patience: -1 })).toThrow(/patience must be a non-negative integer/);
    expect(() => new callbacks.EarlyStopping({ min_delta: 1 } as never)).toThrow(/unknown option 'min_delta'/);
    await expect(fit(m, d, { epochs: 1, optimizer: opt, verbose: false, callbacks: [{}] as never })).rejects.toThrow(/callbacks\[0\] must be an object with onTrainBegin/);
  });

  it('stops fit, and restoreBestWeights puts back the best epoch\'s weights bit for bit', async () => {
    seed(11);
    const m = net();
    const d = blobs(20, 3, 4, 2, 1.5);
    // A large lr makes the validation loss wander, so the best epoch is not the last.
    const opt = new optim.SGD(m.parameters(), { lr: 0.8, momentum: 0.9 });
    const perEpoch = new Map<number, Record<string, number[]>>();
    const es = new callbacks.EarlyStopping({ monitor: 'valLoss', patience: 3, restoreBestWeights: true });
    const h = await fit(m, d, {
      epochs: 40, optimizer: opt, batchSize: 8, verbose: false, validationSplit: 0.25, callbacks: [es],
      onEpoch: (l) => { perEpoch.set(l.epoch, weights(m)); },
    });
    const ran = h.loss.length;
    const bestIdx = h.valLoss.indexOf(Math.min(...h.valLoss));
    expect(es.bestEpoch).toBe(bestIdx + 1);
    if (ran < 40) {
      expect(es.stoppedEpoch).toBe(ran);
      expect(ran - es.bestEpoch).toBe(3);
    }
    expect(es.bestEpoch).toBeLessThan(ran); // the test means something only if training went past the best epoch
    expect(weights(m)).toEqual(perEpoch.get(es.bestEpoch));
  });
});

describe('callbacks.ModelCheckpoint', () => {
  it('with saveBestOnly saves exactly the improving epochs; the bytes load back to those weights', async () => {
    seed(4);
    const m = net();
    const d = blobs(10, 3, 4, 5, 1.2);
    const opt = new optim.SGD(m.parameters(), { lr: 0.5, momentum: 0.9 });
    const saved: Array<{ epoch: number; bytes: Uint8Array; w: Record<string, number[]> }> = [];
    const ck = new callbacks.ModelCheckpoint({ monitor: 'loss', saveBestOnly: true, onSave: (bytes, l) => { saved.push({ epoch: l.epoch, bytes, w: weights(m) }); } });
    const h = await fit(m, d, { epochs: 12, optimizer: opt, batchSize: 5, verbose: false, callbacks: [ck] });
    const improving: number[] = [];
    let best = Infinity;
    h.loss.forEach((l, i) => { if (l < best) { best = l; improving.push(i + 1); } });
    expect(saved.map((s) => s.epoch)).toEqual(improving);
    expect(ck.saved).toEqual(improving);
    expect(improving.length).toBeLessThan(12);
    const last = saved[saved.length - 1];
    const fresh = net();
    load(fresh, last.bytes);
    expect(weights(fresh)).toEqual(last.w);
  });

  it('writes a file per epoch with {epoch} in the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-ckpt-'));
    try {
      const m = net();
      const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
      await fit(m, blobs(4, 3, 4), { epochs: 3, optimizer: opt, verbose: false, callbacks: [new callbacks.ModelCheckpoint({ path: join(dir, 'w-{epoch}.safetensors'), monitor: 'loss' })] });
      expect(readdirSync(dir).sort()).toEqual(['w-1.safetensors', 'w-2.safetensors', 'w-3.safetensors']);
      load(net(), readFileSync(join(dir, 'w-3.safetensors')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('needs path or onSave', () => {
    expect(() => new callbacks.ModelCheckpoint({})).toThrow(/^ModelCheckpoint: pass path \(a file to write\) or onSave/);
    expect(() => new callbacks.ModelCheckpoint(undefined as never)).toThrow(/^ModelCheckpoint: pass path/);
    expect(() => new callbacks.ModelCheckpoint({ filepath: 'x' } as never)).toThrow(/unknown option 'filepath'; use path /);
  });
});

describe('fit: onBatch, validationSplit, DataLoader, verbose', () => {
  it('onBatch sees every step; returning false stops after that batch', async () => {
    const m = net();
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    const seen: string[] = [];
    const h = await fit(m, blobs(10, 3, 4), {
      epochs: 3, optimizer: opt, batchSize: 8, verbose: false,
      onBatch: (b) => { seen.push(`${b.epoch}.${b.batch}/${b.batches}:${b.size}`); return !(b.epoch === 2 && b.batch === 2); },
    });
    expect(seen).toEqual(['1.1/4:8', '1.2/4:8', '1.3/4:8', '1.4/4:6', '2.1/4:8', '2.2/4:8']);
    expect(h.loss.length).toBe(2);
  });

  it('validationSplit holds out the last fraction, before shuffling, as Keras', async () => {
    seed(2);
    const d = blobs(10, 3, 4);
    const m1 = net();
    const state = m1.stateDict();
    const opt1 = new optim.SGD(m1.parameters(), { lr: 0.1 });
    seed(9);
    const h1 = await fit(m1, d, { epochs: 2, optimizer: opt1, verbose: false, validationSplit: 0.2 });
    const m2 = net();
    m2.loadStateDict(state);
    const opt2 = new optim.SGD(m2.parameters(), { lr: 0.1 });
    const n = 30, nVal = 6;
    seed(9);
    const h2 = await fit(m2, { x: d.x.slice(0, (n - nVal) * 4), y: d.y.slice(0, n - nVal) }, {
      epochs: 2, optimizer: opt2, verbose: false, validation: { x: d.x.slice((n - nVal) * 4), y: d.y.slice(n - nVal) },
    });
    expect(h1).toEqual({ ...h2, time: h1.time });
    await expect(fit(m1, d, { epochs: 1, optimizer: opt1, validationSplit: 1 })).rejects.toThrow(/validationSplit must be a fraction in \(0, 1\), got 1/);
    await expect(fit(m1, d, { epochs: 1, optimizer: opt1, validationSplit: 0.2, validation: d })).rejects.toThrow(/pass validation or validationSplit, not both/);
  });

  it('DataLoader batches (shuffled and seeded, dropLast), iterates, and drives fit', async () => {
    const x = new Float32Array(10 * 2).map((_, i) => i);
    const y = Int32Array.from({ length: 10 }, (_, i) => i);
    const loader = new data.DataLoader({ x, y }, { batchSize: 4, shuffle: true, dropLast: true, seed: 7 });
    expect(loader.length).toBe(2);
    const epoch1 = [...loader].map((b) => Array.from(b.y as Int32Array));
    const epoch2 = [...loader].map((b) => Array.from(b.y as Int32Array));
    expect(epoch1.map((b) => b.length)).toEqual([4, 4]);
    expect(epoch1).not.toEqual(epoch2);
    const again = new data.DataLoader({ x, y }, { batchSize: 4, shuffle: true, dropLast: true, seed: 7 });
    seed(123); // the global generator does not matter with a seed of its own
    expect([...again].map((b) => Array.from(b.y as Int32Array))).toEqual(epoch1);
    const first = [...new data.DataLoader({ x, y }, { batchSize: 4, shuffle: true, seed: 7 })][0];
    expect(Array.from(first.x.data())).toEqual(Array.from(first.y as Int32Array).flatMap((i) => [2 * i, 2 * i + 1]));
    const inOrder = [...new data.DataLoader({ x, y }, { batchSize: 4 })].map((b) => Array.from(b.y as Int32Array));
    expect(inOrder).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);

    const m = net();
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    const sizes: number[] = [];
    const d = blobs(10, 3, 4);
    await fit(m, new data.DataLoader(d, { batchSize: 7, dropLast: true, shuffle: true, seed: 1 }), {
      epochs: 2, optimizer: opt, verbose: false, onBatch: (b) => { sizes.push(b.size); },
    });
    expect(sizes).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
    await expect(fit(m, new data.DataLoader(d), { epochs: 1, optimizer: opt, batchSize: 4 })).rejects.toThrow(/batchSize comes from the DataLoader/);
    await expect(fit(m, new data.DataLoader(d), { epochs: 1, optimizer: opt, loss: 'mse' })).rejects.toThrow(/holds class labels, but loss 'mse' needs float targets/);
    expect(() => new data.DataLoader(d, { batchSize: 100, dropLast: true })).toThrow(/leaves no batch of 30 samples/);
    expect(() => new data.DataLoader(d, { batch_size: 4 } as never)).toThrow(/unknown option 'batch_size'; use batchSize/);
  });

  it('prints one line per epoch when stdout is not a TTY (verbose auto), none with verbose false', async () => {
    const m = net();
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const isTTY = process.stdout.isTTY;
    try {
      (process.stdout as { isTTY: boolean }).isTTY = false;
      await fit(m, blobs(4, 3, 4), { epochs: 3, optimizer: opt, validationSplit: 0.25 });
      expect(log.mock.calls.map((c) => String(c[0]).replace(/[0-9.]+ s\)$/, 's)'))).toEqual([1, 2, 3].map((e) =>
        expect.stringMatching(new RegExp(`^epoch ${e}/3 loss [0-9.]+ accuracy [0-9.]+ val_loss [0-9.]+ val_accuracy [0-9.]+ \\(s\\)$`))));
      log.mockClear();
      await fit(m, blobs(4, 3, 4), { epochs: 2, optimizer: opt, verbose: false });
      await fit(m, blobs(4, 3, 4), { epochs: 2, optimizer: opt, verbose: 0 });
      expect(log).not.toHaveBeenCalled();
      await fit(m, { x: new Float32Array(8), y: new Float32Array(2) }, { epochs: 1, optimizer: new optim.SGD(new nn.Dense(4, 1).parameters(), { lr: 0.1 }), verbose: 2, loss: 'mse' }).catch(() => {});
      await expect(fit(m, blobs(4, 3, 4), { epochs: 1, optimizer: opt, verbose: 3 as 2 })).rejects.toThrow(/verbose must be 'auto', true, false, 0, 1 or 2, got 3/);
    } finally {
      (process.stdout as { isTTY: boolean | undefined }).isTTY = isTTY;
      log.mockRestore();
    }
  });

  it('regression logs have no accuracy key (no NaN)', async () => {
    const m = new nn.Dense(2, 1);
    const opt = new optim.SGD(m.parameters(), { lr: 0.01 });
    const epochs: EpochLogs[] = [];
    const x = tensor([[1, 2], [3, 4], [5, 6]]), y = tensor([[1], [2], [3]]);
    const before = memory().tensors;
    const h = await fit(m, { x, y }, { epochs: 2, optimizer: opt, loss: 'mse', verbose: false, validationSplit: 0.34, onEpoch: (l) => { epochs.push(l); } });
    expect(Object.keys(epochs[0]).sort()).toEqual(['epoch', 'loss', 'lr', 'time', 'valLoss']);
    expect(h.accuracy).toEqual([]);
    expect(h.loss.every(Number.isFinite)).toBe(true);
    opt.zeroGrad();
    expect(memory().tensors).toBe(before);
  });
});
