// Checkpoints: training resumed from checkpoint() + restore() ends with bit-identical weights and
// optimiser state to training straight through (SGD with momentum, Adam; shuffled minibatches,
// dropout and a schedule, so the generator's state and the scheduler's count matter too), and a
// bad checkpoint changes nothing.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  init, seed, nn, optim, fit, memory, getRngState, setRngState, checkpoint, restore, load, readSafetensors,
} from '../../bindings/index';
import { blobs } from './helpers';

beforeAll(async () => {
  await init();
});

const data = { ...blobs(40, 3, 4, 2), shape: [4] }; // 120 samples: 8 minibatches of 16 per epoch

function net(): nn.Sequential {
  return new nn.Sequential(new nn.Dense(4, 16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Dense(16, 3));
}

type Kind = 'sgd' | 'adam';
function setup(kind: Kind): { model: nn.Sequential; opt: optim.Optimizer; sched: optim.LRScheduler } {
  const model = net();
  const opt = kind === 'sgd'
    ? new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 })
    : new optim.Adam(model.parameters(), { lr: 0.01, weightDecay: 1e-4 });
  return { model, opt, sched: new optim.StepLR(opt, { stepSize: 2, gamma: 0.5 }) };
}

async function train(s: ReturnType<typeof setup>, epochs: number): Promise<void> {
  await fit(s.model, data, { epochs, batchSize: 16, optimizer: s.opt, scheduler: s.sched, verbose: false });
}

/** Every weight and optimiser value as raw bits, so -0/+0 and NaN payloads count. */
function bits(s: ReturnType<typeof setup>): Record<string, number[] | number> {
  const out: Record<string, number[] | number> = {};
  for (const [k, v] of Object.entries(s.model.stateDict())) out[`w:${k}`] = Array.from(new Uint32Array(v.buffer));
  for (const [k, v] of Object.entries(s.opt.stateDict())) out[`o:${k}`] = typeof v === 'number' ? v : Array.from(new Uint32Array(v.buffer));
  out.lr = s.opt.lr;
  out.lastEpoch = s.sched.lastEpoch;
  return out;
}

function dispose(s: ReturnType<typeof setup>): void {
  s.opt.dispose();
  s.model.dispose();
}

describe('checkpoint / restore', () => {
  it('right after seed(n) (whose state once came out as a negative int32 and failed restore)', () => {
    for (const n of [0, 1, 2, 12345, -7]) {
      seed(n);
      const s = getRngState();
      expect(s.state).toBeGreaterThanOrEqual(0);
      expect(() => setRngState(s)).not.toThrow();
    }
  });

  for (const kind of ['sgd', 'adam'] as const) {
    it(`${kind}: resuming from a checkpoint is bit-identical to training straight through`, async () => {
      seed(11);
      const straight = setup(kind);
      await train(straight, 6);
      const want = bits(straight);
      const wantRng = getRngState();

      seed(11);
      const first = setup(kind);
      await train(first, 3);
      const bytes = checkpoint({ model: first.model, optimizer: first.opt, scheduler: first.sched, epoch: 3, rngState: getRngState() });
      dispose(first);

      // A "new process": other weights, a scrambled generator, fresh optimiser and scheduler.
      seed(999);
      const resumed = setup(kind);
      const { epoch, rngState } = restore(bytes, { model: resumed.model, optimizer: resumed.opt, scheduler: resumed.sched });
      expect(epoch).toBe(3);
      setRngState(rngState);
      await train(resumed, 3);
      expect(bits(resumed)).toEqual(want);
      expect(getRngState()).toEqual(wantRng);
      dispose(straight);
      dispose(resumed);
    });
  }

  it('stores what it says: weights under their state_dict names, optimiser tensors, JSON metadata', () => {
    seed(3);
    const s = setup('adam');
    const bytes = checkpoint({ model: s.model, optimizer: s.opt, epoch: 0 });
    const r = readSafetensors(bytes);
    expect(Object.keys(r.tensors)).toEqual(['0.weight', '0.bias', '3.weight', '3.bias']); // no state before the first step
    const meta = JSON.parse(r.metadata['simdnet.checkpoint']);
    expect(meta).toEqual({ version: 1, epoch: 0, rngState: getRngState(), optimizer: { type: 'Adam', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-4, counts: {} } });
    expect(JSON.parse(r.metadata['simdnet.model'])).toEqual(s.model.toJSON());
    dispose(s);
  });

  it('restores hyperparameters and lr from the checkpoint (as PyTorch), and is a weights file too', async () => {
    seed(4);
    const a = setup('sgd');
    await train(a, 3);
    const bytes = checkpoint({ model: a.model, optimizer: a.opt, scheduler: a.sched, epoch: 3, metadata: { run: 'x' } });
    const names = Object.keys(readSafetensors(bytes).tensors);
    expect(names).toEqual(['0.weight', '0.bias', '3.weight', '3.bias', 'optimizer/0.momentum', 'optimizer/1.momentum', 'optimizer/2.momentum', 'optimizer/3.momentum']);
    const b = setup('sgd');
    const opt = b.opt as optim.SGD;
    opt.lr = 0.3; opt.momentum = 0.5; opt.nesterov = false;
    const r = restore(bytes, { model: b.model, optimizer: b.opt });
    expect(r.metadata).toMatchObject({ run: 'x', format: 'pt' });
    expect([opt.lr, opt.momentum, opt.nesterov, opt.weightDecay]).toEqual([0.025, 0.9, true, 1e-4]);
    const c = net();
    expect(() => load(c, bytes)).toThrow(/^load: the file has tensors 'optimizer\/0.momentum', .* the model does not have \(pass \{ strict: false \} to ignore them\)$/);
    load(c, bytes, { strict: false });
    expect(c.stateDict()).toEqual(a.model.stateDict());
    // The model alone (no optimiser given) restores too.
    restore(bytes, { model: c });
    for (const s of [a, b]) dispose(s);
    c.dispose();
  });

  it('a bad or mismatched checkpoint throws and changes nothing', async () => {
    seed(5);
    const src = setup('adam');
    await train(src, 2);
    const good = checkpoint({ model: src.model, optimizer: src.opt, scheduler: src.sched, epoch: 2 });
    const meta = readSafetensors(good).metadata;
    const tensors = Object.fromEntries(Object.entries(readSafetensors(good).tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data }]));
    const { writeSafetensors } = await import('../../bindings/index');
    const withMeta = (edit: (m: any) => unknown, t: Record<string, any> = tensors): Uint8Array => {
      let m = JSON.parse(meta['simdnet.checkpoint']);
      m = edit(m) ?? m;
      return writeSafetensors(t, { ...meta, 'simdnet.checkpoint': typeof m === 'string' ? m : JSON.stringify(m) });
    };

    seed(6);
    const target = setup('adam');
    await train(target, 1);
    const sgd = setup('sgd');
    const other = net();
    const before = bits(target);
    const rng = getRngState();
    const mem = memory();
    const cases: Array<[() => unknown, RegExp]> = [
      [() => restore(good, { model: sgd.model, optimizer: sgd.opt }), /^restore: the checkpoint holds the state of 'Adam', but the optimizer is SGD$/],
      [() => restore(good, { model: other, optimizer: target.opt, scheduler: new optim.ExponentialLR(target.opt, { gamma: 0.9 }) }),
        /^restore: the checkpoint holds the state of 'StepLR', but the scheduler is ExponentialLR$/],
      [() => restore(withMeta((m) => { m.epoch = -1; }), { model: target.model, optimizer: target.opt }), /^restore: the checkpoint's epoch must be a non-negative integer, got -1$/],
      [() => restore(withMeta((m) => { m.version = 2; }), { model: target.model, optimizer: target.opt }), /^restore: checkpoint version 2 is not supported/],
      [() => restore(withMeta((m) => { m.rngState.state = 2 ** 40; }), { model: target.model }), /^restore: the checkpoint's rngState is invalid: setRngState: state must be an integer in \[0, 2\^32\)/],
      [() => restore(withMeta((m) => { m.optimizer.betas = [0.9, 1.5]; }), { model: target.model, optimizer: target.opt }), /^restore: the checkpoint's optimizer: betas\[1\] must be a finite number in \[0, 1\), got 1.5$/],
      [() => restore(withMeta((m) => { m.optimizer.counts['0.step'] = -3; }), { model: target.model, optimizer: target.opt }), /^restore: the checkpoint's optimiser state does not fit: Adam.loadStateDict: '0.step' must be a non-negative integer, got -3$/],
      [() => restore(withMeta(() => {}, { ...tensors, 'optimizer/1.m': { shape: [3], data: new Float32Array(3) } }), { model: target.model, optimizer: target.opt }),
        /^restore: tensor 'optimizer\/1.m' has shape \[3\], but the optimiser's parameter 1 is \[16\]/],
      [() => restore(withMeta(() => {}, { ...tensors, 'optimizer/7.m': { shape: [3], data: new Float32Array(3) } }), { model: target.model, optimizer: target.opt }),
        /^restore: tensor 'optimizer\/7.m' names no parameter of the optimiser \(it has 4\)$/],
      [() => restore(withMeta(() => {}, { ...tensors, 'optimizer/2.v': { shape: [3, 16], data: new Float32Array(48).fill(Infinity) } }), { model: target.model, optimizer: target.opt }),
        /^restore: tensor 'optimizer\/2.v' holds a non-finite value at index 0 \(Infinity\)/],
      [() => restore(withMeta((m) => { delete m.optimizer.counts['2.step']; }), { model: target.model, optimizer: target.opt }), /^restore: the checkpoint's optimiser state does not fit: Adam.loadStateDict: parameter 2 has '2.m', '2.v' but no '2.step'$/],
      [() => restore(withMeta(() => 'not json'), { model: target.model }), /^restore: the 'simdnet.checkpoint' metadata is not valid JSON/],
      [() => restore(good.subarray(0, good.length - 4), { model: target.model, optimizer: target.opt }), /^restore: tensor 'optimizer\/3.v': data_offsets .* reach past the end of the data/],
      [() => restore(writeSafetensors(tensors), { model: target.model }), /^restore: the file has no 'simdnet.checkpoint' metadata \(a weights file\? use load\(model, bytes\)\)$/],
      [() => checkpoint({ model: target.model, rngState: { state: -1, spare: null } }), /^checkpoint: rngState is invalid: setRngState: state must be an integer/],
    ];
    for (const [fn, message] of cases) {
      let error: unknown = null;
      try { fn(); } catch (e) { error = e; }
      expect(error, String(message)).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(message);
      expect(bits(target)).toEqual(before);
      expect(getRngState()).toEqual(rng);
    }
    expect(memory()).toEqual(mem);
    for (const s of [src, target, sgd]) dispose(s);
    other.dispose();
  });
});
