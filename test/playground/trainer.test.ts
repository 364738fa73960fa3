// The playground's Worker-side pieces in Node, through the built package as the page uses it:
// the builder's shapes and errors, a training run, Reset, the safetensors round trip, the data
// sets, and the drawing → MNIST preprocessing.
import { describe, it, expect, beforeAll } from 'vitest';
import { requireBuilt } from '../runtimes/harness';
// Plain JS modules of the example (vitest runs them as they are; tsconfig checks bindings/ only).
import { Trainer } from '../../examples/playground/trainer.js';
import { buildModel } from '../../examples/playground/model.js';
import { toySet, split, parseIdx } from '../../examples/playground/data.js';
import { toMnist } from '../../examples/playground/digit.js';

let simdnet: typeof import('../../dist/index.js');

beforeAll(async () => {
  requireBuilt();
  simdnet = await import('simdnet' as string);
  await simdnet.init();
});

const spiralSettings = { layers: [{ type: 'dense', units: 32, activation: 'ReLU' }, { type: 'dense', units: 32, activation: 'ReLU' }], loss: 'softmax', optimiser: 'Adam', lr: 0.01, l2: 1e-4, batchSize: 32 };

describe('playground trainer', () => {
  it('builds the default MNIST CNN with PyTorch-shaped parameters and a same-size conv', () => {
    const model = buildModel([
      { type: 'conv', filters: 8, kernel: 5, activation: 'ReLU' }, { type: 'pool', size: 2 },
      { type: 'conv', filters: 16, kernel: 5, activation: 'ReLU' }, { type: 'pool', size: 2 },
      { type: 'dense', units: 64, activation: 'ReLU', dropout: 0.1 },
    ], { inputShape: [1, 28, 28], classes: 10 });
    expect(model.namedParameters().map(([n, p]: [string, { shape: number[] }]) => [n, p.shape])).toEqual([
      ['0.weight', [8, 1, 5, 5]], ['0.bias', [8]], ['3.weight', [16, 8, 5, 5]], ['3.bias', [16]],
      ['7.weight', [64, 784]], ['7.bias', [64]], ['10.weight', [10, 64]], ['10.bias', [10]],
    ]);
    model.dispose();
  });

  it('refuses layers that do not fit the data, naming the layer', () => {
    expect(() => buildModel([{ type: 'conv', filters: 4, kernel: 3, activation: 'ReLU' }], { inputShape: [2], classes: 3 }))
      .toThrow('layer 1: conv layers need images');
    expect(() => buildModel([{ type: 'dense', units: 4, activation: 'Nope' }], { inputShape: [2], classes: 3 }))
      .toThrow("unknown activation 'Nope'");
  });

  it('trains the spiral past 0.95, Reset gives new weights, safetensors loads back to the same field', () => {
    const data = split(toySet('spiral', { classes: 3, noise: 0.2, perClass: 100 }), 0.2);
    expect([data.train.n, data.val.n, data.k]).toEqual([240, 60, 3]);
    const t = new Trainer(data, { ...spiralSettings, seed: 1 });
    expect(t.weights.map((p: { shape: number[] }) => p.shape), 'L2 on the three weight matrices only').toEqual([[32, 2], [32, 32], [3, 32]]);
    for (let i = 0; i < 400; i++) t.step();
    expect(t.epoch).toBe(Math.floor(400 / 8));
    expect(t.trainAccuracy()).toBeGreaterThanOrEqual(0.95);
    const field = t.field(16);
    const bytes = t.saveSafetensors();
    t.reset(2);
    expect(t.steps).toBe(0);
    expect(Array.from(t.field(16))).not.toEqual(Array.from(field));
    t.loadSafetensors(bytes);
    expect(Array.from(t.field(16))).toEqual(Array.from(field));
    expect(t.saveOnnx()[0]).toBe(0x08);
    const before = simdnet.memory().tensors;
    t.dispose();
    expect(simdnet.memory().tensors).toBeLessThan(before);
  });

  it('makes every toy set with the classes asked for, the same points for the same settings', () => {
    for (const name of ['spiral', 'circles', 'xor', 'blobs']) {
      const a = toySet(name, { classes: 4, noise: 0.1, perClass: 50 });
      const b = toySet(name, { classes: 4, noise: 0.1, perClass: 50 });
      expect(Array.from(a.x)).toEqual(Array.from(b.x));
      expect(new Set(a.y).size, name).toBe(name === 'circles' || name === 'xor' ? 2 : 4);
      expect(a.x.every((v: number) => Math.abs(v) < 1.5), name).toBe(true);
    }
  });

  it('parses IDX and refuses a wrong magic or size', () => {
    const good = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]);
    expect(Array.from(parseIdx(good.buffer, 0x801, 'l').bytes)).toEqual([7, 3]);
    expect(() => parseIdx(good.buffer, 0x803, 'l')).toThrow('not an IDX file');
    expect(() => parseIdx(good.buffer.slice(0, 9), 0x801, 'l')).toThrow('expected 10 bytes, found 9');
  });

  it('turns a drawing into an MNIST-style digit: 20-pixel box, centre of mass at the middle', () => {
    const W = 280, data = new Uint8ClampedArray(W * W * 4);
    for (let y = 40; y < 240; y++) for (let x = 60; x < 80; x++) data[4 * (y * W + x)] = 255; // a bar far left
    const img = toMnist({ data, width: W, height: W });
    const rows = [], cols = [];
    let mass = 0, cx = 0;
    for (let i = 0; i < 784; i++) {
      if (img[i] > 0) { rows.push(Math.floor(i / 28)); cols.push(i % 28); }
      mass += img[i]; cx += img[i] * (i % 28);
    }
    expect(Math.max(...rows) - Math.min(...rows) + 1).toBe(20);
    expect(Math.max(...cols) - Math.min(...cols) + 1).toBe(2);
    expect(Math.abs(cx / mass + 0.5 - 14)).toBeLessThanOrEqual(1);
    expect(toMnist({ data: new Uint8ClampedArray(W * W * 4), width: W, height: W })).toBeNull();
  });
});
